"""A decline is a dispute, in a real browser: the receiving manager declines with a reason, the service manager
finds it on the escalations page and overrules it, and the transfer carries on (Dorset D-030/D-032). Checked
with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations
from tests.integration.conftest import listed_on

from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_decline_goes_to_the_service_manager_who_overrules_it(world, open_as):
    transfer = listed_on(world, "bd1", dt.date(2026, 11, 23))

    manager = open_as("cin_tm")
    manager.goto(manager.url.replace("/my-work/", f"/transfers/{transfer.pk}/"))
    manager.get_by_role("link", name="Decline the transfer").click()
    expect(manager.locator("h1")).to_have_text("Decline the transfer")
    manager.click("button:has-text('Decline the transfer')")
    expect(manager.locator(".govuk-error-summary")).to_contain_text("reason")  # a reason is required
    manager.fill("#reason", "Threshold for CIN not met: step down to Early Help")
    manager.click("button:has-text('Decline the transfer')")
    manager.wait_for_url(f"**/transfers/{transfer.pk}/")
    assert Transfer.objects.get(pk=transfer.pk).state == "disputed"
    # The manager who declined is not the level that decides.
    expect(manager.get_by_role("link", name="Overrule the decline")).to_have_count(0)

    senior = open_as("service_manager")
    senior.goto(senior.url.replace("/my-work/", "/escalations/"))
    expect(senior.locator("main")).to_contain_text("Declined transfer in dispute")
    assert axe_violations(senior) == []
    senior.goto(senior.url.replace("/escalations/", f"/transfers/{transfer.pk}/"))
    senior.get_by_role("link", name="Overrule the decline").click()
    senior.fill("#reason", "The CIN threshold is met: the transfer goes ahead")
    assert axe_violations(senior) == []
    senior.click("button:has-text('Overrule the decline')")
    senior.wait_for_url(f"**/transfers/{transfer.pk}/")
    assert Transfer.objects.get(pk=transfer.pk).state == "listed"
