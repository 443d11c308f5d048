"""Legal Gateway Panel decisions, recorded as the route into the court team (Dorset D-097, D-101, D-110, D-115,
D-136).

The panel's decision is a key event on the child's record. Its outcome is a fact the protocol routes on (the
panel route's `records:` names the event and the fact; Dorset: `lgp_decision` and `lgp_outcome`): where the protocol sends the child on, the transfer is
proposed; where that pathway's route is the panel itself, the panel has already agreed it (D-097: "considered
and agreed at LGP"), so it is agreed at once by the receiving manager who sat on the panel. A pathway with
another route (Dorset's LAC transfer goes to the weekly transfer meeting) is left proposed for that route.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.children.models import Child, KeyEvent
from handover.domain import routing
from handover.domain.protocol.schema import RouteKind
from handover.domain.text import NOTES, text_errors
from handover.domain.workflow import MANAGERS, Action
from handover.organisation.access import AccessDenied, can_write, current_memberships, require_child_access
from handover.organisation.models import Service, StaffMember, Team
from handover.organisation.protocol import protocol_for
from handover.transfers.models import Transfer
from handover.transfers.services import ApplicationError, transfer_act, transfer_propose, transfer_recommend
from handover.transfers.situations import current_primary


def recorded_panel(protocol):
    """The protocol's panel route whose decisions are recorded (`records:` in the file), or None."""
    return next((r for r in protocol.file.routes if r.records is not None), None)


@dataclass(frozen=True)
class PanelDecision:
    key_event: KeyEvent
    outcome: str
    decision: routing.Decision  # where the protocol sends the child on this outcome
    transfer: Transfer | None  # proposed (and agreed, where the panel is the route), or None


def panel_decision_record(
    *,
    actor: StaffMember,
    child: Child,
    outcome: str,
    decided_on: dt.date,
    panel_manager: StaffMember | None = None,
    notes: str = "",
    now: dt.datetime,
) -> PanelDecision:
    """Record the Legal Gateway Panel's decision on a child and start the transfer it leads to.

    Recorded by a team or practice manager of the child's current team (who presents the case to the panel
    and is the one the workflow lets take a transfer to panel). `panel_manager` is the team or practice
    manager of the receiving service who agreed the transfer at the panel; it is needed only when the
    protocol's pathway for the outcome is agreed at the panel. Nothing is written unless all of it is.
    """
    protocol = protocol_for(child.authority)
    panel = recorded_panel(protocol)
    if panel is None:
        raise ApplicationError({"outcome": f"the {protocol.name} protocol has no panel decision to record"})
    event_id, outcome_fact = panel.records.event, panel.records.outcome
    fact = protocol.facts[outcome_fact]
    errors: dict[str, str] = {}
    if outcome not in fact.values:
        errors["outcome"] = f"{outcome!r} is not a panel outcome; choose one of: " + ", ".join(fact.values)
    if decided_on > timezone.localtime(now).date():
        errors["decided_on"] = "the panel's decision cannot be dated in the future"
    allocation = current_primary(child)
    if allocation is None:
        errors["child"] = "the child has no open primary allocation, so no team presented the case"
    errors.update(text_errors(notes=(notes, NOTES)))
    if errors:
        raise ApplicationError(errors)
    _require_presenting_manager(actor, child, allocation.team)

    _, decision = transfer_recommend(
        child=child, event=event_id, on=decided_on, answers={"facts": {outcome_fact: outcome}}
    )
    if decision.outcome == "undetermined":
        raise ApplicationError(
            {
                "child": "the protocol needs more of the record to route this: "
                + ", ".join(decision.missing_facts)
            }
        )
    pathway = decision.pathway if decision.outcome != "no_rule" else None
    route = protocol.routes[pathway.route] if pathway is not None else None
    agreed_at_panel = route is not None and route.kind is RouteKind.PANEL
    to_team = None
    if agreed_at_panel and decision.outcome == "route":
        to_service = Service.objects.get(authority=child.authority, code=decision.receiving_service)
        to_team = _panel_managers_team(panel_manager, to_service, timezone.localtime(now).date())

    event_name = protocol.events[event_id].name
    with transaction.atomic():
        key_event = KeyEvent.objects.create(
            child=child,
            event_type=event_id,
            date=decided_on,
            notes="\n".join(filter(None, [f"Outcome: {outcome}", notes.strip()])),
        )
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=child,
            obj=key_event,
            after=snapshot(key_event),
            detail=f"{event_name}: {outcome}",
        )
        transfer = None
        if pathway is not None:
            # transfer_propose refuses what it cannot do (a choice between services, an open transfer already).
            transfer = transfer_propose(
                actor=actor,
                child=child,
                event=event_id,
                on=decided_on,
                now=now,
                answers={"facts": {outcome_fact: outcome}},
            ).transfers[0]
            if agreed_at_panel:
                transfer = _agree_at_panel(
                    transfer, actor, panel_manager, to_team, route.name, pathway, protocol, decided_on, now
                )
    return PanelDecision(key_event=key_event, outcome=outcome, decision=decision, transfer=transfer)


def _require_presenting_manager(actor: StaffMember, child: Child, team: Team) -> None:
    require_child_access(actor, child)
    if not can_write(actor):
        raise AccessDenied("your roles are read-only")
    if not any(m.role in MANAGERS and m.team_id == team.pk for m in current_memberships(actor)):
        raise AccessDenied(
            f"a panel decision is recorded by a team manager or practice manager of {team}, who presented the case"
        )


def _panel_managers_team(panel_manager: StaffMember | None, to_service: Service, on: dt.date) -> Team:
    """The receiving team: the one in the receiving service that the agreeing manager manages."""
    if panel_manager is None:
        raise ApplicationError(
            {"panel_manager": f"name the manager of {to_service} who agreed the transfer at the panel"}
        )
    teams = [
        m.team
        for m in current_memberships(panel_manager, on)
        if m.role in MANAGERS and m.team is not None and m.team.service_id == to_service.pk and m.team.active
    ]
    if not panel_manager.active or not teams:
        raise ApplicationError(
            {"panel_manager": f"{panel_manager} is not a team manager or practice manager in {to_service}"}
        )
    return teams[0]


def _agree_at_panel(
    transfer: Transfer,
    actor: StaffMember,
    panel_manager: StaffMember,
    to_team: Team,
    panel: str,
    pathway,
    protocol,
    decided_on: dt.date,
    now: dt.datetime,
) -> Transfer:
    """Presented to the panel by the sending manager, agreed there by the receiving one (D-097)."""
    transfer_by = protocol.timelines[pathway.timeline].transfer_by
    due = transfer.deadlines.filter(step=transfer_by).values_list("due", flat=True).first()
    if due is None:
        raise ApplicationError(
            {"outcome": f"the protocol cannot date {pathway.transfer_point} from what is on the record"}
        )
    transfer = transfer_act(
        actor=actor,
        transfer=transfer,
        action=Action.REFER_TO_PANEL,
        expected_version=transfer.version,
        reason=f"presented to the {panel}",
        now=now,
        on=decided_on,
    )
    day = f"{decided_on.day} {decided_on:%B %Y}"
    return transfer_act(
        actor=actor,
        decided_by=panel_manager,  # agreed at the panel by the receiving manager; recorded by the presenter
        transfer=transfer,
        action=Action.AGREE,
        expected_version=transfer.version,
        to_team=to_team,
        transfer_date=due,
        reason=f"agreed at the {panel} on {day}; transfer point: {pathway.transfer_point}",
        now=now,
        on=decided_on,
    )
