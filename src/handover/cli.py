"""The `handover` command line: check and show protocol files, route a situation, list its deadlines.

Exit codes: 0 success; 1 a protocol file is invalid; 2 bad input (unreadable JSON, an undeclared fact, a bad
value), with a one-line message naming the field and the rule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from handover.domain import deadlines, readiness, routing
from handover.domain.errors import ProtocolError, SituationError
from handover.domain.explain import deadline_data, decision_data, readiness_data
from handover.domain.protocol.coverage import coverage_markdown
from handover.domain.protocol.loader import bundled_protocols, load_protocol
from handover.domain.protocol.model import Protocol
from handover.domain.situation import situation_facts

# Commands run by Django (the system of record): `handover manage ...` is manage.py; the others are shortcuts.
DJANGO_COMMANDS = ("manage", "demo", "import", "serve", "sweep", "audit", "backup", "restore")
# `handover protocol publish|migrate-transfers` change the system of record: Django management commands too.
PROTOCOL_DJANGO_COMMANDS = {"publish": "protocol_publish", "migrate-transfers": "protocol_migrate_transfers"}


def _django(argv: list[str]) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handover.config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    command, rest = argv[0], argv[1:]
    if _asks_for_help(command, rest):
        _settings_for_help()
    try:
        if command == "manage":
            execute_from_command_line(["handover", *rest])
        elif command == "serve" and "--production" in rest:  # a real WSGI server (handover.serving)
            from handover.serving.server import serve

            return serve([arg for arg in rest if arg != "--production"])
        elif command == "serve":
            execute_from_command_line(["handover", "runserver", *rest])
        else:
            execute_from_command_line(["handover", "import_csv" if command == "import" else command, *rest])
    except ImproperlyConfigured as exc:  # production settings missing: say which, in one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _asks_for_help(command: str, rest: list[str]) -> bool:
    if command == "manage" and (not rest or rest[0] == "help"):
        return True
    return "-h" in rest or "--help" in rest


def _settings_for_help() -> None:
    """Help only prints text: no secret is used and no host served. So that `handover demo --help` works where
    production settings are not set yet, give this process a throwaway key and host, never a saved one."""
    import os
    import secrets

    from django.core.exceptions import ImproperlyConfigured

    from handover.config.environment import Environment

    try:
        Environment.read()
    except ImproperlyConfigured:
        if len(os.environ.get("HANDOVER_SECRET_KEY", "")) < 50:
            os.environ["HANDOVER_SECRET_KEY"] = secrets.token_urlsafe(64)
        os.environ.setdefault("HANDOVER_ALLOWED_HOSTS", "localhost")


class InputError(Exception):
    """Bad input on the command line: reported in one line, exit code 2."""


def main(
    argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DJANGO_COMMANDS:
        return _django(argv)
    if len(argv) > 1 and argv[0] == "protocol" and argv[1] in PROTOCOL_DJANGO_COMMANDS:
        return _django([PROTOCOL_DJANGO_COMMANDS[argv[1]], *argv[2:]])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, stdin, stdout)
    except ProtocolError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (InputError, SituationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="handover", description="Executable case transfer protocols.")
    commands = parser.add_subparsers(dest="command", required=True)

    protocol = commands.add_parser("protocol", help="check, show or report on a protocol file")
    protocol_commands = protocol.add_subparsers(dest="protocol_command", required=True)
    check = protocol_commands.add_parser("check", help="validate a protocol file")
    check.add_argument("file", help="path to a protocol file, or a bundled protocol's name")
    check.set_defaults(handler=_check)
    show = protocol_commands.add_parser("show", help="a readable summary of a protocol")
    show.add_argument("name", help="bundled protocol name or path")
    show.set_defaults(handler=_show)
    coverage = protocol_commands.add_parser("coverage", help="clause-by-clause coverage as Markdown")
    coverage.add_argument("name")
    coverage.set_defaults(handler=_coverage)
    listing = protocol_commands.add_parser("list", help="bundled protocols")
    listing.set_defaults(handler=_list)
    # Listed for --help; main() hands them to Django before parsing.
    protocol_commands.add_parser(
        "publish",
        help="store a file as an authority's current version, reporting what it would change for each open "
        "transfer (--dry-run: only report)",
    )
    protocol_commands.add_parser(
        "migrate-transfers",
        help="move open transfers to the current version (audited), reporting what changed",
    )

    for name, handler, text in (
        ("route", _route, "which service takes the child, by which rule, route and transfer point"),
        ("deadlines", _deadlines, "the transfer's timeline and the timescales the situation starts"),
        ("readiness", _readiness, "the readiness checklist for the transfer"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--protocol", "-p", required=True, help="bundled protocol name or path")
        command.add_argument("--file", "-f", help="situation JSON file (default: standard input)")
        command.add_argument("--text", action="store_true", help="readable text instead of JSON")
        command.add_argument("--today", help="date to judge overdue against (YYYY-MM-DD; default: today)")
        command.set_defaults(handler=handler)
    return parser


# -- protocol ---------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    protocol = load_protocol(args.file)
    spec = protocol.file
    rules = sum(len(r) for r in protocol.rules_by_event.values())
    print(
        f"OK {protocol.name} {protocol.version}: {len(spec.services)} services, {len(spec.pathways)} pathways, "
        f"{rules} rules, {len(spec.readiness)} readiness items, {len(spec.timescales)} timescales; "
        f"all {len(protocol.clauses)} clauses of {spec.source.document} covered",
        file=stdout,
    )
    return 0


def _list(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    for name, path in bundled_protocols().items():
        print(f"{name}\t{path}", file=stdout)
    return 0


def _coverage(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    stdout.write(coverage_markdown(load_protocol(args.name)))
    return 0


def _show(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    protocol = load_protocol(args.name)
    spec = protocol.file
    out: list[str] = [
        f"{spec.authority.name}: {spec.source.title} ({spec.source.version}), version {protocol.version}",
        "",
        "Services and teams:",
    ]
    for service in spec.services:
        teams = ", ".join(t.name for t in service.teams)
        out.append(
            f"  {service.id} — {service.name} [{service.kind.value}]: {teams}  ({', '.join(service.cites)})"
        )
    out += ["", "Pathways (from -> to, route, transfer point):"]
    for p in spec.pathways:
        target = p.to.service or (
            "the previous team" if p.to.previous_service else " or ".join(p.to.choose_from)
        )
        extra = " [secondary allocation]" if p.secondary else ""
        out.append(
            f"  {p.id}: {', '.join(p.from_)} -> {target}; {protocol.routes[p.route].name}; {p.transfer_point}"
            f"{extra}  ({', '.join(p.cites)})"
        )
    out += ["", "Rules by event:"]
    for event, rules in protocol.rules_by_event.items():
        out.append(f"  {event} — {protocol.events[event].name}")
        for rule in rules:
            out.append(
                f"    {rule.spec.id}: when {rule.condition.explain()} -> {rule.pathway.id}  ({', '.join(rule.spec.cites)})"
            )
    out += ["", "Timelines:"]
    for timeline in spec.timelines:
        out.append(f"  {timeline.id} — {timeline.name} (transfer by {timeline.transfer_by})")
        for step in timeline.steps:
            out.append(f"    {step.id}: {step.name} — {_step_rule(step)}  ({', '.join(step.cites)})")
    out += ["", "Standing timescales:"]
    for t in spec.timescales:
        on = f" on {', '.join(t.on_event)}" if t.on_event else ""
        out.append(f"  {t.id}: {t.name} — {_step_rule(t)}{on}  ({', '.join(t.cites)})")
    out += ["", "Readiness checklist:"]
    for compiled in protocol.readiness:
        item = compiled.spec
        flag = "blocks" if item.blocking else "advisory"
        out.append(
            f"  {item.id}: {item.name} [{flag}] when {compiled.condition.explain()}  ({', '.join(item.cites)})"
        )
    out += ["", "Meetings:"]
    for m in spec.meetings:
        cutoff = f", cut-off {m.cutoff} before" if m.cutoff else ""
        out.append(
            f"  {m.id}: {m.name}, {m.cadence} on {m.weekday.value} at {m.time:%H:%M}{cutoff}  ({', '.join(m.cites)})"
        )
    out += ["", "Escalation:"]
    for level in spec.escalation:
        final = " (final)" if level.final else ""
        out.append(
            f"  {level.level}. {level.who.value.replace('_', ' ')} after {level.after}{final}  ({', '.join(level.cites)})"
        )
    if spec.exceptions:
        out += ["", "Permitted exceptions:"]
        out += [
            f"  {e.id}: {e.name} — allows {e.allows.replace('_', ' ')}  ({', '.join(e.cites)})"
            for e in spec.exceptions
        ]
    print("\n".join(out), file=stdout)
    return 0


def _step_rule(step: Any) -> str:
    if step.at:
        return f"at the next {step.at.replace('_', ' ')}"
    if step.at_age:
        return f"at age {step.at_age}"
    return f"{step.within} {'after' if step.after else 'before'} {step.after or step.before}"


# -- situations -------------------------------------------------------------------------------------------


def _read_situation(args: argparse.Namespace, stdin: TextIO) -> dict[str, Any]:
    try:
        text = Path(args.file).read_text(encoding="utf-8") if args.file else stdin.read()
    except OSError as exc:
        raise InputError(f"--file: cannot read {args.file}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"situation: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(data, dict):
        raise InputError("situation: must be a JSON object")
    return data


def _today(args: argparse.Namespace, situation: dict[str, Any]) -> dt.date:
    value = args.today or situation.get("today")
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"today: must be a date written YYYY-MM-DD, not {value!r}") from None


def _dates(situation: dict[str, Any], key: str) -> dict[str, dt.date]:
    values = situation.get(key) or {}
    if not isinstance(values, dict):
        raise InputError(f"{key}: must be a JSON object of name: date")
    out = {}
    for name, value in values.items():
        try:
            out[name] = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise InputError(f"{key}.{name}: must be a date written YYYY-MM-DD, not {value!r}") from None
    return out


def _decide(protocol: Protocol, situation: dict[str, Any]) -> tuple[dict[str, Any], routing.Decision]:
    facts = situation_facts(protocol, situation)
    return facts, routing.route(protocol, facts)


def _emit(args: argparse.Namespace, stdout: TextIO, data: dict[str, Any], text: list[str]) -> int:
    if args.text:
        print("\n".join(text), file=stdout)
    else:
        json.dump(data, stdout, indent=2, ensure_ascii=False)
        stdout.write("\n")
    return 0


def _route(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    situation = _read_situation(args, stdin)
    protocol = load_protocol(args.protocol)
    _, decision = _decide(protocol, situation)
    data = decision_data(protocol, decision)
    return _emit(args, stdout, data, _decision_text(data))


def _decision_text(data: dict[str, Any]) -> list[str]:
    lines = [f"Outcome: {data['outcome']} — {data['reason']}"]
    if data.get("receiving_service"):
        lines.append(
            f"Receiving service: {data['receiving_service_name']} (teams: {', '.join(data['teams'])})"
        )
    if data.get("decided_by"):
        lines.append(
            f"To be decided by: {'; '.join(data['decided_by'])} between {', '.join(data['candidate_services'])}"
        )
    if data.get("pathway"):
        lines.append(f"Pathway: {data['pathway_name']} — route: {data['route']['name']}")
        lines.append(f"Transfer point: {data['transfer_point']}")
        for clause in data["cites"]:
            lines.append(f"  {clause['id']}: {clause['text']}")
    for missing in data.get("missing_facts", []):
        lines.append(f"Missing: {missing['fact']} — {missing['question']}")
    if data.get("escalation"):
        ladder = "; then ".join(
            f"the {level['who_name']} after {level['after']} ({', '.join(c['id'] for c in level['cites'])})"
            for level in data["escalation"]
        )
        lines.append(f"If blocked or disputed: {ladder}")
    if data.get("siblings"):
        siblings = data["siblings"]
        exceptions = "; ".join(e["name"] for e in siblings["permitted_exceptions"])
        lines.append(
            f"Siblings: {siblings['rule']}" + (f" (permitted exceptions: {exceptions})" if exceptions else "")
        )
    return lines


def _deadlines(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    situation = _read_situation(args, stdin)
    protocol = load_protocol(args.protocol)
    today = _today(args, situation)
    milestones = _dates(situation, "milestones")
    facts, decision = _decide(protocol, situation)
    steps = (
        deadlines.timeline(protocol, facts, decision.pathway, today=today, milestones=milestones)
        if decision.pathway is not None
        else []
    )
    standing = deadlines.standing_timescales(protocol, facts, today=today, milestones=milestones)
    data = {
        "today": today.isoformat(),
        "decision": decision_data(protocol, decision),
        "timeline": [deadline_data(protocol, d) for d in steps],
        "timescales": [deadline_data(protocol, d) for d in standing],
    }
    text = [*_decision_text(data["decision"]), "", f"Deadlines on {today.isoformat()}:"]
    for item in data["timeline"] + data["timescales"]:
        left = "" if item["working_days_left"] is None else f", {item['working_days_left']} working days left"
        text.append(
            f"  {item['due'] or 'unknown':10}  {item['name']} [{item['status']}{left}] ({item['basis']})"
        )
    return _emit(args, stdout, data, text)


def _readiness(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    situation = _read_situation(args, stdin)
    protocol = load_protocol(args.protocol)
    today = _today(args, situation)
    facts, decision = _decide(protocol, situation)
    if "transfer.to" not in facts and decision.receiving_service:
        facts["transfer.to"] = decision.receiving_service
        facts["transfer.to_kind"] = protocol.service_kind(decision.receiving_service)
    if decision.pathway is not None:
        facts.setdefault("transfer.pathway", decision.pathway.id)
    result = readiness.assess(
        protocol,
        facts,
        on=today,
        documents=_dates(situation, "documents"),
        confirmations=_dates(situation, "confirmations"),
    )
    data = {"decision": decision_data(protocol, decision), "readiness": readiness_data(protocol, result)}
    text = [f"Ready to transfer: {'yes' if result.ready else 'no'}"]
    for item in data["readiness"]["items"]:
        flag = "BLOCKS" if item["blocking"] and item["status"] != "met" else item["status"]
        text.append(f"  [{flag}] {item['name']}: {item['detail']} ({', '.join(item['cites'])})")
    return _emit(args, stdout, data, text)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
