"""Free text typed by people: how long each kind may be, and what no database column can store.

Pure Python, shared by the page forms, the API serializers and the services, so that a page, the API and a
service refuse the same text with the same message, naming the field and the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

NUL = "\x00"  # PostgreSQL refuses it in text and in jsonb; SQLite would keep it. Refused everywhere.

# Caps, in characters. A reason is a paragraph or two; minutes, notes and a summary's narrative are pages.
REASON = 2_000  # decline, withdraw, block, escalate, resolve, override, separation, case request, closure
ACTION = 2_000  # a remedial action: what needs doing
NOTES = 10_000  # panel notes, key event notes
MINUTES = 10_000  # a transfer meeting's minutes
SUMMARY = 10_000  # the Case Transfer Summary's account of the work undertaken
ADDRESS = 1_000
SEARCH = 200  # what is typed into Find a child

# Deeper than this is not a request any client of the API sends (the deepest, a situation, is 3 levels).
JSON_DEPTH = 20


def label(field: str) -> str:
    """A field's name as a message says it: `work_undertaken` → `work undertaken`."""
    return field.replace("_", " ")


def too_long(field: str, cap: int) -> str:
    return f"{label(field)} must be {cap:,} characters or less"


def has_nul(field: str) -> str:
    return f"{label(field)} must not contain the null character (U+0000)"


def text_problem(field: str, value: str | None, cap: int) -> str | None:
    """What is wrong with one piece of free text, or None."""
    value = value or ""
    if NUL in value:
        return has_nul(field)
    if len(value) > cap:
        return too_long(field, cap)
    return None


def text_errors(**fields: tuple[str | None, int]) -> dict[str, str]:
    """`text_errors(reason=(reason, REASON))`: each field's problem, for an ApplicationError."""
    return {
        name: problem for name, (value, cap) in fields.items() if (problem := text_problem(name, value, cap))
    }


def _walk(value: Any) -> Iterator[tuple[str, int, Any]]:
    """Every (path, depth, value) in a parsed JSON document, parents before children, without recursion (a
    hostile document may be nested far deeper than Python's stack)."""
    stack: list[tuple[str, int, Any]] = [("", 0, value)]
    while stack:
        path, depth, item = stack.pop()
        yield path, depth, item
        if isinstance(item, dict):
            stack.extend((f"{path}.{key}" if path else str(key), depth + 1, v) for key, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{path}.{n}" if path else str(n), depth + 1, v) for n, v in enumerate(item))


def json_problem(value: Any, *, max_depth: int = JSON_DEPTH) -> tuple[str, str] | None:
    """(field, problem) for a parsed JSON document nested deeper than `max_depth`, or holding NUL in a key or a
    string; None if it is fine. The field is the dotted path (`answers.facts.x`); "" for the whole document."""
    for path, depth, item in _walk(value):
        if depth > max_depth:
            return path.split(".")[0], f"nested more than {max_depth} levels deep"
        if isinstance(item, str) and NUL in item:
            return path, has_nul(path or "the request")
        if isinstance(item, dict) and any(NUL in str(key) for key in item):
            return (
                path,
                f"{label(path) or 'the request'} must not contain the null character (U+0000) in a key",
            )
    return None
