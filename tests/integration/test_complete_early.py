"""Completing early is not silent (issue 12): completing before the agreed date of formal transfer needs the person
to confirm it and give the reason, on the page, the API and in the service alike; then the transfer page, the Case
Transfer Summary on the child's file and the letters give the day the case really moved, not the agreed one."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from docx import Document
from rest_framework.test import APIClient
from tests.integration.conftest import NOW, TODAY, at, authorise_summary, listed_on, meet_checklist
from tests.rendered import visible_text

from handover.children.models import Allocation, InvolvedProfessional
from handover.documents import letters
from handover.documents.models import TransferSummary
from handover.domain.errors import ApplicationError
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer, TransferEvent

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)
AGREED = dt.date(
    2026, 12, 9
)  # the protocol's two weeks after Wednesday's meeting; TODAY is Tuesday 24 November
REASON = "The family moved into the east locality this week and asked for the new worker now."


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def act(world, transfer, actor, action, **extra):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **extra
    )


@pytest.fixture
def ready(world):
    """Agreed for 9 December, the worker named, the handover held, the file ready, and the letters written (they
    give the agreed date): everything but completing."""
    transfer = listed_on(world, "early1", MONDAY)
    child = transfer.child
    child.address = "1 Example Road\nExampletown EX1 1AA"
    child.save()
    InvolvedProfessional.objects.create(
        child=child, name="Dr Ada Example", role="GP", address="2 Surgery Lane"
    )
    world.cin_sw.phone = "01234 567890"
    world.cin_sw.save()
    act(world, transfer, world.cin_tm, "agree", to_team=world.teams["cin_cp_east"], transfer_date=AGREED)
    act(world, transfer, world.cin_tm, "identify_worker", worker=world.cin_sw)
    act(
        world,
        transfer,
        world.cin_sw,
        "record_handover",
        held_on=TODAY,
        attendees=[world.cin_sw, world.ast_sw],
    )
    meet_checklist(transfer, confirmer=world.ast_tm, on=TODAY)
    authorise_summary(world, transfer)
    services.transfer_sign_off(now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(
        now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )
    letters.letters_send(actor=world.ast_sw, transfer=transfer, now=at(TODAY, 9))
    transfer.refresh_from_db()
    return transfer


def test_completing_before_the_agreed_date_is_refused_without_the_confirmation_and_the_reason(world, ready):
    with pytest.raises(ApplicationError) as refused:
        act(world, ready, world.cin_tm, "complete")
    assert refused.value.errors == {
        "confirm_early": "the agreed date of formal transfer is 9 December 2026. To complete it earlier, confirm "
        "it and give the reason",
        "reason": "enter why the transfer is completed before the agreed date (9 December 2026)",
    }
    with pytest.raises(ApplicationError) as no_reason:
        act(world, ready, world.cin_tm, "complete", confirm_early=True)
    assert set(no_reason.value.errors) == {"reason"}
    # Nothing was written: the case has not moved.
    ready.refresh_from_db()
    assert ready.state == "handover_held" and ready.to_allocation is None
    assert Allocation.objects.get(pk=ready.from_allocation_id).end is None
    assert not TransferEvent.objects.filter(transfer=ready, action="complete").exists()


def test_the_page_asks_for_the_confirmation_names_the_agreed_date_and_records_the_early_completion(
    world, ready
):
    manager = signed_in(world.cin_tm)
    form = manager.get(f"/transfers/{ready.pk}/complete/").content.decode()
    assert "The agreed date of formal transfer is 9 December 2026" in form
    assert 'name="confirm_early"' in form and "Complete before the agreed date" in form
    assert "Why complete it before 9 December 2026" in form

    refused = manager.post(f"/transfers/{ready.pk}/complete/", {"version": ready.version})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert (
        '<a href="#confirm_early">The agreed date of formal transfer is 9 December 2026. To complete it earlier, '
        "confirm it and give the reason</a>" in page
    )
    assert '<a href="#reason">Enter why the transfer is completed before the agreed date' in page
    unconfirmed = manager.post(
        f"/transfers/{ready.pk}/complete/", {"version": ready.version, "reason": REASON}
    )
    assert unconfirmed.status_code == 400 and REASON in unconfirmed.content.decode()  # kept for the retry

    done = manager.post(
        f"/transfers/{ready.pk}/complete/",
        {"version": ready.version, "confirm_early": "yes", "reason": REASON},
    )
    assert done.status_code == 302
    transfer = Transfer.objects.get(pk=ready.pk)
    assert transfer.state == "transferred" and transfer.transfer_date == AGREED  # the agreement stays as made
    assert Allocation.objects.get(pk=transfer.from_allocation_id).end == TODAY
    assert transfer.to_allocation.start == TODAY
    event = transfer.events.get(action="complete")
    assert event.reason == REASON
    assert {k: event.data[k] for k in ("early", "agreed_date", "completed_on")} == {
        "early": True,
        "agreed_date": "2026-12-09",
        "completed_on": "2026-11-24",
    }

    shown = manager.get(f"/transfers/{ready.pk}/").content.decode()
    assert "Transferred on" in shown and "24 November 2026: completed early, before the agreed date" in shown
    assert f"Why: {REASON}" in shown
    assert (
        "Completed on 24 November 2026, before the agreed date of formal transfer (9 December 2026)." in shown
    )
    # The transfer point is done on the day the case moved.
    assert transfer.deadlines.get(step="formal_transfer").actual == TODAY


def test_on_or_after_the_agreed_date_nothing_more_is_asked(world, ready):
    on_the_day = services.transfer_act(
        now=at(AGREED),
        actor=world.cin_tm,
        transfer=ready,
        action="complete",
        expected_version=ready.version,
    )
    assert on_the_day.state == "transferred"
    event = on_the_day.events.get(action="complete")
    assert "early" not in event.data and event.data["completed_on"] == "2026-12-09"
    page = signed_in(world.cin_tm).get(f"/transfers/{ready.pk}/").content.decode()
    assert "completed early" not in page


def test_the_summary_on_file_and_the_letters_give_the_day_the_case_moved(world, ready, tmp_path):
    act(world, ready, world.cin_tm, "complete", confirm_early=True, reason=REASON)
    summary = TransferSummary.objects.get(transfer=ready, status="authorised")
    assert summary.contents["transfer_date"] == "2026-12-09"
    assert summary.contents["transferred_on"] == "2026-11-24"
    assert summary.contents["completed_early"] is True and summary.contents["early_reason"] == REASON
    assert summary.contents["added_after_authorisation"] == ["the day the case moved"]
    text = visible_text(bytes(summary.document.content), tmp_path)
    assert "Transferred on" in text and "24 November 2026" in text
    assert "before the agreed date of formal transfer (9 December 2026)" in text
    assert "Why it was completed early" in text and "east locality" in text

    # The letters written before gave 9 December: the page says so, and the letters written again give the day.
    page = signed_in(world.cin_sw).get(f"/transfers/{ready.pk}/").content.decode()
    assert (
        "These letters give the agreed date of formal transfer, 9 December 2026, but the case moved on "
        "24 November 2026: write them again so that they give the day it moved." in page
    )
    again = letters.letters_send(actor=world.cin_sw, transfer=ready, now=at(TODAY, 15))
    assert len(again.written) == 2
    family = "\n".join(p.text for p in Document(io.BytesIO(bytes(again[0].docx))).paragraphs)
    assert "from Tuesday 24 November 2026 Early1's social worker is Sam Cin Sw" in family
    assert "9 December" not in family and "before the change happens" not in family
    professional = "\n".join(p.text for p in Document(io.BytesIO(bytes(again[1].docx))).paragraphs)
    assert "transferred from the Assessment Team East to the CIN and CP Team East on Tuesday 24 November" in (
        professional
    )
    assert "write them again" not in signed_in(world.cin_sw).get(f"/transfers/{ready.pk}/").content.decode()


def test_the_api_takes_the_confirmation(world, ready):
    client = APIClient()
    client.force_authenticate(world.cin_tm.user)
    url = f"/api/transfers/{ready.pk}/actions/"
    refused = client.post(url, {"action": "complete", "version": ready.version}, format="json")
    assert refused.status_code == 400
    assert (
        "the agreed date of formal transfer is 9 December 2026" in refused.json()["errors"]["confirm_early"]
    )
    done = client.post(
        url,
        {"action": "complete", "version": ready.version, "confirm_early": True, "reason": REASON},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "transferred"
    detail = client.get(f"/api/transfers/{ready.pk}/").json()
    completed = next(e for e in detail["events"] if e["action"] == "complete")
    assert completed["data"]["early"] is True and completed["reason"] == REASON
