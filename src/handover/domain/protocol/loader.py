"""Load a protocol file: parse YAML, check its structure, check it as a whole, compile it.

Every problem found is collected and raised together as a ProtocolError whose lines read
``FILE: element.path: problem``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from handover.domain.calendar import Duration, DurationUnit, WorkingCalendar
from handover.domain.conditions import ALWAYS, Condition, ConditionError, compile_condition, conjoin
from handover.domain.errors import Problem, ProtocolError
from handover.domain.facts import STANDARD_FACTS, FactSpec, FactType
from handover.domain.protocol import schema
from handover.domain.protocol.clauses import parse_clauses, read_clauses, states_duration
from handover.domain.protocol.model import (
    CompiledReadiness,
    CompiledRule,
    CompiledTimescale,
    CompiledWorkers,
    Protocol,
)
from handover.domain.protocol.overlap import find_overlap
from handover.domain.registration import RECORD_FACTS
from handover.domain.roles import CASE_HOLDERS

PROTOCOLS_DIR = Path(__file__).resolve().parent.parent.parent / "protocols"


def bundled_protocols() -> dict[str, Path]:
    """Protocol files shipped with Handover, by authority id (the file name without .yaml)."""
    return {p.stem: p for p in sorted(PROTOCOLS_DIR.glob("*.yaml"))}


def resolve_protocol_path(name_or_path: str) -> Path:
    """A bundled protocol's name (e.g. 'dorset') or a path to a protocol file."""
    bundled = bundled_protocols()
    if name_or_path in bundled:
        return bundled[name_or_path]
    path = Path(name_or_path)
    if path.exists():
        return path
    known = ", ".join(bundled) or "none"
    raise ProtocolError(
        [Problem(name_or_path, "", f"no such protocol file or bundled protocol (bundled: {known})")]
    )


