"""Clause texts from a protocol's numbered copy (`- **D-025** text`), so decisions can quote what they cite."""

from __future__ import annotations

import re
from pathlib import Path

_CLAUSE = re.compile(r"^- \*\*(?P<id>[A-Z]+-\d{3})\*\* ?(?P<text>.*)$")


def read_clauses(path: Path) -> dict[str, str]:
    """Map of clause ID to its text, in document order. Raises FileNotFoundError if the copy is missing."""
    return parse_clauses(path.read_text(encoding="utf-8"))


def parse_clauses(text: str) -> dict[str, str]:
    """Map of clause ID to its text, in document order, from the numbered copy's text."""
    clauses: dict[str, str] = {}
    for line in text.splitlines():
        match = _CLAUSE.match(line.strip())
        if match:
            clauses[match["id"]] = match["text"].strip()
    return clauses


_NUMBER_WORDS = {
    1: ("one",),
    2: ("two",),
    3: ("three",),
    4: ("four",),
    5: ("five",),
    6: ("six",),
    7: ("seven",),
    8: ("eight",),
    9: ("nine",),
    10: ("ten",),
    12: ("twelve",),
    14: ("fourteen",),
    15: ("fifteen",),
    20: ("twenty",),
    21: ("twenty-one", "twenty one"),
    24: ("twenty-four", "twenty four"),
    28: ("twenty-eight", "twenty eight"),
    45: ("forty-five", "forty five"),
    48: ("forty-eight", "forty eight"),
    72: ("seventy-two", "seventy two"),
}
_UNIT_WORDS = {
    "working_days": ("working days?", "working-days?", "business days?"),
    "days": ("days?", "calendar days?"),
    "hours": ("hours?", "hrs?", "hr", "h"),
    "weeks": ("weeks?",),
    "months": ("months?",),
    "years": ("years?", "yrs?"),
}
# The same length said another way, as the source texts do: a fortnight, 24 hours for a working day's
# decision, 48 hours' notice before a meeting.
_ALSO = {
    ("weeks", 2): ((14, "days"), (0, "fortnight")),
    ("working_days", 1): ((24, "hours"),),
    ("working_days", 2): ((48, "hours"),),
    ("working_days", 3): ((72, "hours"),),
}


def states_duration(text: str, amount: int, unit: str) -> bool:
    """Whether the clause text states `amount` `unit` ("two weeks", "2 weeks", "1 working day", "24 hr", "a
    fortnight"...). Used by the loader to check that a timescale says where it comes from."""
    lowered = text.lower()
    for a, u in ((amount, unit), *_ALSO.get((unit, amount), ())):
        if u == "fortnight":
            if "fortnight" in lowered:
                return True
            continue
        numbers = (str(a), *_NUMBER_WORDS.get(a, ()))
        units = _UNIT_WORDS[u]
        pattern = rf"(?<![\w-])(?:{'|'.join(re.escape(n) for n in numbers)})[\s-]*(?:{'|'.join(units)})(?!\w)"
        if re.search(pattern, lowered):
            return True
        # "on a 6-monthly basis", "2-weekly"
        every = {"months": "monthly", "weeks": "weekly"}.get(u)
        if every and re.search(
            rf"(?<![\w-])(?:{'|'.join(re.escape(n) for n in numbers)})[\s-]*{every}", lowered
        ):
            return True
    return False
