"""The sweep's judgement: for each piece of open work, is it due soon, overdue, or blocked, and what does the
protocol say happens next (a reminder, a move up the escalation ladder, or stepping down when it is done)?

Pure Python: the records layer gathers `Work` (one row per timeline step, standing timescale, remedial action or
blocked transfer), passes `today`, and acts on the `Plan`. Every reminder and escalation has a stable `key`, so
acting on a plan twice writes nothing the second time, and a plan acted on half-way is finished by the next.

The timings are local settings in the protocol file: `reminders.ahead` (how long before a due date people are
reminded) and each escalation level's `after` (how long work waits at one level before it moves to the next:
level 1 that long after the work went overdue or was blocked, each later level that long after the level below
it opened).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from handover.domain.calendar import Duration, WorkingCalendar
from handover.domain.protocol import schema

DEFAULT_AHEAD = Duration.working_days(2)


class WorkKind(StrEnum):
    STEP = "step"  # a step of a transfer's timeline
    TIMESCALE = "timescale"  # a standing timescale the transfer's situation started
    REMEDIAL_ACTION = "remedial_action"
    BLOCKED = "blocked"  # a transfer recorded as blocked (or escalated from blocked)


class Standing(StrEnum):
    """Where a piece of work stands on the day of the sweep."""

    LATER = "later"  # due, but not yet within the reminder window
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    BLOCKED = "blocked"
    DONE = "done"
    UNDATED = "undated"  # no due date can be computed yet (a fact is missing)


@dataclass(frozen=True)
class OpenEscalation:
    """The escalation currently open on a piece of work: its level and the day it moves on if still open."""

    level: int
    moves_on: dt.date | None
    key: str = ""


@dataclass(frozen=True)
class Work:
    """One piece of work the sweep looks at. `key` identifies it for as long as it exists (e.g. the transfer and
    step); `due` is its due date (for blocked work, the day it was blocked); `escalation` the one open on it."""

    key: str
    kind: WorkKind
    due: dt.date | None
    done: bool = False
    escalation: OpenEscalation | None = None
    escalates: bool = True  # False: reminded and shown overdue, never escalated (e.g. an optional timescale)


@dataclass(frozen=True)
class Reminder:
    work: Work
    standing: Standing  # DUE_SOON or OVERDUE
    key: str  # stable: the work, the kind of reminder and the due date it is about


@dataclass(frozen=True)
class Escalate:
    work: Work
    level: schema.EscalationLevel
    moves_on: dt.date | None  # when it moves to the level above if still open (None at the top)
    key: str
    since: dt.date  # the day the work went overdue or was blocked (for level 1), or the level below opened


@dataclass(frozen=True)
class StepDown:
    """The work is done (or unblocked): the escalation open on it is resolved."""

    work: Work
    key: str


@dataclass(frozen=True)
class Plan:
    standings: Mapping[str, Standing]
    reminders: tuple[Reminder, ...] = ()
    escalations: tuple[Escalate, ...] = ()
    step_downs: tuple[StepDown, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.reminders or self.escalations or self.step_downs)


def reminder_ahead(protocol_file: schema.ProtocolFile) -> Duration:
    """How long before a due date the sweep reminds: the protocol file's local setting, else two working days."""
    reminders = getattr(protocol_file, "reminders", None)
    return reminders.ahead if reminders is not None else DEFAULT_AHEAD


def standing_of(
    work: Work,
    *,
    today: dt.date,
    calendar: WorkingCalendar,
    ahead: Duration,
    window: dict[dt.date, dt.date] | None = None,
) -> Standing:
    """Where one piece of work stands on `today`: one home for "due soon" and "overdue" for every page.
    `window` caches, by due date, the day its reminder window opens (thousands of items share a few dates)."""
    if work.done:
        return Standing.DONE
    if work.kind is WorkKind.BLOCKED:
        return Standing.BLOCKED
    if work.due is None:
        return Standing.UNDATED
    if today > work.due:
        return Standing.OVERDUE
    opens = window.get(work.due) if window is not None else None
    if opens is None:
        opens = calendar.subtract(work.due, ahead)
        if window is not None:
            window[work.due] = opens
    return Standing.DUE_SOON if today >= opens else Standing.LATER


