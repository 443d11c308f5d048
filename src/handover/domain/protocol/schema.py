"""The shape of a protocol file (YAML), checked structurally by pydantic.

Structural checks (types, required keys, unknown keys) live here; checks that need the whole file (unknown
team, undeclared fact, overlapping rules, unreachable team, impossible timescale) live in `loader.py`.
The format is documented in docs/protocol-format.md.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    field_validator,
)

from handover.domain.calendar import Duration

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower_snake_case identifier")]
ClauseId = Annotated[str, Field(pattern=r"^[A-Z]+-\d{3}$", description="clause ID such as D-025")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Cited(Strict):
    cites: tuple[ClauseId, ...] = Field(min_length=1, description="clause IDs of the numbered source")
    note: str | None = None


class ServiceKind(StrEnum):
    FRONT_DOOR = "front_door"
    EARLY_HELP = "early_help"
    ASSESSMENT = "assessment"
    CIN_CP = "cin_cp"
    COURT = "court"
    LAC = "lac"
    LEAVING_CARE = "leaving_care"
    DISABILITY = "disability"
    PRIVATE_FOSTERING = "private_fostering"
    FOSTERING = "fostering"
    SEPARATED_CHILDREN = "separated_children"
    ADOPTION_AGENCY = "adoption_agency"
    OTHER_AUTHORITY = "other_authority"


class RouteKind(StrEnum):
    TRANSFER_MEETING = "transfer_meeting"
    PANEL = "panel"
    MANAGER_AGREEMENT = "manager_agreement"
    DIRECT = "direct"
    # To another authority: no login there, so the sending managers record the referral sent in writing and the
    # other authority's confirmation of receipt (Dorset D-186, D-187).
    ANOTHER_AUTHORITY = "another_authority"


def _parse_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise ValueError("a duration is text such as '3 working days', '2 weeks' or '15 years 9 months'")
    return Duration.parse(value)


DurationField = Annotated[Duration, BeforeValidator(_parse_duration), PlainSerializer(str)]


class Team(Strict):
    id: Identifier
    name: str
    locality: str | None = None


class Service(Cited):
    id: Identifier
    name: str
    kind: ServiceKind
    teams: tuple[Team, ...] = Field(min_length=1)
    external: bool = False
    case_history: bool = Field(
        default=True,
        description=(
            "false: a case held here is not part of the child's social care history, so the rules about the "
            "team that held the case before (re-referrals, court reports) look past it (Dorset D-083, D-087: "
            "Early Help)"
        ),
    )


class Fact(Cited):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
    type: Literal["bool", "enum", "date", "number", "text", "service"]
    question: str
    values: tuple[Identifier, ...] = ()
    labels: dict[Identifier, str] = Field(
        default_factory=dict,
        description="each enum value in words, as people read it (required for each value)",
    )


class Event(Cited):
    id: Identifier
    name: str
    arrives_at: Identifier | None = Field(
        default=None, description="service where the event arrives (the front door for a referral)"
    )
    from_another_authority: StrictBool = Field(
        default=False,
        description="a notification from another local authority (a transfer in): the front door names it",
    )


class PanelRecord(Strict):
    """How a panel's decision is recorded: the event it is, and the fact that holds its outcome."""

    event: Identifier
    outcome: Identifier


class Route(Cited):
    id: Identifier
    name: str
    kind: RouteKind
    decided_by: tuple[str, ...] = ()
    records: PanelRecord | None = None


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    PERSONAL_ADVISER = "personal_adviser"
    FAMILY_SUPPORT_PRACTITIONER = "family_support_practitioner"
    PRACTICE_MANAGER = "practice_manager"
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"
    HEAD_OF_SERVICE = "head_of_service"
    SERVICE_DIRECTOR = "service_director"
    BUSINESS_SUPPORT = "business_support"


class Decider(Strict):
    """Who decides: a role (in a service), or a body such as the Legal Gateway Panel."""

    role: Role | None = None
    service: Identifier | None = None
    body: str | None = None

    def __str__(self) -> str:
        if self.body:
            return self.body
        role = self.role.value.replace("_", " ") if self.role else "manager"
        return f"{role} ({self.service})" if self.service else role


class Target(Strict):
    """Where a pathway goes: a service, the service that held the case before, or several for people to decide."""

    service: Identifier | None = None
    previous_service: bool = False
    choose_from: tuple[Identifier, ...] = ()
    decided_by: tuple[Decider, ...] = ()


