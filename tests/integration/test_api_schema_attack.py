"""Schemathesis attacks the API from its own OpenAPI schema, read from /api/schema/ as a client reads it, with a
token, on a small authority with records to act on: every operation, with data valid by the schema and data not,
must answer without a server error, with a status code, content type and body the schema documents. Run as a
team manager (who may do most things), a social worker (refused much) and an auditor (read-only; the audit trail).

A failure names the operation, the check and a curl command to reproduce it. Bounded for CI: a few examples per
operation and mode, derandomized so every run sends the same requests, no example database written."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api_tokens import issue_token
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.audit.models import AuditEvent
from handover.children.models import ChangeReason, DocumentOnFile
from handover.children.secondary import secondary_allocation_start
from handover.notifications.models import Notification
from handover.notifications.services import notify
from handover.organisation.models import StaffMember, Team
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers import services
from handover.transfers.case_requests import case_request_create
from handover.transfers.escalations import escalation_raise
from handover.transfers.models import Escalation

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)  # data valid by the schema, and data not
EXAMPLES = 6  # per operation and mode, for the team manager
# Values where another is expected, each sent in every field of a body (or every filter of a list) at once: a list
# or an object where a string goes (unhashable: a dict lookup fails), nothing, a number no column holds, text
# longer than any column, a day that does not exist.
WRONG_SHAPES = [[], {}, None, 10**20, -1, "x" * 5000, "2026-02-30"]
WRONG_BODIES = [[], 0, "text", None, True]  # a body that is not an object
WRONG_QUERIES = ["x" * 5000, str(10**20), "-1", "", "2026-02-30", "[]"]
# Fields of a request body drawn half the time from the records on file (and the protocol), so a request gets
# past "no such record" into the services, where a server error would hide.
BODY_KNOWN = {
    "child": "children",
    "with_siblings": "children",
    "team": "teams",
    "to_team": "teams",
    "from_team": "teams",
    "requesting_team": "teams",
    "worker": "staff",
    "owner": "staff",
    "to_worker": "staff",
    "from_worker": "staff",
    "event": "events",
    "date": "dates",
    "answers": "answers",
    "version": "versions",
}


@pytest.fixture
def app():
    """Django's WSGI application, called in-process. As Django's test client does, it leaves the database
    connection open at the start and end of a request: closing it would end the test's transaction (PostgreSQL)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def records(world):
    """Transfers at three points (proposed, listed, agreed), with a remedial action and an escalation; a child with
    a document, a secondary allocation and a case request; a notification. Returns the ids a request may name."""
    w = world

    def propose(identifier, first):
        return services.transfer_propose(
            now=NOW,
            actor=w.ast_sw,
            child=w.child(identifier, first),
            event="assessment_concluded",
            on=TODAY,
            answers=CIN_PLAN,
        ).transfers[0]

    def act(transfer, actor, action, **kwargs):
        transfer.refresh_from_db()
        return services.transfer_act(
            now=NOW,
            actor=actor,
            transfer=transfer,
            action=action,
            expected_version=transfer.version,
            **kwargs,
        )

    proposed = propose("A1", "Ada")
    listed = act(propose("A2", "Ben"), w.ast_tm, "list")
    agreed = act(
        act(propose("A3", "Cal"), w.ast_tm, "list"),
        w.cin_tm,
        "agree",
        to_team=w.teams["cin_cp_east"],
        transfer_date=TODAY + dt.timedelta(days=14),
    )
    remedial = services.remedial_action_create(
        now=NOW,
        actor=w.ast_tm,
        transfer=proposed,
        description="Chronology to be brought up to date",
        owner=w.ast_sw,
        due=TODAY + dt.timedelta(days=7),
    )
    ladder = protocol_for_transfer(listed).file.escalation
    escalation = escalation_raise(
        transfer=listed,
        subject=Escalation.Subject.STEP,
        level=ladder[0],
        moves_on=TODAY + dt.timedelta(days=7),
        key=f"transfer:{listed.pk}:step:transfer_meeting:seeded",
        reason="Transfer meeting overdue",
        now=NOW,
        step="transfer_meeting",
    )
    dee = w.child("A4", "Dee")
    document = DocumentOnFile.objects.create(
        child=dee, document_type="chronology", title="Chronology", dated=TODAY, recorded_by=w.ast_sw
    )
    secondary = secondary_allocation_start(
        now=NOW,
        actor=w.ast_tm,
        child=dee,
        purpose="cse_missing",
        team=w.teams["assessment_east"],
        worker=w.ast_sw2,
        start=TODAY,
        reason=ChangeReason.MANAGE,
    )
    case_request = case_request_create(
        now=NOW,
        actor=w.cin_tm,
        child=dee,
        requesting_team=w.teams["cin_cp_east"],
        reason="We hold the family",
    )
    notify(
        recipient=w.ast_tm,
        key=f"transfer:{proposed.pk}:seeded",
        kind=Notification.Kind.OVERDUE,
        title="A seeded reminder",
        url="/",
        now=NOW,
        child=proposed.child,
        transfer=proposed,
    )
    transfers = [proposed, listed, agreed]
    return (
        w,
        {
            "children": [dee.pk]
            + [t.child_id for t in transfers],  # Dee's first: her document and allocation
            "transfers": [t.pk for t in transfers],
            "action": [remedial.pk],
            "escalations": [escalation.pk],
            "document": [document.pk],
            "allocation": [secondary.pk],
            "case-requests": [case_request.pk],
            "notifications": list(Notification.objects.values_list("pk", flat=True)),
            "staff": list(StaffMember.objects.values_list("pk", flat=True)),
            "teams": list(
                Team.objects.filter(service__authority=w.authority).values_list("pk", flat=True)[:8]
            ),
            "audit": list(AuditEvent.objects.values_list("pk", flat=True)[:8]),
            "step": sorted({d.step for t in transfers for d in t.deadlines.all()}),
            "events": ["assessment_concluded", "referral"],
            "dates": [TODAY.isoformat()],
            "answers": [CIN_PLAN],
            "versions": [1, 2, 3],
        },
    )


