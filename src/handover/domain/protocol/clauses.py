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
