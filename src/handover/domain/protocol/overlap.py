"""Find a situation in which two rules both fire, by trying representative values of the facts they read.

Each fact gets the values its conditions distinguish (every value named, one unnamed; each duration's
boundary and the day past it), so if two conditions can both be true, some combination of these shows it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from handover.domain.conditions import Condition, calendar_parts, shift_back
from handover.domain.facts import FactSpec, FactType
from handover.domain.protocol import schema

_EVENT_DATE = dt.date(2026, 6, 15)
_MAX_COMBINATIONS = 200_000


def find_overlap(
    a: Condition, b: Condition, facts: Mapping[str, FactSpec], services: Iterable[schema.Service]
) -> dict[str, Any] | None:
    """A fact assignment where both conditions are True, or None if there is none."""
    service_ids = [s.id for s in services]
    leaves = a.leaves + b.leaves
    names = sorted({leaf.fact for leaf in leaves})
    axes: list[list[dict[str, Any]]] = []
    for name in names:
        spec = facts[name]
        mentioned = [leaf.value for leaf in leaves if leaf.fact == name]
        axes.append(_candidates(name, spec, mentioned, service_ids))
    total = 1
    for axis in axes:
        total *= len(axis)
    if total > _MAX_COMBINATIONS:
        return None
    for combination in itertools.product(*axes):
        situation: dict[str, Any] = {"event.date": _EVENT_DATE}
        for part in combination:
            situation.update(part)
        if a.evaluate(situation) is True and b.evaluate(situation) is True:
            return situation
    return None


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, (frozenset, set, list, tuple)):
            out.extend(sorted(value))
        else:
            out.append(value)
    return out


def _candidates(
    name: str, spec: FactSpec, mentioned: list[Any], service_ids: list[str]
) -> list[dict[str, Any]]:
    if spec.type is FactType.BOOL:
        return [{name: True}, {name: False}]
    if spec.type in (FactType.ENUM, FactType.SERVICE, FactType.TEXT):
        named = [v for v in _flatten(mentioned) if not isinstance(v, bool)]
        universe = list(spec.values) if spec.type is FactType.ENUM else service_ids
        others = [v for v in universe if v not in named][:1] or (
            ["(another value)"] if spec.type is FactType.TEXT else []
        )
        return [{name: v} for v in dict.fromkeys(named + others)]
    if spec.type is FactType.NUMBER:
        numbers = [v for v in mentioned if isinstance(v, (int, float)) and not isinstance(v, bool)]
        values = sorted({n + d for n in numbers for d in (-1, 0)} | {0})
        return [{name: v} for v in values]
    durations = [v for v in mentioned if not isinstance(v, bool)]
    days = [_EVENT_DATE, _EVENT_DATE - dt.timedelta(days=365 * 30)]
    for duration in durations:
        boundary = shift_back(_EVENT_DATE, *calendar_parts(duration))
        days += [boundary, boundary - dt.timedelta(days=1), boundary + dt.timedelta(days=1)]
    days = sorted(set(days))
    if spec.type is FactType.AGE:
        return [{"child.unborn": True}] + [{"child.unborn": False, "child.birth_date": d} for d in days]
    return [{name: d} for d in days]
