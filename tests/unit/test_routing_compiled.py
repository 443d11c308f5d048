"""The compiled router (`route`) against the reference implementation (`route_reference`).

`route` evaluates each event's rules with one generated function and looks the outcome up in a table built
at load (see routing.py). These tests check that it gives the same Decision as `route_reference`, field by
field, on random fact dicts (complete, partial, with unusual values and values on the date boundaries), that
the compilation happens when a protocol is loaded and never while routing, and that the generated source
holds no value from the protocol file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handover.domain import routing
from handover.domain.conditions import SourceBuilder, calendar_parts, shift_back
from handover.domain.facts import FactType
from handover.domain.protocol.loader import load_protocol
from handover.domain.protocol.model import Protocol
from handover.domain.routing import Decision, route, route_reference
from handover.domain.situation import situation_facts

PROTOCOLS = ("dorset", "central-bedfordshire")
# Facts read when a decision is built rather than by conditions.
DECISION_FACTS = ("history.current_service", "history.last_service", "child.locality")
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module", params=PROTOCOLS)
def protocol(request) -> Protocol:
    return load_protocol(request.param)


class OddEvent(str):
    """An event name that equals a protocol's event but shows differently (the no-rule reason shows it)."""

    def __repr__(self) -> str:
        return f"OddEvent({str(self)!r})"


def _cached(function):
    """Memoised on (protocol version, arguments): the random tests call these helpers for every dict."""
    cache: dict[tuple[Any, ...], Any] = {}

    def cached(protocol: Protocol, *args: Any) -> Any:
        key = (protocol.version, *args)
        if key not in cache:
            cache[key] = function(protocol, *args)
        return cache[key]

    return cached


@_cached
def _facts_read(protocol: Protocol, event: str) -> list[str]:
    names: dict[str, None] = {}
    for rule in protocol.rules_by_event.get(event, ()):
        for leaf in rule.condition.leaves:
            spec = protocol.facts[leaf.fact]
            if spec.type is FactType.AGE:
                names.update(dict.fromkeys(("child.unborn", "child.birth_date", "event.date")))
            else:
                names[leaf.fact] = None
                if spec.type is FactType.DATE:
                    names["event.date"] = None
    names.update(dict.fromkeys(DECISION_FACTS))
    names["event.date"] = None
    return list(names)


@_cached
def _tested_values(protocol: Protocol, event: str) -> dict[str, list[Any]]:
    """For each fact, the values the event's rules compare it with (so that rules fire often)."""
    values: dict[str, list[Any]] = {}
    for rule in protocol.rules_by_event.get(event, ()):
        for leaf in rule.condition.leaves:
            if leaf.operator in ("is", "in", "not_in"):
                tested = sorted(leaf.value) if isinstance(leaf.value, frozenset) else [leaf.value]
                values.setdefault(leaf.fact, []).extend(tested)
    return values


@_cached
def _durations(protocol: Protocol) -> list[tuple[int, int, int]]:
    found = {
        calendar_parts(leaf.value)
        for rules in protocol.rules_by_event.values()
        for rule in rules
        for leaf in rule.condition.leaves
        if leaf.operator in ("within", "not_within", "at_least", "under")
        and protocol.facts[leaf.fact].type in (FactType.DATE, FactType.AGE)
    }
    return sorted(found)


@_cached
def _choices(protocol: Protocol, name: str) -> list[Any]:
    """Values a fact may take in a test: the usual ones and some the situation parser would refuse."""
    spec = protocol.facts[name]
    localities = sorted(
        {team.locality for s in protocol.services.values() for team in s.teams if team.locality}
    )
    if spec.type is FactType.BOOL:
        return [True, False, True, False, 0, 1, "yes"]
    if spec.type is FactType.ENUM:
        return [*spec.values, *spec.values, "nonsense", 3]
    if spec.type is FactType.SERVICE:
        return [*protocol.services, *protocol.services, "atlantis", ""]
    if spec.type is FactType.NUMBER:
        return [0, 1, 2.5, 10, -1]
    if name == "child.locality":
        return [*localities, *localities, "nowhere", 7, ["east"]]
    if spec.type is FactType.TEXT:
        return ["x", "", 1]
    return []  # dates: see _date


