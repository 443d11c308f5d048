"""Data protection (issue 13 item 6): a subject access export of everything held about a child, and erasure of a
closed record at the end of its retention period, with an audit trail that survives it and still verifies."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import zipfile

import pytest
from django.apps import apps
from django.core import serializers
from django.db import connection
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, authorise_summary

from handover.audit.models import AuditEvent, Verb
from handover.audit.verify import audit_verify, report_lines
from handover.children.models import Child, DocumentOnFile, Family, LegalStatusEpisode
from handover.children.services import child_close
from handover.domain.errors import AccessDenied, ApplicationError, Conflict
from handover.domain.rulebook import RecordRefused
from handover.privacy.erasure import child_erase, erasure_refusal, retention_review
from handover.privacy.held import everything_held
from handover.privacy.subject_access import subject_access_export
from handover.transfers import services
from handover.transfers.models import SignOffKind

pytestmark = pytest.mark.django_db(transaction=False)

BORN = dt.date(2016, 3, 1)
TWENTY_FIFTH = dt.date(2041, 3, 1)  # the end of retention for a child never looked after (Dorset's file)


def transferred_and_closed(world, identifier="ZEPH-0001", first="Zephyrine", family=None):
    """A child taken from proposal to completion (events, deadlines, summary, sign-offs, documents, meeting
    item), then closed by the receiving team manager."""
    child = world.child(identifier, first, date_of_birth=BORN, family=family)
    transfer = services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=child, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
    ).transfers[0]

    def act(actor, action, **kwargs):
        transfer.refresh_from_db()
        return services.transfer_act(
            now=NOW,
            actor=actor,
            transfer=transfer,
            action=action,
            expected_version=transfer.version,
            on=TODAY,
            **kwargs,
        )

    act(world.business_support, "list")
    act(world.cin_tm, "agree", to_team=world.teams["cin_cp_east"], transfer_date=dt.date(2026, 12, 9))
    act(world.cin_tm, "identify_worker", worker=world.cin_sw)
    act(world.cin_sw, "record_handover")
    for doc in ("chronology", "genogram", "child_plan", "cse_screening"):
        DocumentOnFile.objects.create(
            child=child,
            document_type=doc,
            dated=TODAY,
            content=b"%PDF-1.4 " + first.encode(),
            content_type="application/pdf",
        )
    authorise_summary(world, transfer)
    for item in ("file_checked_and_authorised", "files_audited_by_both_managers"):
        services.transfer_confirm_item(now=NOW, actor=world.ast_tm, transfer=transfer, item=item)
    services.transfer_confirm_item(
        now=NOW, actor=world.ast_sw, transfer=transfer, item="personal_information_complete"
    )
    services.transfer_sign_off(now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(
        now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )
    act(world.cin_tm, "complete", confirm_early=True, reason="Everything was ready early")
    child.refresh_from_db()
    child_close(actor=world.cin_tm, child=child, reason="Case closed: needs met", now=at(dt.date(2027, 6, 1)))
    child.refresh_from_db()
    return child


def everything_in_the_database() -> str:
    """Every row of every table Handover's models hold (history included), as text: what a search of the
    database for a name would find."""
    out = []
    for model in apps.get_models():
        if model._meta.app_label in {"contenttypes", "sessions", "admin"}:
            continue
        out.append(serializers.serialize("json", model._base_manager.all()))
    return "\n".join(out)


# -- retention ------------------------------------------------------------------------------------------------


def test_a_closed_record_is_due_for_review_from_the_childs_25th_birthday_unless_they_were_looked_after(world):
    never = transferred_and_closed(world)
    looked_after = world.child("LAC-0001", "Lark", date_of_birth=BORN)
    LegalStatusEpisode.objects.create(child=looked_after, status="care_order", start=dt.date(2020, 1, 6))
    child_close(actor=world.ast_tm, child=looked_after, reason="Adopted", now=at(dt.date(2027, 6, 1)))

    assert retention_review(world.director, TWENTY_FIFTH - dt.timedelta(days=1)).due == []
    review = retention_review(world.director, TWENTY_FIFTH)
    assert [(d.child.identifier, d.end.on) for d in review.due] == [(never.identifier, TWENTY_FIFTH)]
    assert "25th birthday" in review.due[0].end.because and "never looked after" in review.due[0].end.because
    later = retention_review(world.director, dt.date(2091, 3, 1))
    assert [d.child.identifier for d in later.due] == [never.identifier, "LAC-0001"]
    assert "75th birthday" in later.due[1].end.because
    assert "IRMS Retention Guidelines" in review.policy.why  # the file says which policy it follows


def test_only_heads_of_service_the_director_and_auditors_review_retention(world):
    for person in (world.ast_sw, world.ast_tm, world.service_manager, world.administrator):
        with pytest.raises(RecordRefused, match="head of service or the director"):
            retention_review(person, TWENTY_FIFTH)
    assert retention_review(world.auditor, TWENTY_FIFTH).due == []


# -- subject access ----------------------------------------------------------------------------------------------


def test_the_subject_access_export_holds_everything_erasure_would_remove_with_the_audit_trail(world):
    child = transferred_and_closed(world)
    held = everything_held(child)
    export = subject_access_export(child, "json", prepared_by=world.director, now=NOW)
    data = json.loads(export.content)
    assert export.filename == f"subject-access-{child.identifier}-2026-11-24.json"
    assert data["child"]["first_name"] == "Zephyrine" and data["authority"] == "Dorset County Council"
    # Every kind of row the record holds, each row once: the export and erasure read the same walk.
    assert {label: len(rows) for label, rows in data["records"].items()} == {
        kind.model._meta.label: len(kind.rows) for kind in held.kinds
    }
    for label in (
        "transfers.Transfer",
        "transfers.TransferEvent",
        "transfers.Deadline",
        "children.Allocation",
    ):
        assert data["records"][label], label
    actions = [e["action"] for e in data["records"]["transfers.TransferEvent"]]
    assert actions[:2] == ["propose", "list"] and actions[-1] == "complete"
    assert any(
        row["what"] == "Closed a child's record" and row["who"] == "Tia Cin Tm" for row in data["audit_trail"]
    )
    # Names in words, not ids: the worker on each allocation.
    assert {a.get("worker") for a in data["records"]["children.Allocation"]} >= {"Sam Cin Sw"}

    bundle = subject_access_export(child, "zip", prepared_by=world.director, now=NOW)
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert f"subject-access-{child.identifier}-2026-11-24.pdf" in names
    assert len([n for n in names if n.startswith("documents/")]) == len(data["documents"]) >= 4
    # Each export is audited as the read it is.
    exports = AuditEvent.objects.filter(child=child, verb=Verb.SUBJECT_ACCESS)
    assert [e.after["kind"] for e in exports.order_by("pk")] == ["json", "zip"]


def test_the_subject_access_pdf_reads_as_a_record(world):
    child = transferred_and_closed(world)
    export = subject_access_export(child, "pdf", prepared_by=world.auditor, now=NOW)
    assert export.content.startswith(b"%PDF") and export.content_type == "application/pdf"
    # The PDF's own text (poppler's pdftotext: OCR of every page of a whole record takes minutes).
    text = " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=export.content, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    for words in ("Subject access export", "Zephyrine Testfamily", "Transfer events", "Audit trail"):
        assert words in text, words


# -- erasure -----------------------------------------------------------------------------------------------------


def test_erasure_removes_everything_about_the_child_and_the_audit_trail_still_verifies(world):
    sibling_family = Family.objects.create(authority=world.authority, name="Quillfeather")
    child = transferred_and_closed(world, family=sibling_family)
    sibling = world.child("SIB-0002", "Orrin", family=sibling_family)
    rows_before = AuditEvent.objects.filter(child=child).count()
    assert "Zephyrine" in everything_in_the_database()

    erased = child_erase(
        child=child,
        staff=world.director,
        now=at(TWENTY_FIFTH),
        confirm=child.identifier,
        reason="Retention review of March 2041: no reason to keep",
    )

    assert erased.identifier == "ZEPH-0001" and erased.audit_rows == rows_before
    assert erased.rows["Transfers"] == 1 and erased.rows["Transfer events"] >= 6
    assert erased.rows["Documents on file"] == 5  # the four on file and the Case Transfer Summary
    text = everything_in_the_database()
    assert "Zephyrine" not in text and "ZEPH-0001" not in text
    assert "Orrin" in text and "Quillfeather" in text  # the sibling and the family they are still in stay
    tombstone = Child.objects.get(pk=child.pk)
    assert tombstone.name == "A record erased on 1 March 2041" and tombstone.date_of_birth is None
    assert everything_held(tombstone).rows == 0
    # The audit trail keeps who did what and when, not what it said; the erasure is its last row.
    trail = AuditEvent.objects.filter(child=child)
    assert trail.count() == rows_before + 1
    last = trail.order_by("-pk").first()
    assert last.verb == Verb.CHILD_ERASED and last.actor == world.director.user
    assert last.detail == "Retention review of March 2041: no reason to keep"
    assert last.after["retention_ended"] == "2041-03-01" and last.after["rows_removed"]["Transfers"] == 1
    assert all(
        e.before is None and e.after is None and e.erased_payload_digest for e in trail.exclude(pk=last.pk)
    )
    verified = audit_verify()
    assert verified.intact, [c.checked.problem for c in verified.chains]
    assert sum(c.checked.erased for c in verified.chains) == rows_before
    intact, broken = report_lines(verified)
    assert broken == [] and any(
        f"what {rows_before} of them said was erased with their child's record" in line for line in intact
    )
    assert Child.objects.filter(pk=sibling.pk, first_name="Orrin").exists()


def test_an_only_child_takes_the_family_with_them(world):
    family = Family.objects.create(authority=world.authority, name="Vantablack")
    child = transferred_and_closed(world, family=family)
    child_erase(
        child=child, staff=world.director, now=at(TWENTY_FIFTH), confirm=child.identifier, reason="Review"
    )
    assert not Family.objects.filter(pk=family.pk).exists()
    assert "Vantablack" not in everything_in_the_database()


def test_erasure_is_refused_before_the_end_of_retention_and_for_an_open_record(world):
    child = transferred_and_closed(world)
    with pytest.raises(Conflict, match="retention period ends on 1 March 2041"):
        child_erase(
            child=child,
            staff=world.director,
            now=at(dt.date(2041, 2, 28)),
            confirm=child.identifier,
            reason="r",
        )
    open_child = world.child("OPEN-0001", "Wren")
    assert "the record is open" in erasure_refusal(open_child, TWENTY_FIFTH)
    assert Child.objects.get(pk=child.pk).first_name == "Zephyrine"


def test_erasure_asks_for_the_childs_number_and_a_reason_and_names_each_field(world):
    child = transferred_and_closed(world)
    with pytest.raises(ApplicationError) as refused:
        child_erase(child=child, staff=world.director, now=at(TWENTY_FIFTH), confirm="ZEPH-0002", reason=" ")
    assert set(refused.value.errors) == {"confirm", "reason"}
    assert "child's number" in refused.value.errors["confirm"]
    assert Child.objects.get(pk=child.pk).first_name == "Zephyrine"


@pytest.mark.parametrize("who", ["ast_tm", "cin_tm", "service_manager", "auditor", "ast_sw"])
def test_only_a_head_of_service_or_the_director_erases(world, who):
    child = transferred_and_closed(world)
    with pytest.raises((RecordRefused, AccessDenied), match="head of service or the director"):
        child_erase(
            child=child, staff=getattr(world, who), now=at(TWENTY_FIFTH), confirm=child.identifier, reason="r"
        )
    assert Child.objects.get(pk=child.pk).first_name == "Zephyrine"


def test_a_payload_erased_outside_handover_is_reported_by_verify(world):
    child = transferred_and_closed(world)
    row = AuditEvent.objects.filter(child=child).order_by("pk").first()
    audit_verify()  # every row sealed first
    from handover.audit.chain import payload_digest

    digest = payload_digest(before=row.before, after=row.after, detail=row.detail)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with (
        connection.cursor() as cursor
    ):  # allowed by the trigger's shape, but no erasure of the record explains it
        cursor.execute(
            f"UPDATE {table} SET before = NULL, after = NULL, detail = '', erased_payload_digest = %s WHERE id = %s",
            [digest, row.pk],
        )
    verified = audit_verify()
    problems = [c.checked.problem for c in verified.chains if c.checked.problem]
    assert [(p.kind, p.row) for p in problems] == [("erased", row.pk)]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_an_erased_row_cannot_be_changed_again(world):
    from django.db import DatabaseError, transaction

    child = transferred_and_closed(world)
    child_erase(
        child=child, staff=world.director, now=at(TWENTY_FIFTH), confirm=child.identifier, reason="Review"
    )
    row = AuditEvent.objects.filter(child=child, verb=Verb.CHILD_CLOSED).get()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    for sql in (
        f"UPDATE {table} SET erased_payload_digest = %s WHERE id = %s",
        f"UPDATE {table} SET detail = %s WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, ["f" * 64, row.pk])
