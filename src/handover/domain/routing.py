"""Routing: which service takes a child, under which rule and clause, by which route, and what it starts.

`route(protocol, facts)` evaluates only the rules for the situation's event (indexed at load). Outcomes:

- ``route``: one receiving service (teams listed; narrowed by the child's locality when teams have one);
- ``decide``: the protocol names people who must choose between services (e.g. Hub TM with a CWD rep);
- ``undetermined``: rules could fire but the situation lacks facts; the missing facts are listed;
- ``no_rule``: no rule of this protocol covers the situation: a manager decides, nothing is guessed.

Design. Why: speed. Evaluating each rule as a tree of closures and resolving overrides afresh on every call
cost ~4 µs a decision, 5-7 times a hand-written decision table (bench/routing.py). How: when a protocol is
built, `compile_events` generates one function per event (conditions.SourceBuilder) that reads each fact
once, evaluates every rule's three-valued condition inline (the pathway's source test included) and
returns an entry of an outcome table indexed by the rules' states (base 3: false, true, unknown). The
table is filled at load by running the resolution below (`_resolve`: overrides, same-pathway, undecided)
over every combination of states, so it gives the same answers by construction. Fallback: an
"undetermined" entry (which needs the missing facts listed), an event with more than
`MAX_COMPILED_RULES` rules and an unknown event go through `route_reference`, the straightforward
implementation, which stays the specification and is tested against `route` (tests/unit/
test_routing_compiled.py). Generated code is built only from the validated protocol; values are bound as
constants in the function's namespace, never written into its source.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from handover.domain.conditions import SourceBuilder
from handover.domain.protocol import schema
from handover.domain.protocol.model import CompiledRule, Protocol

Outcome = Literal["route", "decide", "undetermined", "no_rule"]


@dataclass(slots=True)  # not frozen: frozen dataclasses cost a setattr call per field on the hot path
class Decision:
    outcome: Outcome
    event: str
    rule: schema.Rule | None = None
    pathway: schema.Pathway | None = None
    receiving_service: str | None = None
    candidate_services: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    decided_by: tuple[schema.Decider, ...] = ()
    missing_facts: tuple[str, ...] = ()
    considered: tuple[str, ...] = field(default=())
    reason: str = ""

    @property
    def cites(self) -> tuple[str, ...]:
        if self.rule is None or self.pathway is None:
            return ()
        return tuple(dict.fromkeys(self.rule.cites + self.pathway.cites))


def route(protocol: Protocol, facts: Mapping[str, Any]) -> Decision:
    """Route a situation (facts from `situation.situation_facts`) to a decision with its reasons.

    The same decision as `route_reference`, from the event's compiled evaluator (see the module's docstring).
    """
    event = facts["event"]
    plan = protocol.compiled_events.get(event)
    if plan is None:
        return route_reference(protocol, facts)
    target = plan.evaluate(facts)
    if target is _NO_RULE:
        if type(event) is not str:  # the reason shows repr(event): precomputed for plain strings only
            return route_reference(protocol, facts)
        return Decision(
            "no_rule", event, None, None, None, (), (), (), (), plan.considered, plan.no_rule_reason
        )
    if target is _UNDETERMINED:
        return route_reference(protocol, facts)  # lists the missing facts
    outcome, spec, pathway, service, candidates, decided_by, local_teams, teams, reason = target
    if local_teams is not None:  # a fixed receiving service: narrow its teams by locality
        locality = facts.get("child.locality")
        if locality is not None:
            teams = local_teams.get(locality) or teams
    elif outcome == "route":  # back to the service that held the case
        service = facts.get("history.current_service") or facts.get("history.last_service")
        if service is None:
            return route_reference(protocol, facts)  # undetermined: which service is not given
        candidates = (service,)
        teams = _teams(protocol, service, facts.get("child.locality"))
    return Decision(
        outcome, event, spec, pathway, service, candidates, teams, decided_by, (), plan.considered, reason
    )


def route_reference(protocol: Protocol, facts: Mapping[str, Any]) -> Decision:
    """The straightforward implementation of `route`: the specification it is compiled from and tested against."""
    event = facts["event"]
    rules = protocol.rules_by_event.get(event, ())
    fired: list[CompiledRule] = []
    undecided: list[CompiledRule] = []
    for rule in rules:
        value = rule.condition.evaluate(facts)
        if value is True:
            fired.append(rule)
        elif value is None:
            undecided.append(rule)
    fired, undecided = _resolve(fired, undecided)
    considered = protocol.rule_ids_by_event.get(event, ())
    if undecided:
        # A rule we cannot evaluate might override or contradict the one that fired: ask rather than guess.
        missing: list[str] = []
        for rule in undecided:
            for name in rule.condition.missing(facts):
                if name not in missing:
                    missing.append(name)
        possible = ", ".join(r.spec.id for r in fired + undecided)
        return Decision(
            "undetermined",
            event,
            missing_facts=tuple(missing),
            considered=considered,
            reason=f"the situation does not say enough to choose between rules ({possible})",
        )
    if not fired:
        return Decision(
            "no_rule",
            event,
            considered=considered,
            reason=_no_rule_reason(protocol, event),
        )
    rule = fired[0]
    return _decision(protocol, rule, facts, considered)


def _resolve(
    fired: list[CompiledRule], undecided: list[CompiledRule]
) -> tuple[list[CompiledRule], list[CompiledRule]]:
    """The rules that fired and still count after overrides, and the undecided rules that still matter."""
    overridden = {o for rule in fired for o in rule.overrides}
    fired = [r for r in fired if r.spec.id not in overridden]
    if fired:
        # An undecided rule matters only if it could send the child somewhere else.
        chosen = {r.pathway.id for r in fired}
        undecided = [u for u in undecided if u.spec.id not in overridden and u.pathway.id not in chosen]
    return fired, undecided


def _no_rule_reason(protocol: Protocol, event: Any) -> str:
    return (
        f"no rule of the {protocol.name} protocol covers event {event!r} in this situation; "
        "the managers concerned decide and may escalate"
    )


def _decision(
    protocol: Protocol, rule: CompiledRule, facts: Mapping[str, Any], considered: tuple[str, ...]
) -> Decision:
    target = rule.pathway.to
    if target.choose_from:
        return Decision(
            "decide",
            facts["event"],
            rule=rule.spec,
            pathway=rule.pathway,
            candidate_services=target.choose_from,
            decided_by=target.decided_by,
            considered=considered,
            reason=f"{rule.spec.id}: the people named decide between {', '.join(target.choose_from)}",
        )
    if target.previous_service:
        service = facts.get("history.current_service") or facts.get("history.last_service")
        if service is None:
            return Decision(
                "undetermined",
                facts["event"],
                rule=rule.spec,
                pathway=rule.pathway,
                missing_facts=("history.last_service",),
                considered=considered,
                reason=f"{rule.spec.id} sends the case back to the service that held it; which one is not given",
            )
    else:
        service = target.service
    return Decision(
        "route",
        facts["event"],
        rule=rule.spec,
        pathway=rule.pathway,
        receiving_service=service,
        candidate_services=(service,),
        teams=_teams(protocol, service, facts.get("child.locality")),
        considered=considered,
        reason=f"{rule.spec.id}: {rule.pathway.name}",
    )


def _teams(protocol: Protocol, service_id: str, locality: str | None) -> tuple[str, ...]:
    if locality is not None:
        local = protocol.teams_by_locality.get((service_id, locality))
        if local:
            return local
    return protocol.service_teams[service_id]


# -- compiled routing -------------------------------------------------------------------------------------

MAX_COMPILED_RULES = 8  # an event's outcome table has 3**k entries; events with more rules use the reference

_NO_RULE = object()  # table entry: no rule fired (and none undecided matters)
_UNDETERMINED = object()  # table entry: an undecided rule matters; route_reference lists the missing facts


class _Target(NamedTuple):
    """A table entry for "this rule decides": the fields of its Decision known at load (see `_decision`)."""

    outcome: Outcome  # "route" or "decide"
    spec: schema.Rule
    pathway: schema.Pathway
    service: str | None  # None: decided by the people named, or back to the service that held the case
    candidates: tuple[str, ...] | None
    decided_by: tuple[schema.Decider, ...]
    local_teams: dict[str, tuple[str, ...]] | None  # a fixed service's teams by locality; None otherwise
    teams: tuple[str, ...] | None
    reason: str


class EventPlan(NamedTuple):
    """One event's compiled routing: `evaluate(facts)` returns an outcome table entry."""

    evaluate: Callable[[Mapping[str, Any]], Any]
    considered: tuple[str, ...]
    no_rule_reason: str
    table: tuple[Any, ...]


