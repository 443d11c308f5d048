"""A transfer to another local authority in a real browser (Dorset D-185 to D-188): the sending team manager
records the referral sent (an empty form is refused whole), downloads the referral bundle, then records the
other authority's confirmation of receipt, which closes the case here. Checked with axe-core."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations
from tests.integration.conftest import NOW, TODAY, meet_checklist

from handover.transfers import services
from handover.transfers.models import ReferralOut, SignOffKind, Transfer

pytestmark = pytest.mark.django_db(transaction=True)

DISCUSSED = dt.date(2026, 11, 20)
SENT = dt.date(2026, 11, 23)


def _moving_and_ready(world) -> Transfer:
    """A child of the CIN team moving away, with the sending side's file ready for the referral (D-185)."""
    child = world.child(
        "out1", "Olive", team="cin_cp_east", worker=world.cin_sw, address="1 Sea Lane\nWeymouth"
    )
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.cin_sw,
        child=child,
        event="moves_to_another_authority",
        on=TODAY - dt.timedelta(days=3),
    ).transfers[0]
    meet_checklist(transfer, confirmer=world.cin_tm, on=TODAY - dt.timedelta(days=3))
    services.transfer_sign_off(now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    return transfer


def _fill_date(page, prefix: str, day: dt.date) -> None:
    page.fill(f"#{prefix}", str(day.day))
    page.fill(f"#{prefix}-month", str(day.month))
    page.fill(f"#{prefix}-year", str(day.year))


def test_the_referral_is_recorded_downloaded_and_its_receipt_closes_the_case(world, open_as, tmp_path):
    assert DISCUSSED < SENT < TODAY  # the suite's fixed clock: 24 November 2026
    transfer = _moving_and_ready(world)

    manager = open_as("cin_tm")
    transfer_url = manager.url.replace("/my-work/", f"/transfers/{transfer.pk}/")
    manager.goto(transfer_url)
    expect(manager.locator("h1")).to_contain_text("Transfer from")
    expect(manager.locator("h1")).to_contain_text("to Another local authority")
    expect(manager.get_by_role("link", name="Download the referral bundle (ZIP, draft)")).to_be_visible()

    # D-187: the referral is recorded as sent; an empty form is refused whole and writes nothing.
    manager.get_by_role("link", name="Record the referral sent").click()
    expect(manager.locator("h1")).to_have_text("Record the referral sent")
    with manager.expect_response(lambda r: r.request.method == "POST") as refused:
        manager.click("button:has-text('Record the referral sent')")
    assert refused.value.status == 400
    summary = manager.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Name the local authority the child is moving to")
    assert not ReferralOut.objects.exists()
    assert Transfer.objects.get(pk=transfer.pk).state == "proposed"

    manager.get_by_label("Local authority the child is moving to").fill("Somerset Council")
    manager.get_by_label("Manager at that authority you discussed the transfer with").fill("Rae Somerset")
    _fill_date(manager, "discussed_on", DISCUSSED)
    _fill_date(manager, "sent_on", SENT)
    assert axe_violations(manager) == []
    manager.click("button:has-text('Record the referral sent')")
    manager.wait_for_url(f"**/transfers/{transfer.pk}/")
    main = manager.locator("main")
    expect(main).to_contain_text("Sent to Somerset Council on 23 November 2026")
    expect(manager.get_by_role("link", name="Record the confirmation of receipt")).to_be_visible()
    assert axe_violations(manager) == []
    referral = ReferralOut.objects.get(transfer=transfer)
    assert (referral.receiving_authority, referral.contact_name, referral.discussed_on, referral.sent_on) == (
        "Somerset Council",
        "Rae Somerset",
        DISCUSSED,
        SENT,
    )
    assert Transfer.objects.get(pk=transfer.pk).state == "referral_sent"

    # The bundle as sent: a covering referral and a manifest of the documents.
    with manager.expect_download() as downloading:
        manager.get_by_role("link", name="Download the referral bundle (ZIP)").click()
    saved = tmp_path / "referral-bundle.zip"
    downloading.value.save_as(saved)
    with zipfile.ZipFile(saved) as bundle:
        names = bundle.namelist()
        assert {"00-referral.pdf", "manifest.json"} <= set(names)
        assert bundle.read("00-referral.pdf").startswith(b"%PDF")

    # The other authority confirms receipt: the case closes here.
    manager.get_by_role("link", name="Record the confirmation of receipt").click()
    expect(manager.locator("h1")).to_have_text("Record the confirmation of receipt")
    _fill_date(manager, "receipt_confirmed_on", TODAY)
    manager.get_by_label("Who at the other authority confirmed it").fill("Rae Somerset")
    assert axe_violations(manager) == []
    manager.click("button:has-text('Record the confirmation of receipt')")
    manager.wait_for_url(f"**/transfers/{transfer.pk}/")
    expect(main).to_contain_text("the case is closed here")
    expect(manager.locator("main strong.govuk-tag").first).to_have_text("Transferred")
    assert axe_violations(manager) == []

    done = Transfer.objects.get(pk=transfer.pk)
    assert done.state == "transferred"
    child = done.child
    child.refresh_from_db()
    assert child.closed_on == TODAY
    assert child.closure_reason == "Transferred to Somerset Council"
