"""Deadlines: a transfer's whole timeline and the protocol's standing timescales, in working days.

Each step is due a duration after (or before) an anchor: the event, an earlier step, a date fact from the
child's record, the next sitting of a meeting the case can still make (its cut-off honoured), or an age.
When a step has actually happened (a milestone), later steps count from the actual date, so deadlines are
recomputed as facts change. `today` is an input: the core never reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from handover.domain.calendar import date_at_age
from handover.domain.protocol import schema
from handover.domain.protocol.model import Protocol

Status = Literal["done", "done_late", "overdue", "due", "unknown"]

_WEEKDAYS = {name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))}


@dataclass(frozen=True)
class Deadline:
    id: str
    name: str
    due: dt.date | None
    status: Status
    cites: tuple[str, ...]
    actual: dt.date | None = None
    working_days_left: int | None = None
    basis: str = ""
    missing_facts: tuple[str, ...] = field(default=())
    transfer_by: bool = False
    last_done: dt.date | None = None  # a repeating duty: when it was last done (it is then due `every` later)


def next_sitting(protocol: Protocol, meeting: schema.Meeting, identified: dt.date) -> dt.date:
    """The first sitting of `meeting` whose cut-off is on or after `identified`.

    A sitting that falls on a bank holiday or closure day moves to the next working day; its cut-off counts
    back from the day it actually sits (so a Tuesday meeting after a bank holiday Monday closes on Thursday).
    """
    calendar = protocol.calendar
    day = identified
    for _ in range(400):
        sitting = _sitting_on_or_after(meeting, day)
        held = calendar.next_working_day(sitting)
        cutoff = calendar.subtract(held, meeting.cutoff) if meeting.cutoff is not None else held
        if cutoff >= identified:
            return held
        day = sitting + dt.timedelta(days=1)
    raise ValueError(f"meeting {meeting.id!r} has no sitting within 400 days of {identified}")


def cutoff_for(protocol: Protocol, meeting: schema.Meeting, sitting: dt.date) -> dt.date:
    return protocol.calendar.subtract(sitting, meeting.cutoff) if meeting.cutoff is not None else sitting


def _sitting_on_or_after(meeting: schema.Meeting, day: dt.date) -> dt.date:
    weekday = _WEEKDAYS[meeting.weekday.value]
    if meeting.cadence == "weekly":
        return day + dt.timedelta(days=(weekday - day.weekday()) % 7)
    year, month = day.year, day.month
    while True:
        first = dt.date(year, month, 1)
        candidate = first + dt.timedelta(
            days=(weekday - first.weekday()) % 7 + 7 * ((meeting.week_of_month or 1) - 1)
        )
        if candidate >= day:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def timeline(
    protocol: Protocol,
    facts: Mapping[str, Any],
    pathway: schema.Pathway,
    *,
    today: dt.date,
    milestones: Mapping[str, dt.date] | None = None,
) -> list[Deadline]:
    """Every step of the pathway's timeline, in order, with due dates and status on `today`."""
    spec = protocol.timelines[pathway.timeline]
    milestones = milestones or {}
    known: dict[str, dt.date | None] = {}
    out = []
    for step in spec.steps:
        deadline = _step(protocol, facts, step, known, today, milestones.get(step.id))
        deadline = Deadline(**{**deadline.__dict__, "transfer_by": step.id == spec.transfer_by})
        known[step.id] = deadline.actual or deadline.due
        out.append(deadline)
    return out


def facts_to_ask(
    protocol: Protocol, facts: Mapping[str, Any], pathway: schema.Pathway | None, *, today: dt.date
) -> list[str]:
    """The protocol's own facts (not the record's) that the pathway's timeline and the timescales the event
    starts still need to give their dates: asked with a proposal, so a transfer in's conference counts from the
    day its documents arrived (Dorset D-170) rather than showing "no date yet"."""
    found = [
        *(timeline(protocol, facts, pathway, today=today) if pathway else []),
        *standing_timescales(protocol, facts, today=today),
    ]
    own = {f.id for f in protocol.file.facts}
    out: list[str] = []
    for deadline in found:
        out += [name for name in deadline.missing_facts if name in own and name not in out]
    return out