def _date(rng: random.Random, on: dt.date, durations: list[tuple[int, int, int]]) -> Any:
    roll = rng.random()
    if roll < 0.55 and durations:  # on or next to a boundary of a window or an age
        return shift_back(on, *rng.choice(durations)) + rng.choice((-1, 0, 0, 1)) * DAY
    if roll < 0.9:
        return on - rng.randint(-30, 9000) * DAY
    return rng.choice([on, on + DAY, "2024-01-01", 20240101, dt.datetime(2024, 1, 1, 12, 0)])


def random_facts(protocol: Protocol, rng: random.Random) -> dict[str, Any]:
    """A fact dict for a random event: each fact its rules read absent, None, usual or unusual."""
    events = list(protocol.events)
    event: Any = rng.choice(events)
    roll = rng.random()
    if roll < 0.01:
        event = "no_such_event"
    elif roll < 0.02:
        event = OddEvent(event)
    on = dt.date(2026, 6, 15) + rng.randint(-800, 800) * DAY
    durations = _durations(protocol)
    facts: dict[str, Any] = {"event": event}
    known = str(event) if str(event) in protocol.events else events[0]
    tested = _tested_values(protocol, known)
    for name in _facts_read(protocol, known):
        roll = rng.random()
        if roll < 0.15:
            continue  # not given
        if roll < 0.2:
            facts[name] = None
            continue
        if name == "event.date":
            facts[name] = on if rng.random() < 0.97 else rng.choice(["2026-06-15", None])
        elif protocol.facts[name].type in (FactType.DATE, FactType.AGE):
            facts[name] = _date(rng, on, durations)
        elif name in tested and rng.random() < 0.7:
            facts[name] = rng.choice(tested[name])
        else:
            facts[name] = rng.choice(_choices(protocol, name))
    if rng.random() < 0.5 and "child.birth_date" not in facts:
        facts["child.unborn"] = rng.choice((True, False))
    return facts


def _outcome(router, protocol: Protocol, facts: dict[str, Any]) -> Any:
    try:
        return router(protocol, facts)
    except Exception as exc:  # odd values can make a comparison fail: both must fail alike
        return ("raised", type(exc), str(exc))


def assert_same(protocol: Protocol, facts: dict[str, Any]) -> Any:
    got = _outcome(route, protocol, facts)
    want = _outcome(route_reference, protocol, facts)
    if isinstance(want, Decision):
        assert isinstance(got, Decision), (facts, got, want)
        for f in dataclasses.fields(Decision):
            assert getattr(got, f.name) == getattr(want, f.name), (f.name, facts, got, want)
        assert got == want
        assert type(got.event) is type(want.event)
    else:
        assert got == want, (facts, got, want)
    return want


@pytest.mark.parametrize("name", PROTOCOLS)
def test_compiled_route_equals_reference_on_random_facts(name):
    protocol = load_protocol(name)
    rng = random.Random(f"compiled-routing:{name}")
    seen: dict[str, int] = {}
    for _ in range(20_000):
        want = assert_same(protocol, random_facts(protocol, rng))
        kind = want.outcome if isinstance(want, Decision) else "raised"
        seen[kind] = seen.get(kind, 0) + 1
    # The sample reaches every kind of answer (so the comparison means something).
    assert set(seen) == {"route", "decide", "undetermined", "no_rule", "raised"}, seen
    assert min(seen.values()) >= 200, seen


@pytest.mark.parametrize("name", PROTOCOLS)
def test_compiled_route_equals_reference_on_situations(name):
    """Facts as situation_facts gives them, for every event and history: the usual input."""
    protocol = load_protocol(name)
    rng = random.Random(f"situations:{name}")
    # The services whose cases are social care history (the situation refuses the others as history).
    services = [s for s in protocol.services if s not in protocol.outside_case_history]
    for _ in range(2_000):
        situation: dict[str, Any] = {"event": rng.choice(list(protocol.events)), "date": "2026-06-15"}
        state = rng.random()
        if state < 0.3:
            situation["history"] = {"previously_known": False}
        elif state < 0.6:
            situation["history"] = {"current_service": rng.choice(services)}
        elif state < 0.9:
            closed = dt.date(2026, 6, 15) - rng.randint(0, 200) * DAY
            situation["history"] = {"last_service": rng.choice(services), "closed_on": closed.isoformat()}
        if rng.random() < 0.5:
            situation["child"] = {
                "birth_date": (dt.date(2026, 6, 15) - rng.randint(0, 7000) * DAY).isoformat()
            }
        assert_same(protocol, situation_facts(protocol, situation))


