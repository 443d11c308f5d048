"""A social worker's professional registration with Social Work England, in one place: the number's format,
and whether a registration is current on a day. No Django here.

Social Work England has kept the register of social workers in England since 2 December 2019; "social worker"
is a protected title, so only people on its register may practise as one. Its registration numbers are "SW"
followed by digits. The Health and Care Professions Council, which kept the register before, wrote them as
"SW" and six digits with leading zeros (SW012345); Social Work England kept the numbers and dropped the zeros
(SW12345: its transition FAQ, "Will my registration number stay the same?"). So a number here is "SW" and 1 to
6 digits, in any case, with no spaces inside it; it is stored upper-case, without leading zeros, as the public
register shows it. A registration has an expiry date (the register's "registered until": it is renewed each
year); it is current up to and including that day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

NUMBER_FIELD = "social_work_england_number"
EXPIRES_FIELD = "social_work_england_expires"
NUMBER_RULE = "a Social Work England registration number is SW followed by 1 to 6 digits, such as SW123456"

_NUMBER = re.compile(r"SW([0-9]{1,6})", re.IGNORECASE | re.ASCII)

# The facts of a child's record that a protocol's `workers.applies_when` may read: the qualified-worker check
# runs on a reassignment as well as on a transfer, so it reads the record, not a transfer's answers.
RECORD_FACTS = frozenset(
    {
        "child.legal_status",
        "child.plan",
        "child.birth_date",
        "child.age",
        "child.unborn",
        "child.disability",
        "child.asylum_status",
    }
)


def number_problem(value: str) -> str | None:
    """What is wrong with a registration number as typed, or None if it is one (or blank: none given)."""
    text = value.strip()
    if not text:
        return None
    shown = repr(text) if len(text) <= 20 else "the value given"
    found = _NUMBER.fullmatch(text)
    if found is None:
        return f"{shown} is not one: {NUMBER_RULE}"
    if int(found.group(1)) == 0:
        return f"{shown} is not one: its digits are all zeros ({NUMBER_RULE})"
    return None


def normalise_number(value: str) -> str:
    """The number as stored: upper-case, without leading zeros ('sw012345' -> 'SW12345'); '' for blank.
    Raises ValueError with `number_problem`'s words if it is not a registration number."""
    problem = number_problem(value)
    if problem is not None:
        raise ValueError(problem)
    text = value.strip()
    if not text:
        return ""
    return f"SW{int(text[2:])}"


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Registration:
    """A person's Social Work England registration as their staff record holds it."""

    number: str = ""
    expires: dt.date | None = None  # the last day it is valid; None: no expiry recorded

    def gap(self, on: dt.date) -> str | None:
        """Why this is not a current registration on `on`, in words, or None if it is."""
        if not self.number.strip():
            return "no Social Work England registration number on their staff record"
        if number_problem(self.number) is not None:  # stored before the format was checked
            return f"{self.number.strip()!r} on their staff record is not a Social Work England registration number"
        if self.expires is not None and self.expires < on:
            return f"Social Work England registration expired on {long_date(self.expires)}"
        return None


def registration_problems(number: str, expires: dt.date | None) -> dict[str, str]:
    """What is wrong with a registration as given (by field), for staff records made, imported or changed."""
    problems: dict[str, str] = {}
    if (problem := number_problem(number)) is not None:
        problems[NUMBER_FIELD] = problem
    if expires is not None and not number.strip():
        problems[EXPIRES_FIELD] = "an expiry date needs the registration number it belongs to"
    return problems
