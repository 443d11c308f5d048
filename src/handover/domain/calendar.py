"""Working-day calendar, durations and ages for case transfer deadlines.

Pure Python (``holidays``, ``numpy``, ``python-dateutil``); no Django. See ``docs/calendar.md``.

Counting convention for working days (used everywhere in this module):

* The start day is day 0 and is never counted. "Within N working days of E" is due on the Nth working day
  *after* E.
* If E is not a working day, the first working day after E is day 1: Saturday + 1 working day = Monday,
  Friday + 1 = Monday, the Friday before a bank holiday Monday + 1 = Tuesday.
* ``n == 0`` gives E itself if E is a working day, otherwise the next working day.
* Negative ``n`` counts backwards the same way: the Tuesday after a bank holiday Monday - 2 = the previous
  Thursday; a non-working day - 1 = the last working day before it.
"""

from __future__ import annotations

import math
import operator
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

import holidays
import numpy as np
from dateutil.relativedelta import relativedelta

__all__ = [
    "CLOSURE_DAY_NAME",
    "Age",
    "CalendarRangeError",
    "Duration",
    "DurationError",
    "DurationUnit",
    "WorkingCalendar",
    "age_on",
    "date_at_age",
]

CLOSURE_DAY_NAME = "authority closure day"

_D = TypeVar("_D", bound=date)


# --------------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------------


class DurationError(ValueError):
    """A duration could not be read or is not valid for the requested operation."""


class DurationUnit(StrEnum):
    WORKING_DAYS = "working_days"
    DAYS = "days"  # calendar days
    HOURS = "hours"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"

    @property
    def singular(self) -> str:
        return _SINGULAR[self]

    @property
    def plural(self) -> str:
        return _SINGULAR[self] + "s"

    @property
    def is_calendar(self) -> bool:
        """True for the units that may be combined in a compound duration (years, months, weeks, days)."""
        return self in _CALENDAR_ORDER


_SINGULAR = {
    DurationUnit.WORKING_DAYS: "working day",
    DurationUnit.DAYS: "day",
    DurationUnit.HOURS: "hour",
    DurationUnit.WEEKS: "week",
    DurationUnit.MONTHS: "month",
    DurationUnit.YEARS: "year",
}
# Compound durations are always held (and printed) largest unit first.
_CALENDAR_ORDER = (DurationUnit.YEARS, DurationUnit.MONTHS, DurationUnit.WEEKS, DurationUnit.DAYS)

_ACCEPTED = "expected '<number> <unit>' with unit one of working days, days, hours, weeks, months, years"
_UNIT_WORDS = {
    "working day": DurationUnit.WORKING_DAYS,
    "day": DurationUnit.DAYS,
    "hour": DurationUnit.HOURS,
    "week": DurationUnit.WEEKS,
    "month": DurationUnit.MONTHS,
    "year": DurationUnit.YEARS,
}
_PART_RE = re.compile(
    r"\s*(?P<num>[+-]?\d+)\s*(?P<unit>working[ _-]?days?|days?|hours?|weeks?|months?|years?)\b\s*"
    r"(?:(?:,|\band\b)\s*)?"
)


def _unit_from_word(word: str) -> DurationUnit:
    word = re.sub(r"[ _-]+", " ", word)
    return _UNIT_WORDS[word.removesuffix("s")]


