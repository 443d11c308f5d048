"""A compiled protocol: the validated file plus indexes and compiled conditions, ready for decisions.

Built only by `loader.load_protocol`; immutable afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handover.domain.calendar import WorkingCalendar
from handover.domain.conditions import Condition
from handover.domain.facts import FactSpec
from handover.domain.protocol import schema

if TYPE_CHECKING:
    from handover.domain.routing import EventPlan


@dataclass(frozen=True)
class CompiledRule:
    spec: schema.Rule
    pathway: schema.Pathway
    condition: Condition  # the rule's `when` and the pathway's `from`, together
    overrides: frozenset[str]


@dataclass(frozen=True)
class CompiledReadiness:
    spec: schema.ReadinessItem
    condition: Condition


@dataclass(frozen=True)
class CompiledTimescale:
    spec: schema.Timescale
    condition: Condition


@dataclass(frozen=True)
class CompiledWorkers:
    """The `workers` setting, its `applies_when` compiled."""

    spec: schema.Workers
    condition: Condition

    def registration_required_by(self, *fact_sets: Mapping[str, Any]) -> tuple[str, ...]:
        """The clauses requiring a registered social worker for a child with these facts (each set, e.g. the
        child's record on the day and a transfer's facts), or () if none does. A condition that is unknown on a
        set counts as holding: the check errs towards a qualified worker."""
        if not self.spec.registration_required:
            return ()
        if not fact_sets or any(self.condition.evaluate(facts) is not False for facts in fact_sets):
            return self.spec.cites
        return ()


@dataclass(frozen=True)
class Protocol:
    """One authority's protocol, compiled. `version` is a content hash recorded on every transfer."""

    file: schema.ProtocolFile
    path: str
    version: str
    clauses: dict[str, str]
    facts: dict[str, FactSpec]
    calendar: WorkingCalendar
    rules_by_event: dict[str, tuple[CompiledRule, ...]]
    readiness: tuple[CompiledReadiness, ...]
    timescales: tuple[CompiledTimescale, ...]
    services: dict[str, schema.Service] = field(default_factory=dict)
    teams: dict[str, tuple[schema.Service, schema.Team]] = field(default_factory=dict)
    events: dict[str, schema.Event] = field(default_factory=dict)
    routes: dict[str, schema.Route] = field(default_factory=dict)
    pathways: dict[str, schema.Pathway] = field(default_factory=dict)
    timelines: dict[str, schema.Timeline] = field(default_factory=dict)
    document_types: dict[str, schema.DocumentType] = field(default_factory=dict)
    meetings: dict[str, schema.Meeting] = field(default_factory=dict)
    workers: CompiledWorkers | None = None  # the `workers` setting, if the file has one
    # Purposes of secondary allocations (`secondary_allocations`), by id, in file order.
    secondary_allocations: dict[str, schema.SecondaryAllocation] = field(default_factory=dict)
    sha256: str = ""  # of the file's bytes: the identity of a stored version
    # Derived indexes, so routing builds nothing per decision.
    rule_ids_by_event: dict[str, tuple[str, ...]] = field(init=False)
    service_teams: dict[str, tuple[str, ...]] = field(init=False)
    teams_by_locality: dict[tuple[str, str], tuple[str, ...]] = field(init=False)
    # Each event's rules compiled into one function and an outcome table (see routing.py's docstring).
    compiled_events: dict[str, EventPlan] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # frozen: set the derived indexes once, here
        set_field(
            self,
            "rule_ids_by_event",
            {e: tuple(r.spec.id for r in rs) for e, rs in self.rules_by_event.items()},
        )
        set_field(self, "service_teams", {s.id: tuple(t.id for t in s.teams) for s in self.services.values()})
        by_locality: dict[tuple[str, str], list[str]] = {}
        for service in self.services.values():
            for team in service.teams:
                if team.locality:
                    by_locality.setdefault((service.id, team.locality), []).append(team.id)
        set_field(self, "teams_by_locality", {k: tuple(v) for k, v in by_locality.items()})
        from handover.domain.routing import compile_events  # here: routing imports this module

        set_field(self, "compiled_events", compile_events(self))

    @property
    def name(self) -> str:
        return self.file.authority.id

    def quote(self, clause_ids: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
        """The cited clauses with their text, for showing a user why."""
        return [{"id": c, "text": self.clauses.get(c, "")} for c in clause_ids]

    @property
    def outside_case_history(self) -> frozenset[str]:
        """The services whose cases are not social care history (`case_history: false`)."""
        return frozenset(s.id for s in self.services.values() if not s.case_history)

    def service_kind(self, service_id: str | None) -> str | None:
        service = self.services.get(service_id) if service_id else None
        return service.kind.value if service else None
