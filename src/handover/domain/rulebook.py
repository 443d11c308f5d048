"""Who may change a child's record: pure predicates over a person's relation to the child.

The transfer workflow's own rules are in `workflow.py` (its transition table); this module holds the rules for
writes to the child's record itself (its details, documents on file, legal statuses, plans, key events, involved
professionals, closing it). The access layer works out a `ChildRelation` once from the records; services enforce
the answer and pages and the API ask the same functions what to offer. No Django here.

Rule (issue 9): "can write" is not enough: a write to a child's record needs a relation to the child.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handover.domain.errors import HandoverError
from handover.domain.roles import MANAGERS, NO_CHILD_ACCESS, READ_ONLY

READ_ONLY_HERE = READ_ONLY | NO_CHILD_ACCESS


class RecordAction(StrEnum):
    CHANGE = "change"  # details, documents, legal statuses, plans, key events, professionals
    CLOSE = "close"


LABELS = {
    RecordAction.CHANGE: "change the child's record",
    RecordAction.CLOSE: "close the child's record",
}


@dataclass(frozen=True)
class ChildRelation:
    """A person's relation to one child, on one day."""

    allocated: bool = False  # holds one of the child's open allocations
    holding_team_roles: frozenset[str] = frozenset()  # roles in a team that holds the child
    receiving_team_roles: frozenset[str] = frozenset()  # roles in the receiving side of an open transfer
    senior_roles: frozenset[str] = frozenset()  # senior roles over the child's service or the authority
    open_transfer: bool = False  # the child has an open transfer

    @property
    def any_roles(self) -> frozenset[str]:
        return self.holding_team_roles | self.receiving_team_roles | self.senior_roles


class RecordRefused(HandoverError):
    """A write to a child's record this person may not make; `rule` names the rule."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(f"{message} [{rule}]")


def record_refusal(action: RecordAction, relation: ChildRelation) -> RecordRefused | None:
    """Why this person may not take `action` on the child's record, or None if they may."""
    if action is RecordAction.CHANGE:
        if relation.allocated or relation.senior_roles:
            return None
        if (relation.holding_team_roles | relation.receiving_team_roles) - READ_ONLY_HERE:
            return None
        return RecordRefused(
            "record.change.relation",
            "only the child's worker, staff of a team that holds the child or is taking it on, or a senior "
            "manager over its service can change the child's record",
        )
    if action is RecordAction.CLOSE:
        if not (relation.holding_team_roles & MANAGERS or relation.senior_roles):
            return RecordRefused(
                "record.close.role",
                "only a team manager or practice manager of the team holding the child, or a senior manager, "
                "can close the child's record",
            )
        if relation.open_transfer:
            return RecordRefused(
                "record.close.open_transfer",
                "the child has an open transfer: finish or withdraw it before closing the record",
            )
        return None
    raise RecordRefused("record.unknown_action", f"there is no record action {action!r}")


def may(action: RecordAction, relation: ChildRelation) -> bool:
    return record_refusal(action, relation) is None


def require(action: RecordAction, relation: ChildRelation) -> None:
    refusal = record_refusal(action, relation)
    if refusal is not None:
        raise refusal