def real_ids(path: str, name: str, known: dict) -> list:
    """The records on file a path parameter may name: `{id}` is the path's resource; the others by their name."""
    if name == "id":
        resource = path.split("/")[2]
        return known.get(resource, [])
    return known.get(name.removesuffix("_id"), [])


def on_file(sent, values: list):
    """One of `values` in place of what was sent: in a list if a list was sent (`with_siblings`)."""
    value = st.sampled_from(values)
    return value.map(lambda v: [v]) if isinstance(sent, list) else value


def api_schema(app, staff):
    """The schema as a client reads it: from /api/schema/, signed in (the schema is for staff)."""
    auth = {"Authorization": f"Token {issue_token(staff.user, name='Schema')}"}
    return schemathesis.openapi.from_wsgi("/api/schema/", app, headers=auth)


def attack(schema, known: dict, *, token: str | None, examples: int, modes=MODES) -> list[str]:
    """Every operation of `schema` in each mode, `examples` requests each, with `token` (or none): the failures,
    each with its check and curl command."""
    headers = {"Authorization": f"Token {token}"} if token else {}

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        path = context.operation.path
        real = {name: real_ids(path, name, known) for name in path_parameters or {}}
        if not real or not all(real.values()):
            return st.just(path_parameters)
        drawn = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in real.items()})
        return st.one_of(drawn, st.just(path_parameters))

    @schema.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict):
            return st.just(body)
        named = {k: on_file(body[k], known[BODY_KNOWN[k]]) for k in body if k in BODY_KNOWN}
        if not named:
            return st.just(body)
        return st.one_of(st.fixed_dictionaries(named).map(lambda drawn: {**body, **drawn}), st.just(body))

    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,  # a request's time is not what is tested, and CI machines vary
                derandomize=True,  # the same requests every run, on every machine
                database=None,  # no .hypothesis/ directory written into the repository
                suppress_health_check=list(HealthCheck),  # slow generation and filtered data are expected
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
                failures.append(f"{operation.label} ({mode.value}): " + "\n".join(str(exc).splitlines()[:14]))
    return failures


def test_a_team_manager_gets_only_documented_answers(records, app):
    world, known = records
    schema = api_schema(app, world.ast_tm)
    failures = attack(schema, known, token=issue_token(world.ast_tm.user), examples=EXAMPLES)
    assert not failures, "\n\n".join(failures)


def test_a_social_worker_is_refused_as_documented(records, app):
    world, known = records
    schema = api_schema(app, world.ast_sw)
    failures = attack(
        schema, known, token=issue_token(world.ast_sw.user), examples=3, modes=[GenerationMode.POSITIVE]
    )
    assert not failures, "\n\n".join(failures)


def test_an_auditor_reads_the_trail_and_is_refused_writes_as_documented(records, app):
    world, known = records
    schema = api_schema(app, world.auditor)
    failures = attack(
        schema, known, token=issue_token(world.auditor.user), examples=3, modes=[GenerationMode.POSITIVE]
    )
    assert not failures, "\n\n".join(failures)


def test_signed_out_every_operation_answers_as_documented(records, app):
    world, known = records
    schema = api_schema(app, world.ast_tm)
    failures = attack(schema, known, token=None, examples=2, modes=[GenerationMode.POSITIVE])
    assert not failures, "\n\n".join(failures)


def properties(raw: dict, operation) -> list[str]:
    """The fields of the operation's JSON body, from the schema (`$ref`s followed)."""
    body = raw["paths"][operation.path][operation.method.lower()].get("requestBody")
    if body is None or "application/json" not in body["content"]:
        return []
    found = body["content"]["application/json"]["schema"]
    while "$ref" in found:
        found = raw["components"]["schemas"][found["$ref"].rsplit("/", 1)[1]]
    return list(found.get("properties", {}))


def test_values_of_the_wrong_shape_are_refused_not_a_server_error(records, app):
    """Deterministic, beside the random attack: every write gets each wrong value in all its fields and bodies that
    are not objects; every list gets each wrong value in all its filters. Each must be a documented answer (a 400
    naming the fields, a 403, a 404), never a 500. Path ids are records on file, so the request reaches the view."""
    world, known = records
    schema = api_schema(app, world.ast_tm)
    headers = {"Authorization": f"Token {issue_token(world.ast_tm.user)}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = {
            p.name: (real_ids(operation.path, p.name, known) or [1])[0] for p in operation.path_parameters
        }
        if operation.method.upper() in ("POST", "PUT", "PATCH"):
            fields = properties(schema.raw_schema, operation)
            bodies = WRONG_BODIES + [dict.fromkeys(fields, shape) for shape in WRONG_SHAPES if fields]
            cases = [
                operation.Case(path_parameters=path_parameters, body=body, media_type="application/json")
                for body in bodies
            ]
        else:
            # Not the page: a wrong page is a 404 before any filter is read.
            filters = [p.name for p in operation.query if p.name != "page"]
            cases = [
                operation.Case(path_parameters=path_parameters, query=dict.fromkeys(filters, shape))
                for shape in (WRONG_QUERIES if filters else [None])
            ]
        for case in cases:
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label}: " + "\n".join(str(exc).splitlines()[:14]))
    assert not failures, "\n\n".join(failures)
