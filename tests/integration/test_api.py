"""The REST API at /api/: sign-in, field-level errors, audited reads, restricted records, tokens, schema, docs,
pagination and filters. Who may take which workflow action is in test_role_matrix.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient
from tests.api_tokens import token_client
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, dated_staff

from handover.accounts.models import ApiToken
from handover.audit.models import AuditEvent, Verb
from handover.children.models import Child, RestrictedAccess
from handover.organisation.models import Role, Service, Team
from handover.organisation.services import authority_sync_from_protocol
from handover.transfers import services
from handover.transfers.models import (
    ReadinessConfirmation,
    RemedialAction,
    SignOff,
    Transfer,
    TransferEvent,
)

pytestmark = pytest.mark.django_db

TRANSFER_DATE = TODAY + dt.timedelta(days=14)


def client_for(staff=None, **kwargs) -> APIClient:
    client = APIClient(raise_request_exception=False, **kwargs)
    if staff is not None:
        client.force_authenticate(user=staff.user)
    return client


def propose(world, child, actor=None, **kwargs) -> Transfer:
    return services.transfer_propose(
        now=NOW,
        actor=actor or world.ast_tm,
        child=child,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        **kwargs,
    ).transfers[0]


def act(world, transfer, actor, action, **kwargs) -> Transfer:
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW,
        actor=actor,
        transfer=transfer,
        action=action,
        expected_version=transfer.version,
        on=TODAY,
        **kwargs,
    )


def written() -> dict:
    """Row counts of everything the API can write."""
    return {
        "children": Child.objects.count(),
        "transfers": Transfer.objects.count(),
        "events": TransferEvent.objects.count(),
        "sign_offs": SignOff.objects.count(),
        "confirmations": ReadinessConfirmation.objects.count(),
        "remedial_actions": RemedialAction.objects.count(),
        "audit": AuditEvent.objects.count(),
        "tokens": ApiToken.objects.count(),
    }


@pytest.fixture
def child(world):
    return world.child("A1", "Ada")


@pytest.fixture
def transfer(world, child):
    return propose(world, child)


def _listed(world, transfer):
    return act(world, transfer, world.ast_tm, "list")


def _agreed(world, transfer):
    return act(
        world,
        _listed(world, transfer),
        world.cin_tm,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=TRANSFER_DATE,
    )


# -- signing in -------------------------------------------------------------------------------------------------

# Every endpoint that needs a signed-in member of staff: (method, path, body). {team}, {staff}, {child} and
# {transfer} are filled in with ids from the world.
ENDPOINTS = {
    "teams-list": ("get", "/api/teams/", None),
    "teams-detail": ("get", "/api/teams/{team}/", None),
    "staff-list": ("get", "/api/staff/", None),
    "staff-detail": ("get", "/api/staff/{staff}/", None),
    "staff-registration": (
        "post",
        "/api/staff/{staff}/registration/",
        {"social_work_england_number": "SW123456"},
    ),
    "children-list": ("get", "/api/children/", None),
    "children-detail": ("get", "/api/children/{child}/", None),
    "children-create": (
        "post",
        "/api/children/",
        {"identifier": "NEW1", "first_name": "Nia", "last_name": "New", "date_of_birth": "2019-05-01"},
    ),
    "children-update": (
        "put",
        "/api/children/{child}/",
        {"identifier": "A1", "first_name": "Ada", "last_name": "Changed", "date_of_birth": "2016-03-01"},
    ),
    "children-partial-update": ("patch", "/api/children/{child}/", {"school": "Elsewhere Primary"}),
    "children-delete": ("delete", "/api/children/{child}/", None),
    "transfers-list": ("get", "/api/transfers/", None),
    "transfers-detail": ("get", "/api/transfers/{transfer}/", None),
    "transfers-recommend": (
        "post",
        "/api/transfers/recommend/",
        {"child": "{child}", "event": "assessment_concluded", "date": TODAY.isoformat(), "answers": CIN_PLAN},
    ),
    "transfers-propose": (
        "post",
        "/api/transfers/",
        {"child": "{child}", "event": "assessment_concluded", "date": TODAY.isoformat(), "answers": CIN_PLAN},
    ),
    "transfers-actions": ("post", "/api/transfers/{transfer}/actions/", {"action": "list", "version": 1}),
    "transfers-sign-offs": ("post", "/api/transfers/{transfer}/sign-offs/", {"kind": "sending_audit"}),
    "transfers-confirmations": (
        "post",
        "/api/transfers/{transfer}/confirmations/",
        {"item": "file_checked_and_authorised"},
    ),
    "transfers-remedial-actions": (
        "post",
        "/api/transfers/{transfer}/remedial-actions/",
        {"description": "Update the chronology", "owner": "{staff}", "due": TRANSFER_DATE.isoformat()},
    ),
}


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _request(client, world, transfer, name):
    method, path, body = ENDPOINTS[name]
    ids = {
        "team": world.teams["assessment_east"].pk,
        "staff": world.ast_sw.pk,
        "child": transfer.child_id,
        "transfer": transfer.pk,
    }
    url = path.format(**ids)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, _fill(body, ids), format="json")


@pytest.fixture
def stranger(world):
    """Signed in, but not as a member of staff (even a Django superuser)."""
    return get_user_model().objects.create_superuser(
        username="root", email="root@example.invalid", password=None
    )


@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize("who", ["anonymous", "user_without_staff_record", "inactive_staff", "bad_token"])
def test_every_endpoint_needs_an_active_member_of_staff(world, transfer, stranger, who, name):
    client = client_for()
    if who == "user_without_staff_record":
        client.force_authenticate(user=stranger)
    elif who == "inactive_staff":
        world.ast_tm.active = False
        world.ast_tm.save()
        client.force_authenticate(user=world.ast_tm.user)
    elif who == "bad_token":
        client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    before = written()
    response = _request(client, world, transfer, name)
    if who in ("anonymous", "bad_token"):  # not known: told how to authenticate
        assert response.status_code == 401, (response.status_code, response.data)
        assert response["WWW-Authenticate"] == "Token"
    else:  # known, but not a member of staff who may
        assert response.status_code == 403, (response.status_code, response.data)
    assert "detail" in response.data
    assert written() == before


def test_the_endpoints_work_for_a_member_of_staff(world, transfer):
    """The same requests, signed in as the sending team manager: each does its job (the control for above)."""
    expected = {"children-create": 201, "transfers-sign-offs": 201, "transfers-confirmations": 201}
    expected |= {"transfers-remedial-actions": 201, "children-delete": 405}
    client = client_for(world.ast_tm)
    for name in ENDPOINTS:
        if name == "transfers-propose":
            continue  # the child already has an open transfer; proposing is tested on its own below
        response = _request(client, world, transfer, name)
        assert response.status_code == expected.get(name, 200), (name, response.status_code, response.data)


def test_schema_and_docs_need_sign_in(world):
    schema = client_for().get("/api/schema/")
    assert schema.status_code == 401 and schema["WWW-Authenticate"] == "Token"
    assert "sign in" in schema.content.decode()
    docs = client_for().get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"] == "/sign-in/?next=/api/docs/"


def test_token_endpoint_is_the_way_in_and_takes_no_other_method(world):
    assert client_for().get("/api/token/").status_code == 405


# -- tokens --------------------------------------------------------------------------------------------------------


def test_a_token_authenticates_api_calls(world, child):
    client = token_client(world.ast_tm.user)
    listed = client.get("/api/children/")
    assert listed.status_code == 200 and [c["id"] for c in listed.data["results"]] == [child.pk]
    assert AuditEvent.objects.get(verb=Verb.CHILD_LISTED).actor == world.ast_tm.user
    # Writes work with a token and need no CSRF token.
    proposed = client.post(
        "/api/transfers/",
        {"child": child.pk, "event": "assessment_concluded", "date": TODAY.isoformat(), "answers": CIN_PLAN},
        format="json",
    )
    assert proposed.status_code == 201, proposed.data
    assert Transfer.objects.get().proposed_by == world.ast_tm


def test_token_obtained_with_username_and_password(world):
    staff = dated_staff(
        authority=world.authority,
        username="tess_token",
        name="Tess Token",
        roles=[(Role.TEAM_MANAGER, world.teams["assessment_east"])],
        password="a long enough password 42",
    )
    response = client_for().post(
        "/api/token/", {"username": "tess_token", "password": "a long enough password 42"}, format="json"
    )
    assert response.status_code == 201
    assert ApiToken.objects.get(user=staff.user).name == "Issued by POST /api/token/"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    assert client.get("/api/teams/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "tom_assessment_tm", "password": "wrong"}, "non_field_errors"),
        ({"password": "whatever"}, "username"),
        ({"username": "tom_assessment_tm"}, "password"),
    ],
)
def test_token_endpoint_refuses_bad_credentials_with_field_messages(world, body, field):
    response = client_for().post("/api/token/", body, format="json")
    assert response.status_code == 400
    assert field in response.data["errors"]
    assert not ApiToken.objects.exists()


def test_session_writes_need_a_csrf_token(world, child):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.ast_tm.user)
    assert client.get("/api/children/").status_code == 200
    response = client.patch(f"/api/children/{child.pk}/", {"school": "X"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.data["detail"]
    child.refresh_from_db()
    assert child.school == ""


def test_a_member_of_staff_whose_roles_have_ended_reads_and_writes_no_children(world, child):
    membership = world.ast_tm.memberships.get()
    membership.end = TODAY - dt.timedelta(days=1)
    membership.save()
    client = client_for(world.ast_tm)
    assert client.get("/api/children/").status_code == 403
    assert client.get(f"/api/children/{child.pk}/").status_code == 403
    assert client.patch(f"/api/children/{child.pk}/", {"school": "X"}, format="json").status_code == 403
    assert not AuditEvent.objects.filter(verb__in=[Verb.CHILD_VIEWED, Verb.CHILD_LISTED]).exists()


# -- schema and docs ----------------------------------------------------------------------------------------------


def test_schema_is_an_openapi_3_document(world):
    client = client_for(world.ast_tm)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Handover API"
    paths = document["paths"]
    for path in (
        "/api/teams/",
        "/api/staff/{id}/",
        "/api/children/{id}/",
        "/api/transfers/",
        "/api/transfers/recommend/",
        "/api/transfers/{id}/actions/",
        "/api/transfers/{id}/sign-offs/",
        "/api/transfers/{id}/confirmations/",
        "/api/transfers/{id}/remedial-actions/",
    ):
        assert path in paths, path
    assert "delete" not in paths["/api/children/{id}/"]
    assert "version" in document["components"]["schemas"]["ActionInput"]["required"]
    yaml = client.get("/api/schema/")
    assert yaml.status_code == 200 and yaml.content.startswith(b"openapi: 3.")


def test_docs_page_loads_its_scripts_and_styles_from_this_server(world):
    response = client_for(world.ast_tm).get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    # Swagger UI's start script comes from this page's own URL (the CSP allows no inline script); it names
    # the schema.
    start = client_for(world.ast_tm).get("/api/docs/?script=")
    assert start.status_code == 200 and "/api/schema/" in start.content.decode()
    assert not re.search(r"https?://", html), "the docs page refers to another host"
    for host in ("cdn", "jsdelivr", "unpkg", "cloudflare", "googleapis"):
        assert host not in html
    urls = re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]+)"', html)
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls)
    assert "/api/docs/?script=" in urls
    urls.remove("/api/docs/?script=")
    for url in urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file of this project"


# -- reads are audited ------------------------------------------------------------------------------------------------


def test_viewing_a_child_is_audited(world, child):
    response = client_for(world.cin_sw).get(f"/api/children/{child.pk}/")
    assert response.status_code == 200
    assert (
        response.data["identifier"] == "A1" and response.data["allocations"][0]["team"] == "assessment_east"
    )
    event = AuditEvent.objects.get(verb=Verb.CHILD_VIEWED)
    assert (event.actor, event.child, event.object_type, event.object_id) == (
        world.cin_sw.user,
        child,
        "children.Child",
        str(child.pk),
    )


def test_listing_children_is_audited_with_the_ids_shown(world, child):
    other = world.child("A2", "Bea")
    response = client_for(world.lac_tm).get("/api/children/", {"q": "Bea"})
    assert [c["id"] for c in response.data["results"]] == [other.pk]
    event = AuditEvent.objects.get(verb=Verb.CHILD_LISTED)
    assert event.actor == world.lac_tm.user
    assert event.after == {"children": [other.pk]}
    assert "q=Bea" in event.detail


def test_viewing_a_transfer_is_audited(world, transfer):
    response = client_for(world.cin_tm).get(f"/api/transfers/{transfer.pk}/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(verb=Verb.TRANSFER_VIEWED)
    assert (event.actor, event.child, event.object_id) == (
        world.cin_tm.user,
        transfer.child,
        str(transfer.pk),
    )


def test_creating_a_child_records_what_was_written(world):
    response = client_for(world.ast_sw).post(
        "/api/children/",
        {
            "identifier": "N1",
            "first_name": "Noor",
            "last_name": "Newborn",
            "expected_date_of_birth": "2027-02-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    created = Child.objects.get(identifier="N1")
    assert created.authority == world.authority and created.date_of_birth is None
    event = AuditEvent.objects.get(verb=Verb.CHILD_CREATED)
    assert event.actor == world.ast_sw.user and event.child == created and event.before is None
    assert event.after["identifier"] == "N1" and event.after["expected_date_of_birth"] == "2027-02-01"


def test_changing_a_child_records_before_and_after(world, child):
    response = client_for(world.ast_sw).patch(
        f"/api/children/{child.pk}/", {"school": "Hillside Primary"}, format="json"
    )
    assert response.status_code == 200 and response.data["school"] == "Hillside Primary"
    event = AuditEvent.objects.get(verb=Verb.CHILD_CHANGED)
    assert event.actor == world.ast_sw.user and event.child == child
    assert event.before["school"] == "" and event.after["school"] == "Hillside Primary"


def test_replacing_a_child_records_before_and_after(world, child):
    body = {"identifier": "A1", "first_name": "Ada", "last_name": "Renamed", "date_of_birth": "2016-03-01"}
    response = client_for(world.ast_tm).put(f"/api/children/{child.pk}/", body, format="json")
    assert response.status_code == 200, response.data
    event = AuditEvent.objects.get(verb=Verb.CHILD_CHANGED)
    assert event.before["last_name"] == "Testfamily" and event.after["last_name"] == "Renamed"


def test_proposing_and_acting_through_the_api_are_audited(world, child):
    client = client_for(world.ast_sw)
    response = client.post(
        "/api/transfers/",
        {"child": child.pk, "event": "assessment_concluded", "date": TODAY.isoformat(), "answers": CIN_PLAN},
        format="json",
    )
    assert response.status_code == 201
    (proposed,) = response.data
    assert proposed["to_service"] == "cin_cp" and proposed["route_kind"] == "transfer_meeting"
    event = AuditEvent.objects.get(verb=Verb.TRANSFER_PROPOSED)
    assert event.actor == world.ast_sw.user and event.after["state"] == "proposed"

    response = client_for(world.business_support).post(
        f"/api/transfers/{proposed['id']}/actions/", {"action": "list", "version": 1}, format="json"
    )
    assert (
        response.status_code == 200 and response.data["state"] == "listed" and response.data["version"] == 2
    )
    event = AuditEvent.objects.get(verb=Verb.TRANSFER_ACTION)
    assert event.actor == world.business_support.user
    assert (event.before["state"], event.after["state"]) == ("proposed", "listed")
    assert (event.before["version"], event.after["version"]) == (1, 2)


def test_auditor_reads_but_writes_nothing(world, child, transfer):
    client = client_for(world.auditor)
    assert client.get(f"/api/children/{child.pk}/").status_code == 200
    detail = client.get(f"/api/transfers/{transfer.pk}/")
    assert detail.status_code == 200 and detail.data["available_actions"] == []
    before = written()
    assert client.patch(f"/api/children/{child.pk}/", {"school": "X"}, format="json").status_code == 403
    assert (
        client.post(
            "/api/children/",
            {"identifier": "Z", "first_name": "Z", "last_name": "Z", "date_of_birth": "2019-01-01"},
            format="json",
        ).status_code
        == 403
    )
    assert written() == before


def test_administrator_manages_no_children(world, child, transfer):
    client = client_for(world.administrator)
    assert client.get("/api/teams/").status_code == 200
    assert client.get("/api/children/").status_code == 403
    assert client.get(f"/api/children/{child.pk}/").status_code == 403
    assert client.get("/api/transfers/").data["count"] == 0
    assert client.get(f"/api/transfers/{transfer.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(verb__in=[Verb.CHILD_VIEWED, Verb.CHILD_LISTED]).exists()


# -- restricted records and other authorities -----------------------------------------------------------------


@pytest.fixture
def restricted(world):
    """A restricted child named only to the sending team manager and the receiving team manager."""
    secret = world.child("R1", "Rhiannon", restricted=True)
    for staff in (world.ast_tm, world.cin_tm):
        RestrictedAccess.objects.create(child=secret, staff=staff)
    return secret


UNNAMED = ["ast_sw", "ast_pm", "cin_pm", "lac_tm", "director", "auditor"]


@pytest.mark.parametrize("person", UNNAMED)
def test_restricted_child_is_invisible_to_staff_not_named(world, child, restricted, person):
    """Even the allocated worker (ast_sw) and the director see nothing unless named on the record."""
    hidden = propose(world, restricted)
    client = client_for(getattr(world, person))
    listed = client.get("/api/children/")
    assert [c["id"] for c in listed.data["results"]] == [child.pk]
    assert client.get("/api/children/", {"q": "R1"}).data["count"] == 0
    assert client.get("/api/children/", {"q": "Rhiannon"}).data["count"] == 0
    assert client.get(f"/api/children/{restricted.pk}/").status_code in (403, 404)
    assert client.get("/api/transfers/").data["count"] == 0
    assert client.get("/api/transfers/", {"child": restricted.pk}).data["count"] == 0
    assert client.get(f"/api/transfers/{hidden.pk}/").status_code in (403, 404)
    body = {
        "child": restricted.pk,
        "event": "assessment_concluded",
        "date": TODAY.isoformat(),
        "answers": CIN_PLAN,
    }
    missing = {**body, "child": 999_999}
    refused = client.post("/api/transfers/recommend/", body, format="json")
    unknown = client.post("/api/transfers/recommend/", missing, format="json")
    # The same answer as for an id that does not exist: the refusal must not confirm the child exists.
    assert refused.status_code == unknown.status_code  # 400, or 403 for a read-only auditor either way
    assert str(refused.data).replace(str(restricted.pk), "ID") == str(unknown.data).replace("999999", "ID")
    before = written()
    writes = [
        client.patch(f"/api/children/{restricted.pk}/", {"school": "X"}, format="json"),
        client.post("/api/transfers/", body, format="json"),
        client.post(
            f"/api/transfers/{hidden.pk}/actions/",
            {"action": "withdraw", "version": 1, "reason": "x"},
            format="json",
        ),
        client.post(f"/api/transfers/{hidden.pk}/sign-offs/", {"kind": "sending_audit"}, format="json"),
        client.post(
            f"/api/transfers/{hidden.pk}/confirmations/",
            {"item": "file_checked_and_authorised"},
            format="json",
        ),
    ]
    assert writes[1].status_code in (400, 403)  # as for an unknown id (403: the auditor writes nothing)
    assert all(w.status_code in (403, 404) for w in writes[:1] + writes[2:]), [w.status_code for w in writes]
    assert written() == before
    assert not AuditEvent.objects.filter(child=restricted, verb=Verb.CHILD_VIEWED).exists()
    hidden.refresh_from_db()
    assert (hidden.state, hidden.version) == ("proposed", 1)


@pytest.mark.parametrize("person", ["ast_tm", "cin_tm"])
def test_restricted_child_is_visible_to_the_staff_named(world, child, restricted, person):
    hidden = propose(world, restricted)
    client = client_for(getattr(world, person))
    assert {c["id"] for c in client.get("/api/children/").data["results"]} == {child.pk, restricted.pk}
    assert client.get("/api/children/", {"q": "r1"}).data["count"] == 1
    detail = client.get(f"/api/children/{restricted.pk}/")
    assert detail.status_code == 200 and detail.data["restricted"] is True
    assert AuditEvent.objects.filter(child=restricted, verb=Verb.CHILD_VIEWED).count() == 1
    assert client.get(f"/api/transfers/{hidden.pk}/").status_code == 200
    assert [t["id"] for t in client.get("/api/transfers/").data["results"]] == [hidden.pk]


def test_restriction_cannot_be_changed_through_the_api(world, restricted):
    client = client_for(world.ast_tm)
    response = client.patch(f"/api/children/{restricted.pk}/", {"restricted": False}, format="json")
    assert response.status_code == 200
    restricted.refresh_from_db()
    assert restricted.restricted is True
    created = client.post(
        "/api/children/",
        {
            "identifier": "N2",
            "first_name": "Ned",
            "last_name": "New",
            "date_of_birth": "2020-01-01",
            "restricted": True,
        },
        format="json",
    )
    assert created.status_code == 201 and Child.objects.get(identifier="N2").restricted is False


def test_another_authoritys_records_are_not_visible(world, child):
    other = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    foreign = Child.objects.create(
        authority=other,
        identifier="CB1",
        first_name="Cara",
        last_name="Elsewhere",
        date_of_birth=dt.date(2015, 1, 1),
    )
    client = client_for(world.director)
    assert [c["id"] for c in client.get("/api/children/").data["results"]] == [child.pk]
    assert client.get(f"/api/children/{foreign.pk}/").status_code in (403, 404)
    assert client.patch(f"/api/children/{foreign.pk}/", {"school": "X"}, format="json").status_code in (
        403,
        404,
    )
    foreign_team = Team.objects.filter(service__authority=other).first()
    assert client.get(f"/api/teams/{foreign_team.pk}/").status_code == 404
    codes = {t["code"] for t in client.get("/api/teams/", {"page_size": 100}).data["results"]}
    assert "assessment_east" in codes and foreign_team.code not in codes
    body = {
        "child": foreign.pk,
        "event": "assessment_concluded",
        "date": TODAY.isoformat(),
        "answers": CIN_PLAN,
    }
    refused = client_for(world.ast_tm).post("/api/transfers/recommend/", body, format="json")
    assert refused.status_code == 400 and "does not exist" in str(refused.data["errors"]["child"])
    assert not AuditEvent.objects.filter(child=foreign).exists()


# -- children: input and methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"identifier": "X1", "first_name": "Xa", "last_name": "X"},
            "date_of_birth",
            "expected date of birth",
        ),
        (
            {"identifier": "X1", "first_name": "Xa", "last_name": "X", "date_of_birth": None},
            "date_of_birth",
            "expected date of birth",
        ),
        (
            {"identifier": "X1", "first_name": "Xa", "last_name": "X", "date_of_birth": "2019-13-40"},
            "date_of_birth",
            "",
        ),
        (
            {"identifier": "X1", "first_name": "Xa", "last_name": "X", "expected_date_of_birth": "soon"},
            "expected_date_of_birth",
            "",
        ),
        (
            {"identifier": "A1", "first_name": "Xa", "last_name": "X", "date_of_birth": "2019-01-01"},
            "identifier",
            "",
        ),
        ({"first_name": "Xa", "last_name": "X", "date_of_birth": "2019-01-01"}, "identifier", "required"),
        (
            {
                "identifier": "X1",
                "first_name": "Xa",
                "last_name": "X",
                "date_of_birth": "2019-01-01",
                "asylum_status": "?",
            },
            "asylum_status",
            "",
        ),
    ],
    ids=[
        "no-dates",
        "null-date",
        "bad-date",
        "bad-expected-date",
        "duplicate-identifier",
        "no-identifier",
        "bad-choice",
    ],
)
def test_child_create_refuses_bad_input_with_field_messages(world, child, body, field, words):
    before = written()
    response = client_for(world.ast_sw).post("/api/children/", body, format="json")
    assert response.status_code == 400
    assert field in response.data["errors"], response.data
    assert words in str(response.data["errors"][field])
    assert written() == before


def test_child_update_cannot_remove_both_dates(world, child):
    response = client_for(world.ast_sw).patch(
        f"/api/children/{child.pk}/", {"date_of_birth": None}, format="json"
    )
    assert response.status_code == 400 and "date_of_birth" in response.data["errors"]
    child.refresh_from_db()
    assert child.date_of_birth == dt.date(2016, 3, 1)
    assert not AuditEvent.objects.filter(verb=Verb.CHILD_CHANGED).exists()


def test_children_are_never_deleted(world, child):
    response = client_for(world.ast_tm).delete(f"/api/children/{child.pk}/")
    assert response.status_code == 405
    assert Child.objects.filter(pk=child.pk).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/transfers/{transfer}/"),
        ("put", "/api/transfers/{transfer}/"),
        ("patch", "/api/transfers/{transfer}/"),
        ("get", "/api/transfers/{transfer}/actions/"),
        ("post", "/api/teams/"),
        ("delete", "/api/staff/{staff}/"),
    ],
)
def test_methods_not_offered_are_405(world, transfer, method, path):
    url = path.format(transfer=transfer.pk, staff=world.ast_sw.pk)
    assert getattr(client_for(world.ast_tm), method)(url, {}, format="json").status_code == 405
    transfer.refresh_from_db()
    assert transfer.version == 1


def test_unknown_ids_are_404(world):
    client = client_for(world.ast_tm)
    for path in ("/api/children/99999/", "/api/transfers/99999/", "/api/teams/99999/", "/api/staff/99999/"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_non_numeric_child_id_is_404(world, method):
    response = getattr(client_for(world.ast_tm), method)("/api/children/abc/", {}, format="json")
    assert response.status_code == 404


# -- pagination and filters ------------------------------------------------------------------------------------------


def test_children_are_paginated_and_each_page_read_is_audited(world):
    Child.objects.bulk_create(
        Child(
            authority=world.authority,
            identifier=f"P{i:03}",
            first_name=f"Page{i:03}",
            last_name="Paged",
            date_of_birth=dt.date(2015, 1, 1),
        )
        for i in range(53)
    )
    client = client_for(world.ast_sw)
    first = client.get("/api/children/")
    assert first.status_code == 200
    assert set(first.data) >= {"count", "next", "previous", "results"}
    assert first.data["count"] == 53 and len(first.data["results"]) == 50
    assert first.data["previous"] is None and "page=2" in first.data["next"]
    second = client.get(first.data["next"])
    assert len(second.data["results"]) == 3 and second.data["next"] is None
    shown = {c["id"] for c in first.data["results"]} | {c["id"] for c in second.data["results"]}
    assert shown == set(Child.objects.values_list("pk", flat=True))
    audited = list(AuditEvent.objects.filter(verb=Verb.CHILD_LISTED).order_by("pk"))
    assert [len(e.after["children"]) for e in audited] == [50, 3]


@pytest.mark.parametrize("path", ["/api/teams/", "/api/staff/", "/api/transfers/"])
def test_other_lists_are_paginated(world, transfer, path):
    data = client_for(world.ast_tm).get(path).data
    assert set(data) >= {"count", "next", "previous", "results"}
    assert data["count"] == len(data["results"]) > 0 and data["next"] is None


def test_children_filters(world, child):
    bea = world.child("B2", "Bea", team="cin_cp_east", worker=world.cin_sw)
    client = client_for(world.ast_sw)

    def ids(**params):
        response = client.get("/api/children/", params)
        assert response.status_code == 200, response.data
        return {c["id"] for c in response.data["results"]}

    assert ids(q="Ada") == {child.pk}
    assert ids(q="ada") == {child.pk}
    assert ids(q="b2") == {bea.pk}
    assert ids(q="Testfamily") == {child.pk, bea.pk}
    assert ids(q="Nobody") == set()
    assert ids(team=world.teams["cin_cp_east"].pk) == {bea.pk}
    assert ids(identifier="A1") == {child.pk}
    assert ids(date_of_birth="2016-03-01") == {child.pk, bea.pk}
    bad = client.get("/api/children/", {"date_of_birth": "not-a-date"})
    assert bad.status_code == 400 and "date_of_birth" in bad.data["errors"]


def test_transfer_filters(world, transfer):
    second = propose(world, world.child("A2", "Bea"))
    _listed(world, second)
    client = client_for(world.cin_tm)

    def ids(**params):
        response = client.get("/api/transfers/", params)
        assert response.status_code == 200, response.data
        return {t["id"] for t in response.data["results"]}

    assert ids() == {transfer.pk, second.pk}
    assert ids(state="proposed") == {transfer.pk}
    assert ids(state="listed") == {second.pk}
    assert ids(state="transferred") == set()
    assert ids(to_service="cin_cp") == {transfer.pk, second.pk}
    assert ids(to_service="lac") == set()
    assert ids(from_team=world.teams["assessment_east"].pk) == {transfer.pk, second.pk}
    assert ids(child=second.child_id) == {second.pk}


def test_team_and_staff_filters(world):
    client = client_for(world.ast_sw)
    teams = client.get("/api/teams/", {"service": "cin_cp"}).data["results"]
    assert {t["code"] for t in teams} == {"cin_cp_east", "cin_cp_west"}
    assert all(t["kind"] == "cin_cp" for t in teams)
    staff = client.get("/api/staff/", {"role": "team_manager"}).data["results"]
    assert {s["name"] for s in staff} == {
        world.ast_tm.name,
        world.cin_tm.name,
        world.cin_west_tm.name,
        world.lac_tm.name,
    }
    in_team = client.get("/api/staff/", {"team": world.teams["cin_cp_east"].pk}).data["results"]
    assert {s["id"] for s in in_team} == {world.cin_tm.pk, world.cin_pm.pk, world.cin_sw.pk}
    detail = client.get(f"/api/staff/{world.service_manager.pk}/").data
    assert detail["memberships"] == [
        {"role": "service_manager", "team": None, "service": "cin_cp", "start": "2020-01-01", "end": None}
    ]


# -- transfers: detail -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "actions"),
    [
        ("ast_tm", ["list", "withdraw"]),
        ("business_support", ["list"]),
        ("cin_tm", ["decline"]),
        ("ast_sw", []),
        ("lac_tm", []),
        ("auditor", []),
    ],
)
def test_transfer_detail_shows_readiness_and_the_viewers_actions(world, transfer, person, actions):
    response = client_for(getattr(world, person)).get(f"/api/transfers/{transfer.pk}/")
    assert response.status_code == 200
    data = response.data
    assert data["state"] == "proposed" and data["version"] == 1
    assert data["available_actions"] == actions
    assert data["readiness"] and [e["action"] for e in data["events"]] == ["propose"]
    assert any(d["step"] == "transfer_meeting" for d in data["deadlines"])


@pytest.mark.parametrize("person", ["service_manager", "director"])
def test_escalated_transfer_offers_resolve_to_the_ladder_level(world, transfer, person):
    _listed(world, transfer)
    act(world, transfer, world.cin_tm, "block", reason="No capacity")
    act(world, transfer, world.ast_tm, "escalate", reason="Blocked a week")
    response = client_for(getattr(world, person)).get(f"/api/transfers/{transfer.pk}/")
    assert "resolve" in response.data["available_actions"]


# -- transfers: recommend and propose --------------------------------------------------------------------------------


def test_recommend_writes_nothing_but_the_audit_of_the_read(world, child):
    before = written()
    response = client_for(world.ast_sw).post(
        "/api/transfers/recommend/",
        {"child": child.pk, "event": "assessment_concluded", "date": TODAY.isoformat(), "answers": CIN_PLAN},
        format="json",
    )
    assert response.status_code == 200
    assert response.data["outcome"] == "route" and response.data["receiving_service"] == "cin_cp"
    assert response.data["rule"] == "assessment_cin_plan"
    assert response.data["route"]["kind"] == "transfer_meeting"
    after = written()
    assert after.pop("audit") == before.pop("audit") + 1  # reading the child's record to recommend is audited
    assert after == before
    assert AuditEvent.objects.filter(child=child, verb=Verb.CHILD_VIEWED, detail="recommendation").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "assessment_concluded", "date": "2026-11-24"}, "child"),
        ({"child": 99999, "event": "assessment_concluded", "date": "2026-11-24"}, "child"),
        ({"child": "{child}", "date": "2026-11-24"}, "event"),
        ({"child": "{child}", "event": "assessment_concluded", "date": "24/11/2026"}, "date"),
        ({"child": "{child}", "event": "assessment_concluded"}, "date"),
        ({"child": "{child}", "event": "no_such_event", "date": "2026-11-24"}, "situation.event"),
        (
            {"child": "{child}", "event": "assessment_concluded", "date": "2026-11-24", "answers": []},
            "answers",
        ),
        (
            {
                "child": "{child}",
                "event": "assessment_concluded",
                "date": "2026-11-24",
                "answers": {"facts": "x"},
            },
            "situation.facts",
        ),
        (
            {
                "child": "{child}",
                "event": "assessment_concluded",
                "date": "2026-11-24",
                "answers": {"facts": {"assessment_outcome": "maybe"}},
            },
            "situation.facts.assessment_outcome",
        ),
    ],
    ids=[
        "no-child",
        "unknown-child",
        "no-event",
        "bad-date",
        "no-date",
        "unknown-event",
        "answers-not-object",
        "facts-not-object",
        "fact-value-not-allowed",
    ],
)
@pytest.mark.parametrize("path", ["/api/transfers/recommend/", "/api/transfers/"])
def test_recommend_and_propose_refuse_bad_input(world, child, body, field, path):
    before = written()
    body = {k: (child.pk if v == "{child}" else v) for k, v in body.items()}
    response = client_for(world.ast_sw).post(path, body, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["errors"], response.data
    assert written() == before


def _propose_via_api(world, child, actor=None, **extra):
    body = {
        "child": child.pk,
        "event": "assessment_concluded",
        "date": TODAY.isoformat(),
        "answers": CIN_PLAN,
    }
    return client_for(actor or world.ast_sw).post("/api/transfers/", body | extra, format="json")


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"to_service": "nowhere"}, "to_service", "no service 'nowhere'"),
        (
            {"to_service": "lac"},
            "override_reason",
            "it recommends Children in Need and Child Protection Service, not LAC / Children in Care Service",
        ),
        ({"to_service": "lac", "override_reason": "   "}, "override_reason", "Enter why"),
        (
            {"to_service": "assessment", "override_reason": "stay"},
            "to_service",
            "already held by this service",
        ),
        ({"answers": {"siblings": {"in_care_proceedings": False}}}, "answers", "assessment_outcome"),
        ({"exception": "no_such_exception"}, "exception", "not a permitted exception"),
        ({"separation_reasons": {"abc": "reason"}}, "separation_reasons", "not a child id"),
        ({"with_siblings": [99999]}, "with_siblings", ""),
    ],
    ids=[
        "unknown-service",
        "override-without-reason",
        "override-blank-reason",
        "same-service",
        "missing-facts",
        "unknown-exception",
        "separation-key-not-id",
        "unknown-sibling",
    ],
)
def test_propose_refuses_bad_choices_with_field_messages(world, child, extra, field, words):
    before = written()
    response = _propose_via_api(world, child, **extra)
    assert response.status_code == 400, response.data
    assert field in response.data["errors"], response.data
    assert words in str(response.data["errors"][field])
    assert written() == before


def test_propose_with_an_override_reason_goes_to_the_chosen_service(world, child):
    response = _propose_via_api(
        world, child, to_service="lac", override_reason="Accommodated under s20 last night"
    )
    assert response.status_code == 201
    stored = Transfer.objects.get()
    assert stored.to_service.code == "lac" and stored.recommended_service.code == "cin_cp"
    assert stored.override_reason == "Accommodated under s20 last night"


def test_propose_siblings_together_or_with_a_reason(world):
    older = world.child("S1", "Sol", family=world.family)
    younger = world.child("S2", "Sky", family=world.family)
    refused = _propose_via_api(world, older)
    assert refused.status_code == 400
    assert f"separation_reasons.{younger.pk}" in refused.data["errors"]
    both = _propose_via_api(world, older, with_siblings=[younger.pk])
    assert both.status_code == 201
    assert [t["child"] for t in both.data] == [older.pk, younger.pk]
    assert both.data[0]["sibling_group"] == both.data[1]["sibling_group"] is not None


def test_propose_a_second_open_transfer_for_a_sibling_is_refused(world):
    older = world.child("S1", "Sol", family=world.family)
    younger = world.child("S2", "Sky", family=world.family)
    propose(world, younger, separation_reasons={older.pk: "Older sibling's assessment continues"})
    response = _propose_via_api(world, older, with_siblings=[younger.pk])
    assert response.status_code == 400 and "with_siblings" in response.data["errors"]
    assert Transfer.objects.count() == 1


def test_propose_refuses_a_child_who_already_has_an_open_transfer(world, child):
    first = propose(world, child)
    response = _propose_via_api(world, child)
    assert response.status_code == 400
    assert Transfer.objects.get() == first


def test_propose_refuses_a_separation_reason_for_a_child_who_is_not_a_sibling(world, child):
    stranger = world.child("Z9", "Zed")  # same worker, no family
    response = _propose_via_api(world, child, separation_reasons={str(stranger.pk): "Not a sibling at all"})
    assert response.status_code == 400
    assert f"separation_reasons.{stranger.pk}" in response.data["errors"]
    assert not Transfer.objects.exists()


# -- transfers: actions ----------------------------------------------------------------------------------------------


def _post_action(world, transfer, actor, **body):
    return client_for(actor).post(f"/api/transfers/{transfer.pk}/actions/", body, format="json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "list"}, "version"),
        ({"action": "list", "version": 0}, "version"),
        ({"action": "list", "version": "one"}, "version"),
        ({"version": 1}, "action"),
        ({"action": "approve", "version": 1}, "action"),
        ({"action": "agree", "version": 1, "transfer_date": "next week"}, "transfer_date"),
        ({"action": "agree", "version": 1, "to_team": 99999}, "to_team"),
        ({"action": "identify_worker", "version": 1, "worker": 99999}, "worker"),
        ({"action": "identify_worker", "version": 1, "worker": "sam"}, "worker"),
    ],
    ids=[
        "no-version",
        "version-zero",
        "version-not-number",
        "no-action",
        "unknown-action",
        "bad-date",
        "unknown-team",
        "unknown-worker",
        "worker-not-id",
    ],
)
def test_actions_refuse_bad_input_with_field_messages(world, transfer, body, field):
    before = written()
    response = _post_action(world, transfer, world.ast_tm, **body)
    assert response.status_code == 400, response.data
    assert field in response.data["errors"], response.data
    assert written() == before


def test_stale_version_is_409_and_changes_nothing(world, transfer):
    _listed(world, transfer)
    before = written()
    response = _post_action(world, transfer, world.ast_pm, action="withdraw", version=1, reason="duplicate")
    assert response.status_code == 409
    assert "changed by someone else" in response.data["detail"] and "now version 2" in response.data["detail"]
    transfer.refresh_from_db()
    assert (transfer.state, transfer.version) == ("listed", 2)
    assert written() == before


def test_agree_needs_a_team_of_the_receiving_service_and_a_date(world, transfer):
    _listed(world, transfer)
    client_version = 2
    missing = _post_action(world, transfer, world.cin_tm, action="agree", version=client_version)
    assert missing.status_code == 400
    assert set(missing.data["errors"]) == {"to_team", "transfer_date"}
    wrong = _post_action(
        world,
        transfer,
        world.cin_tm,
        action="agree",
        version=client_version,
        to_team=world.teams["lac_team"].pk,
        transfer_date=(TODAY - dt.timedelta(days=1)).isoformat(),
    )
    assert wrong.status_code == 400
    assert "is not an active team of" in wrong.data["errors"]["to_team"]
    assert "before the event" in wrong.data["errors"]["transfer_date"]
    transfer.refresh_from_db()
    assert (transfer.state, transfer.version, transfer.to_team) == ("listed", 2, None)


def test_identify_worker_needs_a_worker_of_the_receiving_team(world, transfer):
    _agreed(world, transfer)
    response = _post_action(
        world, transfer, world.cin_tm, action="identify_worker", version=3, worker=world.ast_sw.pk
    )
    assert response.status_code == 400 and "is the outgoing worker" in response.data["errors"]["worker"]
    elsewhere = _post_action(
        world, transfer, world.cin_tm, action="identify_worker", version=3, worker=world.ast_sw2.pk
    )
    assert "not an active case-holding worker" in elsewhere.data["errors"]["worker"]
    missing = _post_action(world, transfer, world.cin_tm, action="identify_worker", version=3)
    assert missing.status_code == 400 and "worker" in missing.data["errors"]


@pytest.mark.parametrize(
    ("setup", "actor", "body", "status", "rule"),
    [
        ("listed", "cin_tm", {"action": "decline"}, 400, "workflow.decline.reason"),
        ("listed", "cin_tm", {"action": "decline", "reason": "   "}, 400, "workflow.decline.reason"),
        ("listed", "ast_tm", {"action": "withdraw"}, 400, "workflow.withdraw.reason"),
        ("listed", "cin_tm", {"action": "block"}, 400, "workflow.block.reason"),
        ("proposed", "cin_tm", {"action": "identify_worker"}, 409, "workflow.identify_worker.from_state"),
        ("proposed", "ast_tm", {"action": "refer_to_panel"}, 409, "workflow.refer_to_panel.route"),
        ("proposed", "ast_tm", {"action": "request_agreement"}, 409, "workflow.request_agreement.route"),
        ("proposed", "cin_tm", {"action": "agree"}, 409, "workflow.agree.route"),
        ("listed", "ast_tm", {"action": "list"}, 409, "workflow.list.from_state"),
        ("listed", "ast_tm", {"action": "agree"}, 403, "workflow.agree.role"),
        ("handover_held", "cin_tm", {"action": "complete"}, 400, "workflow.complete.readiness"),
        (
            "escalated_twice",
            "director",
            {"action": "escalate", "reason": "again"},
            409,
            "protocol.escalation.final",
        ),
        (
            "withdrawn",
            "ast_tm",
            {"action": "withdraw", "reason": "again"},
            409,
            "workflow.withdraw.from_state",
        ),
    ],
)
def test_refused_transitions_name_the_rule(world, transfer, setup, actor, body, status, rule):
    steps = {
        "proposed": [],
        "listed": [("ast_tm", "list", {})],
        "handover_held": [
            ("ast_tm", "list", {}),
            ("cin_tm", "agree", {"to_team": world.teams["cin_cp_east"], "transfer_date": TRANSFER_DATE}),
            ("cin_tm", "identify_worker", {"worker": world.cin_sw}),
            ("cin_sw", "record_handover", {}),
        ],
        "escalated_twice": [
            ("ast_tm", "list", {}),
            ("cin_tm", "block", {"reason": "No capacity"}),
            ("ast_tm", "escalate", {"reason": "A week"}),
            ("service_manager", "escalate", {"reason": "Two weeks"}),
        ],
        "withdrawn": [("ast_tm", "withdraw", {"reason": "Family moved"})],
    }
    for who, action, kwargs in steps[setup]:
        act(world, transfer, getattr(world, who), action, **kwargs)
    transfer.refresh_from_db()
    version, state = transfer.version, transfer.state
    before = written()
    response = _post_action(world, transfer, getattr(world, actor), version=version, **body)
    assert response.status_code == status, response.data
    assert response.data["rule"] == rule
    assert "[" not in response.data["detail"]  # the words for people; the rule beside them for support
    transfer.refresh_from_db()
    assert (transfer.state, transfer.version) == (state, version)
    assert written() == before


def test_completion_refusal_lists_what_is_missing(world, transfer):
    for who, action, kwargs in [
        ("ast_tm", "list", {}),
        ("cin_tm", "agree", {"to_team": world.teams["cin_cp_east"], "transfer_date": TRANSFER_DATE}),
        ("cin_tm", "identify_worker", {"worker": world.cin_sw}),
        ("cin_sw", "record_handover", {}),
    ]:
        act(world, transfer, getattr(world, who), action, **kwargs)
    response = _post_action(world, transfer, world.cin_tm, action="complete", version=5)
    assert response.status_code == 400
    for missing in ("Chronology up to date", "Transfer summary authorised", "not yet signed off"):
        assert missing in response.data["detail"]


# -- transfers: sign-offs, confirmations, remedial actions ------------------------------------------------------------


def test_sign_off_once_per_kind(world, transfer):
    client = client_for(world.ast_tm)
    url = f"/api/transfers/{transfer.pk}/sign-offs/"
    first = client.post(url, {"kind": "sending_audit"}, format="json")
    assert first.status_code == 201
    assert (first.data["kind"], first.data["by"]) == ("sending_audit", world.ast_tm.pk)
    assert AuditEvent.objects.filter(verb=Verb.TRANSFER_SIGNED_OFF, child=transfer.child).count() == 1
    again = client_for(world.ast_pm).post(url, {"kind": "sending_audit"}, format="json")
    assert again.status_code == 400 and "already signed off by" in again.data["errors"]["kind"]
    assert SignOff.objects.count() == 1


def test_the_summary_sign_off_needs_an_authorised_summary(world, transfer):
    """No path gives the summary sign-off without a Case Transfer Summary authorised by its manager (D-181)."""
    refused = client_for(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/sign-offs/", {"kind": "summary_authorised"}, format="json"
    )
    assert refused.status_code == 400 and "Case Transfer Summary" in refused.data["errors"]["kind"]
    assert not SignOff.objects.exists()


@pytest.mark.parametrize(("body", "field"), [({}, "kind"), ({"kind": "approved"}, "kind")])
def test_sign_off_refuses_bad_input(world, transfer, body, field):
    response = client_for(world.ast_tm).post(f"/api/transfers/{transfer.pk}/sign-offs/", body, format="json")
    assert response.status_code == 400 and field in response.data["errors"]
    assert not SignOff.objects.exists()


def test_no_sign_off_on_a_closed_transfer(world, transfer):
    act(world, transfer, world.ast_tm, "withdraw", reason="Family moved")
    response = client_for(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/sign-offs/", {"kind": "sending_audit"}, format="json"
    )
    assert response.status_code == 400 and "withdrawn" in response.data["errors"]["transfer"]
    assert not SignOff.objects.exists()


def test_confirm_a_checklist_item_once(world, transfer):
    url = f"/api/transfers/{transfer.pk}/confirmations/"
    first = client_for(world.ast_sw).post(url, {"item": "personal_information_complete"}, format="json")
    assert first.status_code == 201 and first.data["by"] == world.ast_sw.pk
    again = client_for(world.ast_tm).post(url, {"item": "personal_information_complete"}, format="json")
    assert again.status_code == 400 and "already confirmed" in again.data["errors"]["item"]
    assert ReadinessConfirmation.objects.count() == 1


@pytest.mark.parametrize(
    "body", [{}, {"item": "no_such_item"}, {"item": "chronology"}], ids=["none", "unknown", "document"]
)
def test_confirmation_refuses_items_not_confirmed_by_a_person(world, transfer, body):
    response = client_for(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/confirmations/", body, format="json"
    )
    assert response.status_code == 400 and "item" in response.data["errors"]
    assert not ReadinessConfirmation.objects.exists()


def test_remedial_action_recorded_with_who_and_when(world, transfer):
    due = (TODAY + dt.timedelta(days=7)).isoformat()
    response = client_for(world.cin_tm).post(
        f"/api/transfers/{transfer.pk}/remedial-actions/",
        {"description": "  Genogram to be updated  ", "owner": world.ast_sw.pk, "due": due},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["description"] == "Genogram to be updated"
    assert response.data["created_by"] == world.cin_tm.pk and response.data["due"] == due
    event = AuditEvent.objects.get(verb=Verb.REMEDIAL_ACTION)
    assert event.after["description"] == "Genogram to be updated"


def _foreign_staff(world):
    other = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    team = Team.objects.filter(service__authority=other).first()
    return dated_staff(
        authority=other, username="far_away", name="Far Away", roles=[(Role.SOCIAL_WORKER, team)]
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"due": "2020-01-01"}, "due"),
        ({"due": "tomorrow"}, "due"),
        ({"owner": 99999}, "owner"),
        ({"owner": "inactive"}, "owner"),
        ({"owner": "foreign"}, "owner"),
    ],
    ids=[
        "empty-description",
        "blank-description",
        "past-due",
        "bad-date",
        "unknown-owner",
        "inactive-owner",
        "other-authority-owner",
    ],
)
def test_remedial_action_refuses_bad_input(world, transfer, change, field):
    if change.get("owner") == "inactive":
        world.ast_sw2.active = False
        world.ast_sw2.save()
        change = {"owner": world.ast_sw2.pk}
    elif change.get("owner") == "foreign":
        change = {"owner": _foreign_staff(world).pk}
    body = {
        "description": "Chronology to be updated",
        "owner": world.ast_sw.pk,
        "due": (TODAY + dt.timedelta(days=7)).isoformat(),
    } | change
    before = written()
    response = client_for(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/remedial-actions/", body, format="json"
    )
    assert response.status_code == 400, response.data
    assert field in response.data["errors"], response.data
    assert written() == before


def test_services_of_the_world_are_the_protocols(world):
    """Guard for the fixtures the tests above rely on."""
    assert set(Service.objects.filter(authority=world.authority).values_list("code", flat=True)) >= {
        "assessment",
        "cin_cp",
        "lac",
    }


def test_the_audit_trail_hides_restricted_children_from_an_auditor_not_named(world, child, restricted):
    propose(world, restricted)
    client = client_for(world.auditor)
    assert client.get("/api/audit/", {"child": restricted.pk}).data["count"] == 0
    assert client.get("/api/audit/", {"child": child.pk}).status_code == 200
    RestrictedAccess.objects.create(child=restricted, staff=world.auditor)
    assert client.get("/api/audit/", {"child": restricted.pk}).data["count"] > 0


def test_a_case_request_for_a_restricted_child_reads_as_an_unknown_id(world, restricted):
    client = client_for(world.lac_tm)
    body = {
        "child": restricted.pk,
        "requesting_team": world.teams["lac_team"].pk,
        "reason": "We hold the siblings",
    }
    refused = client.post("/api/case-requests/", body, format="json")
    unknown = client.post("/api/case-requests/", {**body, "child": 999_999}, format="json")
    assert refused.status_code == unknown.status_code == 400
    assert str(refused.data).replace(str(restricted.pk), "ID") == str(unknown.data).replace("999999", "ID")