# What can close a step besides a document or key event: a workflow action, the letters, or an explicit "done".
CLOSED_BY_ACTIONS = (
    "list",
    "agree",
    "identify_worker",
    "record_handover",
    "complete",
    "letters_send",
    "manual",
)


class Step(Strict):
    """One step of a timeline: due a duration after (or before) an anchor, or at a child's age."""

    id: Identifier
    name: str
    after: str | None = Field(default=None, description="anchor: 'event', another step id, or a date fact")
    before: str | None = None
    within: DurationField | None = None
    at_age: DurationField | None = None
    at: Identifier | None = Field(
        default=None, description="a meeting id: the next sitting the case can make"
    )
    roll_to_working_day: bool = False
    local: Identifier | None = Field(
        default=None,
        description=(
            "the local setting `within` comes from: write `within: local:<id>` and declare it under "
            "local_settings (the loader fills both in); a `within` without it must be stated by a cited clause"
        ),
    )
    completed_by: str | None = Field(
        default=None,
        description=(
            "what marks this step done: a workflow action, letters_send (the letters written), "
            "'document:<type>' (a document of that type on the child's file, dated on or after the event), "
            "'key_event:<event>' (that key event on the child's file, on or after the event), or manual (an "
            "explicit 'done' with who and when); the transfer_by step: complete, by default; any other step "
            "without it: manual"
        ),
    )
    cites: tuple[ClauseId, ...] = Field(min_length=1)
    note: str | None = None

    @field_validator("completed_by")
    @classmethod
    def _closer(cls, value: str | None) -> str | None:
        if (
            value is None
            or value in CLOSED_BY_ACTIONS
            or re.fullmatch(r"(document|key_event):[a-z][a-z0-9_]*", value)
        ):
            return value
        raise ValueError(
            f"{value!r} cannot close a step: use one of {', '.join(CLOSED_BY_ACTIONS)}, "
            "'document:<document type>' or 'key_event:<event>'"
        )


class Timescale(Step):
    """A standing timescale: starts when one of its events happens (or always) and its condition holds."""

    on_event: tuple[Identifier, ...] = ()
    applies_when: Any = None
    every: DurationField | None = Field(
        default=None,
        description=(
            "a repeating duty: due `within` after its anchor the first time, then `every` after each time it is "
            "marked done (e.g. a visit at least every six months); closed only by an explicit 'done'"
        ),
    )


class Timeline(Strict):
    id: Identifier
    name: str
    steps: tuple[Step, ...] = Field(min_length=1)
    transfer_by: Identifier = Field(description="the step whose due date is the transfer date")


class Pathway(Cited):
    id: Identifier
    name: str
    from_: tuple[Identifier, ...] = Field(alias="from", min_length=1)
    to: Target
    route: Identifier
    transfer_point: str
    timeline: Identifier
    secondary: bool = Field(default=False, description="a secondary allocation, e.g. a personal adviser")
    purpose: Identifier | None = Field(
        default=None,
        description="for a secondary pathway: the purpose (under secondary_allocations) its allocation records",
    )

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True
    )


class Rule(Cited):
    id: Identifier
    event: Identifier
    when: Any = None
    pathway: Identifier
    overrides: tuple[Identifier, ...] = ()


class Requirement(Strict):
    document: Identifier | None = None
    any_document: tuple[Identifier, ...] = ()
    max_age: DurationField | None = None
    confirmed_by: Role | None = None


class ReadinessItem(Cited):
    id: Identifier
    name: str
    applies_when: Any = None
    requires: Requirement
    blocking: bool = True


class DocumentType(Cited):
    id: Identifier
    name: str


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"


class Meeting(Strict):
    id: Identifier
    name: str
    cadence: Literal["weekly", "monthly"]
    weekday: Weekday
    week_of_month: int | None = Field(default=None, ge=1, le=4)
    time: dt.time
    cutoff: DurationField | None = None
    chair_from: tuple[Identifier, ...] = ()
    lists: tuple[Identifier, ...] = Field(
        default=(),
        description="pathways whose children this meeting lists by age (their timeline's at_age steps)",
    )
    cites: tuple[ClauseId, ...] = Field(min_length=1)
    note: str | None = None


class EscalationLevel(Strict):
    level: int = Field(ge=1)
    who: Role
    after: DurationField
    final: bool = False
    cites: tuple[ClauseId, ...] = Field(min_length=1)
    note: str | None = None


