"""Declarative conditions from a protocol file, compiled once at load into fast closures.

A condition is YAML such as::

    all:
      - {fact: transfer.from, in: [assessment]}
      - {fact: child.age, at_least: 10 years}
      - any:
          - {fact: history.open, is: true}
          - {fact: history.closed_on, within: 12 weeks}

Evaluation is three-valued (Kleene): True, False, or None when a fact it needs is missing and the answer
depends on it. Routing reports the missing facts instead of guessing. Closures read a flat dict of facts,
so one decision is a handful of dict look-ups (see bench/routing.py).

`SourceBuilder` turns condition trees into the source of one generated function (used by routing.py to
evaluate all of an event's rules in one call). The generated code performs the same operations, in the
same order and with the same short-circuits, as the closures here, so it gives the same values (and raises
the same errors on odd input). It is built only from the compiled tree: values, fact names and the table
are bound as constants in the function's namespace; the source itself holds only generated names,
operators, integers and keywords.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handover.domain.calendar import Duration, DurationError, DurationUnit
from handover.domain.facts import FactSpec, FactType

Facts = Mapping[str, Any]
Evaluator = Callable[[Facts], bool | None]

LEAF_OPERATORS = ("is", "in", "not_in", "at_least", "under", "within", "not_within", "present")
_OPERATORS_BY_TYPE: dict[FactType, tuple[str, ...]] = {
    FactType.BOOL: ("is", "present"),
    FactType.ENUM: ("is", "in", "not_in", "present"),
    FactType.SERVICE: ("is", "in", "not_in", "present"),
    FactType.TEXT: ("is", "in", "not_in", "present"),
    FactType.NUMBER: ("is", "at_least", "under", "present"),
    FactType.DATE: ("within", "not_within", "present"),
    FactType.AGE: ("at_least", "under"),
}


class ConditionError(ValueError):
    """A condition that cannot be compiled. `path` is relative to the condition's root."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def shift_back(day: dt.date, years: int, months: int, days: int) -> dt.date:
    """`day` minus a calendar duration, clamping to the month's end (31 May - 3 months = 28/29 Feb).

    Hand-written because dateutil's relativedelta costs several microseconds a call on the routing hot path.
    """
    total = day.year * 12 + (day.month - 1) - (years * 12 + months)
    year, month0 = divmod(total, 12)
    last = 29 if month0 == 1 and _is_leap(year) else _DAYS_IN_MONTH[month0]
    shifted = dt.date(year, month0 + 1, min(day.day, last))
    return shifted - dt.timedelta(days=days) if days else shifted


def calendar_parts(duration: Duration) -> tuple[int, int, int]:
    """(years, months, days) of a calendar duration; working days and hours are refused in conditions."""
    if (
        duration.get(DurationUnit.WORKING_DAYS)
        or duration.get(DurationUnit.HOURS)
        or not all(unit.is_calendar for _, unit in duration.parts)
    ):
        raise DurationError(f"'{duration}' is not a calendar duration")
    days = duration.get(DurationUnit.WEEKS) * 7 + duration.get(DurationUnit.DAYS)
    return duration.get(DurationUnit.YEARS), duration.get(DurationUnit.MONTHS), days


