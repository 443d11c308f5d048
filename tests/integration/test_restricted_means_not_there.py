"""A restricted record is not there for anyone not named on it: not on the team page, not in a bulk move's
results (issue 9). The record page and the API are covered in test_api.py."""

from __future__ import annotations

import datetime as dt
import io
import re

from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, listed_on

from handover.children.models import RestrictedAccess
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.transfers import services


def _restricted(world, identifier, first):
    child = world.child(identifier, first, restricted=True)
    RestrictedAccess.objects.create(child=child, staff=world.ast_tm)
    return child


def _names(page: str, identifier: str) -> bool:
    """Whether the page shows a short identifier as a word (not inside a random CSRF token or CSP nonce, where
    "T2" turns up by chance)."""
    return re.search(rf"(?<![A-Za-z0-9_+/=-]){re.escape(identifier)}(?![A-Za-z0-9_+/=-])", page) is not None


def _page(staff, url) -> str:
    client = Client()
    client.force_login(staff.user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_team_page_shows_a_restricted_childs_transfer_only_to_staff_named_on_it(world):
    open_child = world.child("T1", "Tamsin")
    secret = _restricted(world, "T2", "Saoirse")
    for child in (open_child, secret):
        services.transfer_propose(
            now=NOW, actor=world.ast_tm, child=child, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
        )
    named = _page(world.ast_tm, "/team/")
    assert "Tamsin" in named and "Saoirse" in named
    unnamed = _page(world.cin_tm, "/team/")  # the receiving manager, not named on the record
    assert "Tamsin" in unnamed and "Saoirse" not in unnamed and not _names(unnamed, "T2")


def test_a_bulk_moves_results_leave_out_children_the_reader_may_not_see(
    world, django_capture_on_commit_callbacks
):
    world.child("B1", "Bryony")
    secret = _restricted(world, "B2", "Sorcha")
    client = APIClient()
    client.force_authenticate(user=world.ast_tm.user)
    with django_capture_on_commit_callbacks(execute=True):  # the job runs when its request commits
        made = client.post(
            "/api/bulk-transfers/",
            {
                "from_team": world.teams["assessment_east"].pk,
                "to_team": world.teams["assessment_east"].pk,
                "from_worker": world.ast_sw.pk,
                "to_worker": world.ast_sw2.pk,
                "reason": "Ava is leaving",
                "reason_code": "LEFTRL",
            },
            format="json",
        )
    assert made.status_code == 202, made.content
    job = made.json()["id"]
    named = client.get(f"/api/bulk-transfers/{job}/").json()["results"]
    assert {r["identifier"] for r in named} == {"B1", "B2"}
    RestrictedAccess.objects.filter(child=secret).delete()  # no longer named on it: now it is not there
    unnamed = client.get(f"/api/bulk-transfers/{job}/").json()["results"]
    assert {r["identifier"] for r in unnamed} == {"B1"}
    assert "B2" not in str(client.get("/api/bulk-transfers/").json())


def test_the_meeting_agenda_papers_and_case_page_leave_out_a_restricted_child(world):
    """Business support run the meeting but are not named on the record: for them it is not on the sheet."""
    monday = dt.date(2026, 11, 23)
    listed_on(world, "open1", monday)
    secret = listed_on(world, "secret1", monday)
    secret.child.restricted = True
    secret.child.save()
    RestrictedAccess.objects.create(child=secret.child, staff=world.ast_tm)
    meeting = meeting_sitting_schedule(authority=world.authority, on=monday, now=NOW)
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    item = meeting.items.get(transfer=secret)

    named = _page(world.ast_tm, f"/meetings/{meeting.pk}/")
    assert "Secret1" in named and "Open1" in named
    unnamed = _page(world.business_support, f"/meetings/{meeting.pk}/")
    assert "Open1" in unnamed and "Secret1" not in unnamed and "secret1" not in unnamed
    client = Client()
    client.force_login(world.business_support.user)
    assert client.get(f"/meetings/{meeting.pk}/cases/{item.pk}/").status_code == 404
    sheet = client.get(f"/meetings/{meeting.pk}/sheet.xlsx")
    cells = [c.value for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows() for c in row]
    assert any("Open1" in str(c) for c in cells)
    assert not any("Secret1" in str(c) or "secret1" in str(c) for c in cells)


def test_my_work_leaves_out_a_restricted_case_the_worker_is_not_named_on(world):
    """Even the allocated worker sees a restricted record only when named on it (as the API does)."""
    world.child("M1", "Morwenna")
    secret = world.child("M2", "Siân", restricted=True)
    RestrictedAccess.objects.create(child=secret, staff=world.ast_tm)
    page = _page(world.ast_sw, "/my-work/")
    assert "Morwenna" in page and "Siân" not in page and not _names(page, "M2")
    RestrictedAccess.objects.create(child=secret, staff=world.ast_sw)
    assert "Siân" in _page(world.ast_sw, "/my-work/")
