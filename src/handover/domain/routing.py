"""Routing: which service takes a child, under which rule and clause, by which route, and what it starts.

`route(protocol, facts)` evaluates only the rules for the situation's event (indexed at load). Outcomes:

- ``route``: one receiving service (teams listed; narrowed by the child's locality when teams have one);
- ``decide``: the protocol names people who must choose between services (e.g. Hub TM with a CWD rep);
- ``undetermined``: rules could fire but the situation lacks facts; the missing facts are listed;
- ``no_rule``: no rule of this protocol covers the situation: a manager decides, nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
    """Route a situation (facts from `situation.situation_facts`) to a decision with its reasons."""
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
    overridden = {o for rule in fired for o in rule.overrides}
    fired = [r for r in fired if r.spec.id not in overridden]
    considered = protocol.rule_ids_by_event.get(event, ())
    if fired:
        # An undecided rule matters only if it could send the child somewhere else.
        chosen = {r.pathway.id for r in fired}
        undecided = [u for u in undecided if u.spec.id not in overridden and u.pathway.id not in chosen]
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
            reason=f"no rule of the {protocol.name} protocol covers event {event!r} in this situation; "
            "the managers concerned decide and may escalate",
        )
    rule = fired[0]
    return _decision(protocol, rule, facts, considered)


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
