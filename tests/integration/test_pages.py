"""Pages through Django's test client: sign in, start page, my work, search. (Browser tests: tests/browser.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.audit.models import AuditEvent, Verb
from handover.transfers import services

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def test_start_page_names_the_authority_not_govuk(world):
    page = Client().get("/").content.decode()
    assert "Dorset County Council" in page and "Sign in" in page
    assert "GOV.UK" not in page and "crown" not in page.lower()


def test_sign_in_with_wrong_password_shows_the_error_summary(world):
    world.ast_tm.user.set_password("correct horse battery")
    world.ast_tm.user.save()
    page = (
        Client()
        .post("/sign-in/", {"username": world.ast_tm.user.username, "password": "nope"})
        .content.decode()
    )
    assert "There is a problem" in page and "Enter a correct username and password" in page
    response = Client().post(
        "/sign-in/", {"username": world.ast_tm.user.username, "password": "correct horse battery"}
    )
    assert response.status_code == 302 and response["Location"] == "/my-work/"


def test_my_work_lists_cases_transfers_waiting_and_overdue_marks(world):
    child = world.child("W1", "Wren")
    today = TODAY
    services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=child,
        event="assessment_concluded",
        on=today - dt.timedelta(days=40),
        answers=CIN_PLAN,
    )
    worker_page = signed_in(world.ast_sw).get("/my-work/").content.decode()
    assert "Wren Testfamily" in worker_page and "W1" in worker_page
    manager_page = signed_in(world.ast_tm).get("/my-work/").content.decode()
    assert "Transfers waiting on me" in manager_page and "Wren Testfamily" in manager_page
    assert "Overdue" in manager_page and "working days late" in manager_page


def test_my_work_needs_sign_in(world):
    response = Client().get("/my-work/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_search_finds_by_name_and_is_audited(world):
    world.child("S1", "Saffron")
    page = signed_in(world.cin_sw).get("/children/", {"q": "saffron"}).content.decode()
    assert "1 result" in page and "Saffron Testfamily" in page
    assert AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail="search: saffron").exists()
    short = signed_in(world.cin_sw).get("/children/", {"q": "s"}).content.decode()
    assert "There is a problem" in short and "Enter at least 2 characters" in short


def test_sign_out_is_a_post(world):
    client = signed_in(world.ast_sw)
    assert client.get("/sign-out/").status_code == 302
    assert client.get("/my-work/").status_code == 200  # a GET did not sign out
    client.post("/sign-out/")
    assert client.get("/my-work/").status_code == 302


def test_search_filters_by_team_and_open_transfer(world):
    east = world.child("F1", "Fenella")
    world.child("F2", "Fenwick", team="assessment_west")
    client = signed_in(world.ast_tm)
    both = client.get("/children/", {"q": "fen"}).content.decode()
    assert "2 results" in both and "Filter" in both
    team = world.teams["assessment_east"].pk
    one = client.get("/children/", {"q": "fen", "team": team}).content.decode()
    assert "1 result" in one and "Fenella" in one and "Fenwick" not in one
    none = client.get("/children/", {"q": "fen", "open_transfer": "yes"}).content.decode()
    assert "0 results" in none
    services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=east,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    )
    assert "1 result" in client.get("/children/", {"q": "fen", "open_transfer": "yes"}).content.decode()
