"""The vocabulary of facts a situation can carry.

The engine supplies a standard vocabulary (below), named after the sector's data standards (SSDA903 legal
statuses, CIN census plan types) so the records system can fill it from a child's file. A protocol file may
declare further facts of its own (with the question to ask a worker); a rule may read only declared facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FactType(StrEnum):
    BOOL = "bool"
    ENUM = "enum"
    SERVICE = "service"  # a service id declared in the protocol file
    DATE = "date"
    AGE = "age"  # derived from child.birth_date / child.unborn and event.date
    NUMBER = "number"
    TEXT = "text"


@dataclass(frozen=True)
class FactSpec:
    """One fact: its name, type, allowed values (for enums) and the question a worker is asked for it."""

    name: str
    type: FactType
    question: str
    values: tuple[str, ...] = ()
    derived: bool = False
    cites: tuple[str, ...] = field(default=())
    labels: Mapping[str, str] = field(default_factory=dict)  # each enum value in words, for people

    def words(self, value: object) -> str:
        """A value as people read it: its label, else the value itself (a date, a number, a name)."""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return self.labels.get(str(value), str(value))


# Legal statuses, aligned with SSDA903 `LS` where one exists (see docs/protocol-format.md for the mapping).
LEGAL_STATUSES = (
    "none",
    "s20",  # V2/V3/V4: accommodated under section 20
    "interim_care_order",  # C1
    "care_order",  # C2: full care order, section 31
    "placement_order",  # E1
    "supervision_order",
    "special_guardianship_order",
    "child_arrangements_order",
    "police_protection",  # L1
    "remand",  # J1-J3, L2, L3 (youth justice)
)
# The legal statuses under which a child is looked after (SSDA903 LS codes); the others are orders at home.
LOOKED_AFTER_STATUSES = frozenset(
    {"s20", "interim_care_order", "care_order", "placement_order", "police_protection", "remand"}
)

# Plan types from the CIN census and SSDA903.
PLAN_TYPES = ("none", "early_help", "cin", "cp", "cla", "care_leaver")
# The plans of a child who is or was looked after (a care plan, a pathway plan): with LOOKED_AFTER_STATUSES, what
# makes a record "ever looked after" for its retention (domain/retention.py).
LOOKED_AFTER_PLANS = frozenset({"cla", "care_leaver"})

ASYLUM_STATUSES = (
    "none",
    "unaccompanied_seeking_asylum",
    "leave_to_remain",
    "appeal_rights_exhausted",
    "fresh_claim",
)

# The standard code lists in words (SSDA903 legal statuses, CIN census and SSDA903 plans, asylum statuses).
LEGAL_STATUS_WORDS = {
    "none": "No order",
    "s20": "Accommodated under section 20",
    "interim_care_order": "Interim care order",
    "care_order": "Care order",
    "placement_order": "Placement order",
    "supervision_order": "Supervision order",
    "special_guardianship_order": "Special guardianship order",
    "child_arrangements_order": "Child arrangements order",
    "police_protection": "Police protection",
    "remand": "Remanded (youth justice)",
}
PLAN_WORDS = {
    "none": "No plan",
    "early_help": "Early help plan",
    "cin": "Child in need plan",
    "cp": "Child protection plan",
    "cla": "Care plan (looked after)",
    "care_leaver": "Pathway plan (care leaver)",
}
ASYLUM_WORDS = {
    "none": "Not seeking asylum",
    "unaccompanied_seeking_asylum": "Unaccompanied, seeking asylum",
    "leave_to_remain": "Leave to remain",
    "appeal_rights_exhausted": "Appeal rights exhausted",
    "fresh_claim": "Fresh claim",
}

STANDARD_FACTS: dict[str, FactSpec] = {
    f.name: f
    for f in (
        FactSpec("event.date", FactType.DATE, "On what date did the event happen?"),
        FactSpec("child.birth_date", FactType.DATE, "What is the child's date of birth?"),
        FactSpec(
            "child.expected_birth_date", FactType.DATE, "What is the unborn child's expected date of birth?"
        ),
        FactSpec("child.unborn", FactType.BOOL, "Is the child unborn?", derived=True),
        FactSpec("child.age", FactType.AGE, "How old is the child?", derived=True),
        FactSpec("child.disability", FactType.BOOL, "Does the child have a disability?"),
        FactSpec(
            "child.legal_status",
            FactType.ENUM,
            "What is the child's legal status?",
            LEGAL_STATUSES,
            labels=LEGAL_STATUS_WORDS,
        ),
        FactSpec(
            "child.looked_after_since",
            FactType.DATE,
            "Since when has the child been looked after (without a break)?",
        ),
        FactSpec(
            "child.plan", FactType.ENUM, "What plan is the child subject to?", PLAN_TYPES, labels=PLAN_WORDS
        ),
        FactSpec(
            "child.asylum_status",
            FactType.ENUM,
            "What is the child's asylum status?",
            ASYLUM_STATUSES,
            labels=ASYLUM_WORDS,
        ),
        FactSpec("child.age_disputed", FactType.BOOL, "Is the child's age disputed?"),
        FactSpec("child.locality", FactType.TEXT, "In which locality does the child live?"),
        FactSpec(
            "siblings.in_care_proceedings",
            FactType.BOOL,
            "Is a sibling of the child currently subject to care proceedings?",
        ),
        FactSpec(
            "siblings.care_proceedings_ended_on",
            FactType.DATE,
            "When did care proceedings about a sibling of the child last end?",
        ),
        FactSpec("mother.looked_after", FactType.BOOL, "Is the child's mother looked after?"),
        FactSpec(
            "history.previously_known",
            FactType.BOOL,
            "Has children's social care held the child's case before?",
        ),
        FactSpec("history.open", FactType.BOOL, "Is the child's case open now?", derived=True),
        FactSpec("history.current_service", FactType.SERVICE, "Which service holds the child's case now?"),
        FactSpec("history.last_service", FactType.SERVICE, "Which service held the case most recently?"),
        FactSpec("history.last_team", FactType.TEXT, "Which team held the case most recently?"),
        FactSpec("history.closed_on", FactType.DATE, "When was the child's case closed?"),
    )
}

# The national single assessment (Working Together 2023, CIN census "assessment"): the Case Transfer Summary
# reports the latest one on file, whatever else a protocol's document types are called.
ASSESSMENT_DOCUMENT = "child_and_family_assessment"
