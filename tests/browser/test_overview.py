"""What to do next, in a real browser (issue 12, item 4): the director goes from My work's summary to the
overview, opens the list behind a count and then the transfer; a receiving team manager follows My work's row
straight to the page where the transfer is agreed. Each page checked with axe-core, and at 320 px wide none scrolls
sideways. Screenshots go to test-output/browser/overview-*."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations, screenshot
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at

from handover.transfers import services

pytestmark = pytest.mark.django_db(transaction=True)


def _act(world, transfer, actor, action, **kwargs):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **kwargs
    )


def some_late_work(world) -> dict[str, object]:
    """A transfer overdue since October, one blocked, and one listed for the receiving managers to agree."""
    late = services.transfer_propose(
        now=at(TODAY - dt.timedelta(days=40)),
        actor=world.ast_sw,
        child=world.child("OV1", "Oona"),
        event="assessment_concluded",
        on=TODAY - dt.timedelta(days=40),
        answers=CIN_PLAN,
    ).transfers[0]
    stuck, listed = (
        services.transfer_propose(
            now=NOW,
            actor=world.ast_sw,
            child=world.child(identifier, first),
            event="assessment_concluded",
            on=TODAY,
            answers=CIN_PLAN,
        ).transfers[0]
        for identifier, first in (("OV2", "Bram"), ("OV3", "Cleo"))
    )
    for transfer in (stuck, listed):
        _act(world, transfer, world.ast_tm, "list")
    _act(world, stuck, world.cin_tm, "block", reason="No capacity this month")
    return {"late": late, "stuck": stuck, "listed": listed}


def test_the_director_goes_from_my_work_to_the_overview_and_to_a_blocked_transfer(world, open_as):
    work = some_late_work(world)
    page = open_as("director")
    summary = page.locator("#overview-summary")
    expect(summary).to_contain_text("Open transfers needing attention across the authority")
    assert axe_violations(page) == []
    summary.get_by_role("link", name="Open the overview by service and team").click()
    page.wait_for_url("**/overview/")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.get_by_role("link", name="Overview", exact=True)).to_have_attribute("aria-current", "page")
    assert axe_violations(page) == []
    screenshot(page, "overview-1280")

    page.get_by_role("link", name="1 blocked in Assessment Team East").click()
    expect(page.locator("#listed")).to_have_text("Blocked transfers (1)")
    row = page.locator("#listed + table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Bram Testfamily")
    expect(row).to_contain_text("Blocked since 24 November 2026")
    assert axe_violations(page) == []
    screenshot(page, "overview-blocked-1280")
    row.get_by_role("link", name="Bram Testfamily").click()
    page.wait_for_url(f"**/transfers/{work['stuck'].pk}/")

    # The filters, by GET: a team from the list.
    page.goto(page.url.split("/transfers/")[0] + "/overview/")
    page.get_by_label("Team").select_option(label="CIN and CP Team West")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#counts tbody tr")).to_have_count(1)  # its service only: nothing to or from the team
    expect(page.locator("#counts tbody tr")).to_contain_text("Children in Need and Child Protection Service")


def test_a_manager_follows_my_work_straight_to_the_page_that_agrees_the_transfer(world, open_as):
    work = some_late_work(world)
    page = open_as("cin_tm")
    expect(page.get_by_role("heading", name="Agree the receiving team and date (1)")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "overview-my-work-receiving-manager-1280")
    page.get_by_role("link", name="Agree the receiving team and date for Cleo Testfamily").click()
    page.wait_for_url(f"**/transfers/{work['listed'].pk}/agree/")
    expect(page.locator("h1")).to_contain_text("Agree")


@pytest.mark.parametrize("person", ["director", "ast_sw"])
def test_my_work_and_the_overview_do_not_scroll_sideways_at_320_px(world, open_as, live_server, person):
    some_late_work(world)
    page = open_as(person, width=320)
    paths = ["/my-work/"] + (["/overview/", "/overview/?show=overdue"] if person == "director" else [])
    for path in paths:
        assert page.goto(f"{live_server.url}{path}").ok
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
        assert axe_violations(page) == [], path
        screenshot(page, f"overview-{person}{path.replace('/', '-').replace('?', '-')}320")
