"""Turn a situation written as JSON into the flat, typed facts that rules read.

A situation looks like::

    {"event": "referral", "date": "2026-11-24",
     "child": {"birth_date": "2012-03-01", "disability": false, "legal_status": "none"},
     "history": {"last_service": "assessment", "closed_on": "2026-10-01"},
     "facts": {"ongoing_need_identified": true}}

Sections child/history/siblings/mother/transfer hold standard facts; `facts` holds the authority's own
(declared in its protocol file). Anything undeclared or of the wrong type is refused with a message naming
the field and the rule it broke; nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from handover.domain.errors import SituationError
from handover.domain.facts import FactType
from handover.domain.protocol.model import Protocol
from handover.domain.text import NUL, REASON

_SECTIONS = ("child", "history", "siblings", "mother", "transfer")
_TOP_LEVEL = ("event", "date", *_SECTIONS, "facts", "milestones", "documents", "confirmations", "today")


def situation_facts(protocol: Protocol, situation: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a JSON situation against the protocol's vocabulary and return its facts, derived ones included."""
    if not isinstance(situation, Mapping):
        raise SituationError("situation", "must be a JSON object")
    for key in situation:
        if key not in _TOP_LEVEL:
            raise SituationError(
                key, f"is not part of a situation (expected one of: {', '.join(_TOP_LEVEL)})"
            )
    event = situation.get("event")
    if event is None:
        raise SituationError("event", "is required (one of: " + ", ".join(protocol.events) + ")")
    if event not in protocol.events:
        raise SituationError(
            "event", f"unknown event {event!r} for {protocol.name} (one of: {', '.join(protocol.events)})"
        )
    facts: dict[str, Any] = {"event": event}
    if situation.get("date") is None:
        raise SituationError("date", "is required: the date of the event, as YYYY-MM-DD")
    facts["event.date"] = _date("date", situation["date"])
    for section in _SECTIONS:
        values = situation.get(section) or {}
        if not isinstance(values, Mapping):
            raise SituationError(section, "must be a JSON object")
        for key, value in values.items():
            _put(protocol, facts, f"{section}.{key}", value, standard=True)
    own = situation.get("facts") or {}
    if not isinstance(own, Mapping):
        raise SituationError("facts", "must be a JSON object")
    for key, value in own.items():
        _put(protocol, facts, key, value, standard=False)
    derive_facts(protocol, facts)
    return facts


def derive_facts(protocol: Protocol, facts: dict[str, Any]) -> None:
    """Fill derived facts (unborn, open, where the transfer starts) from the ones given."""
    if facts.get("child.birth_date") is not None:
        if facts.get("child.unborn") is True:
            raise SituationError("child.unborn", "cannot be true when child.birth_date is given")
        facts["child.unborn"] = False
    elif facts.get("child.expected_birth_date") is not None:
        facts["child.unborn"] = True
    for key in ("history.current_service", "history.last_service"):
        if facts.get(key) in protocol.outside_case_history:
            raise SituationError(
                key,
                f"is {protocol.services[facts[key]].name}, whose cases are not social care history in this "
                "protocol: give the social care service that held the case, or leave it out",
            )
    current = facts.get("history.current_service")
    if "history.open" not in facts and (current is not None or facts.get("history.closed_on") is not None):
        facts["history.open"] = current is not None
    if current is not None and facts.get("history.last_service") is None:
        facts["history.last_service"] = current
    if "history.previously_known" not in facts and facts.get("history.last_service") is not None:
        facts["history.previously_known"] = True
    if facts.get("history.previously_known") is False:
        if facts.get("history.last_service") is not None or facts.get("history.closed_on") is not None:
            raise SituationError(
                "history.previously_known", "is false, yet a previous service or closure is given"
            )
        facts.setdefault("history.open", False)
    if "transfer.from" not in facts:
        arrives_at = protocol.events[facts["event"]].arrives_at
        source = arrives_at or current
        if source is not None:
            facts["transfer.from"] = source
    for side in ("from", "to"):
        kind = protocol.service_kind(facts.get(f"transfer.{side}"))
        if kind is not None:
            facts[f"transfer.{side}_kind"] = kind


def _put(protocol: Protocol, facts: dict[str, Any], name: str, value: Any, *, standard: bool) -> None:
    spec = protocol.facts.get(name)
    field = name if standard else f"facts.{name}"
    if spec is None or (standard and name.split(".")[0] not in _SECTIONS):
        raise SituationError(field, f"is not a fact {protocol.name}'s protocol declares")
    if spec.derived and name not in ("child.unborn", "history.open"):
        raise SituationError(field, "is worked out by Handover; give the facts it comes from instead")
    if value is None:
        return
    facts[name] = _typed(protocol, field, spec.type, spec.values, value)


def _typed(protocol: Protocol, field: str, kind: FactType, values: tuple[str, ...], value: Any) -> Any:
    if kind is FactType.BOOL:
        if not isinstance(value, bool):
            raise SituationError(field, f"must be true or false, not {value!r}")
        return value
    if kind is FactType.DATE:
        return _date(field, value)
    if kind is FactType.ENUM:
        if value not in values:
            raise SituationError(field, f"must be one of {', '.join(values)}; got {value!r}")
        return value
    if kind is FactType.SERVICE:
        if value not in protocol.services:
            raise SituationError(
                field, f"must be a service of {protocol.name} ({', '.join(protocol.services)}); got {value!r}"
            )
        return value
    if kind is FactType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SituationError(field, f"must be a number, not {value!r}")
        return value
    if not isinstance(value, str):
        raise SituationError(field, f"must be text, not {value!r}")
    if NUL in value:
        raise SituationError(field, "must not contain the null character (U+0000)")
    if len(value) > REASON:
        raise SituationError(field, f"must be {REASON:,} characters or less")
    return value


def _date(field: str, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SituationError(field, f"must be a date written YYYY-MM-DD, not {value!r}") from None
