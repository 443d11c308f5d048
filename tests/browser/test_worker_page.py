"""In a real browser (issue 12): a team manager goes from the team page to a worker's page and reads their
caseload, at full width and at 320 px without sideways scrolling; a social worker proposing a transfer is
offered what happens in the child's service first and finds the rest under "Something else". Checked with
axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations, screenshot

from handover.children.models import PlanEpisode

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_opens_a_workers_page_from_the_team_page(world, open_as):
    child = world.child("WP1", "Wren")
    PlanEpisode.objects.create(child=child, plan="cin", start=dt.date(2026, 9, 10))
    for width in (1280, 320):
        page = open_as("ast_tm", width=width)
        if width == 320:
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("link", name="Team", exact=True).click()
        page.get_by_role("link", name="Ava Assessment Sw", exact=True).click()
        expect(page.locator("h1")).to_have_text("Ava Assessment Sw")
        expect(page.locator(".govuk-summary-list")).to_contain_text("Social worker, Assessment Team East")
        row = page.locator("tr", has_text="Wren Testfamily")
        expect(row).to_contain_text("10 years old (born 1 March 2016)")
        expect(row).to_contain_text("Child in need plan")
        expect(row).to_contain_text("1 September 2026")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"worker-page-{width}")
        assert axe_violations(page) == []
        page.get_by_role("link", name="Wren Testfamily").click()
        expect(page.locator("h1")).to_contain_text("Wren Testfamily")


def test_proposing_offers_the_services_events_first_and_the_rest_under_something_else(world, open_as):
    child = world.child("WP2", "Wilf")
    page = open_as("ast_sw")
    page.goto(page.url.replace("/my-work/", f"/children/{child.pk}/"))
    page.get_by_role("link", name="Propose a transfer").click()
    expect(page.get_by_label("Multi Agency Assessment concluded")).to_be_visible()
    expect(page.get_by_text("Referral received by MASH")).to_have_count(0)
    expect(page.get_by_label("What has happened", exact=True)).to_be_visible()  # under "Something else"
    assert axe_violations(page) == []
    page.get_by_label("Something else").check()
    page.click("button:has-text('Continue')")  # nothing chosen from the list: named in the error summary
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select what has happened from the list")
    expect(page.get_by_label("Something else")).to_be_checked()
    assert axe_violations(page) == []
    screenshot(page, "propose-something-else")
    page.get_by_label("What has happened", exact=True).select_option(
        label="Care proceedings end with a care order"
    )
    page.fill("#date-day", "24")
    page.fill("#date-month", "11")
    page.fill("#date-year", "2026")
    page.click("button:has-text('Continue')")
    expect(page.locator("h1")).not_to_have_text("What has happened?")
