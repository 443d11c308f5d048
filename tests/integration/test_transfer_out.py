"""A transfer to another local authority (Dorset D-185 to D-188), carried end to end: the sending managers
update the file (D-185), discuss it with the other authority's manager (D-186), send the referral in writing
with its documents and record it (D-187), the family and professionals get letters (D-188), and the other
authority's confirmation of receipt closes the case here."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.test import Client
from tests.integration.conftest import NOW, TODAY, meet_checklist

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, DocumentOnFile, InvolvedProfessional
from handover.documents.letters import letters_send
from handover.documents.referral_bundle import referral_bundle
from handover.domain.errors import ApplicationError
from handover.domain.workflow import Action, TransitionRefused
from handover.transfers import services
from handover.transfers.models import ReferralOut, SignOffKind, Transfer

pytestmark = pytest.mark.django_db

SENT = {
    "receiving_authority": "Somerset Council",
    "contact_name": "Rae Somerset",
    "contact_email": "rae.somerset@example.invalid",
    "discussed_on": TODAY - dt.timedelta(days=2),
    "sent_on": TODAY - dt.timedelta(days=1),
}


def _act(actor, transfer, action, **kwargs) -> Transfer:
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **kwargs
    )


@pytest.fixture
def moving(world):
    child = world.child(
        "out1", "Olive", team="cin_cp_east", worker=world.cin_sw, address="1 Sea Lane\nWeymouth"
    )
    InvolvedProfessional.objects.create(
        child=child, name="Dr Pat Gee", role="GP", organisation="Sea Lane Surgery"
    )
    return services.transfer_propose(
        now=NOW,
        actor=world.cin_sw,
        child=child,
        event="moves_to_another_authority",
        on=TODAY - dt.timedelta(days=3),
    ).transfers[0]


def _ready(world, transfer):
    meet_checklist(transfer, confirmer=world.cin_tm, on=TODAY - dt.timedelta(days=3))
    services.transfer_sign_off(now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)


def test_the_engine_routes_a_move_away_to_a_referral_not_to_a_login(world, moving):
    assert (moving.pathway, moving.route_kind, moving.to_service.code) == (
        "to_another_authority",
        "another_authority",
        "other_authority",
    )
    # Only the sending managers act; no one "receives" here.
    assert services.transfer_available_actions(world.cin_tm, moving) == [
        Action.SEND_REFERRAL,
        Action.WITHDRAW,
    ]
    assert services.transfer_available_actions(world.cin_sw, moving) == []


def test_the_referral_waits_until_the_file_is_ready_d185(world, moving):
    with pytest.raises(TransitionRefused) as refused:
        _act(world.cin_tm, moving, "send_referral", referral=SENT)
    assert refused.value.rule == "workflow.send_referral.readiness"
    message = str(refused.value)
    assert "Records, assessments and chronology updated for the other authority" in message
    assert "File audited by the transferring team manager" in message
    # No one at the other authority signs in, so no receiving audit or receiving worker is asked for.
    assert "receiving" not in message.lower()
    assert not ReferralOut.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"receiving_authority": ""},
            "receiving_authority",
            "name the local authority the child is moving to",
        ),
        ({"receiving_authority": "dorset council"}, "receiving_authority", "is this authority"),
        ({"contact_name": " "}, "contact_name", "name the manager at the other authority"),
        ({"contact_email": "rae at somerset"}, "contact_email", "right format"),
        ({"sent_on": TODAY + dt.timedelta(days=1)}, "sent_on", "cannot be in the future"),
        (
            {"sent_on": TODAY - dt.timedelta(days=3), "discussed_on": TODAY},
            "sent_on",
            "before the managers discussed",
        ),
        ({"discussed_on": None}, "discussed_on", "give the date the managers discussed the transfer"),
        ({"receiving_authority": "x" * 151}, "receiving_authority", "150"),
    ],
)
def test_a_referral_with_bad_details_is_refused_whole(world, moving, change, field, words):
    _ready(world, moving)
    world.authority.name = "Dorset Council"
    world.authority.save()
    with pytest.raises(ApplicationError) as refused:
        _act(world.cin_tm, moving, "send_referral", referral=SENT | change)
    assert words in refused.value.errors[field]
    moving.refresh_from_db()
    assert moving.state == "proposed" and not ReferralOut.objects.exists()


def test_the_referral_is_sent_with_the_latest_of_each_document_and_their_digests_d187(world, moving):
    _ready(world, moving)
    child = moving.child
    old = DocumentOnFile.objects.create(
        child=child, document_type="chronology", dated=TODAY - dt.timedelta(days=90)
    )
    latest = DocumentOnFile.objects.create(
        child=child,
        document_type="chronology",
        dated=TODAY - dt.timedelta(days=2),
        title="Chronology to date",
        content=b"%PDF-1.4 chronology",
        content_type="application/pdf",
    )
    sent = _act(world.cin_tm, moving, "send_referral", referral=SENT)
    assert sent.state == "referral_sent" and sent.transfer_date == SENT["sent_on"]
    referral = sent.referral_out
    assert (referral.receiving_authority, referral.contact_name, referral.sent_by) == (
        "Somerset Council",
        "Rae Somerset",
        world.cin_tm,
    )
    listed = {row["document"]: row for row in referral.manifest}
    assert latest.pk in listed and old.pk not in listed
    assert listed[latest.pk]["sha256"] == hashlib.sha256(b"%PDF-1.4 chronology").hexdigest()
    assert listed[latest.pk]["type_name"] == "Chronology"
    # Every type on file goes, each at its latest; letters never do.
    assert {row["type"] for row in referral.manifest} == {"chronology", "genogram"}

    bundle = referral_bundle(sent, on=TODAY)
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        chronology = next(n for n in names if "chronology" in n)
        assert z.read(chronology) == b"%PDF-1.4 chronology"
        assert z.read("00-referral.pdf").startswith(b"%PDF")
    assert manifest["child"] == "out1" and len(manifest["documents"]) == len(referral.manifest)
    # A document added after sending is not what was sent: the bundle stays as sent.
    DocumentOnFile.objects.create(child=child, document_type="genogram", dated=TODAY)
    again = referral_bundle(sent, on=TODAY + dt.timedelta(days=5))
    assert again.content == bundle.content and again.sent


def test_letters_name_the_other_authority_and_need_no_receiving_worker_d188(world, moving):
    _ready(world, moving)
    with pytest.raises(ApplicationError) as refused:
        letters_send(now=NOW, actor=world.cin_sw, transfer=moving)
    assert "once the referral to the other authority is recorded as sent" in refused.value.errors["transfer"]
    sent = _act(world.cin_tm, moving, "send_referral", referral=SENT)
    letters = letters_send(now=NOW, actor=world.cin_sw, transfer=sent)
    assert [letter.addressee for letter in letters] == [
        "The parent or carer of Olive Testfamily",
        "Dr Pat Gee",
    ]
    family = letters[0]
    assert "Somerset Council" in family.document.title
    sent.refresh_from_db()
    family_told = sent.deadlines.get(step="family_told")
    assert family_told.actual == TODAY


def test_receipt_closes_the_case_here_on_the_day_it_was_confirmed(world, moving):
    _ready(world, moving)
    sent = _act(world.cin_tm, moving, "send_referral", referral=SENT)
    with pytest.raises(ApplicationError) as refused:
        _act(
            world.cin_tm,
            sent,
            "confirm_receipt",
            referral={
                "receipt_confirmed_on": SENT["sent_on"] - dt.timedelta(days=1),
                "receipt_confirmed_by": "Rae",
            },
        )
    assert "before the referral was sent" in refused.value.errors["receipt_confirmed_on"]
    with pytest.raises(ApplicationError) as refused:
        _act(world.cin_tm, sent, "confirm_receipt", referral={"receipt_confirmed_on": TODAY})
    assert refused.value.errors["receipt_confirmed_by"] == "name who at the other authority confirmed receipt"
    assert Allocation.objects.filter(child=sent.child, end__isnull=True).exists()

    done = _act(
        world.business_support if False else world.cin_pm,
        sent,
        "confirm_receipt",
        referral={"receipt_confirmed_on": TODAY, "receipt_confirmed_by": "Rae Somerset"},
    )
    assert done.state == "transferred" and not done.is_open
    child = done.child
    child.refresh_from_db()
    assert (child.closed_on, child.closure_reason) == (TODAY, "Transferred to Somerset Council")
    assert not Allocation.objects.filter(child=child, end__isnull=True).exists()
    assert done.to_allocation is None
    referral = ReferralOut.objects.get(transfer=done)
    assert (referral.receipt_confirmed_on, referral.receipt_confirmed_by, referral.receipt_recorded_by) == (
        TODAY,
        "Rae Somerset",
        world.cin_pm,
    )
    verbs = set(AuditEvent.objects.filter(child=child).values_list("verb", flat=True))
    assert {Verb.ALLOCATION_ENDED, Verb.CHILD_CLOSED, Verb.TRANSFER_ACTION} <= verbs
    target = done.deadlines.get(step="transfer_target")
    assert target.actual == TODAY


def test_the_pages_record_the_referral_and_its_receipt(world, moving):
    _ready(world, moving)
    client = Client()
    client.force_login(world.cin_tm.user)
    page = client.get(f"/transfers/{moving.pk}/").content.decode()
    assert "Record the referral sent" in page and "Download the referral bundle (ZIP, draft)" in page
    form = client.get(f"/transfers/{moving.pk}/send_referral/").content.decode()
    assert "Local authority the child is moving to" in form
    refused = client.post(
        f"/transfers/{moving.pk}/send_referral/",
        {
            "version": moving.version,
            "receiving_authority": "",
            "contact_name": "Rae",
            "discussed_on-day": "31",
            "discussed_on-month": "2",
            "discussed_on-year": "2026",
        },
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Enter the date the managers discussed the transfer as a real date" in body
    assert not ReferralOut.objects.exists()
    day, sent = SENT["discussed_on"], SENT["sent_on"]
    response = client.post(
        f"/transfers/{moving.pk}/send_referral/",
        {
            "version": moving.version,
            "receiving_authority": "Somerset Council",
            "contact_name": "Rae Somerset",
            "contact_email": "",
            "discussed_on-day": day.day,
            "discussed_on-month": day.month,
            "discussed_on-year": day.year,
            "sent_on-day": sent.day,
            "sent_on-month": sent.month,
            "sent_on-year": sent.year,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/transfers/{moving.pk}/").content.decode()
    assert "Transfer from CIN &amp; CP East to Somerset Council" in page or "to Somerset Council</h1>" in page
    assert "Sent to Somerset Council on" in page and "Record the confirmation of receipt" in page
    download = client.get(f"/transfers/{moving.pk}/referral-bundle.zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "no-store" in download["Cache-Control"]
    assert AuditEvent.objects.filter(
        verb=Verb.DOCUMENT_READ, child=moving.child, detail__contains="as sent"
    ).exists()
    moving.refresh_from_db()
    response = client.post(
        f"/transfers/{moving.pk}/confirm_receipt/",
        {
            "version": moving.version,
            "receipt_confirmed_on-day": TODAY.day,
            "receipt_confirmed_on-month": TODAY.month,
            "receipt_confirmed_on-year": TODAY.year,
            "receipt_confirmed_by": "Rae Somerset",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/transfers/{moving.pk}/").content.decode()
    assert "by Rae Somerset" in page and "the case is closed here" in page


def test_only_the_sending_team_downloads_the_bundle(world, moving):
    client = Client()
    client.force_login(world.auditor.user)
    assert client.get(f"/transfers/{moving.pk}/referral-bundle.zip").status_code == 403
    assert not AuditEvent.objects.filter(verb=Verb.DOCUMENT_READ).exists()


def test_the_api_sends_the_referral_and_shows_it(world, moving):
    _ready(world, moving)
    client = Client()
    client.force_login(world.cin_tm.user)
    body = {"action": "send_referral", "version": moving.version} | {
        k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in SENT.items()
    }
    response = client.post(f"/api/transfers/{moving.pk}/actions/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "referral_sent"
    detail = client.get(f"/api/transfers/{moving.pk}/").json()
    assert detail["referral_out"]["receiving_authority"] == "Somerset Council"
    assert detail["referral_out"]["sent_by"] == world.cin_tm.name
