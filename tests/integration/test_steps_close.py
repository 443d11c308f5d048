"""Every step can close, and overdue means overdue (issue 10, item 1): the early warning sheet step closes when the
case is listed, the letters close "family told", other steps close by an explicit "done", and remedial actions
are marked done (and reopened) by their owner or a manager of either team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient
from tests.integration.conftest import NOW, TODAY, at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.children.models import InvolvedProfessional
from handover.documents import letters
from handover.domain.errors import ApplicationError
from handover.meetings.models import MeetingItem
from handover.meetings.selectors import sheet_rows
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.organisation.access import AccessDenied
from handover.transfers import selectors, services
from handover.transfers.models import RemedialAction, TransferEvent
from handover.web import selectors as pages

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)  # the cut-off for Wednesday's sitting; TODAY is the Tuesday


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _step(transfer, step):
    return transfer.deadlines.get(step=step)


def test_a_case_listed_by_the_cut_off_has_its_sheet_step_done_not_overdue(world):
    transfer = listed_on(world, "ews1", MONDAY)
    sheet = _step(transfer, "early_warning_cutoff")
    assert sheet.actual == MONDAY
    overdue = [d.step for d in transfer.deadlines.all() if d.due and not d.actual and d.due < TODAY]
    assert overdue == []
    assert pages.team_pressure(world.teams["assessment_east"], TODAY, world.ast_tm).overdue == 0
    my_work = signed_in(world.ast_tm).get("/my-work/").content.decode()
    assert "Ews1 Testfamily" in my_work and "Overdue" not in my_work
    team = signed_in(world.ast_tm).get(f"/team/{world.teams['assessment_east'].pk}/").content.decode()
    assert "with an overdue step" in team
    assert (
        '<span class="govuk-!-font-size-48 govuk-!-font-weight-bold">0</span><br>with an overdue step' in team
    )
    page = signed_in(world.ast_tm).get(f"/transfers/{transfer.pk}/").content.decode()
    assert "Done 23 November 2026" in page


@pytest.fixture
def with_worker(world):
    transfer = listed_on(world, "let1", MONDAY)
    child = transfer.child
    child.address = "1 Example Road\nExampletown EX1 1AA"
    child.save()
    InvolvedProfessional.objects.create(
        child=child, name="Dr Ada Example", role="GP", address="2 Surgery Lane"
    )
    world.cin_sw.phone = "01234 567890"
    world.cin_sw.save()
    for action, extra in (
        ("agree", {"to_team": world.teams["cin_cp_east"], "transfer_date": dt.date(2026, 12, 9)}),
        ("identify_worker", {"worker": world.cin_sw}),
    ):
        transfer = services.transfer_act(
            now=NOW,
            actor=world.cin_tm,
            transfer=transfer,
            action=action,
            expected_version=transfer.version,
            on=MONDAY,
            **extra,
        )
    return transfer


def test_writing_the_letters_closes_family_told(world, with_worker):
    transfer = with_worker
    assert _step(transfer, "family_told").actual is None
    letters.letters_send(actor=world.ast_sw, transfer=transfer, now=at(TODAY))
    assert _step(transfer, "family_told").actual == TODAY


def test_a_step_nothing_else_closes_is_closed_by_an_explicit_done(world):
    transfer = listed_on(world, "man1", MONDAY)
    assert "introductions_planned" in services.transfer_manual_steps(transfer)
    with pytest.raises(AccessDenied):
        services.transfer_step_done(
            actor=world.lac_tm, transfer=transfer, step="introductions_planned", now=NOW
        )
    with pytest.raises(ApplicationError) as wrong:
        services.transfer_step_done(
            actor=world.ast_sw, transfer=transfer, step="early_warning_cutoff", now=NOW
        )
    assert "closed by list" in wrong.value.errors["step"]
    with pytest.raises(ApplicationError):
        services.transfer_step_done(actor=world.ast_sw, transfer=transfer, step="no_such_step", now=NOW)
    response = signed_in(world.ast_sw).post(f"/transfers/{transfer.pk}/steps/introductions_planned/done/")
    assert response.status_code == 302
    assert _step(transfer, "introductions_planned").actual == TODAY
    event = TransferEvent.objects.get(transfer=transfer, action=services.STEP_DONE)
    assert (event.actor, event.at, event.data) == (world.ast_sw, NOW, {"step": "introductions_planned"})
    with pytest.raises(ApplicationError, match="already done"):
        services.transfer_step_done(
            actor=world.ast_tm, transfer=transfer, step="introductions_planned", now=NOW
        )


def _action(world, transfer):
    return services.remedial_action_create(
        now=NOW,
        actor=world.ast_tm,
        transfer=transfer,
        description="Update the chronology",
        owner=world.ast_sw,
        due=TODAY + dt.timedelta(days=7),
    )


def test_a_remedial_action_done_by_its_owner_stops_being_outstanding_and_a_manager_reopens_it(world):
    transfer = listed_on(world, "rem1", MONDAY)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    action = _action(world, transfer)
    assert [a for a, _ in selectors.remedial_actions_for(world.ast_sw, TODAY)] == [action]
    assert "Update the chronology" in signed_in(world.ast_sw).get("/my-work/").content.decode()

    page = signed_in(world.ast_sw).get(f"/transfers/{transfer.pk}/").content.decode()
    assert f"/transfers/{transfer.pk}/remedial-actions/{action.pk}/done/" in page
    assert (
        signed_in(world.ast_sw)
        .post(f"/transfers/{transfer.pk}/remedial-actions/{action.pk}/done/")
        .status_code
        == 302
    )
    action.refresh_from_db()
    assert (action.done_at, action.done_by) == (NOW, world.ast_sw)
    assert selectors.remedial_actions_for(world.ast_sw, TODAY) == []
    assert "Update the chronology" not in signed_in(world.ast_sw).get("/my-work/").content.decode()
    assert MeetingItem.objects.filter(meeting=meeting, transfer=transfer).exists()
    assert all(row.remedial_actions == () for row in sheet_rows(meeting, world.ast_tm))

    # A manager of the receiving side reopens it, through the API; the history keeps both changes.
    client = APIClient()
    client.force_authenticate(world.cin_tm.user)
    response = client.post(f"/api/transfers/{transfer.pk}/remedial-actions/{action.pk}/reopen/")
    assert response.status_code == 200, response.content
    assert response.json()["done_at"] is None
    action.refresh_from_db()
    assert action.done_at is None and action.done_by is None
    assert [h.done_by_id for h in action.history.order_by("history_id")] == [None, world.ast_sw.pk, None]
    assert (
        AuditEvent.objects.filter(verb=Verb.REMEDIAL_ACTION, detail__in=["marked done", "reopened"]).count()
        == 2
    )
    assert [a for a, _ in selectors.remedial_actions_for(world.ast_sw, TODAY)] == [action]
    assert [len(row.remedial_actions) for row in sheet_rows(meeting, world.ast_tm)] == [1]

    # Done again through the API by the owner; reopening what is open, or finishing what is done, is refused.
    owner = APIClient()
    owner.force_authenticate(world.ast_sw.user)
    assert owner.post(f"/api/transfers/{transfer.pk}/remedial-actions/{action.pk}/done/").status_code == 200
    assert owner.post(f"/api/transfers/{transfer.pk}/remedial-actions/{action.pk}/done/").status_code == 400


@pytest.mark.parametrize("person", ["ast_sw2", "cin_sw", "business_support", "lac_tm", "auditor", "director"])
def test_others_may_not_mark_a_remedial_action_done_or_reopen_it(world, person):
    transfer = listed_on(world, "rem2", MONDAY)
    action = _action(world, transfer)
    other = getattr(world, person)
    with pytest.raises(AccessDenied):
        services.remedial_action_done(actor=other, action=action, now=NOW)
    services.remedial_action_done(actor=world.ast_pm, action=action, now=NOW)  # a sending manager may
    with pytest.raises(AccessDenied):
        services.remedial_action_reopen(actor=other, action=RemedialAction.objects.get(pk=action.pk), now=NOW)
    client = APIClient()
    client.force_authenticate(other.user)
    response = client.post(f"/api/transfers/{transfer.pk}/remedial-actions/{action.pk}/reopen/")
    assert response.status_code in (403, 404)
    assert RemedialAction.objects.get(pk=action.pk).done_at == NOW


def test_a_standing_timescale_is_closed_by_an_explicit_done_too(world):
    transfer = listed_on(world, "man2", MONDAY)
    assert {"referral_decision", "introductions_planned"} <= services.transfer_manual_steps(transfer)
    page = signed_in(world.ast_sw).get(f"/transfers/{transfer.pk}/").content.decode()
    assert f"/transfers/{transfer.pk}/steps/introductions_planned/done/" in page
    assert "/steps/early_warning_cutoff/done/" not in page  # closed by listing, not by hand
    services.transfer_step_done(actor=world.cin_sw, transfer=transfer, step="referral_decision", now=NOW)
    assert TransferEvent.objects.filter(
        transfer=transfer, action=services.STEP_DONE, data__step="referral_decision", actor=world.cin_sw
    ).exists()


def test_a_step_marked_done_by_mistake_is_reopened_from_the_transfer_page_with_the_reason(world):
    transfer = listed_on(world, "man3", MONDAY)
    client = signed_in(world.ast_sw)
    client.post(f"/transfers/{transfer.pk}/steps/introductions_planned/done/")
    page = client.get(f"/transfers/{transfer.pk}/").content.decode()
    reopen = f"/transfers/{transfer.pk}/steps/introductions_planned/reopen/"
    assert reopen in page
    form = client.get(reopen)
    assert form.status_code == 200 and "Reopen “Introductions to the family" in form.content.decode()
    blank = client.post(reopen, {"reason": " "})
    assert blank.status_code == 400 and "Enter why the step is reopened" in blank.content.decode()
    assert _step(transfer, "introductions_planned").actual == TODAY  # nothing written
    done = client.post(reopen, {"reason": "Marked done on the wrong child"})
    assert done.status_code == 302
    assert _step(transfer, "introductions_planned").actual is None
    assert TransferEvent.objects.filter(
        transfer=transfer, action=services.STEP_REOPENED, reason="Marked done on the wrong child"
    ).exists()
    # Someone outside both teams sees no link and may not reopen.
    assert reopen not in signed_in(world.lac_tm).get(f"/transfers/{transfer.pk}/").content.decode()