@dataclass(frozen=True)
class Leaf:
    fact: str
    operator: str
    value: Any

    def __str__(self) -> str:
        return f"{self.fact} {self.operator.replace('_', ' ')} {_show(self.value)}"


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple, frozenset, set)):
        return "[" + ", ".join(sorted(_show(v) for v in value)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Condition:
    """A compiled condition: the fast evaluator, its leaves (for explanations) and the source tree."""

    evaluate: Evaluator
    tree: Any
    leaves: tuple[Leaf, ...]

    @property
    def facts(self) -> frozenset[str]:
        return frozenset(leaf.fact for leaf in self.leaves)

    def missing(self, facts: Facts) -> list[str]:
        """Facts whose absence leaves this condition undecided (empty when it is decided)."""
        if self.evaluate(facts) is not None:
            return []
        found: list[str] = []
        _collect_missing(self.tree, facts, found)
        return found

    def explain(self) -> str:
        return _explain(self.tree)


ALWAYS = Condition(evaluate=lambda facts: True, tree=None, leaves=())


def _collect_missing(tree: Any, facts: Facts, found: list[str]) -> None:
    if isinstance(tree, _Node):
        for child in tree.children:
            if child.evaluate(facts) is None:
                _collect_missing(child, facts, found)
    elif isinstance(tree, _LeafNode):
        for name in tree.reads:
            if facts.get(name) is None and name not in found:
                found.append(name)


def _explain(tree: Any) -> str:
    if tree is None:
        return "always"
    if isinstance(tree, _LeafNode):
        return str(tree.leaf)
    parts = [_explain(c) for c in tree.children]
    if tree.kind == "not":
        return f"not ({parts[0]})"
    joiner = " and " if tree.kind == "all" else " or "
    return "(" + joiner.join(parts) + ")"


@dataclass(frozen=True)
class _LeafNode:
    leaf: Leaf
    evaluate: Evaluator
    reads: tuple[str, ...]
    test: str = "plain"  # which closure `evaluate` is: "plain", "date" (within / not_within) or "age"


@dataclass(frozen=True)
class _Node:
    kind: str
    children: tuple[Any, ...]
    evaluate: Evaluator


def compile_condition(raw: Any, facts: Mapping[str, FactSpec], services: frozenset[str]) -> Condition:
    """Compile a condition tree. Raises ConditionError naming the element path and the problem."""
    if raw is None:
        return ALWAYS
    tree = _compile(raw, "", facts, services)
    leaves: list[Leaf] = []
    _gather_leaves(tree, leaves)
    return Condition(evaluate=tree.evaluate, tree=tree, leaves=tuple(leaves))


def conjoin(first: Condition, second: Condition) -> Condition:
    """Both conditions (compiled separately so each reports errors at its own path)."""
    if second is ALWAYS:
        return first
    if first is ALWAYS:
        return second
    node = _Node("all", (first.tree, second.tree), _all((first.evaluate, second.evaluate)))
    return Condition(evaluate=node.evaluate, tree=node, leaves=first.leaves + second.leaves)


def _gather_leaves(tree: Any, out: list[Leaf]) -> None:
    if isinstance(tree, _LeafNode):
        out.append(tree.leaf)
    else:
        for child in tree.children:
            _gather_leaves(child, out)


def _compile(raw: Any, path: str, facts: Mapping[str, FactSpec], services: frozenset[str]) -> Any:
    if not isinstance(raw, Mapping):
        raise ConditionError(
            path, f"a condition is a mapping with 'all', 'any', 'not' or 'fact', not {raw!r}"
        )
    keys = set(raw)
    if keys & {"all", "any"}:
        if len(keys) != 1:
            raise ConditionError(path, f"'all'/'any' must stand alone, found keys {sorted(keys)}")
        kind = next(iter(keys))
        items = raw[kind]
        if not isinstance(items, list) or not items:
            raise ConditionError(f"{path}.{kind}" if path else kind, "must be a non-empty list of conditions")
        children = tuple(
            _compile(item, f"{path}.{kind}[{i}]" if path else f"{kind}[{i}]", facts, services)
            for i, item in enumerate(items)
        )
        evaluators = tuple(c.evaluate for c in children)
        return _Node(kind, children, _all(evaluators) if kind == "all" else _any(evaluators))
    if "not" in keys:
        if len(keys) != 1:
            raise ConditionError(path, "'not' must stand alone")
        child = _compile(raw["not"], f"{path}.not" if path else "not", facts, services)
        inner = child.evaluate

        def negate(f: Facts) -> bool | None:
            value = inner(f)
            return None if value is None else not value

        return _Node("not", (child,), negate)
    if "fact" in keys:
        return _compile_leaf(raw, path, facts, services)
    raise ConditionError(path, f"unknown condition keys {sorted(keys)}: use all, any, not or fact")


def _all(evaluators: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(f: Facts) -> bool | None:
        unknown = False
        for e in evaluators:
            value = e(f)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True

    return evaluate


def _any(evaluators: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate(f: Facts) -> bool | None:
        unknown = False
        for e in evaluators:
            value = e(f)
            if value is True:
                return True
            if value is None:
                unknown = True
        return None if unknown else False

    return evaluate


def _compile_leaf(raw: Mapping[str, Any], path: str, facts: Mapping[str, FactSpec], services: frozenset[str]):
    name = raw["fact"]
    where = f"{path}.fact" if path else "fact"
    if not isinstance(name, str) or name not in facts:
        raise ConditionError(where, f"reads fact {name!r}, which is not declared (declare it under 'facts')")
    spec = facts[name]
    operators = [k for k in raw if k != "fact"]
    if len(operators) != 1:
        raise ConditionError(path, f"a fact test needs exactly one operator of {', '.join(LEAF_OPERATORS)}")
    op = operators[0]
    op_path = f"{path}.{op}" if path else op
    allowed = _OPERATORS_BY_TYPE[spec.type]
    if op not in allowed:
        raise ConditionError(
            op_path, f"operator {op!r} does not apply to {spec.type} fact {name!r} (use {allowed})"
        )
    value = _check_value(spec, op, raw[op], op_path, services)
    leaf = Leaf(name, op, value)
    if spec.type is FactType.AGE:
        return _LeafNode(leaf, _age_test(op, value), ("child.birth_date", "event.date"), "age")
    if spec.type is FactType.DATE and op in ("within", "not_within"):
        return _LeafNode(leaf, _date_test(name, op, value), (name, "event.date"), "date")
    return _LeafNode(leaf, _plain_test(name, op, value), (name,))


def _check_value(spec: FactSpec, op: str, value: Any, path: str, services: frozenset[str]) -> Any:
    if op == "present":
        if not isinstance(value, bool):
            raise ConditionError(path, "'present' takes true or false")
        return value
    if spec.type in (FactType.AGE, FactType.DATE):
        try:
            duration = value if isinstance(value, Duration) else Duration.parse(str(value))
            calendar_parts(duration)
        except (DurationError, ValueError) as exc:
            raise ConditionError(
                path, f"{exc} (conditions take calendar durations: days, weeks, months, years)"
            ) from None
        return duration
    if spec.type is FactType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConditionError(path, f"{spec.name} is a number; got {value!r}")
        return value
    allowed: tuple[str, ...] | frozenset[str] | None = None
    if spec.type is FactType.ENUM:
        allowed = spec.values
    elif spec.type is FactType.SERVICE:
        allowed = services
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(path, f"'{op}' takes a non-empty list")
        for i, item in enumerate(value):
            _check_scalar(spec, item, f"{path}[{i}]", allowed)
        return frozenset(value)
    _check_scalar(spec, value, path, allowed)
    return value


def _check_scalar(spec: FactSpec, value: Any, path: str, allowed: Any) -> None:
    if spec.type is FactType.BOOL:
        if not isinstance(value, bool):
            raise ConditionError(path, f"{spec.name} is true or false; got {value!r}")
        return
    if allowed is not None and value not in allowed:
        noun = "service" if spec.type is FactType.SERVICE else "value"
        raise ConditionError(path, f"unknown {noun} {value!r} for {spec.name} (one of {sorted(allowed)})")


def _plain_test(name: str, op: str, value: Any) -> Evaluator:
    get = dict.get
    if op == "is":

        def test(f: Facts) -> bool | None:
            v = get(f, name)
            return None if v is None else v == value

    elif op == "in":

        def test(f: Facts) -> bool | None:
            v = get(f, name)
            return None if v is None else v in value

    elif op == "not_in":

        def test(f: Facts) -> bool | None:
            v = get(f, name)
            return None if v is None else v not in value

    elif op == "at_least":

        def test(f: Facts) -> bool | None:
            v = get(f, name)
            return None if v is None else v >= value

    elif op == "under":

        def test(f: Facts) -> bool | None:
            v = get(f, name)
            return None if v is None else v < value

    else:  # present

        def test(f: Facts) -> bool | None:
            return (get(f, name) is not None) == value

    return test


def _date_test(name: str, op: str, duration: Duration) -> Evaluator:
    years, months, days = calendar_parts(duration)
    get = dict.get
    within = op == "within"

    def test(f: Facts) -> bool | None:
        v = get(f, name)
        on = get(f, "event.date")
        if v is None or on is None:
            return None
        # Within N of the event: on or after the event date less N (and not after the event itself).
        inside = shift_back(on, years, months, days) <= v <= on
        return inside if within else not inside

    return test


def _age_test(op: str, duration: Duration) -> Evaluator:
    years, months, days = calendar_parts(duration)
    get = dict.get
    at_least = op == "at_least"

    def test(f: Facts) -> bool | None:
        if get(f, "child.unborn") is True:
            return not at_least
        born = get(f, "child.birth_date")
        on = get(f, "event.date")
        if born is None or on is None:
            return None
        # Reached the age on the event date <=> born on or before the event date less that age.
        reached = born <= shift_back(on, years, months, days)
        return reached if at_least else not reached

    return test


# -- code generation ------------------------------------------------------------------------------------

_COMPARISONS = {"is": "==", "in": "in", "not_in": "not in", "at_least": ">=", "under": "<"}


class SourceBuilder:
    """The source of one generated function ``def NAME(f)`` that evaluates condition trees inline.

    Each fact is read once, at the top, with ``dict.get`` (as the closures read it). Calendar shifts of
    the event date are computed at most once per call, when first needed. ``condition`` emits statements
    that compute a tree's three-valued value and names the local variable holding it; the caller adds its
    own statements with ``line`` and builds the function with ``build``. Statements at depth 1 run on every
    call (callers must not return early), so a test emitted there is not repeated: a later identical test
    reuses its value, which is what evaluating it again would give.
    """

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__builtins__": {}, "_get": dict.get, "_shift": shift_back}
        self._body: list[str] = []
        self._facts: dict[str, str] = {}  # fact name -> local variable
        self._shifts: dict[tuple[int, int, int], str] = {}  # (years, months, days) -> local variable
        self._done: dict[Any, str] = {}  # tests evaluated on every call so far -> local variable
        self._ids = itertools.count()

    def constant(self, value: Any) -> str:
        """A name bound to `value` in the function's namespace."""
        name = f"_k{next(self._ids)}"
        self.namespace[name] = value
        return name

    def temp(self) -> str:
        return f"t{next(self._ids)}"

    def line(self, depth: int, text: str) -> None:
        self._body.append("    " * depth + text)

    def condition(self, condition: Condition, depth: int) -> str:
        """Emit statements at indentation `depth` computing `condition`; the local variable holding it."""
        if condition.tree is None:
            return "True"
        return self._node(condition.tree, depth)

    def build(self, name: str, prologue: list[str], result: str) -> Callable[[Facts], Any]:
        """Compile ``def name(f)``: read the facts, run `prologue`, the emitted lines, return `result`."""
        head = [f"def {name}(f):"]
        head += [f"    {var} = _get(f, {self.constant(fact)})" for fact, var in self._facts.items()]
        head += [f"    {var} = None" for var in self._shifts.values()]
        head += ["    " + text for text in prologue]
        source = "\n".join([*head, *self._body, f"    return {result}", ""])
        namespace = dict(self.namespace)
        # bandit B102: the source holds only names made here, whole numbers and operators from a fixed table;
        # every value from the protocol file is bound in the namespace, never written into the source.
        exec(compile(source, f"<generated {name}>", "exec"), namespace)  # nosec B102
        function = namespace[name]
        function.source = source  # for reading and debugging
        return function

    # -- pieces -----------------------------------------------------------------------------------------

    def _fact(self, name: str) -> str:
        var = self._facts.get(name)
        if var is None:
            var = self._facts[name] = f"v{len(self._facts)}"
        return var

    def _shift(self, duration: Duration, depth: int) -> str:
        """Local variable holding ``shift_back(event date, duration)``, computed here if not yet."""
        parts = calendar_parts(duration)
        var = self._shifts.get(parts)
        if var is None:
            var = self._shifts[parts] = f"s{len(self._shifts)}"
        years, months, days = (int(p) for p in parts)
        self.line(depth, f"if {var} is None:")
        self.line(depth + 1, f"{var} = _shift({self._fact('event.date')}, {years}, {months}, {days})")
        return var

    def _node(self, tree: Any, depth: int) -> str:
        if isinstance(tree, _LeafNode):
            key = _leaf_key(tree)
            done = self._done.get(key)
            if done is not None:
                return done
            out = self.temp()
            self._leaf(tree, out, depth)
            if depth == 1:
                self._done[key] = out
            return out
        out = self.temp()
        if tree.kind == "not":
            value = self._node(tree.children[0], depth)
            self.line(depth, f"{out} = None if {value} is None else not {value}")
            return out
        # all / any, as _all / _any: stop at the first False (True); else None if any child was None.
        stop, through = ("False", "True") if tree.kind == "all" else ("True", "False")
        self.line(depth, f"{out} = {through}")
        for child in _flatten(tree):
            value = self._node(child, depth)
            self.line(depth, f"if {value} is {stop}:")
            self.line(depth + 1, f"{out} = {stop}")
            self.line(depth, "else:")
            depth += 1
            self.line(depth, f"if {value} is None:")
            self.line(depth + 1, f"{out} = None")
        return out

    def _leaf(self, node: _LeafNode, out: str, depth: int) -> None:
        leaf = node.leaf
        if node.test == "age":  # as _age_test
            unborn, born = self._fact("child.unborn"), self._fact("child.birth_date")
            on = self._fact("event.date")
            at_least = leaf.operator == "at_least"
            self.line(depth, f"if {unborn} is True:")
            self.line(depth + 1, f"{out} = {not at_least}")
            self.line(depth, f"elif {born} is None or {on} is None:")
            self.line(depth + 1, f"{out} = None")
            self.line(depth, "else:")
            shifted = self._shift(leaf.value, depth + 1)
            reached = f"{born} <= {shifted}"
            self.line(depth + 1, f"{out} = {reached}" if at_least else f"{out} = not ({reached})")
            return
        value = self._fact(leaf.fact)
        if node.test == "date":  # as _date_test
            on = self._fact("event.date")
            self.line(depth, f"if {value} is None or {on} is None:")
            self.line(depth + 1, f"{out} = None")
            self.line(depth, "else:")
            shifted = self._shift(leaf.value, depth + 1)
            inside = f"{shifted} <= {value} <= {on}"
            self.line(
                depth + 1, f"{out} = {inside}" if leaf.operator == "within" else f"{out} = not ({inside})"
            )
            return
        if leaf.operator == "present":  # as _plain_test
            self.line(depth, f"{out} = {value} is not None" if leaf.value else f"{out} = {value} is None")
            return
        comparison = _COMPARISONS[leaf.operator]
        self.line(
            depth, f"{out} = None if {value} is None else {value} {comparison} {self.constant(leaf.value)}"
        )


def _leaf_key(node: _LeafNode) -> Any:
    """Equal for two tests that compute the same thing (values compared with their types: 1 is not 1.0)."""
    leaf = node.leaf
    value = leaf.value
    if isinstance(value, Duration):
        value = calendar_parts(value)
    elif isinstance(value, frozenset):
        value = frozenset((type(v), v) for v in value)
    return (node.test, leaf.fact, leaf.operator, type(value), value)


def _flatten(node: _Node) -> list[Any]:
    """Children of an all (any), with nested alls (anys) spliced in: same values, same order of tests."""
    out: list[Any] = []
    for child in node.children:
        if isinstance(child, _Node) and child.kind == node.kind:
            out.extend(_flatten(child))
        else:
            out.append(child)
    return out
