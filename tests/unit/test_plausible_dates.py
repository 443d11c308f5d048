"""Plausible dates, one rule set (issue 12): what a user trial typed and Handover stored — an event in the future
or before the child's birth, the year "26", an agreed transfer date of 1/1/2099, a chronology dated 2031 — each
refused with words naming the date and the rule. Property tests for the boundaries."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from handover.domain import plausible

TODAY = dt.date(2026, 12, 2)
BORN = dt.date(2016, 3, 1)


def test_a_chronology_dated_2031_is_refused():
    assert plausible.past_date(dt.date(2031, 1, 5), "the date of the document", today=TODAY) == (
        "the date of the document cannot be in the future (today is 2 December 2026)"
    )


def test_the_year_26_is_not_2026():
    assert plausible.past_date(dt.date(26, 12, 1), "the date of the event", today=TODAY) == (
        "the date of the event must have a four-digit year, like 2026"
    )


def test_an_event_before_the_child_was_born_is_refused():
    assert plausible.past_date(dt.date(2015, 1, 1), "the date of the event", today=TODAY, born=BORN) == (
        "the date of the event cannot be before the child was born (1 March 2016)"
    )


def test_an_agreed_transfer_date_in_2099_is_refused():
    problem = plausible.agreed_transfer_date(
        dt.date(2099, 1, 1), event_date=TODAY, today=TODAY, window_ends=None, reason=""
    )
    assert problem == "the agreed transfer date cannot be more than a year ahead (after 3 December 2027)"


def test_a_transfer_date_after_the_protocols_deadline_needs_the_reason():
    late = dict(event_date=TODAY, today=TODAY, window_ends=dt.date(2026, 12, 16))
    assert plausible.agreed_transfer_date(dt.date(2026, 12, 23), reason="", **late) == (
        "the agreed transfer date is after the protocol's deadline for this transfer (16 December 2026): give "
        "the reason for the later date"
    )
    assert (
        plausible.agreed_transfer_date(dt.date(2026, 12, 23), reason="The worker returns on 21st", **late)
        is None
    )
    assert plausible.agreed_transfer_date(dt.date(2026, 12, 16), reason="", **late) is None


def test_births_a_care_leaver_and_an_unborn_baby():
    assert plausible.birth_date(dt.date(2027, 1, 1), today=TODAY).startswith(
        "the date of birth cannot be in the future"
    )
    assert plausible.birth_date(dt.date(2000, 12, 1), today=TODAY).startswith(
        "the date of birth makes the child 26"
    )
    assert plausible.birth_date(dt.date(2000, 12, 3), today=TODAY) is None  # 25: a care leaver
    assert plausible.expected_birth_date(dt.date(2027, 5, 1), today=TODAY) is None
    assert plausible.expected_birth_date(dt.date(2028, 1, 1), today=TODAY).startswith(
        "the expected date of birth is more than 45 weeks ahead"
    )


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_a_past_date_is_refused_exactly_when_it_is_after_today(day):
    assert (plausible.past_date(day, "it", today=TODAY) is None) == (day <= TODAY)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_a_booked_date_is_refused_exactly_when_more_than_a_year_ahead(day):
    assert (plausible.booked_date(day, "it", today=TODAY) is None) == (day <= TODAY + dt.timedelta(days=366))


AGREED = dt.date(2026, 12, 23)


def test_completing_before_the_agreed_date_needs_the_confirmation_and_the_reason():
    # What the user trial did: completed on 2 December with 23 December agreed, and nothing said so.
    assert plausible.early_completion(TODAY, agreed=AGREED, confirmed=False, reason="") == {
        "confirm_early": "the agreed date of formal transfer is 23 December 2026. To complete it earlier, "
        "confirm it and give the reason",
        "reason": "enter why the transfer is completed before the agreed date (23 December 2026)",
    }
    assert set(plausible.early_completion(TODAY, agreed=AGREED, confirmed=True, reason="  ")) == {"reason"}
    assert set(plausible.early_completion(TODAY, agreed=AGREED, confirmed=False, reason="Moved")) == {
        "confirm_early"
    }
    assert plausible.early_completion(TODAY, agreed=AGREED, confirmed=True, reason="The family moved") == {}


@given(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31)))
def test_only_a_completion_before_the_agreed_date_asks_anything(on):
    asked = plausible.early_completion(on, agreed=AGREED, confirmed=False, reason="")
    assert bool(asked) == (on < AGREED)
    assert plausible.early_completion(on, agreed=None, confirmed=False, reason="") == {}


def test_a_handover_meeting_has_happened_after_the_worker_was_named():
    named = dt.date(2026, 11, 24)
    held = dict(today=TODAY, worker_named=named)
    assert plausible.handover_held_date(dt.date(2026, 12, 3), **held) == (
        "the date the handover meeting was held cannot be in the future (today is 2 December 2026)"
    )
    assert plausible.handover_held_date(dt.date(2026, 11, 20), **held) == (
        "the date the handover meeting was held cannot be before the receiving worker was named "
        "(24 November 2026)"
    )
    assert plausible.handover_held_date(dt.date(26, 11, 30), **held).endswith("four-digit year, like 2026")
    assert plausible.handover_held_date(named, **held) is None
    assert plausible.handover_held_date(TODAY, **held) is None
