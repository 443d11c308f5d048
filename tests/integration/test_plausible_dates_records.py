"""Plausible dates on every way in (issue 12): the proposal, the agreement, the child's record (pages and API),
the import and the meeting refuse what a user trial found stored, with the same words (domain.plausible)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.integration.conftest import NOW, TODAY, at, listed_on

from handover.children.models import Child, DocumentOnFile
from handover.domain.errors import ApplicationError
from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_record_decision,
    meeting_sitting_schedule,
)
from handover.onboarding.importing import ImportFailed, import_csv
from handover.transfers import services

pytestmark = pytest.mark.django_db

CIN_PLAN = {"facts": {"assessment_outcome": "cin_plan"}, "siblings": {"in_care_proceedings": False}}


def test_an_event_in_the_future_or_before_birth_is_refused_at_proposal(world):
    child = world.child("pd1", "Pia")  # born 1 March 2016
    for day, words in (
        (TODAY + dt.timedelta(days=3), "cannot be in the future"),
        (dt.date(2015, 6, 1), "cannot be before the child was born (1 March 2016)"),
    ):
        with pytest.raises(ApplicationError) as refused:
            services.transfer_propose(
                now=NOW,
                actor=world.ast_sw,
                child=child,
                event="assessment_concluded",
                on=day,
                answers=CIN_PLAN,
            )
        assert words in refused.value.errors["date"]
    assert not child.transfers.exists()
    # The propose pages say so on the first step.
    client = Client()
    client.force_login(world.ast_sw.user)
    future = TODAY + dt.timedelta(days=3)
    page = client.post(
        f"/children/{child.pk}/propose/",
        {
            "event": "assessment_concluded",
            "date-day": future.day,
            "date-month": future.month,
            "date-year": future.year,
        },
    )
    assert "The date of the event cannot be in the future" in page.content.decode()


def test_an_agreed_date_in_2099_or_past_the_deadline_without_a_reason_is_refused(world):
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("pd2", "Pip"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    transfer = services.transfer_act(
        now=NOW, actor=world.ast_tm, transfer=transfer, action="list", expected_version=transfer.version
    )
    deadline = transfer.deadlines.get(transfer_by=True).due

    def agree(day, reason=""):
        transfer.refresh_from_db()
        return services.transfer_act(
            now=NOW,
            actor=world.cin_tm,
            transfer=transfer,
            action="agree",
            expected_version=transfer.version,
            to_team=world.teams["cin_cp_east"],
            transfer_date=day,
            reason=reason,
        )

    with pytest.raises(ApplicationError) as refused:
        agree(dt.date(2099, 1, 1))
    assert "cannot be more than a year ahead" in refused.value.errors["transfer_date"]
    with pytest.raises(ApplicationError) as refused:
        agree(deadline + dt.timedelta(days=7))
    assert "after the protocol's deadline for this transfer" in refused.value.errors["transfer_date"]
    agreed = agree(deadline + dt.timedelta(days=7), reason="The receiving worker starts after the holiday")
    assert agreed.transfer_date == deadline + dt.timedelta(days=7)


def test_the_childs_record_refuses_a_document_dated_2031_and_a_birth_in_the_future(world):
    child = world.child("pd3", "Poppy")
    client = Client()
    client.force_login(world.ast_tm.user)
    response = client.post(
        f"/api/children/{child.pk}/documents/",
        {"document_type": "chronology", "dated": "2031-01-05"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "cannot be in the future" in str(response.json())
    assert not DocumentOnFile.objects.filter(child=child).exists()
    response = client.patch(
        f"/api/children/{child.pk}/", {"date_of_birth": "2030-01-01"}, content_type="application/json"
    )
    assert response.status_code == 400 and "date_of_birth" in str(response.json())
    child.refresh_from_db()
    assert child.date_of_birth == dt.date(2016, 3, 1)


def test_an_import_with_a_birth_in_2030_or_an_allocation_before_birth_is_refused_whole(world):
    caseload = (
        "identifier,first_name,last_name,date_of_birth,team,allocation_start\n"
        "Q1,Quinn,Testley,2030-04-02,cin_cp_east,2026-01-05\n"
        "Q2,Remy,Testley,2020-04-02,cin_cp_east,2019-01-05\n"
        "Q3,Sol,Testley,2020-04-02,cin_cp_east,2026-01-05\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_csv(now=NOW, authority=world.authority, kind="caseload", text=caseload)
    problems = {(p.row, p.column): p.message for p in failed.value.problems}
    assert "cannot be in the future" in problems[(2, "date_of_birth")]
    assert "before the child was born" in problems[(3, "allocation_start")]
    assert not Child.objects.filter(identifier__in=["Q1", "Q2", "Q3"]).exists()


def test_a_meeting_decision_is_recorded_from_the_day_it_sits(world):
    day = TODAY - dt.timedelta(days=1)
    transfer = listed_on(world, "pd5", day)
    meeting = meeting_sitting_schedule(authority=world.authority, on=day, now=NOW)
    (item,) = early_warning_sheet_compile(meeting=meeting, now=NOW)
    assert meeting.sits_on > TODAY
    with pytest.raises(ApplicationError) as refused:
        meeting_record_decision(
            now=NOW,
            actor=world.business_support,
            item=item,
            decision="deferred",
            decided_by=world.cin_tm,
            reason="Not ready",
        )
    assert refused.value.errors["meeting"].startswith(f"the meeting sits on {meeting.sits_on:%A %-d %B %Y}")
    decided = meeting_record_decision(
        now=at(meeting.sits_on),
        actor=world.business_support,
        item=item,
        decision="deferred",
        decided_by=world.cin_tm,
        reason="Not ready",
    )
    assert decided.decision == "deferred" and transfer.pk == item.transfer_id
