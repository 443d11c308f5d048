"""Tests for handover.domain.calendar: working days, durations, ages."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handover.domain.calendar import (
    CLOSURE_DAY_NAME,
    Age,
    CalendarRangeError,
    Duration,
    DurationError,
    DurationUnit,
    WorkingCalendar,
    age_on,
    date_at_age,
)

# Christmas closure days of an imaginary authority (the working days between Christmas and New Year 2025).
CLOSURES = (date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31))
ENG = WorkingCalendar()
AUTH = WorkingCalendar(closure_days=CLOSURES)
WLS = WorkingCalendar(subdivision="WLS")

dates = st.dates(min_value=date(2001, 1, 1), max_value=date(2058, 12, 31))
# 240 working days is less than a year, so results stay inside the calendar's 2000-2060 range.
offsets = st.integers(min_value=-240, max_value=240)
positive = st.integers(min_value=1, max_value=240)
small = st.integers(min_value=0, max_value=120)
PROPS = settings(deadline=None, max_examples=150)


def is_weekday_open(cal: WorkingCalendar, d: date) -> bool:
    """Independent definition of a working day, not using numpy."""
    return d.weekday() < 5 and d not in cal.bank_holidays and d not in cal.closure_days


def step_working_days(cal: WorkingCalendar, start: date, n: int) -> date:
    """Day-by-day reference implementation of the counting convention."""
    d = start
    if n == 0:
        while not is_weekday_open(cal, d):
            d += timedelta(days=1)
        return d
    step = timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        d += step
        while not is_weekday_open(cal, d):
            d += step
    return d


# --------------------------------------------------------------------------------------------------
# Known bank holidays and worked examples
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 4, 18), "Good Friday"),
        (date(2025, 4, 21), "Easter Monday"),
        (date(2026, 8, 31), "Late Summer Bank Holiday"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
        (date(2026, 5, 25), "Spring Bank Holiday"),
        # One-off bank holidays: must come from the holidays package.
        (date(2022, 6, 3), "Platinum Jubilee of Elizabeth II"),
        (date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
        (date(2023, 5, 8), "Coronation of Charles III"),
    ],
)
def test_known_bank_holidays_england(day: date, name: str) -> None:
    assert day.weekday() < 5
    assert not ENG.is_working_day(day)
    assert ENG.holiday_name(day) == name


def test_ordinary_days_have_no_name() -> None:
    assert ENG.holiday_name(date(2025, 4, 22)) is None
    assert ENG.is_working_day(date(2025, 4, 22))
    assert ENG.holiday_name(date(2025, 4, 19)) is None  # a Saturday is not a holiday, just not a working day
    assert not ENG.is_working_day(date(2025, 4, 19))


@pytest.mark.parametrize(
    ("start", "n", "expected", "why"),
    [
        (
            date(2025, 4, 17),
            1,
            date(2025, 4, 22),
            "Thursday before Good Friday: skips Fri, weekend, Easter Mon",
        ),
        (date(2025, 4, 17), 3, date(2025, 4, 24), "Thursday before Good Friday + 3"),
        (date(2025, 4, 17), 0, date(2025, 4, 17), "working day + 0 is itself"),
        (date(2026, 4, 2), 1, date(2026, 4, 7), "Thursday before Good Friday 2026 + 1"),
        (date(2025, 5, 23), 1, date(2025, 5, 27), "Friday before spring bank holiday Monday + 1 = Tuesday"),
        (date(2025, 4, 19), 1, date(2025, 4, 22), "Saturday of Easter weekend + 1 = Tuesday"),
        (date(2025, 6, 6), 1, date(2025, 6, 9), "Friday + 1 = Monday"),
        (date(2025, 6, 7), 1, date(2025, 6, 9), "Saturday + 1 = Monday"),
        (date(2025, 6, 8), 1, date(2025, 6, 9), "Sunday + 1 = Monday"),
        (date(2025, 6, 7), 0, date(2025, 6, 9), "Saturday + 0 = next working day"),
        (date(2025, 4, 18), 0, date(2025, 4, 22), "Good Friday + 0 = Tuesday after Easter"),
        (date(2026, 5, 26), -2, date(2026, 5, 21), "Tuesday after spring bank holiday - 2 = Thursday"),
        (date(2026, 5, 26), -1, date(2026, 5, 22), "Tuesday after spring bank holiday - 1 = Friday"),
        (date(2025, 6, 8), -1, date(2025, 6, 6), "Sunday - 1 = Friday"),
        (date(2025, 4, 21), -1, date(2025, 4, 17), "Easter Monday - 1 = Thursday before Good Friday"),
        (date(2026, 12, 24), 1, date(2026, 12, 29), "Christmas Eve 2026 + 1 (25 Fri, 28 Mon substitute)"),
        (date(2022, 6, 1), 1, date(2022, 6, 6), "Platinum Jubilee: 2 and 3 June 2022 both holidays"),
        (date(2022, 9, 16), 1, date(2022, 9, 20), "State funeral Monday 19 Sep 2022"),
        (date(2023, 5, 5), 1, date(2023, 5, 9), "Coronation Monday 8 May 2023"),
    ],
)
def test_add_working_days_examples(start: date, n: int, expected: date, why: str) -> None:
    assert ENG.add_working_days(start, n) == expected, why
    assert step_working_days(ENG, start, n) == expected, why


def test_england_2026_christmas() -> None:
    assert date(2026, 12, 25).weekday() == 4  # Friday
    assert date(2026, 12, 28).weekday() == 0  # Monday substitute for Boxing Day (Saturday)
    assert not ENG.is_working_day(date(2026, 12, 28))
    assert ENG.is_working_day(date(2026, 12, 29))


def test_wales_subdivision() -> None:
    assert WLS.holiday_name(date(2025, 4, 21)) == "Easter Monday"
    assert WLS.holiday_name(date(2025, 8, 25)) == "Late Summer Bank Holiday"
    assert WLS.add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)
    assert WLS.subdivision == "WLS"


def test_scotland_differs() -> None:
    # Sanity check that the subdivision is really passed: Scotland has 2 January and no Easter Monday.
    sct = WorkingCalendar(subdivision="SCT", first_year=2025, last_year=2025)
    assert not sct.is_working_day(date(2025, 1, 2))
    assert sct.is_working_day(date(2025, 4, 21))
    assert ENG.is_working_day(date(2025, 1, 2))


def test_unknown_subdivision() -> None:
    with pytest.raises(ValueError, match=r"unknown GB subdivision 'XX'.*ENG"):
        WorkingCalendar(subdivision="XX")


def test_closure_days_honoured() -> None:
    assert ENG.is_working_day(date(2025, 12, 29))
    assert not AUTH.is_working_day(date(2025, 12, 29))
    assert AUTH.holiday_name(date(2025, 12, 30)) == CLOSURE_DAY_NAME
    # Christmas Eve 2025 is a Wednesday; 25, 26 bank holidays; 29-31 closed; 1 Jan bank holiday.
    assert ENG.add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 29)
    assert AUTH.add_working_days(date(2025, 12, 24), 1) == date(2026, 1, 2)
    assert AUTH.working_days_between(date(2025, 12, 24), date(2026, 1, 2)) == 1
    assert AUTH.closure_days == frozenset(CLOSURES)


def test_closure_day_on_bank_holiday_keeps_bank_holiday_name() -> None:
    cal = WorkingCalendar(closure_days=[date(2025, 12, 25)], first_year=2025, last_year=2026)
    assert cal.holiday_name(date(2025, 12, 25)) == "Christmas Day"


def test_next_and_previous_working_day() -> None:
    good_friday = date(2025, 4, 18)
    assert ENG.next_working_day(good_friday) == date(2025, 4, 22)
    assert ENG.previous_working_day(good_friday) == date(2025, 4, 17)
    tue = date(2025, 4, 22)
    assert ENG.next_working_day(tue) == tue
    assert ENG.next_working_day(tue, include_today=False) == date(2025, 4, 23)
    assert ENG.previous_working_day(tue) == tue
    assert ENG.previous_working_day(tue, include_today=False) == date(2025, 4, 17)


def test_working_days_between_examples() -> None:
    assert ENG.working_days_between(date(2025, 4, 17), date(2025, 4, 22)) == 1
    assert ENG.working_days_between(date(2025, 4, 22), date(2025, 4, 17)) == -1
    assert ENG.working_days_between(date(2025, 4, 17), date(2025, 4, 17)) == 0
    assert ENG.working_days_between(date(2025, 6, 7), date(2025, 6, 8)) == 0  # Sat -> Sun


def test_datetime_inputs_use_their_date() -> None:
    assert not ENG.is_working_day(datetime(2025, 4, 18, 9, 30))
    result = ENG.add(datetime(2025, 4, 17, 16, 45), "1 working day")
    assert result == datetime(2025, 4, 22, 16, 45)


# --------------------------------------------------------------------------------------------------
# add / subtract with durations
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (date(2025, 4, 17), "3 working days", date(2025, 4, 24)),
        (date(2025, 4, 17), "21 days", date(2025, 5, 8)),
        (date(2025, 4, 17), "2 weeks", date(2025, 5, 1)),
        (date(2025, 4, 17), "12 weeks", date(2025, 7, 10)),
        (date(2023, 1, 31), "1 month", date(2023, 2, 28)),
        (date(2024, 1, 31), "1 month", date(2024, 2, 29)),
        (date(2025, 8, 31), "3 months", date(2025, 11, 30)),
        (date(2025, 1, 15), "9 months", date(2025, 10, 15)),
        (date(2024, 2, 29), "1 year", date(2025, 2, 28)),
        (date(2024, 2, 29), "1 year 1 month", date(2025, 3, 29)),  # years and months added together
        (date(2025, 1, 31), "1 month 1 day", date(2025, 3, 1)),
        (date(2025, 4, 17), "24 hours", date(2025, 4, 18)),
        (date(2025, 4, 17), "72 hours", date(2025, 4, 20)),
        (date(2025, 4, 17), "25 hours", date(2025, 4, 19)),  # date + ceil(hours / 24) days
        (date(2025, 4, 17), "0 hours", date(2025, 4, 17)),
        (datetime(2025, 4, 17, 10), "72 hours", datetime(2025, 4, 20, 10)),
        (datetime(2025, 4, 17, 10), "1 month", datetime(2025, 5, 17, 10)),
    ],
)
def test_add_examples(start: date, duration: str, expected: date) -> None:
    result = ENG.add(start, duration)
    assert result == expected
    assert type(result) is type(expected)


def test_add_hours_aware_datetime_is_elapsed_time() -> None:
    london = ZoneInfo("Europe/London")
    start = datetime(2025, 3, 29, 12, tzinfo=london)  # clocks go forward at 01:00 on 30 March
    result = ENG.add(start, "24 hours")
    assert result == datetime(2025, 3, 30, 13, tzinfo=london)
    assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)


def test_add_roll_to_working_day() -> None:
    # 2 weeks after Friday 4 April 2025 is Good Friday.
    assert ENG.add(date(2025, 4, 4), "2 weeks") == date(2025, 4, 18)
    assert ENG.add(date(2025, 4, 4), "2 weeks", roll_to_working_day=True) == date(2025, 4, 22)
    assert ENG.add(datetime(2025, 4, 4, 9), "2 weeks", roll_to_working_day=True) == datetime(2025, 4, 22, 9)
    assert ENG.subtract(date(2025, 5, 5), "2 weeks", roll_to_working_day=True) == date(2025, 4, 17)
    assert ENG.add(date(2025, 4, 7), "1 week", roll_to_working_day=True) == date(2025, 4, 14)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (date(2026, 5, 26), "2 working days", date(2026, 5, 21)),
        (date(2025, 6, 8), "1 working day", date(2025, 6, 6)),
        (date(2023, 3, 31), "1 month", date(2023, 2, 28)),
        (date(2025, 5, 8), "21 days", date(2025, 4, 17)),
        (date(2025, 4, 20), "72 hours", date(2025, 4, 17)),
        (datetime(2025, 4, 20, 10), "72 hours", datetime(2025, 4, 17, 10)),
    ],
)
def test_subtract_examples(start: date, duration: str, expected: date) -> None:
    assert ENG.subtract(start, duration) == expected


def test_add_accepts_duration_objects() -> None:
    assert ENG.add(date(2025, 4, 17), Duration.working_days(3)) == date(2025, 4, 24)
    assert ENG.add(date(2025, 4, 17), Duration.calendar(weeks=2)) == date(2025, 5, 1)


# --------------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts", "canonical"),
    [
        ("3 working days", ((3, DurationUnit.WORKING_DAYS),), "3 working days"),
        ("1 working day", ((1, DurationUnit.WORKING_DAYS),), "1 working day"),
        ("72 hours", ((72, DurationUnit.HOURS),), "72 hours"),
        ("24 hours", ((24, DurationUnit.HOURS),), "24 hours"),
        ("2 weeks", ((2, DurationUnit.WEEKS),), "2 weeks"),
        ("21 days", ((21, DurationUnit.DAYS),), "21 days"),
        ("3 months", ((3, DurationUnit.MONTHS),), "3 months"),
        ("12 weeks", ((12, DurationUnit.WEEKS),), "12 weeks"),
        ("9 months", ((9, DurationUnit.MONTHS),), "9 months"),
        ("15 years 9 months", ((15, DurationUnit.YEARS), (9, DurationUnit.MONTHS)), "15 years 9 months"),
        ("15 years 8 months", ((15, DurationUnit.YEARS), (8, DurationUnit.MONTHS)), "15 years 8 months"),
        ("18 years", ((18, DurationUnit.YEARS),), "18 years"),
        ("6 months", ((6, DurationUnit.MONTHS),), "6 months"),
        ("3 Working Days", ((3, DurationUnit.WORKING_DAYS),), "3 working days"),
        ("  1 WORKING DAYS ", ((1, DurationUnit.WORKING_DAYS),), "1 working day"),
        ("1 year", ((1, DurationUnit.YEARS),), "1 year"),
        ("1 years", ((1, DurationUnit.YEARS),), "1 year"),
        ("2 day", ((2, DurationUnit.DAYS),), "2 days"),
        ("0 working days", ((0, DurationUnit.WORKING_DAYS),), "0 working days"),
        ("15 years and 9 months", ((15, DurationUnit.YEARS), (9, DurationUnit.MONTHS)), "15 years 9 months"),
        ("9 months 15 years", ((15, DurationUnit.YEARS), (9, DurationUnit.MONTHS)), "15 years 9 months"),
    ],
)
def test_duration_parse(text: str, parts: tuple, canonical: str) -> None:
    d = Duration.parse(text)
    assert d.parts == parts
    assert str(d) == canonical
    assert Duration.parse(str(d)) == d
    assert Duration.from_json(d.to_json()) == d


def test_duration_accessors() -> None:
    d = Duration.parse("3 working days")
    assert (d.amount, d.unit) == (3, DurationUnit.WORKING_DAYS)
    assert d.is_working_days
    assert not d.is_compound
    c = Duration.calendar(years=15, months=9)
    assert c == Duration.parse("15 years 9 months")
    assert c.is_compound
    assert c.get(DurationUnit.MONTHS) == 9
    assert c.get("days") == 0
    with pytest.raises(DurationError, match="several parts"):
        _ = c.amount
    assert Duration.of(3, "weeks") == Duration.parse("3 weeks")
    assert Duration.calendar() == Duration.parse("0 days")
    assert eval(repr(c)) == c
    assert {c: 1}[Duration.parse("15 years 9 months")] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "3 fortnights",
            "cannot read duration '3 fortnights': expected '<number> <unit>' with unit one of "
            "working days, days, hours, weeks, months, years",
        ),
        ("three days", "cannot read duration 'three days': expected '<number> <unit>'"),
        ("", "cannot read duration '': expected"),
        ("3", "cannot read duration '3': expected"),
        ("days", "cannot read duration 'days': expected"),
        ("3.5 days", "cannot read duration '3.5 days': expected"),
        ("-3 days", "cannot read duration '-3 days': amounts must not be negative"),
        ("3 working days 2 hours", "only years, months, weeks and days can be combined"),
        ("1 year 3 working days", "only years, months, weeks and days can be combined"),
        ("3 months 2 months", "unit repeated"),
    ],
)
def test_duration_parse_errors(text: str, message: str) -> None:
    with pytest.raises(DurationError) as info:
        Duration.parse(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_duration_constructor_errors() -> None:
    with pytest.raises(DurationError, match="negative"):
        Duration.of(-1, DurationUnit.DAYS)
    with pytest.raises(DurationError, match="integer"):
        Duration.of(1.5, DurationUnit.DAYS)  # type: ignore[arg-type]
    with pytest.raises(DurationError, match="combine"):
        Duration(((1, DurationUnit.HOURS), (1, DurationUnit.DAYS)))
    with pytest.raises(DurationError):
        Duration(())
    with pytest.raises(TypeError):
        Duration.parse(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Ages
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "age", "expected"),
    [
        (date(2010, 5, 14), "18 years", date(2028, 5, 14)),
        (date(2010, 5, 14), "15 years 9 months", date(2026, 2, 14)),
        (date(2010, 5, 31), "15 years 9 months", date(2026, 3, 1)),  # no 31 Feb 2026 -> 1 March
        (date(2010, 5, 31), "15 years 10 months", date(2026, 3, 31)),
        (date(2010, 1, 30), "1 month", date(2010, 3, 1)),
        (date(2008, 2, 29), "18 years", date(2026, 3, 1)),  # FLRA 1969 s9: leap-day birthday -> 1 March
        (date(2008, 2, 29), "16 years", date(2024, 2, 29)),  # leap year: the day itself
        (date(2008, 2, 29), "15 years 9 months", date(2023, 11, 29)),
        (date(2008, 2, 29), "6 months", date(2008, 8, 29)),
        (date(2025, 1, 1), "12 weeks", date(2025, 3, 26)),
    ],
)
def test_date_at_age(birth: date, age: str, expected: date) -> None:
    assert date_at_age(birth, age) == expected


def test_age_on_and_str() -> None:
    assert age_on(date(2010, 5, 14), date(2026, 2, 14)) == Age(15, 9, 0)
    assert str(age_on(date(2010, 5, 14), date(2026, 2, 14))) == "15 years 9 months"
    assert str(age_on(date(2010, 5, 14), date(2026, 2, 17))) == "15 years 9 months 3 days"
    assert str(age_on(date(2010, 5, 14), date(2010, 5, 14))) == "0 days"
    assert str(age_on(date(2010, 5, 14), date(2011, 6, 15))) == "1 year 1 month 1 day"
    assert age_on(date(2008, 2, 29), date(2023, 2, 28)).years == 14
    assert age_on(date(2008, 2, 29), date(2023, 3, 1)) == Age(15, 0, 0)
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2010, 5, 14), date(2010, 5, 13))


def test_age_at_least() -> None:
    birth = date(2010, 5, 14)
    assert age_on(birth, date(2026, 2, 14)).at_least("15 years 9 months")
    assert not age_on(birth, date(2026, 2, 13)).at_least("15 years 9 months")
    assert age_on(birth, date(2028, 5, 14)).at_least(Duration.calendar(years=18))
    with pytest.raises(DurationError, match="years and months only"):
        age_on(birth, date(2026, 2, 14)).at_least("12 weeks")
    with pytest.raises(DurationError):
        date_at_age(birth, "3 working days")


# --------------------------------------------------------------------------------------------------
# Range errors
# --------------------------------------------------------------------------------------------------


def test_out_of_range_dates_raise() -> None:
    with pytest.raises(CalendarRangeError) as info:
        ENG.is_working_day(date(2061, 1, 5))
    msg = str(info.value)
    assert "2061-01-05" in msg
    assert "2000-01-01 to 2060-12-31" in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(CalendarRangeError, match="1999-12-31"):
        ENG.add_working_days(date(1999, 12, 31), 1)
    with pytest.raises(CalendarRangeError, match="result 2061-01-06"):
        ENG.add_working_days(date(2060, 12, 30), 5)
    with pytest.raises(CalendarRangeError, match="result 2068-01-01"):
        ENG.add(date(2050, 1, 1), "18 years")
    with pytest.raises(CalendarRangeError, match="2061-01-03"):
        ENG.add_working_days_many([date(2020, 1, 1), date(2061, 1, 3)], 1)
    with pytest.raises(CalendarRangeError, match="closure day 2061-12-25"):
        WorkingCalendar(closure_days=[date(2061, 12, 25)])
    small_cal = WorkingCalendar(first_year=2025, last_year=2025)
    with pytest.raises(CalendarRangeError, match="2025-01-01 to 2025-12-31"):
        small_cal.working_days_between(date(2025, 6, 1), date(2026, 1, 2))


def test_bad_year_range() -> None:
    with pytest.raises(ValueError, match="after last_year"):
        WorkingCalendar(first_year=2030, last_year=2020)


# --------------------------------------------------------------------------------------------------
# Vectorised
# --------------------------------------------------------------------------------------------------


def test_add_working_days_many_examples() -> None:
    starts = [date(2025, 4, 17), date(2025, 6, 7), date(2026, 5, 26)]
    got = ENG.add_working_days_many(starts, 1)
    assert got.dtype == np.dtype("datetime64[D]")
    assert got.tolist() == [date(2025, 4, 22), date(2025, 6, 9), date(2026, 5, 27)]
    got = ENG.add_working_days_many(starts, [1, 0, -2])
    assert got.tolist() == [date(2025, 4, 22), date(2025, 6, 9), date(2026, 5, 21)]
    assert ENG.add_working_days_many([], 3).size == 0
    with pytest.raises(TypeError):
        ENG.add_working_days_many(starts, 1.5)


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------


@PROPS
@given(start=dates, n=offsets)
def test_result_is_a_working_day(start: date, n: int) -> None:
    for cal in (ENG, AUTH):
        result = cal.add_working_days(start, n)
        assert is_weekday_open(cal, result)
        assert cal.is_working_day(result)


@PROPS
@given(start=dates)
def test_zero_is_next_working_day(start: date) -> None:
    result = AUTH.add_working_days(start, 0)
    assert is_weekday_open(AUTH, result)
    assert result >= start
    assert result == start or not AUTH.is_working_day(start)
    # nothing skipped: every day from start up to the result (exclusive) is a non-working day
    assert all(not is_weekday_open(AUTH, start + timedelta(days=i)) for i in range((result - start).days))


@PROPS
@given(start=dates, n=st.integers(min_value=-40, max_value=40))
def test_matches_day_by_day_reference(start: date, n: int) -> None:
    assert AUTH.add_working_days(start, n) == step_working_days(AUTH, start, n)


@PROPS
@given(start=dates, n1=offsets, n2=offsets)
def test_monotonic_in_n(start: date, n1: int, n2: int) -> None:
    lo, hi = sorted((n1, n2))
    assert ENG.add_working_days(start, lo) <= ENG.add_working_days(start, hi)
    # Strictly increasing, except that a non-working start gives the same day for n = 0 and n = 1.
    if lo < hi and not (lo == 0 and hi == 1 and not ENG.is_working_day(start)):
        assert ENG.add_working_days(start, lo) < ENG.add_working_days(start, hi)


@PROPS
@given(s1=dates, s2=dates, n=offsets)
def test_monotonic_in_start(s1: date, s2: date, n: int) -> None:
    lo, hi = sorted((s1, s2))
    assert AUTH.add_working_days(lo, n) <= AUTH.add_working_days(hi, n)


@PROPS
@given(start=dates, n=positive)
def test_round_trip_between(start: date, n: int) -> None:
    for cal in (ENG, AUTH):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


@PROPS
@given(start=dates, n=positive)
def test_round_trip_between_backwards_from_working_day(start: date, n: int) -> None:
    start = ENG.next_working_day(start)
    assert ENG.working_days_between(start, ENG.add_working_days(start, -n)) == -n


@PROPS
@given(a=dates, k=st.integers(min_value=-400, max_value=400))
def test_between_antisymmetric_and_counts(a: date, k: int) -> None:
    b = a + timedelta(days=k)
    assert ENG.working_days_between(a, b) == -ENG.working_days_between(b, a)
    lo, hi = sorted((a, b))
    expected = sum(is_weekday_open(ENG, lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert ENG.working_days_between(lo, hi) == expected


@PROPS
@given(start=dates, a=small, b=small)
def test_additive_from_working_day(start: date, a: int, b: int) -> None:
    start = AUTH.next_working_day(start)
    assert AUTH.add_working_days(AUTH.add_working_days(start, a), b) == AUTH.add_working_days(start, a + b)


@PROPS
@given(start=dates, n=small)
def test_subtract_inverts_add_on_working_days(start: date, n: int) -> None:
    start = AUTH.next_working_day(start)
    duration = Duration.working_days(n)
    assert AUTH.subtract(AUTH.add(start, duration), duration) == start
    assert AUTH.add(AUTH.subtract(start, duration), duration) == start


@PROPS
@given(starts=st.lists(dates, max_size=50), n=offsets)
def test_vectorised_equals_scalar(starts: list[date], n: int) -> None:
    got = AUTH.add_working_days_many(starts, n)
    assert got.tolist() == [AUTH.add_working_days(s, n) for s in starts]


@PROPS
@given(pairs=st.lists(st.tuples(dates, offsets), max_size=50))
def test_vectorised_with_array_n_equals_scalar(pairs: list[tuple[date, int]]) -> None:
    starts = [s for s, _ in pairs]
    ns = np.array([n for _, n in pairs], dtype=np.int64)
    got = AUTH.add_working_days_many(starts, ns)
    assert got.tolist() == [AUTH.add_working_days(s, int(n)) for s, n in pairs]


@PROPS
@given(start=dates, months=st.integers(0, 11), years=st.integers(0, 1))
def test_month_addition_clamps_to_month_end(start: date, months: int, years: int) -> None:
    result = ENG.add(start, Duration.calendar(years=years, months=months))
    total = 12 * years + months
    assert (result.year - start.year) * 12 + (result.month - start.month) == total  # never spills over
    assert result.day == min(start.day, monthrange(result.year, result.month)[1])
    if total:
        assert ENG.subtract(result, Duration.calendar(months=total)).month == start.month


@PROPS
@given(start=dates, n=st.integers(min_value=0, max_value=300))
def test_roll_to_working_day(start: date, n: int) -> None:
    result = AUTH.add(start, Duration.of(n, DurationUnit.DAYS), roll_to_working_day=True)
    plain = start + timedelta(days=n)
    assert AUTH.is_working_day(result)
    assert result == AUTH.next_working_day(plain)
    back = AUTH.subtract(start, Duration.of(n, DurationUnit.DAYS), roll_to_working_day=True)
    assert back == AUTH.previous_working_day(start - timedelta(days=n))


leap_births = st.integers(min_value=2001, max_value=2040).map(lambda y: date(y - y % 4 + 4, 2, 29))
month_end_births = st.builds(
    lambda y, m, d: date(y, m, min(d, monthrange(y, m)[1])),
    st.integers(2001, 2040),
    st.integers(1, 12),
    st.integers(28, 31),
)
births = st.one_of(dates, leap_births, month_end_births)
ages = st.builds(
    lambda y, m: Duration.calendar(years=y, months=m),
    st.integers(min_value=0, max_value=25),
    st.integers(min_value=0, max_value=11),
)


@PROPS
@given(birth=births, age=ages)
def test_date_at_age_consistent_with_age_on(birth: date, age: Duration) -> None:
    reached = date_at_age(birth, age)
    assert age_on(birth, reached).at_least(age)
    assert age_on(birth, reached).at_least(str(age))
    if reached > birth:
        assert not age_on(birth, reached - timedelta(days=1)).at_least(age)
    years, months = age.get(DurationUnit.YEARS), age.get(DurationUnit.MONTHS)
    got = age_on(birth, reached)
    assert (got.years, got.months) == (years, months)
    # the anniversary is the same day of the month, or the 1st of the next month when that day doesn't exist
    assert reached.day == birth.day or (reached.day == 1 and birth.day > 28)


@PROPS
@given(birth=births, on=dates)
def test_age_on_is_exact(birth: date, on: date) -> None:
    assume(on >= birth)
    age = age_on(birth, on)
    assert 0 <= age.months < 12
    base = date_at_age(birth, Duration.calendar(years=age.years, months=age.months))
    assert base + timedelta(days=age.days) == on
    assert date_at_age(birth, Duration.calendar(years=age.years, months=age.months + 1)) > on


@PROPS
@given(birth=leap_births, years=st.integers(min_value=1, max_value=25))
def test_leap_day_birthdays(birth: date, years: int) -> None:
    reached = date_at_age(birth, Duration.calendar(years=years))
    target_year = birth.year + years
    is_leap = monthrange(target_year, 2)[1] == 29
    assert reached == (date(target_year, 2, 29) if is_leap else date(target_year, 3, 1))


units = st.sampled_from(list(DurationUnit))
calendar_parts = st.dictionaries(
    st.sampled_from(["years", "months", "weeks", "days"]), st.integers(0, 500), min_size=1
)


@PROPS
@given(
    duration=st.one_of(
        st.builds(Duration.of, st.integers(0, 10_000), units),
        calendar_parts.map(lambda kw: Duration(tuple((v, DurationUnit(k)) for k, v in kw.items()))),
    ),
    upper=st.booleans(),
)
def test_duration_str_round_trip(duration: Duration, upper: bool) -> None:
    text = str(duration)
    assert Duration.parse(text.upper() if upper else text) == duration
    assert Duration.from_json(duration.to_json()) == duration
    assert str(Duration.parse(text)) == text
