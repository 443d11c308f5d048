"""The sweep's judgement (domain/sweep.py), on both protocols' ladders and calendars: when work is due soon,
overdue, escalated and to whom, after the local timings the protocol files set (Dorset D-030/D-032: Service
Manager after 5 working days, then the Director after 10 more; Central Bedfordshire C-028/C-008: Team Managers
after 2, Practice Managers after 5 more, Heads of Service after 10 more), and that acting on a plan makes the
next plan empty."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handover.domain.protocol.loader import load_protocol
from handover.domain.sweep import (
    OpenEscalation,
    Standing,
    Work,
    WorkKind,
    plan,
    reminder_ahead,
    standing_of,
)

DORSET = load_protocol("dorset")
CENTRAL_BEDS = load_protocol("central-bedfordshire")


def _plan(protocol, work, today):
    return plan(
        work,
        today=today,
        calendar=protocol.calendar,
        ladder=protocol.file.escalation,
        ahead=reminder_ahead(protocol.file),
    )


# Wednesday 2 December 2026 is due; Friday 25 December and Monday 28 December are bank holidays.
DUE = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("today", "standing"),
    [
        (dt.date(2026, 11, 26), Standing.LATER),  # Thursday: 4 working days ahead
        (dt.date(2026, 11, 30), Standing.DUE_SOON),  # Monday: two working days ahead (the local setting)
        (dt.date(2026, 12, 2), Standing.DUE_SOON),  # due today is not overdue
        (dt.date(2026, 12, 3), Standing.OVERDUE),
    ],
)
def test_due_soon_is_the_protocol_files_two_working_days_and_overdue_starts_the_day_after(today, standing):
    work = Work("w", WorkKind.STEP, DUE)
    assert reminder_ahead(DORSET.file).amount == 2
    assert (
        standing_of(work, today=today, calendar=DORSET.calendar, ahead=reminder_ahead(DORSET.file))
        is standing
    )


def test_done_and_blocked_work_stand_as_such_whatever_the_date():
    calendar, ahead = DORSET.calendar, reminder_ahead(DORSET.file)
    assert (
        standing_of(Work("w", WorkKind.STEP, DUE, done=True), today=DUE, calendar=calendar, ahead=ahead)
        is Standing.DONE
    )
    assert (
        standing_of(Work("b", WorkKind.BLOCKED, DUE), today=DUE, calendar=calendar, ahead=ahead)
        is Standing.BLOCKED
    )
    assert (
        standing_of(Work("u", WorkKind.STEP, None), today=DUE, calendar=calendar, ahead=ahead)
        is Standing.UNDATED
    )


# (protocol, first day at level 1, its role, its clauses): level 1 opens `after` working days after the work went
# overdue (the day after it was due: Thursday 3 December).
LEVEL_ONE = [
    (DORSET, dt.date(2026, 12, 10), "service_manager", ("D-030", "D-032")),  # 5 working days after Thu 3 Dec
    (CENTRAL_BEDS, dt.date(2026, 12, 7), "team_manager", ("C-028",)),  # 2 working days after Thu 3 Dec
]


@pytest.mark.parametrize(("protocol", "opens", "role", "cites"), LEVEL_ONE)
def test_overdue_work_goes_to_the_first_level_of_the_ladder_after_its_local_timing(
    protocol, opens, role, cites
):
    work = Work("transfer:1:step:identify_worker", WorkKind.STEP, DUE)
    before = _plan(protocol, [work], opens - dt.timedelta(days=1))
    assert before.escalations == ()
    on_the_day = _plan(protocol, [work], opens)
    (escalate,) = on_the_day.escalations
    assert escalate.level.level == 1
    assert escalate.level.who.value == role
    assert escalate.level.cites == cites


def test_dorset_moves_up_to_the_director_ten_working_days_after_the_service_manager_and_no_further():
    opened = dt.date(2026, 12, 17)
    moves_on = DORSET.calendar.add(opened, "10 working days")
    # Ten working days from Thursday 17 December skip Christmas Day, Boxing Day (observed on Monday 28th) and
    # New Year's Day.
    assert moves_on == dt.date(2027, 1, 5)
    at_one = Work("w", WorkKind.STEP, DUE, escalation=OpenEscalation(1, moves_on, "k1"))
    assert _plan(DORSET, [at_one], moves_on - dt.timedelta(days=1)).escalations == ()
    (escalate,) = _plan(DORSET, [at_one], moves_on).escalations
    assert (escalate.level.level, escalate.level.who.value, escalate.moves_on) == (
        2,
        "service_director",
        None,
    )
    at_top = Work("w", WorkKind.STEP, DUE, escalation=OpenEscalation(2, None, "k2"))
    assert _plan(DORSET, [at_top], dt.date(2027, 6, 1)).escalations == ()


def test_central_bedfordshire_goes_to_practice_managers_then_heads_of_service_c008():
    roles = [level.who.value for level in CENTRAL_BEDS.file.escalation]
    assert roles == ["team_manager", "practice_manager", "head_of_service"]
    at_one = Work("w", WorkKind.STEP, DUE, escalation=OpenEscalation(1, dt.date(2026, 12, 14), "k1"))
    (escalate,) = _plan(CENTRAL_BEDS, [at_one], dt.date(2026, 12, 14)).escalations
    assert escalate.level.who.value == "practice_manager"
    assert escalate.level.cites == ("C-008",)


def test_blocked_work_counts_from_the_day_it_was_blocked():
    blocked_on = dt.date(2026, 11, 30)  # Monday
    work = Work("transfer:1:blocked", WorkKind.BLOCKED, blocked_on)
    assert _plan(DORSET, [work], dt.date(2026, 12, 4)).escalations == ()  # 4 working days
    (escalate,) = _plan(DORSET, [work], dt.date(2026, 12, 7)).escalations  # 5 working days
    assert escalate.since == blocked_on
    assert (
        _plan(DORSET, [work], dt.date(2026, 12, 7)).reminders == ()
    )  # blocked work is escalated, not reminded


def test_done_work_with_an_open_escalation_steps_down_and_is_not_reminded():
    work = Work("w", WorkKind.REMEDIAL_ACTION, DUE, done=True, escalation=OpenEscalation(1, None, "k1"))
    result = _plan(DORSET, [work], dt.date(2026, 12, 20))
    assert [s.key for s in result.step_downs] == ["k1:step_down"]
    assert result.reminders == () and result.escalations == ()


def test_work_that_does_not_escalate_is_reminded_only():
    work = Work("t", WorkKind.TIMESCALE, DUE, escalates=False)
    result = _plan(DORSET, [work], dt.date(2027, 1, 20))
    assert [r.standing for r in result.reminders] == [Standing.OVERDUE]
    assert result.escalations == ()


# -- acting on a plan makes the next one empty (what the sweep's keys guarantee) ------------------------------


def _apply(protocol, work: list[Work], today: dt.date, told: set[str]) -> tuple[list[Work], int]:
    """Act on the plan as the records layer does: record reminder keys, open escalations, step down."""
    result = _plan(protocol, work, today)
    acted = 0
    by_key = {w.key: w for w in work}
    for reminder in result.reminders:
        if reminder.key not in told:
            told.add(reminder.key)
            acted += 1
    for escalate in result.escalations:
        by_key[escalate.work.key] = replace(
            escalate.work, escalation=OpenEscalation(escalate.level.level, escalate.moves_on, escalate.key)
        )
        acted += 1
    for step_down in result.step_downs:
        by_key[step_down.work.key] = replace(step_down.work, escalation=None)
        acted += 1
    return list(by_key.values()), acted


works = st.lists(
    st.builds(
        Work,
        key=st.uuids().map(str),
        kind=st.sampled_from(list(WorkKind)),
        due=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 1)),
        done=st.booleans(),
        escalation=st.none()
        | st.builds(
            OpenEscalation,
            level=st.integers(1, 2),
            moves_on=st.none() | st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 1)),
            key=st.uuids().map(str),
        ),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(work=works, today=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 1, 1)))
def test_running_the_sweep_twice_on_the_same_day_does_nothing_the_second_time(work, today):
    for protocol in (DORSET, CENTRAL_BEDS):
        told: set[str] = set()
        after_first, _ = _apply(protocol, work, today, told)
        _, acted = _apply(protocol, after_first, today, told)
        assert acted == 0


@settings(max_examples=100, deadline=None)
@given(due=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 1)), days=st.integers(0, 120))
def test_overdue_work_climbs_the_whole_ladder_one_level_at_a_time_and_stops_at_the_top(due, days):
    """Run daily from the day it was due: levels come in order, each no sooner than its `after`, never past the top."""
    protocol = DORSET
    work = [Work("w", WorkKind.STEP, due)]
    told: set[str] = set()
    levels = []
    day = due
    for _ in range(days):
        result = _plan(protocol, work, day)
        levels += [e.level.level for e in result.escalations]
        work, _ = _apply(protocol, work, day, told)
        day += dt.timedelta(days=1)
    assert levels == list(range(1, len(levels) + 1))
    assert len(levels) <= len(protocol.file.escalation)
