"""Bad input on the newer endpoints gets 4xx with field-level messages; the happy paths work through the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, dated_staff

from handover.audit.models import AuditEvent, Verb
from handover.audit.services import audit_record
from handover.organisation.models import Role
from handover.organisation.services import authority_sync_from_protocol
from handover.transfers import services

pytestmark = pytest.mark.django_db


def client_for(staff):
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


@pytest.fixture
def transfer(world):
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("M1", "Mai"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("facts", {"answers": {"facts": {"assessment_outcome": "cin_plan"}}}, "version"),
        (
            "facts",
            {"version": 1, "answers": {"facts": {"assessment_outcome": "maybe"}}},
            "answers.facts.assessment_outcome",
        ),
        ("facts", {"version": 1, "answers": {"facts": "cin"}}, "answers.facts"),
        ("sign-offs", {"kind": "signed_in_blood"}, "kind"),
        ("confirmations", {"item": "chronology"}, "item"),
        ("remedial-actions", {"description": "", "owner": 999999, "due": "soon"}, "description"),
    ],
)
def test_transfer_sub_resources_refuse_bad_input(world, transfer, path, body, field):
    response = client_for(world.ast_tm).post(f"/api/transfers/{transfer.pk}/{path}/", body, format="json")
    assert response.status_code == 400, response.data
    assert field in response.json()["errors"], response.json()


def test_facts_update_recomputes_deadlines(world, transfer):
    api = client_for(world.ast_tm)
    response = api.post(
        f"/api/transfers/{transfer.pk}/facts/",
        {"version": 1, "answers": {"facts": {"s47_required": False}}},
        format="json",
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = api.post(f"/api/transfers/{transfer.pk}/facts/", {"version": 1, "answers": {}}, format="json")
    assert stale.status_code == 409


def test_pickers_offer_only_eligible_teams_and_workers(world, transfer):
    api = client_for(world.cin_tm)
    teams = {t["code"] for t in api.get(f"/api/transfers/{transfer.pk}/eligible-teams/").json()}
    assert teams == {"cin_cp_east", "cin_cp_west"}
    assert api.get(f"/api/transfers/{transfer.pk}/eligible-workers/").status_code == 400  # no team agreed yet
    services.transfer_act(
        now=NOW, actor=world.ast_tm, transfer=transfer, action="list", expected_version=1, on=TODAY
    )
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="agree",
        expected_version=2,
        on=TODAY,
        to_team=world.teams["cin_cp_east"],
        transfer_date=TODAY,
    )
    workers = {w["id"] for w in api.get(f"/api/transfers/{transfer.pk}/eligible-workers/").json()}
    assert workers == {world.cin_sw.pk}


def test_case_request_and_bulk_transfer_bad_input(world):
    child = world.child("M2", "Ned")
    api = client_for(world.cin_tm)
    missing = api.post("/api/case-requests/", {"child": child.pk}, format="json")
    assert missing.status_code == 400 and {"requesting_team", "reason"} <= set(missing.json()["errors"])
    made = api.post(
        "/api/case-requests/",
        {"child": child.pk, "requesting_team": world.teams["cin_cp_east"].pk, "reason": "We hold the family"},
        format="json",
    )
    assert made.status_code == 201
    decide = client_for(world.ast_tm).post(
        f"/api/case-requests/{made.json()['id']}/decide/", {"accept": False}, format="json"
    )
    assert decide.status_code == 400 and "reason" in decide.json()["errors"]
    bulk = client_for(world.ast_tm).post(
        "/api/bulk-transfers/",
        {
            "from_team": world.teams["assessment_east"].pk,
            "to_team": world.teams["assessment_east"].pk,
            "reason": "",
        },
        format="json",
    )
    assert bulk.status_code == 400 and "reason" in bulk.json()["errors"]
    same_team = client_for(world.ast_tm).post(
        "/api/bulk-transfers/",
        {
            "from_team": world.teams["assessment_east"].pk,
            "to_team": world.teams["assessment_east"].pk,
            "reason": "Restructure",
        },
        format="json",
    )
    assert same_team.status_code == 400 and "to_worker" in same_team.json()["errors"]


def test_audit_trail_is_for_auditors_and_managers(world):
    child = world.child("M3", "Oz")
    assert client_for(world.ast_sw).get(f"/api/children/{child.pk}/").status_code == 200
    assert client_for(world.auditor).get("/api/audit/").json()["count"] >= 1
    assert client_for(world.ast_sw).get("/api/audit/").status_code == 403
    on_record = client_for(world.ast_tm).get(f"/api/children/{child.pk}/audit/").json()["results"]
    assert any(e["verb"] == "child_viewed" and e["actor"] == world.ast_sw.user.username for e in on_record)
    assert client_for(world.ast_sw).get(f"/api/children/{child.pk}/audit/").status_code == 403


def test_reassign_through_the_api(world):
    child = world.child("M4", "Pia")
    bad = client_for(world.ast_tm).post(
        f"/api/children/{child.pk}/reassign/", {"worker": world.cin_sw.pk}, format="json"
    )
    assert bad.status_code == 400 and "worker" in bad.json()["errors"]
    ok = client_for(world.ast_tm).post(
        f"/api/children/{child.pk}/reassign/", {"worker": world.ast_sw2.pk}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["worker"] == world.ast_sw2.pk


def test_audit_trail_shows_only_this_authoritys_events(world):
    other = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    stranger = dated_staff(
        authority=other, username="cb_admin", name="Cb Admin", roles=[(Role.ADMINISTRATOR, None)]
    )
    audit_record(at=NOW, actor=stranger, verb=Verb.IMPORT, detail="imported 10 caseload rows")
    audit_record(at=NOW, actor=world.ast_tm, verb=Verb.IMPORT, detail="imported 3 staff rows")
    seen = {e["detail"] for e in client_for(world.auditor).get("/api/audit/?verb=import").json()["results"]}
    assert seen == {"imported 3 staff rows"}
    assert AuditEvent.objects.filter(verb=Verb.IMPORT).count() == 2
