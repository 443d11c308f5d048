"""Notifications in a real browser: the header's count after sign-in, the page it opens, and choosing how to be
told, checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations, screenshot
from tests.integration.conftest import NOW, TODAY, listed_on

from handover.notifications.models import Delivery, Notification, NotificationPreference
from handover.notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_header_counts_what_is_to_do_and_opens_the_notifications(world, open_as):
    transfer = listed_on(world, "bn1", TODAY)
    notify(
        recipient=world.cin_tm,
        key="bn1:due_soon",
        kind=Notification.Kind.DUE_SOON,
        title="Due Wednesday 2 December: Presented at the weekly transfer meeting, child bn1",
        url=f"/transfers/{transfer.pk}/",
        now=NOW,
        child=transfer.child,
        transfer=transfer,
    )
    page = open_as("cin_tm")
    count = page.locator("#notifications-count")
    expect(count).to_have_text("1 still to do")
    page.click("a:has-text('Notifications')")
    page.wait_for_url("**/notifications/")
    expect(page.locator("h1")).to_have_text("Notifications")
    expect(page.get_by_role("link", name="Due Wednesday 2 December")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "notifications-1280")

    page.get_by_label("As soon as it happens").check()
    page.click("button:has-text('Save your choice')")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your choice is saved")
    assert NotificationPreference.objects.get(staff=world.cin_tm).delivery == Delivery.IMMEDIATE

    page.get_by_role("link", name="Due Wednesday 2 December").click()
    page.wait_for_url(f"**/transfers/{transfer.pk}/")
