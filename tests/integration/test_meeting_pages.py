"""Meeting mode and the document pages, through Django's test client: what business support, managers and
workers see and may do, bad input named field by field, and every download audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook
from tests.integration.conftest import NOW, TODAY, at, dated_staff, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.children.models import DocumentOnFile, InvolvedProfessional
from handover.meetings.models import Decision, Meeting
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.transfers import services

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def sitting(world):
    first = listed_on(world, "mp1", MONDAY)
    second = listed_on(world, "mp2", MONDAY)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    items = {i.transfer.pk: i for i in early_warning_sheet_compile(meeting=meeting, now=NOW)}
    return meeting, items[first.pk], items[second.pk]


def test_agenda_lists_the_sheet_and_offers_meeting_mode_to_business_support(world, sitting):
    meeting, first, _ = sitting
    page = signed_in(world.business_support).get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Weekly transfer meeting, Wednesday 25 November 2026" in page
    assert "Mp1 Testfamily" in page and "Mp2 Testfamily" in page
    assert f"/meetings/{meeting.pk}/cases/{first.pk}/" in page and "Start with the next case" in page
    assert AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail__startswith="agenda of").exists()
    worker_page = signed_in(world.ast_sw).get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Mp1 Testfamily" in worker_page and "Start with the next case" not in worker_page


def test_meetings_page_shows_the_next_sittings(world):
    page = signed_in(world.ast_tm).get("/meetings/").content.decode()
    assert "Weekly transfer meeting" in page and "Monthly 16+ meeting" in page


def test_decision_form_names_each_missing_field_and_saves_nothing(world, sitting):
    meeting, first, _ = sitting
    url = f"/meetings/{meeting.pk}/cases/{first.pk}/"
    response = signed_in(world.business_support).post(url, {"decision": "agreed", "next": "1"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select the receiving team" in page and "Enter the agreed transfer date" in page
    assert "Select the manager who made the decision" in page
    first.refresh_from_db()
    assert first.decision == Decision.PENDING


def test_recording_an_agreement_moves_the_transfer_and_goes_to_the_next_case(world, sitting, settings):
    meeting, first, second = sitting
    settings.HANDOVER_FIXED_NOW = at(meeting.sits_on)  # the meeting sits: its decisions are recorded that day
    team = world.teams["cin_cp_east"]
    response = signed_in(world.business_support).post(
        f"/meetings/{meeting.pk}/cases/{first.pk}/",
        {
            "decision": "agreed",
            "to_team": team.pk,
            "transfer_date-day": "9",
            "transfer_date-month": "12",
            "transfer_date-year": "2026",
            "decided_by": world.cin_tm.pk,
            "next": "1",
        },
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/cases/{second.pk}/"
    )
    first.transfer.refresh_from_db()
    assert first.transfer.state == "agreed" and first.transfer.to_team == team
    assert first.transfer.transfer_date == dt.date(2026, 12, 9)


def test_declining_needs_a_reason_and_a_worker_cannot_record(world, sitting):
    meeting, _, second = sitting
    url = f"/meetings/{meeting.pk}/cases/{second.pk}/"
    missing = signed_in(world.business_support).post(
        url, {"decision": "declined", "decided_by": world.cin_tm.pk}
    )
    assert missing.status_code == 400 and "Give the reason the case was declined" in missing.content.decode()
    refused = signed_in(world.ast_sw).post(
        url, {"decision": "deferred", "decided_by": world.cin_tm.pk, "reason": "x"}
    )
    assert refused.status_code == 400
    assert "recorded by business support, the chair or the managers concerned" in refused.content.decode()


def test_remedial_action_from_meeting_mode_returns_to_the_case(world, sitting):
    meeting, first, _ = sitting
    back = f"/meetings/{meeting.pk}/cases/{first.pk}/"
    response = signed_in(world.business_support).post(
        f"/transfers/{first.transfer.pk}/remedial-actions/new/",
        {
            "description": "Genogram on file",
            "owner": world.ast_sw.pk,
            "due-day": "4",
            "due-month": "12",
            "due-year": "2030",
            "next": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == back
    evil = signed_in(world.business_support).post(
        f"/transfers/{first.transfer.pk}/remedial-actions/new/",
        {
            "description": "x",
            "owner": world.ast_sw.pk,
            "due-day": "4",
            "due-month": "12",
            "due-year": "2030",
            "next": "https://elsewhere.example/",
        },
    )
    assert evil["Location"] == f"/transfers/{first.transfer.pk}/"  # no open redirect


def test_late_addition_and_closing_through_the_pages(world, sitting):
    meeting, _, _ = sitting
    late = listed_on(world, "mp3", dt.date(2026, 11, 24))
    client = signed_in(world.business_support)
    form = client.get(f"/meetings/{meeting.pk}/late/").content.decode()
    assert "Mp3 Testfamily" in form
    bad = client.post(f"/meetings/{meeting.pk}/late/", {"transfer": late.pk})
    assert (
        bad.status_code == 400
        and "Select the manager of the transferring team who agreed" in bad.content.decode()
    )
    ok = client.post(
        f"/meetings/{meeting.pk}/late/",
        {"transfer": late.pk, "sending_manager": world.ast_tm.pk, "receiving_manager": world.cin_tm.pk},
    )
    assert ok.status_code == 302
    assert meeting.items.get(transfer=late).late_addition
    no_one = client.post(f"/meetings/{meeting.pk}/close/", {"minutes": "x"})
    assert no_one.status_code == 400 and "Select everyone who attended" in no_one.content.decode()
    closed = client.post(
        f"/meetings/{meeting.pk}/close/",
        {"minutes": "Three cases.", "attendees": [world.ast_tm.pk, world.cin_tm.pk]},
    )
    assert closed.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED and meeting.attendees.count() == 2
    agenda = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Attendance and minutes" in agenda and "minutes.pdf" in agenda


def test_papers_download_as_pdf_and_xlsx_and_are_audited(world, sitting):
    meeting, _, _ = sitting
    client = signed_in(world.ast_tm)
    pdf = client.get(f"/meetings/{meeting.pk}/sheet.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename="early-warning-sheet-2026-11-25.pdf"' in pdf["Content-Disposition"]
    xlsx = client.get(f"/meetings/{meeting.pk}/sheet.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(min_row=4, values_only=True))
    assert {r[1] for r in rows} == {"mp1", "mp2"}
    assert AuditEvent.objects.filter(verb=Verb.DOCUMENT_READ, actor=world.ast_tm.user).count() == 2
    assert client.get(f"/meetings/{meeting.pk}/agenda.pdf").status_code == 404
    assert signed_in(world.administrator).get(f"/meetings/{meeting.pk}/sheet.pdf").status_code == 403


def test_summary_pages_draft_then_authorise(world, sitting):
    _, first, _ = sitting
    transfer = first.transfer
    url = f"/transfers/{transfer.pk}/summary/"
    empty = signed_in(world.ast_sw).post(
        url,
        {
            "work_undertaken": "",
            "last_assessment_date-day": "31",
            "last_assessment_date-month": "2",
            "last_assessment_date-year": "2026",
        },
    )
    assert empty.status_code == 400
    body = empty.content.decode()
    assert "Enter the date of the last assessment as a real date" in body
    saved = signed_in(world.ast_sw).post(
        url, {"work_undertaken": "Assessment done.", "last_assessment_outcome": "CIN plan"}
    )
    assert saved.status_code == 302
    page = signed_in(world.ast_tm).get(url).content.decode()
    assert "Draft" in page and "Authorise the summary" in page
    refused = signed_in(world.ast_sw).post(url, {"authorise": "1"})
    assert (
        refused.status_code == 400
        and "authorised by a team manager or practice manager" in refused.content.decode()
    )
    assert signed_in(world.ast_tm).post(url, {"authorise": "1"}).status_code == 302
    transfer_page = signed_in(world.ast_tm).get(f"/transfers/{transfer.pk}/").content.decode()
    assert "Authorised by Tom Assessment Tm" in transfer_page
    document = DocumentOnFile.objects.get(child=transfer.child, document_type="transfer_summary")
    download = signed_in(world.cin_tm).get(f"/documents/{document.pk}/")
    assert download.content.startswith(b"%PDF") and "no-store" in download["Cache-Control"]
    assert AuditEvent.objects.filter(
        verb=Verb.DOCUMENT_READ, child=transfer.child, actor=world.cin_tm.user
    ).exists()


def test_letters_written_from_the_transfer_page(world, sitting):
    _, first, _ = sitting
    transfer = first.transfer
    InvolvedProfessional.objects.create(child=transfer.child, name="Pat Example", role="School nurse")
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="agree",
        expected_version=transfer.version,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    transfer.refresh_from_db()
    early = signed_in(world.ast_sw).post(f"/transfers/{transfer.pk}/letters/", follow=True).content.decode()
    assert "letters go out once the receiving worker is named" in early.lower()
    world.cin_sw.phone = "01234 000000"
    world.cin_sw.save()
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="identify_worker",
        expected_version=transfer.version,
        worker=world.cin_sw,
    )
    page = signed_in(world.ast_sw).post(f"/transfers/{transfer.pk}/letters/", follow=True).content.decode()
    assert "2 letters written and kept on file." in page and "Pat Example" in page
    letter = transfer.letters.get(addressee="Pat Example")
    docx = signed_in(world.cin_sw).get(f"/letters/{letter.pk}.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Dear Pat Example," in text and "01234 000000" in text
    assert (
        signed_in(world.lac_tm).get(f"/letters/{letter.pk}.pdf").status_code == 200
    )  # same authority may read


def test_legal_gateway_panel_decision_from_the_child_record(world):
    from handover.organisation.models import Role

    court_tm = dated_staff(
        authority=world.authority,
        username="cal_court_tm",
        name="Cal Court Tm",
        roles=[(Role.TEAM_MANAGER, world.teams["plo_court_team"])],
    )
    child = world.child("lgpp1", "Lou", team="cin_cp_east", worker=world.cin_sw)
    client = signed_in(world.cin_tm)
    assert "Record a Legal Gateway Panel decision" in client.get(f"/children/{child.pk}/").content.decode()
    url = f"/children/{child.pk}/panel-decision/"
    form = client.get(url).content.decode()
    assert "What did the Legal Gateway Panel decide?" in form and "Cal Court Tm" in form
    bad = client.post(url, {"outcome": "initiate_plo", "decided_on-day": "31", "decided_on-month": "2"})
    assert bad.status_code == 400 and "Enter the date of the panel as a real date" in bad.content.decode()
    today = TODAY
    no_manager = client.post(
        url,
        {
            "outcome": "initiate_plo",
            "decided_on-day": today.day,
            "decided_on-month": today.month,
            "decided_on-year": today.year,
        },
    )
    assert no_manager.status_code == 400 and child.key_events.count() == 0
    done = client.post(
        url,
        {
            "outcome": "initiate_plo",
            "decided_on-day": today.day,
            "decided_on-month": today.month,
            "decided_on-year": today.year,
            "panel_manager": court_tm.pk,
            "notes": "Threshold met.",
        },
    )
    transfer = child.transfers.get()
    assert done.status_code == 302 and done["Location"] == f"/transfers/{transfer.pk}/"
    assert transfer.state == "agreed" and transfer.to_team == world.teams["plo_court_team"]
    refused = signed_in(world.cin_sw).post(
        url,
        {
            "outcome": "no_legal_action",
            "decided_on-day": today.day,
            "decided_on-month": today.month,
            "decided_on-year": today.year,
        },
    )
    assert refused.status_code == 400 and child.key_events.count() == 1


def test_remedial_action_form_keeps_the_typed_date_and_links_the_error_to_the_day_box(world, sitting):
    _, first, _ = sitting
    response = signed_in(world.business_support).post(
        f"/transfers/{first.transfer.pk}/remedial-actions/new/",
        {"description": "", "owner": world.ast_sw.pk, "due-day": "4", "due-month": "12", "due-year": "20x0"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and 'href="#due"' in page
    assert 'id="due" name="due-day" type="text" inputmode="numeric" value="4"' in page


def test_meetings_page_reads_the_sittings_and_a_button_schedules_one(world):
    client = signed_in(world.business_support)
    page = client.get("/meetings/").content.decode()
    assert "Wednesday 25 November 2026" in page and "Wednesday 2 December 2026" in page
    assert page.count("Not scheduled yet") == 3 and "Schedule the sitting" in page
    assert not Meeting.objects.exists()  # a GET schedules nothing
    assert "Schedule the sitting" not in signed_in(world.ast_sw).get("/meetings/").content.decode()
    refused = signed_in(world.ast_sw).post(
        "/meetings/", {"meeting": "transfer_meeting", "sits_on": "2026-11-25"}, follow=True
    )
    assert "Business support, the chair or a manager schedules" in refused.content.decode()
    assert not Meeting.objects.exists()
    done = client.post("/meetings/", {"meeting": "transfer_meeting", "sits_on": "2026-11-25"})
    meeting = Meeting.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/meetings/{meeting.pk}/"
    assert (meeting.sits_on, meeting.cutoff) == (dt.date(2026, 11, 25), MONDAY)  # its cut-off has passed
    assert AuditEvent.objects.filter(verb=Verb.MEETING_SCHEDULED, actor=world.business_support.user).exists()
    assert (
        client.post("/meetings/", {"meeting": "transfer_meeting", "sits_on": "2026-11-26"}).status_code == 302
    )
    assert Meeting.objects.count() == 1  # not a coming sitting: nothing scheduled


def test_agenda_shows_the_sheet_as_it_would_be_and_a_button_compiles_it(world):
    listed_on(world, "mp4", MONDAY)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    client = signed_in(world.business_support)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "The sheet is not compiled yet: 1 case" in page and "Not yet on the sheet" in page
    assert "Mp4 Testfamily" in page and "Compile the early warning sheet" in page
    assert "Start with the next case" not in page
    xlsx = client.get(f"/meetings/{meeting.pk}/sheet.xlsx")
    book = load_workbook(io.BytesIO(xlsx.content)).active
    assert "(not compiled yet: the sheet as it would be compiled)" in book["A1"].value
    assert not meeting.items.exists()  # reading the agenda and its papers compiled nothing
    worker = signed_in(world.ast_sw)
    assert "Compile the early warning sheet" not in worker.get(f"/meetings/{meeting.pk}/").content.decode()
    refused = worker.post(f"/meetings/{meeting.pk}/", follow=True).content.decode()
    assert "Business support, the chair or a manager" in refused and not meeting.items.exists()
    compiled = client.post(f"/meetings/{meeting.pk}/", follow=True).content.decode()
    assert "The early warning sheet is compiled: 1 case added." in compiled
    assert "Not yet on the sheet" not in compiled and "Start with the next case" in compiled
    assert AuditEvent.objects.filter(verb=Verb.SHEET_COMPILED, actor=world.business_support.user).count() == 2
    again = client.post(f"/meetings/{meeting.pk}/", follow=True).content.decode()
    assert "already holds every case due on it; nothing was added" in again


def test_the_case_and_late_pages_are_audited_reads(world, sitting):
    meeting, first, _ = sitting
    late = listed_on(world, "mp5", TODAY)
    client = signed_in(world.ast_tm)
    client.get(f"/meetings/{meeting.pk}/cases/{first.pk}/")
    viewed = AuditEvent.objects.get(verb=Verb.CHILD_VIEWED, actor=world.ast_tm.user)
    assert (viewed.child, viewed.object_id) == (first.transfer.child, str(first.pk))
    client.get(f"/meetings/{meeting.pk}/late/")
    listed = AuditEvent.objects.get(verb=Verb.CHILD_LISTED, actor=world.ast_tm.user)
    assert listed.after == {"children": [late.child_id]} and listed.detail.startswith("cases that could join")