def compile_events(protocol: Protocol) -> dict[str, EventPlan]:
    """The compiled routing of every event (built once, with the protocol; see the module's docstring).

    Needs the protocol's other derived indexes. Events with more than MAX_COMPILED_RULES rules get no plan,
    so `route` uses `route_reference` for them.
    """
    plans: dict[str, EventPlan] = {}
    for event in dict.fromkeys([*protocol.events, *protocol.rules_by_event]):
        rules = protocol.rules_by_event.get(event, ())
        if len(rules) > MAX_COMPILED_RULES:
            continue
        table = _outcome_table(protocol, rules)
        plans[event] = EventPlan(
            _event_evaluator(rules, table),
            protocol.rule_ids_by_event.get(event, ()),
            _no_rule_reason(protocol, event),
            table,
        )
    return plans


def _target(protocol: Protocol, rule: CompiledRule) -> _Target:
    to = rule.pathway.to
    if to.choose_from:
        reason = f"{rule.spec.id}: the people named decide between {', '.join(to.choose_from)}"
        return _Target(
            "decide", rule.spec, rule.pathway, None, to.choose_from, to.decided_by, None, (), reason
        )
    reason = f"{rule.spec.id}: {rule.pathway.name}"
    if to.previous_service:
        return _Target("route", rule.spec, rule.pathway, None, None, (), None, None, reason)
    service = to.service
    local_teams = {
        locality: teams
        for (s, locality), teams in protocol.teams_by_locality.items()
        if s == service and teams
    }
    return _Target(
        "route",
        rule.spec,
        rule.pathway,
        service,
        (service,),
        (),
        local_teams,
        protocol.service_teams[service],
        reason,
    )