def standing_timescales(
    protocol: Protocol,
    facts: Mapping[str, Any],
    *,
    today: dt.date,
    milestones: Mapping[str, dt.date] | None = None,
) -> list[Deadline]:
    """The protocol's timescales that the situation starts (or may start, with the facts still missing)."""
    milestones = milestones or {}
    out = []
    for compiled in protocol.timescales:
        spec = compiled.spec
        if spec.on_event and facts["event"] not in spec.on_event:
            continue
        applies = compiled.condition.evaluate(facts)
        if applies is False or (applies is None and not spec.on_event):
            # A timescale with no triggering event (an age, say) is shown only when it surely applies.
            continue
        done = milestones.get(spec.id)
        if spec.every is not None and done is not None:
            # A repeating duty is never done for good: each time it is done, the next one falls due.
            due = protocol.calendar.add(done, spec.every)
            deadline = Deadline(
                id=spec.id,
                name=spec.name,
                due=due,
                status=_status(due, None, today),
                cites=spec.cites,
                working_days_left=protocol.calendar.working_days_between(today, due),
                basis=f"every {spec.every}, last done {done.isoformat()}",
                last_done=done,
            )
        else:
            deadline = _step(protocol, facts, spec, {}, today, None if spec.every is not None else done)
        if applies is None:
            missing = tuple(compiled.condition.missing(facts))
            deadline = Deadline(
                **{
                    **deadline.__dict__,
                    "status": "unknown",
                    "missing_facts": missing,
                    "working_days_left": None,
                }
            )
        out.append(deadline)
    return out


def _step(
    protocol: Protocol,
    facts: Mapping[str, Any],
    step: schema.Step,
    known: Mapping[str, dt.date | None],
    today: dt.date,
    actual: dt.date | None,
) -> Deadline:
    calendar = protocol.calendar
    due: dt.date | None = None
    missing: tuple[str, ...] = ()
    if step.at is not None:
        meeting = protocol.meetings[step.at]
        due = next_sitting(protocol, meeting, facts["event.date"])
        basis = f"next {meeting.name} the case can make (cut-off {meeting.cutoff or 'none'} before)"
    elif step.at_age is not None:
        born = facts.get("child.birth_date")
        if born is None:
            missing = ("child.birth_date",)
        else:
            due = date_at_age(born, step.at_age)
        basis = f"when the child is {step.at_age}"
    else:
        anchor = step.after or step.before
        base = _anchor(anchor, facts, known)
        if base is None:
            missing = (anchor,) if anchor not in known else ()
        elif step.after is not None:
            due = calendar.add(base, step.within, roll_to_working_day=step.roll_to_working_day)
        else:
            due = calendar.subtract(base, step.within)
        basis = f"{step.within} {'after' if step.after else 'before'} {anchor}"
    if isinstance(due, dt.datetime):
        due = due.date()
    return Deadline(
        id=step.id,
        name=step.name,
        due=due,
        status=_status(due, actual, today),
        cites=step.cites,
        actual=actual,
        working_days_left=None if due is None or actual else calendar.working_days_between(today, due),
        basis=basis,
        missing_facts=missing,
    )


def _anchor(
    anchor: str | None, facts: Mapping[str, Any], known: Mapping[str, dt.date | None]
) -> dt.date | None:
    if anchor == "event":
        return facts["event.date"]
    if anchor in known:
        return known[anchor]
    return facts.get(anchor)


def _status(due: dt.date | None, actual: dt.date | None, today: dt.date) -> Status:
    if actual is not None:
        return "done_late" if due is not None and actual > due else "done"
    if due is None:
        return "unknown"
    return "overdue" if today > due else "due"


@dataclass(frozen=True)
class FrontDoorClock:
    """When a contact received at the front door must be decided, and the clauses (or local setting) that say so."""

    due: dt.date
    name: str
    cites: tuple[str, ...]


def front_door_clock(protocol: Protocol, event: str, received_on: dt.date) -> FrontDoorClock | None:
    """The decision due for a contact of `event` received on `received_on`: the earliest first step counted from
    the event on the timelines of the pathways the protocol's rules for that event can route to (Dorset D-077,
    D-084: a working day; Central Bedfordshire: the Hub's day, a local setting). None if no rule names a time."""
    best: FrontDoorClock | None = None
    for rule in protocol.file.rules:
        if rule.event != event:
            continue
        timeline = protocol.timelines[protocol.pathways[rule.pathway].timeline]
        for step in timeline.steps:
            if step.after != "event" or step.within is None:
                continue
            due = protocol.calendar.add(
                received_on, step.within, roll_to_working_day=step.roll_to_working_day
            )
            due = due.date() if isinstance(due, dt.datetime) else due
            if best is None or due < best.due:
                best = FrontDoorClock(due, step.name, step.cites)
    return best
