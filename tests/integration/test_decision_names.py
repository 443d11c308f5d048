"""Role and team beside names in decisions (issue 12): wherever a decision or an action is shown with who took
it (a transfer's history, the child's timeline, sign-offs, escalations, meeting decisions and their minutes),
it reads "Name, Role, Team", with the role and team they held that day; one query for everyone, not one each."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, listed_on

from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_record_decision,
    meeting_sitting_schedule,
)
from handover.organisation.models import Membership, Role, StaffMember
from handover.organisation.selectors import name_with_role, with_memberships
from handover.transfers import selectors, services

pytestmark = pytest.mark.django_db

AVA = "Ava Assessment Sw, Social worker, Assessment Team East"
TOM = "Tom Assessment Tm, Team manager, Assessment Team East"


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def act(actor, transfer, action, **kwargs):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **kwargs
    )


def propose(world, identifier, first):
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child(identifier, first),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]


def promote(staff, team, on):
    """`staff` stops being a team manager of `team` the day before `on` and is a service manager from `on`."""
    Membership.objects.filter(staff=staff, team=team).update(end=on - dt.timedelta(days=1))
    Membership.objects.create(staff=staff, role=Role.SERVICE_MANAGER, service=team.service, start=on)


def test_the_role_and_team_are_those_held_that_day(world):
    promote(world.ast_tm, world.teams["assessment_east"], TODAY)
    tom = StaffMember.objects.get(pk=world.ast_tm.pk)
    assert name_with_role(tom, TODAY - dt.timedelta(days=1)) == TOM
    assert name_with_role(tom, TODAY) == "Tom Assessment Tm, Service manager, Assessment Service"
    assert name_with_role(world.director, TODAY) == "Dee Director, Service director"  # across the authority
    assert name_with_role(world.ast_sw, dt.date(2019, 1, 1)) == "Ava Assessment Sw"  # before any role
    Membership.objects.create(
        staff=world.ast_sw, role=Role.PRACTICE_MANAGER, team=world.teams["cin_cp_west"], start=TODAY
    )
    ava = StaffMember.objects.get(pk=world.ast_sw.pk)
    assert name_with_role(ava, at(TODAY)) == (  # several roles: the most senior first
        "Ava Assessment Sw, Practice manager, CIN and CP Team West; Social worker, Assessment Team East"
    )


def test_the_transfer_history_and_the_childs_timeline_say_who_did_what_as_they_were(world):
    transfer = propose(world, "N1", "Nia")
    act(world.ast_tm, transfer, "list")
    promote(world.ast_tm, world.teams["assessment_east"], TODAY + dt.timedelta(days=1))  # later: not then

    history = signed_in(world.cin_tm).get(f"/transfers/{transfer.pk}/").content.decode()
    assert f"by {AVA}" in history and f"by {TOM}" in history
    timeline = signed_in(world.cin_tm).get(f"/children/{transfer.child.pk}/").content.decode()
    assert f"by {AVA}" in timeline and f"by {TOM}" in timeline


def test_escalations_and_sign_offs_name_role_and_team(world):
    transfer = propose(world, "N2", "Noor")
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "block", reason="No capacity this month")
    act(world.ast_tm, transfer, "escalate", reason="Blocked for a week")
    escalations = signed_in(world.service_manager).get("/escalations/").content.decode()
    assert f"{TOM}, 24 November 2026" in escalations
    timeline = selectors.child_timeline(transfer.child)
    raised = next(e for e in timeline if e.title.startswith("Escalated to level 1"))
    assert raised.by == TOM

    other = propose(world, "N3", "Nell")
    services.transfer_sign_off(now=NOW, actor=world.ast_tm, transfer=other, kind="sending_audit")
    page = signed_in(world.ast_tm).get(f"/transfers/{other.pk}/").content.decode()
    assert f"File audited by the transferring team manager — {TOM}, 24 November 2026" in page


def test_a_meeting_decision_names_who_decided_and_who_recorded_it(world):
    monday = dt.date(2026, 11, 23)
    listed = listed_on(world, "n4", monday)
    meeting = meeting_sitting_schedule(authority=world.authority, on=monday, now=NOW)
    item = early_warning_sheet_compile(meeting=meeting, now=NOW)[0]
    assert item.transfer.pk == listed.pk
    meeting_record_decision(
        now=at(meeting.sits_on),
        actor=world.business_support,
        item=item,
        decision="declined",
        decided_by=world.cin_tm,
        reason="Threshold not met",
    )
    tia = "Tia Cin Tm, Team manager, CIN and CP Team East"
    page = signed_in(world.business_support).get(f"/meetings/{meeting.pk}/cases/{item.pk}/").content.decode()
    assert f"by {tia}, recorded by Bea Business Support, Business support, Assessment Team East." in page
    minutes = signed_in(world.business_support).get(f"/meetings/{meeting.pk}/minutes.xlsx")
    cells = [
        c
        for row in load_workbook(io.BytesIO(minutes.content)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert tia in cells


def test_one_query_for_everyone_not_one_each(world):
    transfer = propose(world, "N5", "Nico")
    child = transfer.child

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for entry in selectors.child_timeline(child):
                assert entry.title
        return len(captured)

    before = queries()
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "block", reason="No capacity this month")
    assert queries() == before  # two more people on the timeline, no more queries
    events = list(transfer.events.select_related("actor").prefetch_related(with_memberships("actor")))
    with CaptureQueriesContext(connection) as captured:
        words = [e.actor_words for e in events]
    assert len(captured) == 0 and words[:2] == [AVA, TOM]


def test_the_decided_by_choices_and_the_api_history_name_role_and_team(world):
    monday = dt.date(2026, 11, 23)
    listed = listed_on(world, "n5", monday)
    meeting = meeting_sitting_schedule(authority=world.authority, on=monday, now=NOW)
    item = early_warning_sheet_compile(meeting=meeting, now=NOW)[0]
    page = signed_in(world.business_support).get(f"/meetings/{meeting.pk}/cases/{item.pk}/").content.decode()
    tia = "Tia Cin Tm, Team manager, CIN and CP Team East"
    assert f">{tia}</option>" in page  # which Tia, in which team, when choosing who decided

    detail = signed_in(world.cin_tm).get(f"/api/transfers/{listed.pk}/").json()
    listed_event = next(e for e in detail["events"] if e["action"] == "list")
    assert listed_event["actor_words"] == TOM