def load_protocol(name_or_path: str | Path) -> Protocol:
    path = resolve_protocol_path(str(name_or_path))
    display = str(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ProtocolError([Problem(display, "", f"cannot read file: {exc.strerror}")]) from exc
    return _load(raw_bytes, display, base_dir=path.parent, clauses_text=None)


def load_protocol_text(
    text: str | bytes, *, name: str, clauses: str | None = None, base_dir: Path | None = None
) -> Protocol:
    """Load a protocol from its text (a stored version), through exactly the checks a file gets.

    `clauses` is the text of the numbered copy the file cites; without it the copy is read from `base_dir`
    (the folder the file came from), and without either the file is refused. Problems are reported against
    `name`. The version hashes the text's UTF-8 bytes, so a file and its stored text have the same version.
    """
    raw_bytes = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return _load(raw_bytes, name, base_dir=base_dir, clauses_text=clauses)


def _load(raw_bytes: bytes, display: str, *, base_dir: Path | None, clauses_text: str | None) -> Protocol:
    try:
        # libyaml's C loader when present: the pure-Python one is most of the load time.
        # bandit B506: a safe loader either way (bandit cannot see through getattr).
        raw = yaml.load(raw_bytes, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProtocolError([Problem(display, where, f"not valid YAML: {problem}")]) from exc
    if not isinstance(raw, dict):
        raise ProtocolError(
            [Problem(display, "", "a protocol file is a YAML mapping (format, authority, ...)")]
        )
    _fill_local_settings(raw, display)
    try:
        spec = schema.ProtocolFile.model_validate(raw)
    except ValidationError as exc:
        raise ProtocolError([_pydantic_problem(display, e) for e in exc.errors()]) from exc
    return _Compiler(spec, display, raw_bytes, base_dir=base_dir, clauses_text=clauses_text).compile()


LOCAL = "local:"


def _fill_local_settings(raw: dict, display: str) -> None:
    """Replace each `within: local:<id>` (a timeline step's or a standing timescale's) with the local setting's
    value, and note the setting on the step (`local`), before the file is validated."""
    settings = raw.get("local_settings") or []
    values = {
        item.get("id"): item.get("value") for item in settings if isinstance(item, dict) and "id" in item
    }
    problems = []
    places: list[tuple[str, Any]] = []
    for i, timeline in enumerate(raw.get("timelines") or []):
        if isinstance(timeline, dict):
            places += [
                (f"timelines[{i}].steps[{j}]", step) for j, step in enumerate(timeline.get("steps") or [])
            ]
    places += [(f"timescales[{i}]", item) for i, item in enumerate(raw.get("timescales") or [])]
    for where, step in places:
        within = step.get("within") if isinstance(step, dict) else None
        if not (isinstance(within, str) and within.startswith(LOCAL)):
            continue
        name = within[len(LOCAL) :].strip()
        if name not in values:
            problems.append(
                Problem(
                    display, f"{where}.within", f"no local setting {name!r} (declare it under local_settings)"
                )
            )
            continue
        step["within"], step["local"] = values[name], name
    if problems:
        raise ProtocolError(problems)


def _pydantic_problem(file: str, error: Mapping[str, Any]) -> Problem:
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (not part of the protocol format)"
    elif error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} is not a valid identifier or clause ID ({error['msg']})"
    return Problem(file, path, message)


class _Compiler:
    def __init__(
        self,
        spec: schema.ProtocolFile,
        file: str,
        raw_bytes: bytes,
        *,
        base_dir: Path | None,
        clauses_text: str | None,
    ):
        self.spec = spec
        self.file = file
        self.raw_bytes = raw_bytes
        self.base_dir = base_dir
        self.clauses_text = clauses_text
        self.problems: list[Problem] = []
        self.cited: set[str] = set()
        self._cite_paths: list[tuple[str, tuple[str, ...]]] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def compile(self) -> Protocol:
        spec = self.spec
        clauses = self._clauses()
        self._unique("services", spec.services)
        self._unique("facts", spec.facts)
        self._unique("events", spec.events)
        self._unique("routes", spec.routes)
        self._unique("timelines", spec.timelines)
        self._unique("pathways", spec.pathways)
        self._unique("rules", spec.rules)
        self._unique("document_types", spec.document_types)
        self._unique("readiness", spec.readiness)
        self._unique("meetings", spec.meetings)
        self._unique("exceptions", spec.exceptions)
        self._unique("timescales", spec.timescales)
        self._unique("secondary_allocations", spec.secondary_allocations)

        services = {s.id: s for s in spec.services}
        self.service_ids = frozenset(services)
        self.services = services
        teams: dict[str, tuple[schema.Service, schema.Team]] = {}
        for i, service in enumerate(spec.services):
            for j, team in enumerate(service.teams):
                if team.id in teams:
                    self.problem(f"services[{i}].teams[{j}].id", f"team id {team.id!r} is used twice")
                teams[team.id] = (service, team)
        facts = self._facts()
        events = {e.id: e for e in spec.events}
        for i, event in enumerate(spec.events):
            if event.arrives_at and event.arrives_at not in services:
                self.problem(f"events[{i}].arrives_at", f"unknown service {event.arrives_at!r}")
        routes = {r.id: r for r in spec.routes}
        timelines = {t.id: t for t in spec.timelines}
        for i, timeline in enumerate(spec.timelines):
            self._timeline(f"timelines[{i}]", timeline, facts)
        pathways = {p.id: p for p in spec.pathways}
        for i, pathway in enumerate(spec.pathways):
            self._pathway(f"pathways[{i}]", pathway, routes, timelines)
        rules_by_event = self._rules(pathways, events, facts)
        document_types = {d.id: d for d in spec.document_types}
        readiness = self._readiness(facts, document_types)
        timescales = self._timescales(facts, events)
        self._timescales_stated(clauses)
        meetings = {m.id: m for m in spec.meetings}
        self._meetings(pathways, timelines)
        self._escalation()
        workers = self._workers(facts)
        self._secondary_allocations(services)
        self._exceptions_and_siblings()
        self._reachability(services)
        self._cites_everything(clauses)
        if self.problems:
            raise ProtocolError(self.problems)
        calendar = WorkingCalendar(
            subdivision=spec.calendar.subdivision, closure_days=spec.calendar.closure_days
        )
        sha256 = hashlib.sha256(self.raw_bytes).hexdigest()
        return Protocol(
            file=spec,
            path=self.file,
            version=f"{spec.source.version}+{sha256[:12]}",
            sha256=sha256,
            clauses=clauses,
            facts=facts,
            calendar=calendar,
            rules_by_event=rules_by_event,
            readiness=readiness,
            timescales=timescales,
            services=services,
            teams=teams,
            events=events,
            routes=routes,
            pathways=pathways,
            timelines=timelines,
            document_types=document_types,
            meetings=meetings,
            workers=workers,
            secondary_allocations={item.id: item for item in spec.secondary_allocations},
        )

    # -- pieces -------------------------------------------------------------------------------------

    def _clauses(self) -> dict[str, str]:
        document = self.spec.source.document
        if self.clauses_text is not None:
            clauses = parse_clauses(self.clauses_text)
        elif self.base_dir is None:
            self.problem("source.document", f"numbered copy {document!r} not given with the text")
            return {}
        else:
            try:
                clauses = read_clauses(self.base_dir / document)
            except OSError:
                self.problem("source.document", f"numbered copy {document!r} not found beside the file")
                return {}
        prefix = self.spec.source.clause_prefix + "-"
        if not clauses or not all(c.startswith(prefix) for c in clauses):
            self.problem(
                "source.clause_prefix", f"the numbered copy's clause IDs do not all start with {prefix!r}"
            )
        return clauses

    def _unique(self, section: str, items: Iterable[Any]) -> None:
        counts = Counter(getattr(item, "id", None) for item in items)
        for index, item in enumerate(items):
            if counts[item.id] > 1:
                self.problem(f"{section}[{index}].id", f"id {item.id!r} is used more than once in {section}")

    def _facts(self) -> dict[str, FactSpec]:
        facts = dict(STANDARD_FACTS)
        kinds = tuple(k.value for k in schema.ServiceKind)
        facts["transfer.from"] = FactSpec("transfer.from", FactType.SERVICE, "Which service is transferring?")
        facts["transfer.to"] = FactSpec("transfer.to", FactType.SERVICE, "Which service is receiving?")
        facts["transfer.from_kind"] = FactSpec("transfer.from_kind", FactType.ENUM, "Kind of sender", kinds)
        facts["transfer.to_kind"] = FactSpec("transfer.to_kind", FactType.ENUM, "Kind of receiver", kinds)
        facts["transfer.pathway"] = FactSpec("transfer.pathway", FactType.TEXT, "Which pathway?")
        for i, fact in enumerate(self.spec.facts):
            where = f"facts[{i}]"
            if fact.id in facts:
                self.problem(
                    f"{where}.id", f"{fact.id!r} is a standard fact; declare only the authority's own"
                )
                continue
            if fact.type == "enum" and not fact.values:
                self.problem(f"{where}.values", "an enum fact needs its list of values")
            if fact.type != "enum" and fact.values:
                self.problem(f"{where}.values", f"only enum facts take values (this one is {fact.type})")
            # People read words, never codes: every value has its label, and only values have one.
            if unlabelled := [v for v in fact.values if not fact.labels.get(v, "").strip()]:
                self.problem(
                    f"{where}.labels",
                    f"give each value in words (labels: {{value: words}}); missing: {', '.join(unlabelled)}",
                )
            if extra := sorted(set(fact.labels) - set(fact.values)):
                self.problem(
                    f"{where}.labels", f"labels for values the fact does not have: {', '.join(extra)}"
                )
            self._cite(where, fact.cites)
            facts[fact.id] = FactSpec(
                fact.id, FactType(fact.type), fact.question, fact.values, cites=fact.cites, labels=fact.labels
            )
        return facts

    def _cite(self, where: str, cites: Iterable[str]) -> None:
        for c in cites:
            self.cited.add(c)
        self._cite_paths.append((where, tuple(cites)))

    def _condition(self, where: str, raw: Any, facts: Mapping[str, FactSpec]) -> Condition:
        try:
            return compile_condition(raw, facts, self.service_ids)
        except ConditionError as exc:
            self.problem(f"{where}.{exc.path}" if exc.path else where, exc.message)
            return ALWAYS

    def _timeline(self, where: str, timeline: schema.Timeline, facts: Mapping[str, FactSpec]) -> None:
        step_ids = [s.id for s in timeline.steps]
        seen: set[str] = set()
        for j, step in enumerate(timeline.steps):
            self._step(f"{where}.steps[{j}]", step, facts, seen, set(step_ids))
            seen.add(step.id)
        if timeline.transfer_by not in step_ids:
            self.problem(f"{where}.transfer_by", f"no step {timeline.transfer_by!r} in this timeline")
        # What closes each step (a step without `completed_by` is closed by an explicit "done"): a step closed by
        # listing the case is the early warning sheet's, so it must be due at a meeting or before a step at one,
        # or nothing could ever list the case for it.
        at_meeting = {s.id for s in timeline.steps if s.at is not None}
        for j, step in enumerate(timeline.steps):
            if step.completed_by == "list" and step.at is None and step.before not in at_meeting:
                self.problem(
                    f"{where}.steps[{j}].completed_by",
                    f"step {step.id!r} is closed by listing the case for a meeting, but is not due at a meeting "
                    "or before a step at one: nothing could close it",
                )

    def _step(
        self,
        where: str,
        step: schema.Step,
        facts: Mapping[str, FactSpec],
        earlier: set[str],
        all_steps: set[str],
    ) -> None:
        self._cite(where, step.cites)
        self._closer(where, step)
        modes = [m for m in ("after", "before", "at", "at_age") if getattr(step, m) is not None]
        if len(modes) != 1:
            self.problem(
                where, f"a step is due exactly one way (after, before, at or at_age); found {modes or 'none'}"
            )
            return
        mode = modes[0]
        if mode in ("after", "before"):
            anchor = getattr(step, mode)
            if step.within is None:
                self.problem(f"{where}.within", f"a step due {mode} {anchor!r} needs 'within' (a duration)")
            if anchor in all_steps and anchor not in earlier:
                self.problem(
                    f"{where}.{mode}",
                    f"anchored on step {anchor!r}, which comes later in the timeline (steps must be in date order "
                    "of dependency, so a cycle is impossible)",
                )
            elif anchor not in all_steps and anchor != "event":
                spec = facts.get(anchor)
                if spec is None or spec.type is not FactType.DATE:
                    self.problem(
                        f"{where}.{mode}",
                        f"unknown anchor {anchor!r}: use 'event', an earlier step of this timeline or a date fact",
                    )
        elif mode == "at_age":
            years = step.at_age.get(DurationUnit.YEARS) if step.at_age else 0
            if years >= 26:
                self.problem(
                    f"{where}.at_age", f"{step.at_age} is past the age (25) at which any support ends"
                )
        elif mode == "at":
            if step.within is not None:
                self.problem(f"{where}.within", f"a step 'at' {step.at} takes no 'within'")
            if step.at not in {m.id for m in self.spec.meetings}:
                self.problem(f"{where}.at", f"unknown meeting {step.at!r} (declare it under 'meetings')")

    def _closer(self, where: str, step: schema.Step) -> None:
        """A step closed by a document or key event names one the protocol declares, or nothing could close it."""
        closer = step.completed_by or ""
        kind, _, name = closer.partition(":")
        if kind == "document" and name not in {d.id for d in self.spec.document_types}:
            self.problem(
                f"{where}.completed_by",
                f"step {step.id!r} is closed by a {name!r} document, but the protocol declares no such document "
                "type (under 'document_types'): nothing could close it",
            )
        if kind == "key_event" and name not in {e.id for e in self.spec.events}:
            self.problem(
                f"{where}.completed_by",
                f"step {step.id!r} is closed by the key event {name!r}, but the protocol declares no such event "
                "(under 'events'): nothing could close it",
            )

    def _pathway(self, where: str, pathway: schema.Pathway, routes: Mapping, timelines: Mapping) -> None:
        self._cite(where, pathway.cites)
        for k, service in enumerate(pathway.from_):
            if service not in self.service_ids:
                self.problem(f"{where}.from[{k}]", f"unknown service {service!r}")
        target = pathway.to
        chosen = [target.service is not None, target.previous_service, bool(target.choose_from)]
        if sum(chosen) != 1:
            self.problem(f"{where}.to", "give exactly one of service, previous_service or choose_from")
        if target.service is not None and target.service not in self.service_ids:
            self.problem(f"{where}.to.service", f"unknown service {target.service!r}")
        for k, service in enumerate(target.choose_from):
            if service not in self.service_ids:
                self.problem(f"{where}.to.choose_from[{k}]", f"unknown service {service!r}")
        if target.choose_from and not target.decided_by:
            self.problem(f"{where}.to.decided_by", "when several services are possible, say who decides")
        for k, decider in enumerate(target.decided_by):
            if decider.service and decider.service not in self.service_ids:
                self.problem(f"{where}.to.decided_by[{k}].service", f"unknown service {decider.service!r}")
        if target.service is not None and target.service in pathway.from_:
            self.problem(f"{where}.to.service", f"a pathway cannot go from {target.service!r} to itself")
        if pathway.route not in routes:
            self.problem(f"{where}.route", f"unknown route {pathway.route!r} (declare it under 'routes')")
        if pathway.purpose is not None:
            if not pathway.secondary:
                self.problem(f"{where}.purpose", "only a secondary pathway records a purpose")
            elif pathway.purpose not in {p.id for p in self.spec.secondary_allocations}:
                self.problem(
                    f"{where}.purpose",
                    f"unknown purpose {pathway.purpose!r} (declare it under 'secondary_allocations')",
                )
        if pathway.route in routes and target.service in self.service_ids:
            # Another authority has no login here: only the route that records a referral sent and its
            # receipt can reach it, and that route reaches nothing else.
            outward = self.services[target.service].kind is schema.ServiceKind.OTHER_AUTHORITY
            by_referral = routes[pathway.route].kind is schema.RouteKind.ANOTHER_AUTHORITY
            if outward and not by_referral:
                self.problem(
                    f"{where}.route",
                    f"{target.service!r} is another authority, with no one to agree in Handover: use a route of "
                    "kind 'another_authority' (the referral sent in writing and its receipt confirmed)",
                )
            elif by_referral and not outward:
                self.problem(
                    f"{where}.route",
                    f"route {pathway.route!r} is a referral to another authority, but {target.service!r} is a "
                    "service of this authority",
                )
        if pathway.timeline not in timelines:
            self.problem(f"{where}.timeline", f"unknown timeline {pathway.timeline!r}")
        elif pathway.route in routes:
            # A case is listed for a meeting only on a route through one: a pathway agreed another way cannot
            # carry steps at a meeting, which the workflow would then refuse to list (Dorset D-175).
            route = routes[pathway.route]
            at = [st.at for st in timelines[pathway.timeline].steps if st.at is not None]
            if at and route.kind is not schema.RouteKind.TRANSFER_MEETING:
                self.problem(
                    f"{where}.timeline",
                    f"timeline {pathway.timeline!r} has a step at the {at[0]!r} meeting, but the route "
                    f"{pathway.route!r} ({route.kind.value.replace('_', ' ')}) does not go through a meeting: "
                    "use a route through the meeting or a timeline without meeting steps",
                )

    def _rules(
        self,
        pathways: Mapping[str, schema.Pathway],
        events: Mapping[str, schema.Event],
        facts: Mapping[str, FactSpec],
    ) -> dict[str, tuple[CompiledRule, ...]]:
        compiled: dict[str, list[CompiledRule]] = {}
        rule_ids = {r.id for r in self.spec.rules}
        for i, rule in enumerate(self.spec.rules):
            where = f"rules[{i}]"
            self._cite(where, rule.cites)
            if rule.event not in events:
                self.problem(f"{where}.event", f"unknown event {rule.event!r} (declare it under 'events')")
            pathway = pathways.get(rule.pathway)
            if pathway is None:
                self.problem(f"{where}.pathway", f"unknown pathway {rule.pathway!r}")
                continue
            for k, other in enumerate(rule.overrides):
                if other not in rule_ids or other == rule.id:
                    self.problem(f"{where}.overrides[{k}]", f"unknown rule {other!r}")
            source = self._condition(
                f"{where}.when", {"fact": "transfer.from", "in": list(pathway.from_)}, facts
            )
            condition = conjoin(source, self._condition(f"{where}.when", rule.when, facts))
            compiled.setdefault(rule.event, []).append(
                CompiledRule(rule, pathway, condition, frozenset(rule.overrides))
            )
        for event, rules in compiled.items():
            self._overlaps(event, rules, facts)
        return {event: tuple(rules) for event, rules in compiled.items()}

    def _overlaps(self, event: str, rules: list[CompiledRule], facts: Mapping[str, FactSpec]) -> None:
        index = {r.id: i for i, r in enumerate(self.spec.rules)}
        for a, b in itertools.combinations(rules, 2):
            if a.spec.id in b.overrides or b.spec.id in a.overrides:
                continue
            if (a.pathway.id, a.pathway.to) == (b.pathway.id, b.pathway.to):
                continue
            witness = find_overlap(a.condition, b.condition, facts, self.spec.services)
            if witness is not None:
                shown = ", ".join(f"{k}={v}" for k, v in sorted(witness.items()) if k != "event.date")
                self.problem(
                    f"rules[{index[b.spec.id]}]",
                    f"rules {a.spec.id!r} and {b.spec.id!r} can both fire on event {event!r} with different "
                    f"outcomes ({a.pathway.id} vs {b.pathway.id}), for example when {shown}; make them exclusive "
                    "or say which one overrides the other",
                )

    def _readiness(
        self, facts: Mapping[str, FactSpec], document_types: Mapping[str, schema.DocumentType]
    ) -> tuple[CompiledReadiness, ...]:
        for i, doc in enumerate(self.spec.document_types):
            self._cite(f"document_types[{i}]", doc.cites)
        out = []
        for i, item in enumerate(self.spec.readiness):
            where = f"readiness[{i}]"
            self._cite(where, item.cites)
            req = item.requires
            documents = ([req.document] if req.document else []) + list(req.any_document)
            kinds = sum([bool(req.document), bool(req.any_document), req.confirmed_by is not None])
            if kinds != 1:
                self.problem(
                    f"{where}.requires", "requires exactly one of document, any_document or confirmed_by"
                )
            for doc in documents:
                if doc not in document_types:
                    self.problem(
                        f"{where}.requires",
                        f"unknown document type {doc!r} (declare it under document_types)",
                    )
            if req.max_age is not None and not documents:
                self.problem(f"{where}.requires.max_age", "max_age applies only to a document")
            out.append(
                CompiledReadiness(item, self._condition(f"{where}.applies_when", item.applies_when, facts))
            )
        return tuple(out)

    def _timescales(
        self, facts: Mapping[str, FactSpec], events: Mapping[str, schema.Event]
    ) -> tuple[CompiledTimescale, ...]:
        out = []
        for i, timescale in enumerate(self.spec.timescales):
            where = f"timescales[{i}]"
            self._step(where, timescale, facts, set(), set())
            for k, event in enumerate(timescale.on_event):
                if event not in events:
                    self.problem(f"{where}.on_event[{k}]", f"unknown event {event!r}")
            if timescale.every is not None:
                if timescale.every.parts[0][0] == 0:
                    self.problem(f"{where}.every", "a repeating duty repeats after more than no time")
                if timescale.completed_by not in (None, "manual"):
                    self.problem(
                        f"{where}.completed_by",
                        "a repeating duty is marked done each time it is done (leave completed_by out)",
                    )
            condition = self._condition(f"{where}.applies_when", timescale.applies_when, facts)
            out.append(CompiledTimescale(timescale, condition))
        return tuple(out)

    def _meetings(
        self, pathways: Mapping[str, schema.Pathway], timelines: Mapping[str, schema.Timeline]
    ) -> None:
        cadence_days = {"weekly": 5, "monthly": 20}
        for i, meeting in enumerate(self.spec.meetings):
            where = f"meetings[{i}]"
            self._cite(where, meeting.cites)
            if meeting.cadence == "monthly" and meeting.week_of_month is None:
                self.problem(f"{where}.week_of_month", "a monthly meeting needs week_of_month (1-4)")
            if (
                meeting.cutoff is not None
                and _approximate_working_days(meeting.cutoff) >= cadence_days[meeting.cadence]
            ):
                self.problem(
                    f"{where}.cutoff",
                    f"a cut-off of {meeting.cutoff} before a {meeting.cadence} meeting reaches back past the previous "
                    "meeting, so no case could ever be listed in time",
                )
            for k, service in enumerate(meeting.chair_from):
                if service not in self.service_ids:
                    self.problem(f"{where}.chair_from[{k}]", f"unknown service {service!r}")
            for k, pathway_id in enumerate(meeting.lists):
                pathway = pathways.get(pathway_id)
                if pathway is None:
                    self.problem(f"{where}.lists[{k}]", f"unknown pathway {pathway_id!r}")
                    continue
                timeline = timelines.get(pathway.timeline)
                # A meeting lists children by age, so the pathway must say at which age (an at_age step).
                if timeline is not None and not any(step.at_age is not None for step in timeline.steps):
                    self.problem(
                        f"{where}.lists[{k}]",
                        f"pathway {pathway_id!r} has no step due at an age (at_age) in its timeline "
                        f"{timeline.id!r}, so there is no age to list its children by",
                    )

    def _workers(self, facts: Mapping[str, FactSpec]) -> CompiledWorkers | None:
        """The `workers` setting: its condition reads only what the child's record holds, since the check runs
        on a reassignment within a team as well as on a transfer."""
        spec = self.spec.workers
        if spec is None:
            return None
        self._cite("workers", spec.cites)
        if spec.applies_when is not None and not spec.registration_required:
            self.problem(
                "workers.applies_when",
                "says when registration is required, but registration_required is false",
            )
        condition = self._condition("workers.applies_when", spec.applies_when, facts)
        for fact in sorted(condition.facts - RECORD_FACTS):
            self.problem(
                "workers.applies_when",
                f"reads {fact!r}, which is not on the child's record; the qualified-worker check reads only "
                + ", ".join(sorted(RECORD_FACTS)),
            )
        return CompiledWorkers(spec, condition)

    def _secondary_allocations(self, services: Mapping[str, schema.Service]) -> None:
        """Each purpose's worker holds a case-holding role, in a team of a service the file declares."""
        for i, item in enumerate(self.spec.secondary_allocations):
            where = f"secondary_allocations[{i}]"
            self._cite(where, item.cites)
            if item.who.value not in CASE_HOLDERS:
                self.problem(
                    f"{where}.who",
                    f"{item.who.value!r} does not hold cases; the worker of a secondary allocation is one of "
                    + ", ".join(sorted(CASE_HOLDERS)),
                )
            for k, service in enumerate(item.services):
                if service not in services:
                    self.problem(f"{where}.services[{k}]", f"unknown service {service!r}")

    def _escalation(self) -> None:
        levels = self.spec.escalation
        previous: Duration | None = None
        for i, level in enumerate(levels):
            where = f"escalation[{i}]"
            self._cite(where, level.cites)
            if level.level != i + 1:
                self.problem(f"{where}.level", f"levels are numbered 1, 2, 3... in order; expected {i + 1}")
            if previous is not None and _approximate_working_days(level.after) <= _approximate_working_days(
                previous
            ):
                self.problem(
                    f"{where}.after", f"{level.after} is not later than the level before ({previous})"
                )
            previous = level.after
            if level.final and i != len(levels) - 1:
                self.problem(f"{where}.final", "only the last level can be final")

    def _exceptions_and_siblings(self) -> None:
        for i, exception in enumerate(self.spec.exceptions):
            self._cite(f"exceptions[{i}]", exception.cites)
        if self.spec.siblings is not None:
            self._cite("siblings", self.spec.siblings.cites)
        for i, service in enumerate(self.spec.services):
            self._cite(f"services[{i}]", service.cites)
        for i, event in enumerate(self.spec.events):
            self._cite(f"events[{i}]", event.cites)
        for i, route in enumerate(self.spec.routes):
            self._cite(f"routes[{i}]", route.cites)
            self._panel_record(f"routes[{i}]", route)

    def _panel_record(self, where: str, route: schema.Route) -> None:
        if route.records is None:
            return
        if route.kind is not schema.RouteKind.PANEL:
            self.problem(f"{where}.records", "only a panel route records a decision")
        if route.records.event not in {e.id for e in self.spec.events}:
            self.problem(f"{where}.records.event", f"unknown event {route.records.event!r}")
        fact = next((f for f in self.spec.facts if f.id == route.records.outcome), None)
        if fact is None or fact.type != "enum":
            self.problem(
                f"{where}.records.outcome",
                f"{route.records.outcome!r} must be a declared enum fact (the outcomes)",
            )

    def _reachability(self, services: Mapping[str, schema.Service]) -> None:
        reached: set[str] = set()
        for pathway in self.spec.pathways:
            if pathway.to.service:
                reached.add(pathway.to.service)
            reached.update(pathway.to.choose_from)
        for i, service in enumerate(self.spec.services):
            if service.kind is schema.ServiceKind.FRONT_DOOR:
                continue
            if service.id not in reached:
                self.problem(f"services[{i}]", f"no pathway reaches service {service.id!r}")

    def _timescales_stated(self, clauses: Mapping[str, str]) -> None:
        """Every timescale is the protocol's (a clause it cites states it) or the authority's own (a local
        setting): the loader refuses one that is neither, so an invented timescale cannot pass as the text's."""
        local = {item.id for item in self.spec.local_settings}
        for i, item in enumerate(self.spec.local_settings):
            self._cite(f"local_settings[{i}]", item.cites)
        places = [
            (f"timelines[{i}].steps[{j}]", step)
            for i, timeline in enumerate(self.spec.timelines)
            for j, step in enumerate(timeline.steps)
        ]
        places += [(f"timescales[{i}]", item) for i, item in enumerate(self.spec.timescales)]
        used = set()
        for where, step in places:
            if step.local is not None:
                used.add(step.local)
                if step.local not in local:
                    self.problem(f"{where}.local", f"no local setting {step.local!r}")
                continue
            within = step.within
            if within is None or not clauses or len(within.parts) != 1 or within.parts[0][0] == 0:
                continue  # an age, an anchor's own day, or a compound length (read as written)
            amount, unit = within.parts[0]
            if not any(states_duration(clauses.get(c, ""), amount, unit.value) for c in step.cites):
                self.problem(
                    f"{where}.within",
                    f"{within} is not stated by the clauses it cites ({', '.join(step.cites)}): cite the clause "
                    "that states it, or make it the authority's own choice under local_settings and write "
                    "`within: local:<id>`",
                )
        for i, item in enumerate(self.spec.local_settings):
            if item.id not in used:
                self.problem(f"local_settings[{i}].id", f"local setting {item.id!r} is not used by any step")

    def _cites_everything(self, clauses: Mapping[str, str]) -> None:
        if not clauses:
            return
        for where, cites in self._cite_paths:
            for k, clause in enumerate(cites):
                if clause not in clauses:
                    self.problem(
                        f"{where}.cites[{k}]", f"clause {clause} is not in {self.spec.source.document}"
                    )
        outside: set[str] = set()
        for i, entry in enumerate(self.spec.outside_engine):
            for k, clause in enumerate(entry.clauses):
                if clause not in clauses:
                    self.problem(f"outside_engine[{i}].clauses[{k}]", f"clause {clause} is not in the source")
                outside.add(clause)
        missing = [c for c in clauses if c not in self.cited and c not in outside]
        if missing:
            self.problem(
                "outside_engine",
                f"{len(missing)} clause(s) neither cited by an element nor listed under outside_engine: "
                + ", ".join(missing),
            )


_WORKING_DAYS_PER_UNIT = {
    DurationUnit.WORKING_DAYS: 1.0,
    DurationUnit.DAYS: 5 / 7,
    DurationUnit.HOURS: 5 / 7 / 24,
    DurationUnit.WEEKS: 5.0,
    DurationUnit.MONTHS: 21.0,
    DurationUnit.YEARS: 252.0,
}


def _approximate_working_days(duration: Duration) -> float:
    """Rough length in working days, only for comparing durations of different units in checks."""
    return sum(amount * _WORKING_DAYS_PER_UNIT[unit] for amount, unit in duration.parts)