@dataclass(frozen=True)
class Duration:
    """A length of time: one ``(amount, unit)`` part, or a compound of calendar parts.

    ``parts`` is a tuple of ``(amount, DurationUnit)`` pairs. Amounts are non-negative integers (zero
    allowed). A compound duration (more than one part) may only use years, months, weeks and days, each at
    most once; parts are normalised to largest-unit-first order. Working days and hours are always
    single-part.

    Build one with ``Duration.parse("15 years 9 months")``, ``Duration.of(3, DurationUnit.WORKING_DAYS)``,
    ``Duration.working_days(3)``, ``Duration.hours(72)`` or ``Duration.calendar(years=15, months=9)``.
    ``str()`` gives the canonical readable form, which ``parse`` reads back.
    """

    parts: tuple[tuple[int, DurationUnit], ...]

    def __post_init__(self) -> None:
        parts = tuple(self.parts)
        if not parts:
            raise DurationError("a duration needs at least one part")
        normalised: list[tuple[int, DurationUnit]] = []
        for part in parts:
            try:
                amount, unit = part
                unit = DurationUnit(unit)
            except (TypeError, ValueError):
                raise DurationError(f"invalid duration part {part!r}: {_ACCEPTED}") from None
            if isinstance(amount, bool) or not isinstance(amount, int | np.integer):
                raise DurationError(f"duration amount must be an integer, got {amount!r}")
            if amount < 0:
                raise DurationError(f"duration amount must not be negative, got {amount}")
            normalised.append((int(amount), unit))
        if len(normalised) > 1:
            units = [u for _, u in normalised]
            if not all(u.is_calendar for u in units):
                raise DurationError(
                    f"cannot combine {' with '.join(u.plural for u in units)}: "
                    "only years, months, weeks and days can be combined"
                )
            if len(set(units)) != len(units):
                raise DurationError(f"unit repeated in duration: {', '.join(u.plural for u in units)}")
            normalised.sort(key=lambda p: _CALENDAR_ORDER.index(p[1]))
        object.__setattr__(self, "parts", tuple(normalised))

    # ---- constructors -----------------------------------------------------------------------------

    @classmethod
    def of(cls, amount: int, unit: DurationUnit | str) -> Duration:
        return cls(((amount, DurationUnit(unit)),))

    @classmethod
    def working_days(cls, amount: int) -> Duration:
        return cls.of(amount, DurationUnit.WORKING_DAYS)

    @classmethod
    def hours(cls, amount: int) -> Duration:
        return cls.of(amount, DurationUnit.HOURS)

    @classmethod
    def calendar(cls, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> Duration:
        """A calendar duration; zero parts are left out (all zero gives ``0 days``)."""
        given = zip((years, months, weeks, days), _CALENDAR_ORDER, strict=True)
        parts = tuple((a, u) for a, u in given if a != 0)
        return cls(parts or ((0, DurationUnit.DAYS),))

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read ``"3 working days"``, ``"72 hours"``, ``"15 years 9 months"`` ... (case-insensitive).

        Raises ``DurationError`` quoting the text and saying what is accepted.
        """
        if not isinstance(text, str):
            raise TypeError(f"Duration.parse expects a string, got {type(text).__name__}")
        lowered = text.strip().lower()
        parts: list[tuple[int, DurationUnit]] = []
        pos = 0
        while pos < len(lowered):
            m = _PART_RE.match(lowered, pos)
            if m is None or m.end() == pos:
                raise DurationError(f"cannot read duration {text!r}: {_ACCEPTED}")
            amount = int(m["num"])
            if amount < 0:
                raise DurationError(f"cannot read duration {text!r}: amounts must not be negative")
            parts.append((amount, _unit_from_word(m["unit"])))
            pos = m.end()
        if not parts:
            raise DurationError(f"cannot read duration {text!r}: {_ACCEPTED}")
        try:
            return cls(tuple(parts))
        except DurationError as exc:
            raise DurationError(f"cannot read duration {text!r}: {exc}") from None

    @classmethod
    def coerce(cls, value: Duration | str) -> Duration:
        """Return ``value`` if it is a Duration, else parse it."""
        return value if isinstance(value, Duration) else cls.parse(value)

    @classmethod
    def from_json(cls, value: str) -> Duration:
        return cls.parse(value)

    def to_json(self) -> str:
        return str(self)

    # ---- accessors --------------------------------------------------------------------------------

    @property
    def is_compound(self) -> bool:
        return len(self.parts) > 1

    @property
    def amount(self) -> int:
        """The amount of a single-part duration (``DurationError`` for a compound one)."""
        return self._single()[0]

    @property
    def unit(self) -> DurationUnit:
        """The unit of a single-part duration (``DurationError`` for a compound one)."""
        return self._single()[1]

    @property
    def is_working_days(self) -> bool:
        return self.parts[0][1] is DurationUnit.WORKING_DAYS

    def get(self, unit: DurationUnit | str) -> int:
        """The amount held for ``unit`` (0 if absent)."""
        unit = DurationUnit(unit)
        return next((a for a, u in self.parts if u is unit), 0)

    def _single(self) -> tuple[int, DurationUnit]:
        if self.is_compound:
            raise DurationError(f"duration '{self}' has several parts; use .parts or .get(unit)")
        return self.parts[0]

    def __str__(self) -> str:
        return " ".join(f"{a} {u.singular if a == 1 else u.plural}" for a, u in self.parts)

    def __repr__(self) -> str:
        return f"Duration.parse({str(self)!r})"


# --------------------------------------------------------------------------------------------------
# Ages
# --------------------------------------------------------------------------------------------------


def _months_after(birth: date, total_months: int) -> date:
    """The day a person born on ``birth`` is ``total_months`` calendar months old.

    If the corresponding day does not exist in the target month (29 Feb in a non-leap year, 31 April ...),
    the age is reached on the 1st of the following month (Family Law Reform Act 1969 s9 reading: a person
    born on 29 February attains an age in a non-leap year on 1 March).
    """
    years, month0 = divmod(birth.month - 1 + total_months, 12)
    year, month = birth.year + years, month0 + 1
    last = monthrange(year, month)[1]
    if birth.day <= last:
        return date(year, month, birth.day)
    return date(year, month, last) + timedelta(days=1)


def _age_months_days(age: Duration | str) -> tuple[int, int]:
    duration = Duration.coerce(age)
    if not all(u.is_calendar for _, u in duration.parts):
        raise DurationError(f"an age must be in years, months, weeks or days, not '{duration}'")
    months = 12 * duration.get(DurationUnit.YEARS) + duration.get(DurationUnit.MONTHS)
    days = 7 * duration.get(DurationUnit.WEEKS) + duration.get(DurationUnit.DAYS)
    return months, days


def _as_date(d: date) -> date:
    if isinstance(d, datetime):
        return d.date()
    if not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}: {d!r}")
    return d


def date_at_age(birth_date: date, age: Duration | str) -> date:
    """The day a child born on ``birth_date`` reaches ``age`` (e.g. ``"15 years 9 months"``).

    Years and months are added together as one number of calendar months; if that day does not exist in the
    target month the age is reached on the 1st of the next month (born 29 Feb 2008: 15 years on 1 Mar 2023,
    but 15 years 9 months on 29 Nov 2023). Weeks and days are then added as calendar days.
    """
    birth = _as_date(birth_date)
    months, days = _age_months_days(age)
    return _months_after(birth, months) + timedelta(days=days)


@dataclass(frozen=True, order=True)
class Age:
    """Completed years, months and days of age (``age_on`` is the way to get one).

    ``str()`` leaves out zero parts: ``"15 years 9 months"``, ``"2 months 3 days"``, ``"0 days"`` at birth.
    """

    years: int
    months: int
    days: int

    @property
    def total_months(self) -> int:
        return 12 * self.years + self.months

    def at_least(self, age: Duration | str) -> bool:
        """True if this age has reached ``age`` (years and/or months only, e.g. ``"15 years 9 months"``).

        Consistent with ``date_at_age``: ``age_on(b, d).at_least(a)`` iff ``d >= date_at_age(b, a)``. Weeks
        and days cannot be compared exactly without the birth date: use ``on >= date_at_age(birth, age)``.
        """
        months, days = _age_months_days(age)
        if days:
            raise DurationError(
                f"Age.at_least compares years and months only, not '{Duration.coerce(age)}'; "
                "compare dates with date_at_age instead"
            )
        return self.total_months >= months

    def to_duration(self) -> Duration:
        return Duration.calendar(years=self.years, months=self.months, days=self.days)

    def __str__(self) -> str:
        return str(self.to_duration())


def age_on(birth_date: date, on: date) -> Age:
    """Age in completed years, months and days of a child born on ``birth_date``, on the day ``on``."""
    birth, on = _as_date(birth_date), _as_date(on)
    if on < birth:
        raise ValueError(f"{on.isoformat()} is before the birth date {birth.isoformat()}")
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    while _months_after(birth, months) > on:
        months -= 1
    days = (on - _months_after(birth, months)).days
    years, months = divmod(months, 12)
    return Age(years, months, days)


# --------------------------------------------------------------------------------------------------
# Working calendar
# --------------------------------------------------------------------------------------------------


class CalendarRangeError(ValueError):
    """A date (given or computed) falls outside the years a WorkingCalendar has bank holidays for."""


class WorkingCalendar:
    """Working days (Monday to Friday, not a bank holiday, not an authority closure day) for one authority.

    Bank holidays come from ``holidays.country_holidays("GB", subdiv=subdivision)`` for ``first_year`` to
    ``last_year`` inclusive; ``closure_days`` are the authority's own extra non-working days. Any date given
    to or produced by a method outside that range raises ``CalendarRangeError``.

    See the module docstring for the working-day counting convention.
    """

    def __init__(
        self,
        *,
        subdivision: str = "ENG",
        closure_days: Iterable[date] = (),
        first_year: int = 2000,
        last_year: int = 2060,
    ) -> None:
        if first_year > last_year:
            raise ValueError(f"first_year {first_year} is after last_year {last_year}")
        self._first = date(first_year, 1, 1)
        self._last = date(last_year, 12, 31)
        self.subdivision = subdivision
        try:
            # Always pass subdiv: GB without one lacks Easter Monday and the late summer holiday (England).
            bank = holidays.country_holidays("GB", subdiv=subdivision, years=range(first_year, last_year + 1))
        except NotImplementedError:
            supported = holidays.country_holidays("GB").subdivisions
            raise ValueError(
                f"unknown GB subdivision {subdivision!r}: expected one of {', '.join(supported)}"
            ) from None
        self._bank_holidays: dict[date, str] = {
            d: name for d, name in sorted(bank.items()) if self._first <= d <= self._last
        }
        closures = set()
        for d in closure_days:
            d = _as_date(d)
            self._check(d, what="closure day")
            closures.add(d)
        self._closure_days = frozenset(closures)
        non_working = sorted(set(self._bank_holidays) | self._closure_days)
        self._busdaycal = np.busdaycalendar(
            weekmask="1111100", holidays=np.array(non_working, dtype="datetime64[D]")
        )

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(subdivision={self.subdivision!r}, closure_days={len(self._closure_days)} days, "
            f"first_year={self._first.year}, last_year={self._last.year})"
        )

    # ---- introspection ----------------------------------------------------------------------------

    @property
    def first_date(self) -> date:
        return self._first

    @property
    def last_date(self) -> date:
        return self._last

    @property
    def bank_holidays(self) -> Mapping[date, str]:
        return MappingProxyType(self._bank_holidays)

    @property
    def closure_days(self) -> frozenset[date]:
        return self._closure_days

    @property
    def busdaycalendar(self) -> np.busdaycalendar:
        return self._busdaycal

    # ---- range checks -----------------------------------------------------------------------------

    def _range_error(self, d: Any, what: str) -> CalendarRangeError:
        return CalendarRangeError(
            f"{what} {d} is outside the working calendar range {self._first.isoformat()} to "
            f"{self._last.isoformat()} (bank holidays are only loaded for "
            f"{self._first.year}-{self._last.year}; "
            "construct WorkingCalendar with first_year/last_year to widen it)"
        )

    def _check(self, d: date, what: str = "date") -> date:
        d = _as_date(d)
        if not self._first <= d <= self._last:
            raise self._range_error(d.isoformat(), what)
        return d

    def _check_array(self, arr: np.ndarray, what: str) -> None:
        if arr.size == 0:
            return
        if np.isnat(arr).any():
            raise ValueError(f"{what} contains NaT")
        lo, hi = np.datetime64(self._first, "D"), np.datetime64(self._last, "D")
        bad = (arr < lo) | (arr > hi)
        if bad.any():
            raise self._range_error(arr[bad].flat[0], what)

    def _offset(self, d: date, n: int) -> date:
        d = self._check(d)
        roll = "backward" if n > 0 else "forward"
        result = np.busday_offset(np.datetime64(d, "D"), n, roll=roll, busdaycal=self._busdaycal).item()
        return self._check(result, what="result")

    # ---- single days ------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        d = self._check(d)
        return bool(np.is_busday(np.datetime64(d, "D"), busdaycal=self._busdaycal))

    def holiday_name(self, d: date) -> str | None:
        """The bank holiday name, ``"authority closure day"``, or None (weekends are not named)."""
        d = self._check(d)
        if d in self._bank_holidays:
            return self._bank_holidays[d]
        if d in self._closure_days:
            return CLOSURE_DAY_NAME
        return None

    def next_working_day(self, d: date, *, include_today: bool = True) -> date:
        """``d`` if it is a working day and ``include_today``, else the first working day after ``d``."""
        return self._offset(d, 0 if include_today else 1)

    def previous_working_day(self, d: date, *, include_today: bool = True) -> date:
        """``d`` if it is a working day and ``include_today``, else the last working day before ``d``."""
        if include_today:
            d = self._check(d)
            result = np.busday_offset(np.datetime64(d, "D"), 0, roll="backward", busdaycal=self._busdaycal)
            return self._check(result.item(), what="result")
        return self._offset(d, -1)

    # ---- working-day arithmetic -------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``th working day after ``start`` (``start`` is day 0 and is not counted).

        If ``start`` is not a working day, the first working day after it is day 1. ``n == 0`` gives ``start``
        if it is a working day, else the next working day. Negative ``n`` counts backwards the same way.
        """
        return self._offset(start, operator.index(n))

    def add_working_days_many(self, starts: Any, n: Any) -> np.ndarray:
        """Vectorised ``add_working_days``: ``starts`` is a sequence/array of dates, ``n`` an int or array
        broadcastable against it. Returns a ``datetime64[D]`` array."""
        arr = np.asarray(starts, dtype="datetime64[D]")
        self._check_array(arr, "start date")
        n_arr = np.asarray(n)
        if n_arr.dtype.kind not in "iu":
            raise TypeError(f"n must be an integer or an integer array, got dtype {n_arr.dtype}")
        if n_arr.ndim == 0:
            k = int(n_arr)
            roll = "backward" if k > 0 else "forward"
            result = np.busday_offset(arr, k, roll=roll, busdaycal=self._busdaycal)
        else:
            back = np.busday_offset(arr, n_arr, roll="backward", busdaycal=self._busdaycal)
            fwd = np.busday_offset(arr, n_arr, roll="forward", busdaycal=self._busdaycal)
            result = np.where(n_arr > 0, back, fwd)
        self._check_array(result, "result")
        return result

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days ``d`` with ``start < d <= end``.

        If ``end < start`` it is minus the number with ``end < d <= start``. Consistent with
        ``add_working_days``: ``working_days_between(s, add_working_days(s, n)) == n`` for ``n >= 1`` (and for
        ``n <= -1`` when ``s`` is a working day).
        """
        s, e = self._check(start), self._check(end)
        lo, hi, sign = (s, e, 1) if s <= e else (e, s, -1)
        one = np.timedelta64(1, "D")
        # busday_count counts the half-open range [begin, end); shift by one day to count (lo, hi].
        begin, stop = np.datetime64(lo, "D") + one, np.datetime64(hi, "D") + one
        return sign * int(np.busday_count(begin, stop, busdaycal=self._busdaycal))

    # ---- durations --------------------------------------------------------------------------------

    def add(self, start: _D, duration: Duration | str, *, roll_to_working_day: bool = False) -> _D:
        """``start`` plus ``duration``; returns the same type as ``start`` (date or datetime).

        * working days: ``add_working_days`` (a datetime keeps its time of day);
        * days / weeks: calendar days; months / years: calendar months, clamped to the month end
          (31 Jan + 1 month = 28/29 Feb). Compound durations add years and months together, then weeks and
          days;
        * hours: a datetime gets exactly that many elapsed hours (aware datetimes are added in UTC); a date
          gets ``ceil(hours / 24)`` calendar days.

        ``roll_to_working_day`` moves a non-working calendar result forward to the next working day.
        """
        return self._apply(start, Duration.coerce(duration), +1, roll_to_working_day)

    def subtract(self, start: _D, duration: Duration | str, *, roll_to_working_day: bool = False) -> _D:
        """The mirror image of ``add``: working days count backwards with the same convention; calendar units
        go back (months clamped to the month end); ``roll_to_working_day`` moves a non-working result back to
        the previous working day."""
        return self._apply(start, Duration.coerce(duration), -1, roll_to_working_day)

    def _apply(self, start: _D, duration: Duration, sign: int, roll: bool) -> _D:
        if not isinstance(start, date):
            raise TypeError(f"expected a date or datetime, got {type(start).__name__}: {start!r}")
        self._check(start)
        is_dt = isinstance(start, datetime)
        if duration.is_working_days:
            d = self.add_working_days(_as_date(start), sign * duration.amount)
            return _with_date(start, d) if is_dt else d  # type: ignore[return-value]
        if not duration.is_compound and duration.unit is DurationUnit.HOURS:
            hours = duration.amount
            if is_dt:
                delta = timedelta(hours=sign * hours)
                if start.tzinfo is not None and start.utcoffset() is not None:
                    result = (start.astimezone(UTC) + delta).astimezone(start.tzinfo)
                else:
                    result = start + delta
            else:
                result = start + timedelta(days=sign * math.ceil(hours / 24))
        else:
            months = 12 * duration.get(DurationUnit.YEARS) + duration.get(DurationUnit.MONTHS)
            days = 7 * duration.get(DurationUnit.WEEKS) + duration.get(DurationUnit.DAYS)
            result = start + relativedelta(months=sign * months) + timedelta(days=sign * days)
        self._check(result, what="result")
        if roll:
            rolled = self.next_working_day(result) if sign > 0 else self.previous_working_day(result)
            result = _with_date(result, rolled) if is_dt else rolled
        return result


def _with_date(value: datetime, d: date) -> datetime:
    return value.replace(year=d.year, month=d.month, day=d.day)
