"""Small screens (WCAG 2.2 1.4.10 Reflow), at 320 px wide: no page scrolls sideways, with rows in every table
(a table too wide to stack may scroll inside its own focusable region; the page itself never does); the service
navigation folds behind GOV.UK Frontend's Menu toggle, which opens and closes it; the header says who is signed
in, in words (name, main role and team: never a code), with Sign out, without opening the menu. For a team
manager and a social worker, and at the front door a MASH team manager and social worker; the sign-in page's
errors. Every page is checked with axe-core at that width too; screenshots go to test-output/browser/small-screens-*."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils.text import slugify
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations, screenshot
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, dated_staff, listed_on

from handover.children.front_door import NewChild, front_door_contact_record
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.organisation.models import Role
from handover.transfers import services

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 320
LONG_NAME = "Anastasia-Konstantina"  # a long first name: it wraps, it does not widen the page


def a_busy_week(world) -> dict[str, str]:
    """Transfers in the states the pages list, made through the services: two on the sheet of this week's
    meeting (one child with a long name), one declined (a dispute: an escalation, notifications), one proposed
    and waiting on the manager. Returns each page's path."""
    day = TODAY - dt.timedelta(days=1)
    listed_on(world, "ss1", day)
    long_named = services.transfer_propose(
        now=at(day),
        actor=world.ast_sw,
        child=world.child("SS2000000123", LONG_NAME),
        event="assessment_concluded",
        on=day,
        answers=CIN_PLAN,
    ).transfers[0]
    long_named = services.transfer_act(
        now=at(day, 12), actor=world.ast_tm, transfer=long_named, action="list", expected_version=1
    )
    meeting = meeting_sitting_schedule(authority=world.authority, on=day, now=NOW)
    assert day <= meeting.cutoff <= meeting.sits_on
    assert len(early_warning_sheet_compile(meeting=meeting, now=NOW)) == 2
    declined = listed_on(world, "ss3", day)
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=declined,
        action="decline",
        reason="Threshold for CIN not met: step down to Early Help",
        expected_version=declined.version,
    )
    services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("SS4", "Lyra"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    )
    return {
        "My work": "/my-work/",
        "meeting agenda": f"/meetings/{meeting.pk}/",
        "child's record": f"/children/{long_named.child_id}/",
        "transfer": f"/transfers/{long_named.pk}/",
        "team": "/team/",
        "escalations": "/escalations/",
        "search": "/children/?q=testfamily",
        "notifications": "/notifications/",
    }


def front_door_staff(world) -> None:
    """A MASH team manager and social worker, and a referral awaiting its decision at their front door."""
    team = world.teams["mash_team"]
    world.mash_sw = dated_staff(
        authority=world.authority,
        username="mae_mash_sw",
        name="Mae Mash Sw",
        email="mae_mash_sw@example.invalid",
        roles=[(Role.SOCIAL_WORKER, team)],
        social_work_england_number="SW300001",
    )
    world.mash_tm = dated_staff(
        authority=world.authority,
        username="max_mash_tm",
        name="Max Mash Tm",
        email="max_mash_tm@example.invalid",
        roles=[(Role.TEAM_MANAGER, team)],
    )
    front_door_contact_record(
        actor=world.mash_sw,
        team=team,
        event="referral",
        received_on=TODAY - dt.timedelta(days=1),
        now=NOW,
        new=NewChild(
            identifier="FD2000000123",
            first_name=LONG_NAME,
            last_name="Newcombe",
            date_of_birth=dt.date(2019, 4, 2),
        ),
        summary="School worried about bruising",
    )


def no_page_scrolls_sideways(page, base: str, pages: dict[str, str], who: str) -> None:
    """Visit each page at WIDTH: none wider than the screen (the failure names each page and its width), none
    with an axe-core violation."""
    too_wide, failures = {}, {}
    for name, path in pages.items():
        response = page.goto(f"{base}{path}")
        assert response is not None and response.ok, (
            f"{name} ({path}) answered {response and response.status}"
        )
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            too_wide[name] = width
        screenshot(page, f"small-screens-{who}-{slugify(name)}-{WIDTH}")
        if violations := axe_violations(page):
            failures[name] = violations
    assert too_wide == {}, f"{who}: pages wider than {WIDTH} px (page: scrollWidth in px): {too_wide}"
    assert failures == {}


@pytest.mark.parametrize("person", ["ast_tm", "ast_sw"])
def test_no_page_scrolls_sideways_at_320_px(world, open_as, live_server, person):
    pages = a_busy_week(world)
    if person == "ast_sw":
        del pages["team"]  # the team page is for managers
    page = open_as(person, width=WIDTH)
    no_page_scrolls_sideways(page, live_server.url, pages, person)


