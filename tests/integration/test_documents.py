"""The meeting's papers, the Case Transfer Summary and the letters: what they say, who may make them, and that
each is kept on the child's file. PDFs are rendered to PNG and read back (tests/rendered.py)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook
from tests.integration.conftest import NOW, at, listed_on
from tests.rendered import visible_text

from handover.children.models import DocumentOnFile, InvolvedProfessional, KeyEvent
from handover.documents import letters, meeting_papers
from handover.documents.models import Letter, TransferSummary
from handover.documents.transfer_summary import (
    transfer_summary_authorise,
    transfer_summary_draft,
)
from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_close,
    meeting_record_decision,
    meeting_sitting_schedule,
)
from handover.organisation.access import AccessDenied
from handover.transfers import services
from handover.transfers.models import SignOff, SignOffKind

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def sitting(world):
    """Wednesday 25 November 2026: two cases listed on the Monday, one of them agreed with remedial actions."""
    first = listed_on(world, "ews1", MONDAY)
    second = listed_on(world, "ews2", MONDAY)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    return meeting, first, second


def test_early_warning_sheet_pdf_shows_each_case_with_its_gaps(world, sitting, tmp_path):
    meeting, _, _ = sitting
    text = visible_text(meeting_papers.early_warning_sheet_pdf(meeting, world.business_support), tmp_path)
    assert "Early warning sheet" in text
    assert "Wednesday 25 November 2026" in text
    assert "Ews1 Testfamily" in text and "Ews2 Testfamily" in text
    # The current worker (cells wrap, so OCR reads each line of a cell apart).
    assert "Ava Assessment" in text and "Children in Need and Child" in text
    # The readiness gaps come from the protocol's checklist: nothing is authorised yet.
    assert "Transfer summary authorised" in text


def test_early_warning_sheet_xlsx_has_the_columns_business_support_keep(world, sitting):
    meeting, _, _ = sitting
    book = load_workbook(io.BytesIO(meeting_papers.early_warning_sheet_xlsx(meeting, world.business_support)))
    sheet = book["Early warning sheet"]
    assert sheet["A1"].value.startswith("Early warning sheet: Weekly transfer meeting, Wednesday 25 November")
    header = [c.value for c in sheet[3]]
    assert header[:6] == ["Child", "ID", "Date of birth", "Current team", "Current worker", "Proposed team"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert {r[1] for r in rows} == {"ews1", "ews2"}
    assert rows[0][2] == dt.datetime(2016, 3, 1)  # a real date cell, not text
    assert "Transfer summary authorised" in rows[0][8]


def test_minutes_record_decisions_actions_and_attendance(world, sitting, tmp_path):
    meeting, first, _ = sitting
    items = {i.transfer.pk: i for i in meeting.items.all()}
    meeting_record_decision(
        now=at(items[first.pk].meeting.sits_on),
        actor=world.business_support,
        item=items[first.pk],
        decision="agreed",
        decided_by=world.cin_tm,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    services.remedial_action_create(
        now=NOW,
        actor=world.business_support,
        transfer=first,
        description="Update the chronology",
        owner=world.ast_sw,
        due=dt.date(2026, 12, 4),
    )
    meeting_close(
        now=NOW,
        actor=world.business_support,
        meeting=meeting,
        minutes="Both cases discussed; Ews2 needs a genogram first.",
        attendees=[world.ast_tm, world.cin_tm],
    )
    text = visible_text(meeting_papers.minutes_pdf(meeting, world.business_support), tmp_path)
    assert "Minutes of the weekly transfer meeting" in text
    assert "Tom Assessment Tm" in text and "Tia Cin Tm" in text
    assert "Update the chronology" in text
    assert "9 December 2026" in text
    assert "not reached at the meeting" in text  # the second case was deferred when the sitting closed
    book = load_workbook(io.BytesIO(meeting_papers.minutes_xlsx(meeting, world.business_support)))
    decisions = {r[1].value: r for r in book["Decisions"].iter_rows(min_row=4)}
    assert decisions["ews1"][4].value == "Agreed" and decisions["ews2"][4].value == "Deferred"
    assert [c.value for c in book["Remedial actions"][2]][:3] == [
        "Ews1 Testfamily",
        "Update the chronology",
        "Ava Assessment Sw",
    ]
    notes = {r[0].value: r[1].value for r in book["Attendance and notes"].iter_rows(min_row=2)}
    assert notes["Minutes"].startswith("Both cases discussed")


# -- the Case Transfer Summary -----------------------------------------------------------------------------


def test_summary_is_final_only_when_a_transferring_manager_authorises_it(world, tmp_path):
    transfer = listed_on(world, "sum1", MONDAY)
    child = transfer.child
    DocumentOnFile.objects.create(
        child=child, document_type="child_and_family_assessment", title="MAA", dated=dt.date(2026, 10, 30)
    )
    KeyEvent.objects.create(child=child, event_type="cin_review", date=dt.date(2026, 12, 14))
    KeyEvent.objects.create(child=child, event_type="cin_review", date=dt.date(2027, 2, 20))  # beyond 8 weeks
    with pytest.raises(services.ApplicationError) as bad:
        transfer_summary_draft(actor=world.ast_sw, transfer=transfer, work_undertaken="  ", now=at(MONDAY))
    assert set(bad.value.errors) == {"work_undertaken"}
    with pytest.raises(AccessDenied):
        transfer_summary_draft(actor=world.cin_sw, transfer=transfer, work_undertaken="x", now=at(MONDAY))
    summary = transfer_summary_draft(
        actor=world.ast_sw,
        transfer=transfer,
        work_undertaken="Multi Agency Assessment completed; CIN plan agreed with the family.",
        now=at(MONDAY),
    )
    assert summary.last_assessment_date == dt.date(2026, 10, 30)
    assert summary.last_assessment_outcome == "Cin plan"
    readiness = {i.id: i.status for i in services.transfer_readiness(transfer, on=MONDAY).items}
    assert readiness["transfer_summary"] == "missing"
    with pytest.raises(AccessDenied):  # D-181: the respective team manager or practice manager
        transfer_summary_authorise(actor=world.ast_sw, summary=summary, now=at(MONDAY))
    with pytest.raises(AccessDenied):
        transfer_summary_authorise(actor=world.cin_tm, summary=summary, now=at(MONDAY))
    assert not DocumentOnFile.objects.filter(child=child, document_type="transfer_summary").exists()

    summary = transfer_summary_authorise(actor=world.ast_pm, summary=summary, now=at(MONDAY))
    assert summary.status == TransferSummary.Status.AUTHORISED
    assert (
        summary.document.document_type == "transfer_summary"
        and summary.document.content_type == "application/pdf"
    )
    assert SignOff.objects.filter(
        transfer=transfer, kind=SignOffKind.SUMMARY_AUTHORISED, by=world.ast_pm
    ).exists()
    readiness = {i.id: i.status for i in services.transfer_readiness(transfer, on=MONDAY).items}
    assert readiness["transfer_summary"] == "met"

    ahead = summary.contents["dates_ahead"]
    assert {"date": "2026-12-14", "what": "Cin review", "source": "Meeting", "basis": ""} in ahead
    assert all(row["date"] <= "2027-01-18" for row in ahead)  # eight weeks from Monday 23 November
    assert any(
        row["what"] == "Presented at the weekly transfer meeting" and row["date"] == "2026-11-25"
        for row in ahead
    )
    deadlines = {d.name: d.due for d in transfer.deadlines.all() if d.due}
    formal_transfer = deadlines["Formal transfer to the new team"]
    assert {"Formal transfer to the new team", formal_transfer.isoformat()} <= {
        v for row in ahead for v in (row["what"], row["date"])
    }

    text = visible_text(bytes(summary.document.content), tmp_path)
    for expected in (
        "Case Transfer Summary",
        "Sum1 Testfamily",
        "CIN plan agreed with the family",
        "30 October 2026",
        "14 Dec 2026",
        "Authorised by Pam Assessment Pm",
    ):
        assert expected in text
    with pytest.raises(services.ApplicationError, match="already authorised"):
        transfer_summary_authorise(actor=world.ast_tm, summary=summary, now=at(MONDAY))


# -- letters -------------------------------------------------------------------------------------------------


@pytest.fixture
def agreed_with_worker(world):
    transfer = listed_on(world, "let1", MONDAY)
    child = transfer.child
    child.address = "1 Example Road\nExampletown EX1 1AA"
    child.save()
    InvolvedProfessional.objects.create(
        child=child,
        name="Dr Ada Example",
        role="GP",
        organisation="Example Surgery",
        address="2 Surgery Lane",
    )
    InvolvedProfessional.objects.create(child=child, name="Ben O'Example & Co", role="Head teacher")
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="agree",
        expected_version=transfer.version,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
        on=MONDAY,
    )
    transfer.refresh_from_db()
    return transfer


def test_letters_wait_for_the_new_worker_and_need_contact_details(world, agreed_with_worker):
    transfer = agreed_with_worker
    with pytest.raises(services.ApplicationError) as early:
        letters.letters_send(actor=world.ast_sw, transfer=transfer, now=at(MONDAY))
    assert set(early.value.errors) == {"transfer"}
    world.cin_sw.phone, world.cin_sw.email = "", ""
    world.cin_sw.save()
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="identify_worker",
        expected_version=transfer.version,
        worker=world.cin_sw,
        on=MONDAY,
    )
    with pytest.raises(services.ApplicationError) as bad:
        letters.letters_send(actor=world.ast_sw, transfer=transfer, now=at(MONDAY))
    assert set(bad.value.errors) == {"receiving_worker"}
    assert "Sam Cin Sw has no telephone number or email address" in bad.value.errors["receiving_worker"]
    assert (
        not Letter.objects.exists()
        and not DocumentOnFile.objects.filter(document_type="transfer_letter").exists()
    )
    with pytest.raises(AccessDenied):
        letters.letters_send(actor=world.lac_tm, transfer=transfer, now=at(MONDAY))


def test_letters_to_the_family_and_each_professional_are_kept_on_file(world, agreed_with_worker, tmp_path):
    transfer = agreed_with_worker
    world.cin_sw.phone, world.cin_sw.job_title = "01234 567890", "Social Worker"
    world.cin_sw.save()
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="identify_worker",
        expected_version=transfer.version,
        worker=world.cin_sw,
        on=MONDAY,
    )
    sent = letters.letters_send(actor=world.ast_sw, transfer=transfer, now=at(MONDAY))
    assert [(x.recipient, x.addressee) for x in sent] == [
        ("family", "The parent or carer of Let1 Testfamily"),
        ("professional", "Ben O'Example & Co"),
        ("professional", "Dr Ada Example"),
    ]
    on_file = DocumentOnFile.objects.filter(child=transfer.child, document_type="transfer_letter")
    assert on_file.count() == 3

    family = Document(io.BytesIO(bytes(sent[0].docx)))
    words = "\n".join(p.text for p in family.paragraphs)
    assert "Dear parent or carer of Let1," in words
    assert "from Wednesday 9 December 2026 Let1's social worker will be Sam Cin Sw" in words
    assert "Sam Cin Sw, CIN and CP Team East" in words  # the new worker signs with their team
    assert "01234 567890" in words and "1 Example Road" in words
    assert "{{" not in words and "{%" not in words

    professional = Document(io.BytesIO(bytes(sent[1].docx)))
    assert "Dear Ben O'Example & Co," in "\n".join(p.text for p in professional.paragraphs)

    text = visible_text(bytes(sent[2].pdf), tmp_path)
    for expected in (
        "Dear Dr Ada Example",
        "Sam Cin Sw",
        "01234 567890",
        "9 December 2026",
        "GP, Example Surgery",
    ):
        assert expected in text


def test_a_letters_file_with_a_broken_field_is_refused_with_its_place(tmp_path, settings, world):
    bad = tmp_path / f"{world.authority.code}.yaml"
    bad.write_text(
        "letters:\n  family: {subject: 'x', salutation: 'Dear {{ child.first_name|shout }}', paragraphs: []}\n"
        "  professional: {subject: 'x', salutation: 'y', paragraphs: []}\n"
    )
    settings.HANDOVER_LETTERS_DIR = str(tmp_path)
    letters._load.cache_clear()
    with pytest.raises(letters.LettersFileError, match=r"letters\.family\.salutation"):
        letters.letters_file(world.authority)


def test_every_bundled_letters_file_loads():
    for path in sorted(letters.PACKAGED.glob("*.yaml")):
        assert set(letters._load(path).letters) == {"family", "professional"}
