"""Plain-data (JSON-ready) forms of decisions, deadlines and readiness, with the clauses they cite quoted.

Shared by the command line and, later, the API, so both say the same thing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handover.domain.deadlines import Deadline
from handover.domain.protocol.model import Protocol
from handover.domain.readiness import Readiness
from handover.domain.routing import Decision


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def decision_data(protocol: Protocol, decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = {
        "protocol": protocol.name,
        "protocol_version": protocol.version,
        "event": decision.event,
        "outcome": decision.outcome,
        "reason": decision.reason,
    }
    if decision.pathway is not None:
        route = protocol.routes[decision.pathway.route]
        data.update(
            {
                "receiving_service": decision.receiving_service,
                "receiving_service_name": protocol.services[decision.receiving_service].name
                if decision.receiving_service
                else None,
                "candidate_services": list(decision.candidate_services),
                "teams": list(decision.teams),
                "decided_by": [str(d) for d in decision.decided_by],
                "rule": decision.rule.id if decision.rule else None,
                "pathway": decision.pathway.id,
                "pathway_name": decision.pathway.name,
                "secondary_allocation": decision.pathway.secondary,
                "route": {"id": route.id, "name": route.name, "kind": route.kind.value},
                "transfer_point": decision.pathway.transfer_point,
                "cites": protocol.quote(decision.cites),
            }
        )
    if decision.missing_facts:
        data["missing_facts"] = [
            {"fact": name, "question": protocol.facts[name].question} for name in decision.missing_facts
        ]
    if decision.pathway is not None:
        data["escalation"] = escalation_data(protocol)
        data["siblings"] = siblings_data(protocol)
    return data


def escalation_data(protocol: Protocol) -> list[dict[str, Any]]:
    """The ladder a blocked or disputed transfer climbs (the sweep moves overdue work up it after each level's
    time; a dispute between managers starts at level 1), so it can be checked without the database."""
    return [
        {
            "level": level.level,
            "who": level.who.value,
            "who_name": level.who.value.replace("_", " "),
            "after": str(level.after),
            "final": level.final,
            "cites": protocol.quote(level.cites),
        }
        for level in protocol.file.escalation
    ]


def siblings_data(protocol: Protocol) -> dict[str, Any]:
    """The sibling rule: whether siblings keep one social worker (so move together) and the exceptions the
    protocol permits, each needing a recorded reason where it says so."""
    policy = protocol.file.siblings
    return {
        "same_worker": bool(policy and policy.same_worker),
        "rule": (
            "siblings in the family move together and keep one social worker"
            if policy and policy.same_worker
            else "the protocol does not require siblings to share a worker"
        ),
        "cites": protocol.quote(policy.cites) if policy else [],
        "permitted_exceptions": [
            {
                "id": exception.id,
                "name": exception.name,
                "allows": exception.allows.replace("_", " "),
                "requires_reason": exception.requires_reason,
                "cites": list(exception.cites),
            }
            for exception in protocol.file.exceptions
        ],
    }


def deadline_data(protocol: Protocol, deadline: Deadline) -> dict[str, Any]:
    data = {
        "id": deadline.id,
        "name": deadline.name,
        "due": _iso(deadline.due),
        "status": deadline.status,
        "working_days_left": deadline.working_days_left,
        "basis": deadline.basis,
        "cites": list(deadline.cites),
    }
    if deadline.actual:
        data["actual"] = _iso(deadline.actual)
    if deadline.transfer_by:
        data["transfer_by"] = True
    if deadline.missing_facts:
        data["missing_facts"] = list(deadline.missing_facts)
    return data


def readiness_data(protocol: Protocol, readiness: Readiness) -> dict[str, Any]:
    return {
        "ready": readiness.ready,
        "blocking": [item.id for item in readiness.blocking],
        "items": [
            {
                "id": item.id,
                "name": item.name,
                "status": item.status,
                "blocking": item.blocking,
                "detail": item.detail,
                "applies_because": item.why,
                "cites": list(item.cites),
                **({"missing_facts": list(item.missing_facts)} if item.missing_facts else {}),
            }
            for item in readiness.items
        ],
    }