def moves_on(
    ladder: Sequence[schema.EscalationLevel], calendar: WorkingCalendar, level: int, since: dt.date
) -> dt.date | None:
    """The day work at `level` (0: not yet escalated, counting from the day it went overdue or was blocked) moves
    to the next level of the ladder if nothing changes; None at the top of the ladder."""
    if level >= len(ladder):
        return None
    return calendar.add(since, ladder[level].after)


def went_overdue(due: dt.date) -> dt.date:
    """Work due on a day is overdue from the next day: its escalation clock starts then."""
    return due + dt.timedelta(days=1)


def plan(
    work: Iterable[Work],
    *,
    today: dt.date,
    calendar: WorkingCalendar,
    ladder: Sequence[schema.EscalationLevel],
    ahead: Duration = DEFAULT_AHEAD,
) -> Plan:
    """What the sweep should do today for each piece of work. Keys make each act happen once:
    - a reminder when work falls due soon (once per due date) and when it goes overdue (once per due date);
    - the next escalation level once the current level's time is up (overdue or blocked work only);
    - a step-down for an escalation still open on work that is done."""
    standings: dict[str, Standing] = {}
    reminders: list[Reminder] = []
    escalations: list[Escalate] = []
    step_downs: list[StepDown] = []
    counts: dict[str, int] = {}
    window: dict[dt.date, dt.date] = {}
    for item in work:
        standing = standing_of(item, today=today, calendar=calendar, ahead=ahead, window=window)
        standings[item.key] = standing
        counts[standing.value] = counts.get(standing.value, 0) + 1
        if standing is Standing.DONE:
            if item.escalation is not None:
                step_downs.append(StepDown(item, f"{item.escalation.key or item.key}:step_down"))
            continue
        if standing in (Standing.DUE_SOON, Standing.OVERDUE) and item.due is not None:
            reminders.append(Reminder(item, standing, f"{item.key}:{standing.value}:{item.due.isoformat()}"))
        if standing not in (Standing.OVERDUE, Standing.BLOCKED) or not item.escalates or not ladder:
            continue
        escalate = _next_level(item, standing, today=today, calendar=calendar, ladder=ladder)
        if escalate is not None:
            escalations.append(escalate)
    return Plan(standings, tuple(reminders), tuple(escalations), tuple(step_downs), counts)


def _next_level(
    item: Work,
    standing: Standing,
    *,
    today: dt.date,
    calendar: WorkingCalendar,
    ladder: Sequence[schema.EscalationLevel],
) -> Escalate | None:
    # bandit B101: for the type checker; only dated work gets here (blocked work is dated the day it was blocked).
    assert item.due is not None  # nosec B101
    current = item.escalation.level if item.escalation else 0
    if current >= len(ladder):
        return None  # at the top: it stays there until someone resolves it
    if item.escalation is not None:
        since = item.escalation.moves_on
        if since is None or today < since:
            return None
        start = since
    else:
        # Blocked work counts from the day it was blocked; overdue work from the day after it was due.
        start = item.due if standing is Standing.BLOCKED else went_overdue(item.due)
        if today < moves_on(ladder, calendar, 0, start):
            return None
    level = ladder[current]
    # Its time at this level counts from today (when it is actually raised), so each level gets its full time
    # even if the sweep did not run for a while.
    return Escalate(
        work=item,
        level=level,
        moves_on=moves_on(ladder, calendar, current + 1, today),
        key=f"{item.key}:level{level.level}:{(item.escalation.moves_on if item.escalation else item.due).isoformat()}",
        since=start,
    )