def _outcome_table(protocol: Protocol, rules: tuple[CompiledRule, ...]) -> tuple[Any, ...]:
    """Entry sum(state_i * 3**i) (state 0 false, 1 true, 2 unknown): what `route_reference` decides."""
    targets = {id(r): _target(protocol, r) for r in rules}
    table: list[Any] = [None] * 3 ** len(rules)
    for states in itertools.product((0, 1, 2), repeat=len(rules)):
        fired = [r for r, state in zip(rules, states, strict=True) if state == 1]
        undecided = [r for r, state in zip(rules, states, strict=True) if state == 2]
        fired, undecided = _resolve(fired, undecided)
        if undecided:
            entry = _UNDETERMINED
        elif not fired:
            entry = _NO_RULE
        else:
            entry = targets[id(fired[0])]
        table[sum(state * 3**i for i, state in enumerate(states))] = entry
    return tuple(table)


def _event_evaluator(
    rules: tuple[CompiledRule, ...], table: tuple[Any, ...]
) -> Callable[[Mapping[str, Any]], Any]:
    """One generated function: every rule's condition in order, then the table entry for their states."""
    source = SourceBuilder()
    table_name = source.constant(table)
    for i, rule in enumerate(rules):
        value = source.condition(rule.condition, 1)
        source.line(1, f"if {value} is True:")
        source.line(2, f"x += {3**i}")
        source.line(1, f"elif {value} is None:")
        source.line(2, f"x += {2 * 3**i}")
    return source.build("route_event", ["x = 0"], f"{table_name}[x]")


# -- what can happen to a child in the service that holds them --------------------------------------------


@dataclass(frozen=True)
class EventsFrom:
    """The protocol's events as the propose journey offers them for a child held by one service, each tuple in
    the file's order: `routed`, the events a rule of the protocol routes from that service (offered first);
    `others`, the events no rule routes from there, which a person may still propose and the managers then
    decide ("Something else"). Events that arrive at another service (a referral at the front door) are in
    neither: they start there, not with the team holding the case."""

    routed: tuple[str, ...]
    others: tuple[str, ...]


def events_from(protocol: Protocol, service: str) -> EventsFrom:
    """Which events can happen to a child held by `service` (a service id of `protocol`), by the protocol's own
    model: an event is routed from where it arrives (its `arrives_at`, e.g. the front door) or else from the
    service holding the case (`situation.derive_facts` sets `transfer.from` so), and a rule applies only from
    its pathway's `from` services (the loader conjoins that test to every rule's condition)."""
    routed: list[str] = []
    others: list[str] = []
    for event in protocol.events.values():
        if event.arrives_at is not None and event.arrives_at != service:
            continue
        rules = protocol.rules_by_event.get(event.id, ())
        (routed if any(service in rule.pathway.from_ for rule in rules) else others).append(event.id)
    return EventsFrom(tuple(routed), tuple(others))
