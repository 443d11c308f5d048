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