@pytest.mark.parametrize("person", ["mash_tm", "mash_sw"])
def test_at_the_front_door_the_pages_reflow_at_320_px(world, open_as, live_server, person):
    front_door_staff(world)
    page = open_as(person, width=WIDTH)
    page.goto(f"{live_server.url}/front-door/")
    child = page.get_by_role("link", name=f"{LONG_NAME} Newcombe", exact=True)
    expect(child).to_be_visible()
    assert axe_violations(page) == []  # its width: the next test
    pages = {"child's record": child.get_attribute("href"), "My work": "/my-work/"}
    no_page_scrolls_sideways(page, live_server.url, pages, person)


def test_the_front_door_page_does_not_scroll_sideways_at_320_px(world, open_as, live_server):
    """Its table stacks: each contact a block, each value under its column's name."""
    front_door_staff(world)
    page = open_as("mash_tm", width=WIDTH)
    no_page_scrolls_sideways(page, live_server.url, {"front door": "/front-door/"}, "mash_tm")
    contact = page.get_by_role("row").filter(has_text=f"{LONG_NAME} Newcombe")
    expect(contact.get_by_role("cell").first).to_have_attribute("data-label", "Child")
    expect(contact.get_by_role("link", name="Close as information only")).to_be_visible()


def test_a_sign_in_with_empty_boxes_names_each_one_at_320_px(world, browser, live_server):
    """The error summary takes focus and names each empty box; its link moves to the box; a wrong password then
    gets one message that does not say which of the two was wrong. No sideways scrolling, no axe violation."""
    world.ast_tm.user.set_password("the right password for this test")
    world.ast_tm.user.save()
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Enter your username", "Enter your password"])
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert axe_violations(page) == []
    screenshot(page, f"small-screens-sign-in-empty-{WIDTH}")
    summary.get_by_role("link", name="Enter your password").click()
    expect(page.get_by_label("Password")).to_be_focused()

    page.get_by_label("Username").fill(world.ast_tm.user.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        ["Enter a correct username and password"]
    )
    expect(page.get_by_label("Username")).to_have_value(world.ast_tm.user.username)
    expect(page.get_by_label("Password")).to_have_value("")
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize(
    ("person", "name", "role"),
    [
        ("ast_tm", "Tom Assessment Tm", "Team manager, Assessment Team East"),
        ("ast_sw", "Ava Assessment Sw", "Social worker, Assessment Team East"),
    ],
)
def test_the_header_says_who_is_signed_in_and_the_menu_opens_and_closes(
    world, open_as, live_server, person, name, role
):
    page = open_as(person, width=WIDTH)
    header = page.get_by_role("banner")
    expect(header.get_by_text(name, exact=True)).to_be_visible()
    expect(header.get_by_text(role, exact=True)).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    assert "_" not in header.inner_text()  # no username or other code

    toggle = page.get_by_role("button", name="Menu")
    navigation = page.get_by_role("navigation", name="Menu")
    my_work = navigation.get_by_role("link", name="My work")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-controls", "navigation")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(my_work).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(my_work).to_be_visible()
    expect(my_work).to_have_attribute("aria-current", "page")  # My work is the page open
    expect(navigation.get_by_role("link", name="Find a child")).not_to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert axe_violations(page) == []
    screenshot(page, f"small-screens-{person}-menu-open-{WIDTH}")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(my_work).to_be_hidden()

    # Another page marks its own link; a page within a section (a meeting's agenda) marks the section's link.
    toggle.click()
    navigation.get_by_role("link", name="Meetings").click()
    page.wait_for_url("**/meetings/")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # a new page starts with the menu closed
    meetings = navigation.get_by_role("link", name="Meetings", include_hidden=True)
    expect(meetings).to_have_attribute("aria-current", "page")
    expect(navigation.get_by_role("link", name="My work", include_hidden=True)).not_to_have_attribute(
        "aria-current", "page"
    )
    meeting = meeting_sitting_schedule(authority=world.authority, on=TODAY, now=NOW)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(meetings).to_have_attribute("aria-current", "true")

    header.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_text(name, exact=True)).to_have_count(0)


def test_on_a_wide_screen_the_links_show_without_a_toggle_and_the_header_names_the_person(world, open_as):
    page = open_as("ast_tm")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    navigation = page.get_by_role("navigation", name="Menu")
    expect(navigation.get_by_role("link", name="My work")).to_have_attribute("aria-current", "page")
    expect(navigation.get_by_role("link", name="Escalations")).to_be_visible()
    header = page.get_by_role("banner")
    expect(header.get_by_text("Tom Assessment Tm", exact=True)).to_be_visible()
    expect(header.get_by_text("Team manager, Assessment Team East", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "small-screens-ast_tm-header-1280")
