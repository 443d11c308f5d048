"""Plausible dates: one rule set for the pages, the API and the import.

A date can be a real date and still be wrong: a chronology dated 2031, an event before the child was born, the
year typed as "26", an agreed transfer in 2099. Each rule gives its problem in words that name what the date is
(or None), and the services ask them before they write, so every way in refuses the same dates with the same
words. Time comes in as `today`: the caller's clock."""

from __future__ import annotations

import datetime as dt

EARLIEST_YEAR = 1900  # a year typed as "26" is year 26, not 2026
OLDEST = 26  # years: leaving care support ends at 25, so no child on file is born longer ago
LONGEST_PREGNANCY = dt.timedelta(weeks=45)  # an expected date of birth further ahead is a typing slip
AHEAD = dt.timedelta(days=366)  # the furthest ahead a booked meeting or agreed transfer date plausibly is


def day(value: dt.date) -> str:
    return f"{value:%-d %B %Y}"


def _years_before(value: dt.date, years: int) -> dt.date:
    try:
        return value.replace(year=value.year - years)
    except ValueError:  # 29 February
        return value.replace(year=value.year - years, day=28)


def real_year(value: dt.date, what: str) -> str | None:
    if value.year < EARLIEST_YEAR:
        return f"{what} must have a four-digit year, like {EARLIEST_YEAR + 126}"
    return None


def not_in_future(value: dt.date, what: str, *, today: dt.date) -> str | None:
    if value > today:
        return f"{what} cannot be in the future (today is {day(today)})"
    return None


def not_before_birth(value: dt.date, what: str, *, born: dt.date | None) -> str | None:
    if born is not None and value < born:
        return f"{what} cannot be before the child was born ({day(born)})"
    return None


def past_date(value: dt.date, what: str, *, today: dt.date, born: dt.date | None = None) -> str | None:
    """A date that has happened: a real year, not in the future and, for a child's record, not before birth."""
    return (
        real_year(value, what)
        or not_in_future(value, what, today=today)
        or not_before_birth(value, what, born=born)
    )


def booked_date(value: dt.date, what: str, *, today: dt.date) -> str | None:
    """A date that may be ahead (a meeting booked, a court's date): a real year, at most a year ahead."""
    if problem := real_year(value, what):
        return problem
    if value > today + AHEAD:
        return f"{what} cannot be more than a year ahead (after {day(today + AHEAD)})"
    return None


def birth_date(value: dt.date, *, today: dt.date, what: str = "the date of birth") -> str | None:
    if problem := real_year(value, what) or not_in_future(value, what, today=today):
        return problem
    if value < _years_before(today, OLDEST):
        return f"{what} makes the child {OLDEST} or older: Handover holds children and care leavers up to 25"
    return None


def expected_birth_date(value: dt.date, *, today: dt.date) -> str | None:
    what = "the expected date of birth"
    if problem := real_year(value, what):
        return problem
    if value > today + LONGEST_PREGNANCY:
        return f"{what} is more than 45 weeks ahead (after {day(today + LONGEST_PREGNANCY)})"
    return None


def agreed_transfer_date(
    value: dt.date, *, event_date: dt.date, today: dt.date, window_ends: dt.date | None, reason: str
) -> str | None:
    """An agreed date of formal transfer: not before the event that started it, at most a year ahead, and within
    the protocol's time (its transfer-by deadline) unless the reason for a later date is given."""
    what = "the agreed transfer date"
    if problem := booked_date(value, what, today=today):
        return problem
    if value < event_date:
        return f"{what} cannot be before the event that started the transfer ({day(event_date)})"
    if window_ends is not None and value > window_ends and not reason.strip():
        return (
            f"{what} is after the protocol's deadline for this transfer ({day(window_ends)}): give the reason "
            "for the later date"
        )
    return None


def early_completion(on: dt.date, *, agreed: dt.date | None, confirmed: bool, reason: str) -> dict[str, str]:
    """Completing a transfer before its agreed date of formal transfer: only when the person confirms it and
    gives the reason, since the family and professionals were told the agreed date (the summary and the
    letters then give the day the case really moved). The problems by field (`confirm_early`, `reason`), or
    none. On or after the agreed date, or with no date agreed, nothing is asked."""
    if agreed is None or on >= agreed:
        return {}
    problems = {}
    if not confirmed:
        problems["confirm_early"] = (
            f"the agreed date of formal transfer is {day(agreed)}. To complete it earlier, confirm it and give "
            "the reason"
        )
    if not reason.strip():
        problems["reason"] = f"enter why the transfer is completed before the agreed date ({day(agreed)})"
    return problems


def handover_held_date(value: dt.date, *, today: dt.date, worker_named: dt.date) -> str | None:
    """The day a handover meeting was held: it has happened (not in the future), and not before the receiving
    worker it hands over to was named."""
    what = "the date the handover meeting was held"
    if problem := real_year(value, what) or not_in_future(value, what, today=today):
        return problem
    if value < worker_named:
        return f"{what} cannot be before the receiving worker was named ({day(worker_named)})"
    return None
