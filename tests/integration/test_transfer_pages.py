"""The child record and transfer pages, and the journey agree → worker → handover → transferred by three people."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, authorise_summary

from handover.audit.models import AuditEvent, Verb
from handover.children.models import DocumentOnFile, RestrictedAccess
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def post_action(staff, transfer, action, **data):
    transfer.refresh_from_db()
    return signed_in(staff).post(f"/transfers/{transfer.pk}/{action}/", {"version": transfer.version, **data})


@pytest.fixture
def transfer(world):
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("T1", "Tam"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]


def test_child_record_shows_facts_allocations_timeline_and_audit_to_managers(world, transfer):
    page = signed_in(world.ast_tm).get(f"/children/{transfer.child.pk}/").content.decode()
    assert "Tam Testfamily" in page and "Who holds the case" in page and "Assessment Team East" in page
    assert "Timeline" in page and "Transfer to Children in Need and Child Protection Service: propose" in page
    assert "Who viewed or changed this record" in page
    worker_page = signed_in(world.ast_sw).get(f"/children/{transfer.child.pk}/").content.decode()
    assert "Who viewed or changed this record" not in worker_page
    assert AuditEvent.objects.filter(child=transfer.child, verb=Verb.CHILD_VIEWED).count() == 2


def test_restricted_child_is_not_found_for_staff_not_named(world):
    secret = world.child("T2", "Sol", restricted=True)
    RestrictedAccess.objects.create(child=secret, staff=world.ast_tm)
    assert signed_in(world.ast_sw).get(f"/children/{secret.pk}/").status_code == 404
    assert signed_in(world.ast_tm).get(f"/children/{secret.pk}/").status_code == 200


def test_transfer_page_offers_only_the_actions_the_person_may_take(world, transfer):
    sender = signed_in(world.ast_tm).get(f"/transfers/{transfer.pk}/").content.decode()
    assert "Put on the early warning sheet" in sender and "Agree the transfer" not in sender
    receiver = signed_in(world.cin_tm).get(f"/transfers/{transfer.pk}/").content.decode()
    assert (
        "Put on the early warning sheet" not in receiver and "Agree the transfer" not in receiver
    )  # not listed yet
    assert "Readiness checklist" in receiver and "Blocks transfer" in receiver
    assert (
        signed_in(world.auditor).get(f"/transfers/{transfer.pk}/").content.decode().count("govuk-button") == 0
    )


def test_journey_by_three_people_with_errors_shown_in_the_summary(world, transfer):
    assert post_action(world.business_support, transfer, "list").status_code == 302
    bad = post_action(world.cin_tm, transfer, "agree", day="31", month="2", year="2026")
    text = bad.content.decode()
    assert bad.status_code == 400 and "There is a problem" in text
    assert "Enter the agreed transfer date as a real date" in text
    ok = post_action(
        world.cin_tm,
        transfer,
        "agree",
        to_team=world.teams["cin_cp_east"].pk,
        day="9",
        month="12",
        year="2026",
    )
    assert ok.status_code == 302
    assert post_action(world.cin_tm, transfer, "identify_worker", worker=world.cin_sw.pk).status_code == 302
    handover = {
        "held_on-day": "24",
        "held_on-month": "11",
        "held_on-year": "2026",
        "attendees": world.cin_sw.pk,
    }
    assert post_action(world.cin_sw, transfer, "record_handover", **handover).status_code == 302
    refused = post_action(world.cin_tm, transfer, "complete")
    assert refused.status_code == 400 and "The transfer is not ready" in refused.content.decode()
    for doc in ("chronology", "genogram", "child_plan", "cse_screening"):
        DocumentOnFile.objects.create(child=transfer.child, document_type=doc, dated=TODAY)
    for item, who in (
        ("file_checked_and_authorised", world.ast_tm),
        ("files_audited_by_both_managers", world.ast_tm),
        ("personal_information_complete", world.ast_sw),
    ):
        services.transfer_confirm_item(now=NOW, actor=who, transfer=transfer, item=item)
    authorise_summary(world, transfer)
    for kind, who in (
        (SignOffKind.SENDING_AUDIT, world.ast_pm),
        (SignOffKind.RECEIVING_AUDIT, world.cin_tm),
    ):
        services.transfer_sign_off(now=NOW, actor=who, transfer=transfer, kind=kind)
    early = {"confirm_early": "yes", "reason": "Everything was ready early"}  # before the agreed 9 December
    assert post_action(world.cin_tm, transfer, "complete", **early).status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).state == "transferred"


def test_a_refused_action_and_a_stale_form_are_explained(world, transfer):
    refused = post_action(world.cin_tm, transfer, "list")
    assert refused.status_code == 400
    assert re.search(
        r"Only a [a-z ,]+ in the sending team can put on the early warning sheet", refused.content.decode()
    )
    stale = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/withdraw/", {"version": 99, "reason": "duplicate"}
    )
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()
    missing_reason = post_action(world.ast_tm, transfer, "withdraw")
    assert "Enter the reason" in missing_reason.content.decode()


def test_sign_offs_confirmations_and_remedial_actions_from_the_page(world, transfer):
    manager = signed_in(world.ast_tm)
    page = manager.get(f"/transfers/{transfer.pk}/").content.decode()
    # The summary is authorised on its own page (the Case Transfer Summary); the page links to it.
    assert "Sign off: transfer summary authorised" not in page and "Write the summary" in page
    # A bare "summary authorised" tick is refused on every path: only authorising the summary gives it.
    bare = manager.post(f"/transfers/{transfer.pk}/sign-off/summary_authorised/", follow=True)
    assert "authorising the case transfer summary" in bare.content.decode().lower()
    manager.post(f"/transfers/{transfer.pk}/sign-off/file_checked_and_authorised/")
    assert not transfer.sign_offs.filter(kind="summary_authorised").exists()
    assert transfer.confirmations.filter(item="file_checked_and_authorised").exists()
    refused = signed_in(world.cin_sw).post(f"/transfers/{transfer.pk}/sign-off/receiving_audit/", follow=True)
    assert "only a team manager or practice manager of the receiving team" in refused.content.decode().lower()
    bad = manager.post(f"/transfers/{transfer.pk}/remedial-actions/new/", {"description": "", "owner": ""})
    assert bad.status_code == 400 and "Enter what needs doing" in bad.content.decode()
    due = TODAY + timezone.timedelta(days=7)
    ok = manager.post(
        f"/transfers/{transfer.pk}/remedial-actions/new/",
        {
            "description": "Update the chronology",
            "owner": world.ast_sw.pk,
            "due-day": due.day,
            "due-month": due.month,
            "due-year": due.year,
        },
    )
    assert ok.status_code == 302
    assert "Update the chronology" in signed_in(world.ast_sw).get("/my-work/").content.decode()
