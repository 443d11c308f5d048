"""When a closed record's retention ends (domain/retention.py), from the protocol file's `retention`."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from handover.domain.protocol.loader import load_protocol
from handover.domain.protocol.schema import Retention
from handover.domain.retention import RetentionFacts, due_for_review, retention_end

POLICY = Retention(looked_after_until_age=75, other_until_age=25, unborn_years_after_closure=6, why="IRMS")


def facts(born=dt.date(2016, 3, 1), closed=dt.date(2027, 6, 1), looked_after=False, expected=None):
    return RetentionFacts(
        date_of_birth=born, expected_date_of_birth=expected, closed_on=closed, looked_after=looked_after
    )


def test_the_bundled_files_keep_records_to_the_25th_or_75th_birthday():
    for name in ("dorset", "central-bedfordshire"):
        policy = load_protocol(name).file.retention
        assert (policy.other_until_age, policy.looked_after_until_age) == (25, 75)
        assert "IRMS" in policy.why


def test_an_open_record_has_no_end():
    assert retention_end(facts(closed=None), POLICY) is None
    assert not due_for_review(facts(closed=None), POLICY, dt.date(2100, 1, 1))


def test_a_child_never_looked_after_is_kept_to_their_25th_birthday():
    end = retention_end(facts(), POLICY)
    assert end.on == dt.date(2041, 3, 1) and "25th birthday" in end.because
    assert not due_for_review(facts(), POLICY, dt.date(2041, 2, 28))
    assert due_for_review(facts(), POLICY, dt.date(2041, 3, 1))


def test_a_child_who_was_looked_after_is_kept_to_their_75th_birthday():
    end = retention_end(facts(looked_after=True), POLICY)
    assert (
        end.on == dt.date(2091, 3, 1) and "75th birthday" in end.because and "was looked after" in end.because
    )


def test_a_29_february_birthday_falls_on_28_february():
    assert retention_end(facts(born=dt.date(2016, 2, 29)), POLICY).on == dt.date(2041, 2, 28)


def test_an_unborn_babys_record_closed_before_birth_is_kept_years_from_closure():
    end = retention_end(facts(born=None, expected=dt.date(2027, 1, 5), closed=dt.date(2026, 12, 1)), POLICY)
    assert end.on == dt.date(2032, 12, 1) and "6 years after the record closed" in end.because


def test_a_record_closed_after_the_birthday_is_kept_at_least_until_the_day_after():
    end = retention_end(facts(born=dt.date(2000, 1, 1), closed=dt.date(2025, 6, 1)), POLICY)
    assert end.on == dt.date(2025, 6, 2) and "closed after the child's 25th birthday" in end.because


def test_ordinals_read_as_words():
    from handover.domain.retention import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 25, 75, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "25th",
        "75th",
        "101st",
        "111th",
    ]


@given(
    born=st.dates(dt.date(1940, 1, 1), dt.date(2030, 12, 31)),
    closed_after=st.integers(0, 40 * 366),
    looked_after=st.booleans(),
    until=st.integers(18, 120),
)
def test_retention_never_ends_before_the_birthday_nor_on_or_before_the_day_it_closed(
    born, closed_after, looked_after, until
):
    policy = Retention(
        looked_after_until_age=until, other_until_age=until, unborn_years_after_closure=6, why="x"
    )
    closed = born + dt.timedelta(days=closed_after)
    end = retention_end(facts(born=born, closed=closed, looked_after=looked_after), policy).on
    assert end > closed
    birthday_year = born.year + until
    assert end >= dt.date(birthday_year, born.month, min(born.day, 28))
    assert due_for_review(facts(born=born, closed=closed, looked_after=looked_after), policy, end)
    assert not due_for_review(
        facts(born=born, closed=closed, looked_after=looked_after), policy, end - dt.timedelta(days=1)
    )
