"""Errors raised by the domain core. Each names what was wrong and where, so a user can fix it."""

from __future__ import annotations

from dataclasses import dataclass


class HandoverError(Exception):
    """Base class for every error the domain core raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a protocol file: the file, the element path inside it, and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ProtocolError(HandoverError):
    """A protocol file that cannot be used. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SituationError(HandoverError):
    """A situation (the input to routing, deadlines or readiness) that names an unknown fact or a bad value."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.problem = message
        super().__init__(f"{field}: {message}")


class Refusal(HandoverError):
    """Something a person asked for that is refused, with the reason. Pages show it beside the field or in the
    error summary; the API maps each kind to its HTTP status once (api/errors.py)."""


class ApplicationError(Refusal):
    """Bad input: `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class AccessDenied(Refusal, PermissionError):
    """The signed-in person may not do this; the message says why in words, `rule` names the rule (for support
    and the API, not for the page)."""

    def __init__(self, message: str, rule: str = ""):
        self.rule = rule
        super().__init__(message)


class Conflict(Refusal):
    """Someone else changed the record since the person loaded it."""
