"""The front door in a real browser: a MASH social worker records a referral for a child new to the service,
meets the duplicate check, and finds the contact on the front door page with its decision due (D-077: a working
day). Checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations
from tests.integration.conftest import dated_staff

from handover.children.models import Child, FrontDoorContact
from handover.organisation.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_referral_for_a_new_child_is_recorded_at_the_front_door(world, open_as):
    world.mash_sw = dated_staff(
        authority=world.authority,
        username="mae_mash_sw",
        name="Mae Mash Sw",
        email="mae_mash_sw@example.invalid",
        roles=[(Role.SOCIAL_WORKER, world.teams["mash_team"])],
        social_work_england_number="SW300001",
    )
    world.child("FD1", "Nia", date_of_birth=dt.date(2019, 4, 2))  # a possible duplicate already on file
    page = open_as("mash_sw")
    page.get_by_role("link", name="Front door").click()
    page.get_by_role("link", name="Record a contact").click()
    expect(page.locator("h1")).to_have_text("Record a contact")
    page.get_by_label("Referral received by MASH").check()
    page.fill("#received_on", "23")
    page.fill("#received_on-month", "11")
    page.fill("#received_on-year", "2026")
    page.fill("#identifier", "FD100")
    page.fill("#first_name", "Nia")
    page.fill("#last_name", "Newcombe")
    page.fill("#date_of_birth", "2")
    page.fill("#date_of_birth-month", "4")
    page.fill("#date_of_birth-year", "2019")
    assert axe_violations(page) == []
    page.click("button:has-text('Record the contact')")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("This may be a child already on file: Nia Testfamily (person ID FD1")
    assert not Child.objects.filter(identifier="FD100").exists()
    page.get_by_label("I have checked: this is a different child").check()
    page.click("button:has-text('Record the contact')")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Contact recorded for Nia Newcombe")
    assert FrontDoorContact.objects.get(child__identifier="FD100").outcome == "open"

    page.get_by_role("link", name="Front door").click()
    row = page.locator("tr", has_text="Nia Newcombe")
    expect(row).to_contain_text("Tuesday 24 November 2026")  # D-077: a working day after Monday's referral
    assert axe_violations(page) == []
