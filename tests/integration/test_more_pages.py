"""Team, escalations and protocol pages; error and service-unavailable pages."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.transfers import services

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def blocked_and_escalated(world):
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("E1", "Eli"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    for actor, action, reason in (
        (world.ast_tm, "list", ""),
        (world.cin_tm, "block", "No capacity"),
        (world.ast_tm, "escalate", "Blocked a week"),
    ):
        transfer.refresh_from_db()
        services.transfer_act(
            now=NOW,
            actor=actor,
            transfer=transfer,
            action=action,
            expected_version=transfer.version,
            reason=reason,
        )
    return transfer


def test_escalations_page_shows_the_service_managers_queue(world):
    transfer = blocked_and_escalated(world)
    page = signed_in(world.service_manager).get("/escalations/").content.decode()
    assert "Eli Testfamily" in page and "Blocked a week" in page and "Level 1" in page
    assert f"/transfers/{transfer.pk}/" in page
    other = signed_in(world.lac_tm).get("/escalations/").content.decode()
    assert "There are no open escalations for you" in other


def test_team_page_shows_caseload_and_pressures_to_managers_only(world):
    blocked_and_escalated(world)
    page = signed_in(world.ast_tm).get("/team/").content.decode()
    assert "Assessment Team East" in page and "Caseload by worker" in page and "Ava Assessment Sw" in page
    assert "blocked or escalated" in page
    assert signed_in(world.ast_sw).get("/team/").status_code == 403


def test_protocol_page_shows_what_is_enforced_with_clauses(world):
    page = signed_in(world.ast_sw).get("/protocol/").content.decode()
    assert "Social Care Transfer Protocol" in page
    assert "Re-referral within 3 months goes back to the team that held the case" in page
    assert "CSE screening completed" in page and "D-042" in page
    assert 'id="D-083"' in page  # every paragraph, quotable by its ID


@override_settings(DEBUG=False)
def test_not_found_and_forbidden_pages_use_the_design_system(world):
    page = signed_in(world.ast_sw).get("/children/999999/")
    assert page.status_code == 404
    assert "Page not found" in page.content.decode() and "Go to the start page" in page.content.decode()
    forbidden = signed_in(world.ast_sw).get("/team/")
    assert forbidden.status_code == 403 and "You cannot see this page" in forbidden.content.decode()


@override_settings(HANDOVER_MAINTENANCE=True)
def test_service_unavailable_page(world):
    response = Client().get("/")
    assert response.status_code == 503 and "Sorry, the service is unavailable" in response.content.decode()
    assert response["Retry-After"] == "3600"
