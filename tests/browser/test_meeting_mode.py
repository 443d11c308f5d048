"""Meeting mode in a real browser: business support runs the weekly transfer meeting from the agenda, case by
case, then closes it; the papers download; the Case Transfer Summary is drafted and authorised; the decision
form works without JavaScript. Every page checked with axe-core, including with errors showing.

The pages use today's date, so the cases are listed yesterday and the sitting is the one they can still make."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import PASSWORD, axe_violations, screenshot
from tests.integration.conftest import NOW, TODAY, at, listed_on

from handover.meetings.models import Decision, Meeting
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule

pytestmark = pytest.mark.django_db(transaction=True)
# Who decided, as the meeting page names her: with her role and team (which Tia, in which team).
TIA = "Tia Cin Tm, Team manager, CIN and CP Team East"


def two_cases_on_the_sheet(world):
    """Two cases listed yesterday, on the sheet of the next sitting whose cut-off they made."""
    day = TODAY - dt.timedelta(days=1)
    first = listed_on(world, "bm1", day)
    second = listed_on(world, "bm2", day)
    meeting = meeting_sitting_schedule(authority=world.authority, on=day, now=NOW)
    assert day <= meeting.cutoff <= meeting.sits_on
    items = {i.transfer_id: i for i in early_warning_sheet_compile(meeting=meeting, now=NOW)}
    assert set(items) == {first.pk, second.pk}
    return meeting, items[first.pk], items[second.pk]


def wcag_violations(page) -> list[dict]:
    """axe-core's WCAG 2.2 A/AA violations, less one known GOV.UK Frontend exception: its radios JavaScript sets
    `aria-expanded` on a radio that reveals conditional content, which ARIA 1.2 does not list for radios. The
    Design System keeps it on purpose, because screen readers announce it (alphagov/govuk-frontend#979 and
    #1972). Only that attribute on such a radio is excepted; any other node or rule still fails."""
    reveal = "(e) => e.matches('input.govuk-radios__input[type=radio][aria-controls][aria-expanded]')"
    violations = []
    for violation in axe_violations(page):
        if violation["id"] == "aria-allowed-attr":
            violation["nodes"] = [n for n in violation["nodes"] if not page.locator(n[0]).evaluate(reveal)]
        if violation["nodes"]:
            violations.append(violation)
    return violations


def choose(page, label: str) -> None:
    page.get_by_role("radio", name=label, exact=True).check()


def type_transfer_date(page, day: dt.date) -> None:
    group = page.get_by_role("group", name="Agreed transfer date (if agreed)")
    for label, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        group.get_by_label(label).fill(str(value))


def error_links(page) -> list[str]:
    return page.locator(".govuk-error-summary__list a").all_inner_texts()


def test_business_support_runs_the_meeting_end_to_end(world, open_as, live_server, settings):
    meeting, first, second = two_cases_on_the_sheet(world)
    settings.HANDOVER_FIXED_NOW = at(meeting.sits_on)  # the meeting sits: its decisions are recorded that day
    agreed_on = TODAY + dt.timedelta(days=14)
    page = open_as("business_support")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(page.locator("h1")).to_contain_text("Weekly transfer meeting")
    expect(page.get_by_role("row")).to_have_count(3)  # the header and the two cases
    assert wcag_violations(page) == []

    page.get_by_role("link", name="Start with the next case").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/cases/{first.pk}/")
    expect(page.locator("h1")).to_have_text("Bm1 Testfamily")
    assert wcag_violations(page) == []

    # Nothing chosen: the error summary takes focus, names each missing answer and its links reach the fields.
    page.get_by_role("button", name="Save and go to the next case").click()
    expect(page).to_have_title(re.compile(r"^Error: Decision for Bm1 Testfamily"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    assert error_links(page) == [
        "Select what the meeting decided",
        "Select the manager who made the decision",
    ]
    assert wcag_violations(page) == []
    page.get_by_role("link", name="Select what the meeting decided").click()
    expect(page.get_by_role("radio", name="Agreed", exact=True)).to_be_focused()
    page.get_by_role("link", name="Select the manager who made the decision").click()
    expect(page.get_by_label("Decided by")).to_be_focused()

    # "Agreed" alone: the team and the date are asked for, and nothing is saved.
    choose(page, "Agreed")
    page.get_by_label("Decided by").select_option(label=TIA)
    page.get_by_role("button", name="Save and go to the next case").click()
    expect(summary).to_be_focused()
    assert error_links(page) == [
        "Select the receiving team",
        "Enter the agreed transfer date as a real date, like 9 12 2026",
    ]
    expect(page.get_by_role("radio", name="Agreed", exact=True)).to_be_checked()  # answers kept
    assert wcag_violations(page) == []
    first.refresh_from_db()
    assert first.decision == Decision.PENDING

    choose(page, "CIN and CP Team East")
    type_transfer_date(page, agreed_on)
    page.get_by_role("button", name="Save and go to the next case").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/cases/{second.pk}/")
    expect(page.locator("h1")).to_have_text("Bm2 Testfamily")

    # Deferred needs a reason; the conditional reveal says so once chosen.
    expect(page.get_by_text("Give the reason below.").first).to_be_hidden()
    choose(page, "Deferred")
    expect(page.locator("#conditional-reason-deferred")).to_be_visible()
    page.get_by_label("Reason (needed if deferred or declined)").fill("Chronology not up to date")
    page.get_by_label("Decided by").select_option(label=TIA)
    page.get_by_role("button", name="Save and return to the agenda").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/")

    decisions = page.locator("td strong.govuk-tag")
    expect(decisions).to_have_text(["Agreed", "Deferred"])
    expect(page.get_by_role("link", name="Start with the next case")).to_have_count(0)

    page.get_by_role("link", name="Close the meeting").click()
    expect(page.locator("h1")).to_have_text("Close the meeting")
    assert wcag_violations(page) == []
    page.get_by_label(world.ast_tm.name).check()
    page.get_by_label(world.cin_tm.name).check()
    page.get_by_label("Minutes").fill("Two cases discussed.\nChronologies to be brought up to date.")
    page.get_by_role("button", name="Close the meeting").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/")

    expect(page.get_by_role("heading", name="Attendance and minutes")).to_be_visible()
    present = page.locator("p", has_text="Present:")
    expect(present).to_contain_text(world.ast_tm.name)
    expect(present).to_contain_text(world.cin_tm.name)
    expect(page.get_by_text("Chronologies to be brought up to date.")).to_be_visible()
    expect(page.get_by_role("link", name="Close the meeting")).to_have_count(0)
    # Each download link says which paper it is, so a list of links (or "click PDF") is not ambiguous.
    expect(page.get_by_role("link", name="PDF of the minutes")).to_have_attribute(
        "href", f"/meetings/{meeting.pk}/minutes.pdf"
    )
    expect(page.get_by_role("link", name="spreadsheet (XLSX) of the minutes")).to_have_attribute(
        "href", f"/meetings/{meeting.pk}/minutes.xlsx"
    )
    with page.expect_download() as minutes_pdf:
        page.get_by_role("link", name="PDF of the minutes").click()
    assert minutes_pdf.value.suggested_filename == f"minutes-{meeting.sits_on:%Y-%m-%d}.pdf"
    assert wcag_violations(page) == []

    transfer = first.transfer
    transfer.refresh_from_db()
    assert transfer.state == "agreed"
    assert transfer.to_team == world.teams["cin_cp_east"] and transfer.transfer_date == agreed_on
    second.refresh_from_db()
    assert second.decision == Decision.DEFERRED and second.reason == "Chronology not up to date"
    second.transfer.refresh_from_db()
    assert second.transfer.state == "listed"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert set(meeting.attendees.all()) == {world.ast_tm, world.cin_tm}


def test_error_summary_links_reach_the_team_and_the_date(world, open_as, live_server):
    meeting, first, _ = two_cases_on_the_sheet(world)
    page = open_as("business_support")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/cases/{first.pk}/")
    choose(page, "Agreed")
    page.get_by_role("button", name="Save and return to the agenda").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.get_by_role("link", name="Select the receiving team").click()
    expect(
        page.get_by_role("group", name="Receiving team (if agreed)").get_by_role("radio").first
    ).to_be_focused()
    page.get_by_role("link", name="Enter the agreed transfer date as a real date").click()
    expect(
        page.get_by_role("group", name="Agreed transfer date (if agreed)").get_by_label("Day")
    ).to_be_focused()


def test_the_sheet_downloads_from_the_agenda(world, open_as, live_server, tmp_path):
    meeting, _, _ = two_cases_on_the_sheet(world)
    page = open_as("ast_tm")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF of the early warning sheet").click()
    assert pdf.value.suggested_filename == f"early-warning-sheet-{meeting.sits_on:%Y-%m-%d}.pdf"
    saved = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="spreadsheet (XLSX) of the early warning sheet").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / xlsx.value.suggested_filename
    xlsx.value.save_as(saved)
    assert saved.read_bytes().startswith(b"PK")  # a zip, as every XLSX is
    expect(page).to_have_url(f"{live_server.url}/meetings/{meeting.pk}/")  # the agenda stays open


def test_the_case_transfer_summary_is_drafted_then_authorised(world, open_as, live_server):
    transfer = listed_on(world, "bm3", TODAY - dt.timedelta(days=1))
    url = f"{live_server.url}/transfers/{transfer.pk}/summary/"
    worker = open_as("ast_sw")
    worker.goto(url)
    expect(worker.locator("h1")).to_have_text("Case Transfer Summary")
    assert wcag_violations(worker) == []
    worker.get_by_label("Work undertaken").fill(
        "Single assessment completed; CIN plan agreed with the family."
    )
    worker.get_by_label("Outcome of the last assessment").fill("CIN plan")
    worker.get_by_role("button", name="Save the draft").click()
    expect(worker.locator("strong.govuk-tag")).to_have_text("Draft")
    expect(worker.get_by_label("Work undertaken")).to_have_value(
        "Single assessment completed; CIN plan agreed with the family."
    )

    manager = open_as("ast_tm")
    manager.goto(url)
    expect(manager.get_by_text(f"written by {world.ast_sw.name}")).to_be_visible()
    assert wcag_violations(manager) == []
    manager.get_by_role("button", name="Authorise the summary").click()
    manager.wait_for_url(f"**/transfers/{transfer.pk}/")
    banner = manager.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("The Case Transfer Summary is authorised and on the child's file.")
    expect(manager.get_by_text(f"Authorised by {world.ast_tm.name}")).to_be_visible()

    manager.goto(url)
    expect(manager.locator(".govuk-inset-text")).to_contain_text(f"Authorised by {world.ast_tm.name}")
    expect(manager.get_by_role("button", name="Authorise the summary")).to_have_count(0)
    assert wcag_violations(manager) == []


def test_the_decision_form_works_without_javascript(world, browser, live_server, settings):
    meeting, first, _ = two_cases_on_the_sheet(world)
    settings.HANDOVER_FIXED_NOW = at(meeting.sits_on)  # the meeting sits: its decisions are recorded that day
    world.business_support.user.set_password(PASSWORD)
    world.business_support.user.save()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", world.business_support.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/my-work/")

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/cases/{first.pk}/")
    point = page.get_by_label("Transfer point, for example the second LAC review or the PLO meeting")
    expect(point).to_be_visible()  # without JavaScript every conditional reveal is simply shown
    expect(page.locator("#conditional-reason-deferred")).to_be_visible()

    page.get_by_role("button", name="Save and go to the next case").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what the meeting decided")
    choose(page, "Agreed with an alternative transfer point")
    point.fill("The second LAC review")
    choose(page, "CIN and CP Team East")
    agreed_on = TODAY + dt.timedelta(days=21)
    type_transfer_date(page, agreed_on)
    page.get_by_label("Decided by").select_option(label=TIA)
    page.get_by_role("button", name="Save and return to the agenda").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    expect(page.locator("td strong.govuk-tag")).to_have_text(["Agreed with an alternative transfer point"])
    context.close()

    first.refresh_from_db()
    first.transfer.refresh_from_db()
    assert first.alternative_transfer_point == "The second LAC review"
    assert first.transfer.state == "agreed" and first.transfer.transfer_date == agreed_on


def test_screenshots_of_the_agenda_and_a_case(world, open_as, live_server):
    meeting, first, _ = two_cases_on_the_sheet(world)
    page = open_as("business_support", width=1280)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(page.get_by_role("link", name="Start with the next case")).to_be_visible()
    agenda = screenshot(page, "meeting-agenda")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/cases/{first.pk}/")
    expect(page.get_by_role("button", name="Save and go to the next case")).to_be_visible()
    case = screenshot(page, "meeting-case")
    for path in (agenda, case):
        assert path.read_bytes().startswith(b"\x89PNG")
