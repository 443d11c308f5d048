"""The sweep's work through the API: steps marked done and reopened, escalations listed and acknowledged,
notifications still to do, and a document posted to the child's file closing the step it stands for at once."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient
from tests.integration.conftest import NOW, at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.sweep.services import sweep_run
from handover.transfers import services

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)


def api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


def test_a_step_is_marked_done_and_reopened_through_the_api(world):
    transfer = listed_on(world, "api1", MONDAY)
    url = f"/api/transfers/{transfer.pk}/steps/introductions_planned"
    done = api(world.ast_sw).post(f"{url}/done/")
    assert done.status_code == 201, done.json()
    assert done.json()["action"] == "step_done"
    again = api(world.ast_sw).post(f"{url}/done/")
    assert again.status_code == 400 and "already done" in str(again.json())
    blank = api(world.ast_sw).post(f"{url}/reopen/", {"reason": ""}, format="json")
    assert blank.status_code == 400 and "Enter why the step is reopened" in str(blank.json())
    reopened = api(world.ast_sw).post(f"{url}/reopen/", {"reason": "Done by mistake"}, format="json")
    assert reopened.status_code == 201 and reopened.json()["reason"] == "Done by mistake"
    closed_by_action = api(world.ast_sw).post(f"/api/transfers/{transfer.pk}/steps/handover_meeting/done/")
    assert closed_by_action.status_code == 400 and "not by hand" in str(closed_by_action.json())
    outsider = api(world.lac_tm).post(f"{url}/done/")
    assert outsider.status_code == 403
    assert outsider.json()["rule"] == "transfer.step_done.role"


def test_escalations_are_listed_in_words_and_acknowledged_by_the_person_they_sit_with(world):
    transfer = listed_on(world, "api2", MONDAY)
    sweep_run(now=at(dt.date(2026, 12, 3)))  # 5 working days after the meeting step went overdue (D-032)
    listing = api(world.service_manager).get("/api/escalations/")
    assert listing.status_code == 200
    [row] = [r for r in listing.json()["results"] if r["transfer"] == transfer.pk]
    assert (row["level"], row["role_name"], row["cites"]) == (1, "Service manager", ["D-030", "D-032"])
    assert row["subject_name"] == "A step is overdue" and row["opened_by_name"].startswith("Handover")
    assert AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail="/api/escalations/").exists()

    refused = api(world.ast_sw).post(f"/api/escalations/{row['id']}/acknowledge/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["rule"] == "transfer.escalation_acknowledge.role"
    ok = api(world.service_manager).post(
        f"/api/escalations/{row['id']}/acknowledge/", {"note": "Speaking to both managers"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["acknowledged_by"] == world.service_manager.pk
    twice = api(world.service_manager).post(f"/api/escalations/{row['id']}/acknowledge/", {}, format="json")
    assert twice.status_code == 400 and "acknowledged it already" in str(twice.json())


def test_notifications_still_to_do_clear_when_the_work_is_done(world):
    transfer = listed_on(world, "api3", MONDAY)
    action = services.remedial_action_create(
        actor=world.ast_tm,
        transfer=transfer,
        description="Chronology",
        owner=world.ast_sw,
        due=dt.date(2026, 11, 25),
        now=NOW,
    )
    sweep_run(now=at(dt.date(2026, 11, 24)))
    mine = api(world.ast_sw).get("/api/notifications/").json()["results"]
    assert [n["kind_name"] for n in mine if "Remedial action" in n["title"]] == ["Due soon"]
    services.remedial_action_done(actor=world.ast_sw, action=action, now=at(dt.date(2026, 11, 24), 12))
    mine = api(world.ast_sw).get("/api/notifications/").json()["results"]
    assert not [n for n in mine if "Remedial action" in n["title"]]


def test_a_document_posted_to_the_childs_file_closes_its_step_at_once(world):
    transfer = services.transfer_propose(
        now=at(MONDAY),
        actor=world.ast_tm,
        child=world.child("api4", "Pep"),
        event="becomes_looked_after",
        on=MONDAY,
        answers={"facts": {"emergency_placement": True}},  # D-049: ten working days in an emergency
        to_service=world.services["lac"],
    ).transfers[0]
    posted = api(world.ast_sw).post(
        f"/api/children/{transfer.child.pk}/documents/",
        {"document_type": "pep", "dated": "2026-11-24", "title": "PEP"},
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    assert transfer.deadlines.get(step="pep_initiated").actual == dt.date(2026, 11, 24)