@st.composite
def fact_dicts(draw, protocol: Protocol) -> dict[str, Any]:
    event = draw(st.sampled_from(list(protocol.events)))
    on = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
    facts: dict[str, Any] = {"event": event, "event.date": on}
    for name in _facts_read(protocol, event):
        if name == "event.date" or not draw(st.booleans()):
            continue
        if protocol.facts[name].type in (FactType.DATE, FactType.AGE):
            offsets = st.integers(-40, 9000).map(lambda n: on - n * DAY)
            edges = st.sampled_from(_durations(protocol) or [(0, 0, 0)]).map(lambda d: shift_back(on, *d))
            facts[name] = draw(st.one_of(offsets, edges, st.none()))
        else:
            facts[name] = draw(st.sampled_from([*_choices(protocol, name), None]))
    return facts


@pytest.mark.parametrize("name", PROTOCOLS)
def test_compiled_route_equals_reference_property(name):
    protocol = load_protocol(name)

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fact_dicts(protocol))
    def check(facts):
        assert_same(protocol, facts)

    check()


def test_loading_builds_the_compiled_evaluators(protocol):
    for event in protocol.events:
        rules = protocol.rules_by_event.get(event, ())
        plan = protocol.compiled_events[event]
        assert callable(plan.evaluate)
        assert len(plan.table) == 3 ** len(rules)
        assert plan.considered == protocol.rule_ids_by_event.get(event, ())


def test_routing_compiles_nothing(protocol, monkeypatch):
    """After load, routing neither generates code nor builds tables, and decided cases skip the reference."""
    rng = random.Random("no compilation")
    samples = [random_facts(protocol, rng) for _ in range(3_000)]
    expected = [_outcome(route_reference, protocol, f) for f in samples]

    def forbidden(*args, **kwargs):
        raise AssertionError("compiled while routing")

    monkeypatch.setattr(SourceBuilder, "build", forbidden)
    monkeypatch.setattr(routing, "compile_events", forbidden)
    monkeypatch.setattr(routing, "_outcome_table", forbidden)
    monkeypatch.setattr(routing, "_event_evaluator", forbidden)
    for facts, want in zip(samples, expected, strict=True):
        assert _outcome(route, protocol, facts) == want
    # A decided situation is answered by the compiled plan alone.
    monkeypatch.setattr(routing, "route_reference", forbidden)
    decided = [
        f
        for f, want in zip(samples, expected, strict=True)
        if isinstance(want, Decision)
        and want.outcome in ("route", "decide")
        and type(f["event"]) is str
        and f["event"] in protocol.compiled_events
    ]
    assert len(decided) > 500
    for facts in decided:
        route(protocol, facts)


def test_generated_source_holds_no_protocol_text(protocol):
    """Fact names and values are bound as constants: the source has no string literal at all."""
    for plan in protocol.compiled_events.values():
        source = plan.evaluate.source
        assert "'" not in source and '"' not in source, source


def test_events_with_many_rules_use_the_reference(monkeypatch):
    monkeypatch.setattr(routing, "MAX_COMPILED_RULES", 2)
    protocol = load_protocol("dorset")
    big = {e for e, rules in protocol.rules_by_event.items() if len(rules) > 2}
    assert big and not big & set(protocol.compiled_events)
    rng = random.Random("many rules")
    for _ in range(3_000):
        assert_same(protocol, random_facts(protocol, rng))


def test_pre_birth_assessment_without_sibling_proceedings_is_decided():
    """C-054 (Central Bedfordshire): no date of ended proceedings means none ended, not 'undetermined'."""
    cb = load_protocol("central-bedfordshire")
    situation = {
        "event": "pre_birth_assessment_concluded",
        "date": "2026-06-15",
        "child": {"expected_birth_date": "2026-09-01"},
        "siblings": {"in_care_proceedings": False},
        "history": {"current_service": "assessment"},
        "facts": {"ongoing_social_work_indicated": True, "proceedings_at_birth_recommended": False},
    }
    decision = assert_same(cb, situation_facts(cb, situation))
    assert decision.outcome == "decide"
    assert decision.rule.id == "unborn_ongoing_social_work"