class Reminders(Strict):
    """A local setting: how long before a due date the sweep reminds the people who have the work to do."""

    ahead: DurationField
    cites: tuple[ClauseId, ...] = ()
    note: str | None = None


class Workers(Cited):
    """Who may be named as a child's social worker. `registration_required`: only a registered social worker (a
    Social Work England number on their staff record, not expired on the day) may be named as the child's social
    worker (the receiving worker of a transfer, or a worker the case is moved or reassigned to), for children for
    whom `applies_when` holds (always, if it is not given; unknown counts as holding). It reads the child's
    record only: `domain/registration.RECORD_FACTS`."""

    registration_required: StrictBool
    applies_when: Any = None


class PermittedException(Cited):
    id: Identifier
    name: str
    allows: Literal["more_than_one_worker_per_family", "siblings_with_different_workers"]
    requires_reason: bool = True


class SiblingPolicy(Cited):
    same_worker: bool


class SecondaryAllocation(Cited):
    """A purpose a child may have a secondary allocation for, beside the team holding the case: a co-worker
    (Central Bedfordshire's joint working), a personal adviser, family finding, CSE and missing (Dorset D-082).
    `who`: the role the worker holds in their team (a case-holding role); `services`: the services whose teams
    may provide the worker (empty: any of the authority's)."""

    id: Identifier
    name: str
    who: Role
    services: tuple[Identifier, ...] = ()


class OutsideEngine(Strict):
    clauses: tuple[ClauseId, ...] = Field(min_length=1)
    reason: str


class Authority(Strict):
    id: Identifier
    name: str


class Source(Strict):
    title: str
    version: str
    published: dt.date
    document: str = Field(description="file name of the numbered copy, shipped beside the protocol file")
    clause_prefix: Annotated[str, Field(pattern=r"^[A-Z]+$")]


class CalendarSettings(Strict):
    subdivision: Literal["ENG", "WLS"] = "ENG"
    closure_days: tuple[dt.date, ...] = ()


class LocalSetting(Cited):
    """A timescale the source text does not state: the authority's own choice, kept apart and explained, so
    nobody mistakes it for the protocol's."""

    id: Identifier
    name: str
    value: DurationField
    why: str = Field(description="why the authority chose it, and what the cited clauses do and do not say")


class Retention(Strict):
    """How long the authority keeps a closed child's record before it is reviewed for erasure: the authority's
    own records policy, not the transfer protocol's (neither bundled protocol states one), so it says why."""

    looked_after_until_age: int = Field(
        ge=18, le=120, description="a record of a child who was ever looked after: kept until this birthday"
    )
    other_until_age: int = Field(
        ge=18, le=120, description="any other child's record: kept until this birthday"
    )
    unborn_years_after_closure: int = Field(
        ge=1, le=100, description="a record opened before birth and closed with no date of birth: years kept"
    )
    why: str = Field(min_length=1, description="the policy it follows, in words")


class ProtocolFile(Strict):
    format: Literal["handover-protocol/1"]
    authority: Authority
    source: Source
    calendar: CalendarSettings = CalendarSettings()
    services: tuple[Service, ...] = Field(min_length=1)
    facts: tuple[Fact, ...] = ()
    events: tuple[Event, ...] = Field(min_length=1)
    routes: tuple[Route, ...] = Field(min_length=1)
    timelines: tuple[Timeline, ...] = Field(min_length=1)
    pathways: tuple[Pathway, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)
    document_types: tuple[DocumentType, ...] = ()
    readiness: tuple[ReadinessItem, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    escalation: tuple[EscalationLevel, ...] = ()
    reminders: Reminders | None = None
    workers: Workers | None = None
    exceptions: tuple[PermittedException, ...] = ()
    siblings: SiblingPolicy | None = None
    timescales: tuple[Timescale, ...] = Field(
        default=(), description="standing timescales outside a transfer's timeline"
    )
    secondary_allocations: tuple[SecondaryAllocation, ...] = Field(
        default=(),
        description="purposes a child may have a secondary allocation for (co-working and the like)",
    )
    outside_engine: tuple[OutsideEngine, ...] = ()
    retention: Retention | None = Field(
        default=None,
        description="how long closed records are kept before review for erasure (docs/privacy.md)",
    )
    local_settings: tuple[LocalSetting, ...] = Field(
        default=(),
        description="timescales the source does not state, the authority's own (steps use `within: local:<id>`)",
    )
