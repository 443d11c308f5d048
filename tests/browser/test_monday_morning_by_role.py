"""Monday morning, by role (issue 12, item 9): each person signs in and does their first tasks by following links
and buttons from My work and the service navigation only, never typing an address; every page they reach is
checked with axe-core (meeting mode's pages less the one GOV.UK Frontend radio exception that
test_meeting_mode.wcag_violations explains). Each test builds its own small situation through the services, as a week's work would
have left it.

- the outgoing social worker adds the chronology that blocks a transfer and sees the checklist move;
- the sending team manager puts a proposal on the early warning sheet, then opens a worker's caseload from the
  team page;
- the receiving team manager agrees the team and the date, then names the receiving worker by caseload;
- business support opens this week's transfer meeting and records a decision in meeting mode;
- the director reads the authority's summary on My work and follows a count to the transfer behind it."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations
from tests.browser.test_meeting_mode import wcag_violations
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, listed_on

from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.transfers import services

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def proposed(world, identifier: str, first: str, **child_fields):
    """A transfer to the CIN and CP service proposed today by the child's assessment worker."""
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child(identifier, first, **child_fields),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]


def act(transfer, actor, action, **inputs):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **inputs
    )


def navigate(page, text: str) -> None:
    """Follow a link of the service navigation, as a person moving between their pages does, and wait for the
    page it opens (so nothing after reads the page left behind)."""
    link = page.get_by_role("navigation", name="Menu").get_by_role("link", name=text, exact=True)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")


def checked(page) -> None:
    """The page as it is now has no WCAG 2.2 A or AA violations."""
    expect(page.locator("h1")).to_be_visible()
    assert axe_violations(page) == []


def test_the_outgoing_worker_adds_the_chronology_the_transfer_waits_for(world, open_as):
    transfer = proposed(world, "MM1", "Mira")
    page = open_as("ast_sw")
    expect(page.locator("h1")).to_have_text("My work")
    row = page.get_by_role("row").filter(has_text="Add the chronology")
    expect(row).to_contain_text("Mira Testfamily")
    expect(row).to_contain_text("Assessment Team East to")
    checked(page)

    row.get_by_role("link", name="Add the chronology: readiness is blocked for Mira Testfamily").click()
    expect(page.locator("h1")).to_have_text("Add a document")
    expect(page.locator(".govuk-caption-l")).to_contain_text("Mira Testfamily")
    checked(page)
    page.get_by_label("Type of document").select_option(label="Chronology")
    dated = page.get_by_role("group", name="Date of the document")
    for label, value in (("Day", TODAY.day), ("Month", TODAY.month), ("Year", TODAY.year)):
        dated.get_by_label(label).fill(str(value))
    page.get_by_label("Upload the file").set_input_files(
        {"name": "chronology.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Add the document").click()

    # Back on the child's record, the file has it; the transfer's checklist counts it at once.
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Chronology added to the child's file."
    )
    expect(page.locator("h1")).to_contain_text("Mira Testfamily")
    checked(page)
    page.get_by_role("link", name="Assessment Team East to").click()
    expect(page.locator("h1")).to_contain_text("Transfer from Assessment Team East")
    chronology = page.locator(".govuk-task-list__item").filter(has_text="Chronology up to date")
    expect(chronology.locator(".govuk-task-list__status")).to_have_text("Done")
    genogram = page.locator(".govuk-task-list__item").filter(has_text="Genogram up to date")
    expect(genogram).to_contain_text("Blocks transfer")
    checked(page)

    navigate(page, "My work")
    expect(page.get_by_role("row").filter(has_text="Add the genogram")).to_contain_text("Mira Testfamily")
    expect(page.get_by_text("Add the chronology")).to_have_count(0)
    checked(page)
    assert transfer.child.documents.filter(document_type="chronology").count() == 1


def test_the_sending_manager_lists_a_proposal_then_reads_a_workers_caseload(world, open_as):
    transfer = proposed(world, "MM2", "Nell")
    page = open_as("ast_tm")
    expect(page.get_by_role("heading", name="Put on the early warning sheet (1)")).to_be_visible()
    checked(page)
    page.get_by_role("link", name="Put on the early warning sheet for Nell Testfamily").click()
    expect(page.locator("h1")).to_have_text("Put on the early warning sheet")
    expect(page.get_by_text("Transfer of Nell Testfamily")).to_be_visible()
    checked(page)
    page.get_by_role("button", name="Put on the early warning sheet").click()
    expect(page.locator("h1")).to_contain_text("Transfer from Assessment Team East")
    expect(page.locator("strong.govuk-tag").first).to_have_text("Listed")
    checked(page)

    navigate(page, "My work")
    expect(page.get_by_role("heading", name="Put on the early warning sheet")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="File up to date")).to_contain_text("Nell Testfamily")
    checked(page)

    # Who holds what: from the team page to the worker's own page, with the child among their cases.
    navigate(page, "Team")
    expect(page.locator("h1")).to_contain_text("Assessment Team East")
    checked(page)
    page.get_by_role("link", name="Ava Assessment Sw", exact=True).click()
    expect(page.locator("h1")).to_have_text("Ava Assessment Sw")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Social worker, Assessment Team East")
    held = page.get_by_role("table", name="Cases Ava Assessment Sw holds").get_by_role("row")
    expect(held.filter(has_text="Nell Testfamily")).to_contain_text("10 years old")
    moving = page.get_by_role("table", name="Transfers of a case from or to Ava Assessment Sw")
    expect(moving.get_by_role("row").filter(has_text="Nell Testfamily")).to_contain_text("Listed")
    checked(page)
    transfer.refresh_from_db()
    assert transfer.state == "listed"


def test_the_receiving_manager_agrees_the_team_and_date_then_names_the_worker(world, open_as):
    transfer = proposed(world, "MM3", "Otto")
    act(transfer, world.ast_tm, "list")
    world.child("MM4", "Pia", team="cin_cp_east", worker=world.cin_sw)  # Sam already holds one case
    agreed_on = TODAY + dt.timedelta(days=15)
    page = open_as("cin_tm")
    row = page.get_by_role("row").filter(has_text="Otto Testfamily")
    expect(page.get_by_role("heading", name="Agree the receiving team and date (1)")).to_be_visible()
    checked(page)
    row.get_by_role("link", name="Agree the receiving team and date for Otto Testfamily").click()
    expect(page.locator("h1")).to_have_text("Agree the transfer")
    checked(page)
    page.get_by_label("CIN and CP Team East").check()
    date = page.get_by_role("group", name="Agreed date of formal transfer")
    for label, value in (("Day", agreed_on.day), ("Month", agreed_on.month), ("Year", agreed_on.year)):
        date.get_by_label(label).fill(str(value))
    page.get_by_role("button", name="Agree the transfer").click()
    expect(page.locator("strong.govuk-tag").first).to_have_text("Agreed")
    expect(page.locator(".govuk-summary-list")).to_contain_text(f"{agreed_on:%-d %B %Y}")
    checked(page)

    navigate(page, "My work")
    expect(page.get_by_role("heading", name="Name the receiving worker (1)")).to_be_visible()
    checked(page)
    page.get_by_role("link", name="Name the receiving worker for Otto Testfamily").click()
    expect(page.locator("h1")).to_have_text("Name the receiving worker")
    choices = page.get_by_role("group", name="Receiving worker in CIN and CP Team East")
    expect(choices.locator(".govuk-radios__item").filter(has_text="Sam Cin Sw")).to_contain_text(
        "Caseload: 1 open case"
    )
    checked(page)
    choices.get_by_label("Sam Cin Sw").check()
    page.get_by_role("button", name="Name the receiving worker").click()
    expect(page.locator("strong.govuk-tag").first).to_have_text("Worker identified")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Sam Cin Sw")
    checked(page)
    transfer.refresh_from_db()
    assert transfer.receiving_worker == world.cin_sw and transfer.transfer_date == agreed_on


def test_business_support_opens_the_meeting_and_records_a_decision(world, open_as, settings):
    listed = listed_on(world, "mm5", TODAY - dt.timedelta(days=1))
    meeting = meeting_sitting_schedule(authority=world.authority, on=TODAY - dt.timedelta(days=1), now=NOW)
    assert len(early_warning_sheet_compile(meeting=meeting, now=NOW)) == 1
    settings.HANDOVER_FIXED_NOW = at(meeting.sits_on)  # the morning the meeting sits
    agreed_on = meeting.sits_on + dt.timedelta(days=14)
    page = open_as("business_support")
    checked(page)

    navigate(page, "Meetings")
    expect(page.locator("h1")).to_have_text("Transfer meetings")
    checked(page)
    sits_on = f"{meeting.sits_on:%A %-d %B %Y}"
    page.get_by_role("row").filter(has_text=sits_on).get_by_role("link", name=meeting.name).click()
    expect(page.locator("h1")).to_have_text(f"Weekly transfer meeting, {sits_on}")
    expect(page.get_by_role("row").filter(has_text="Mm5 Testfamily")).to_contain_text("Record decision")
    assert wcag_violations(page) == []

    page.get_by_role("link", name="Start with the next case").click()
    expect(page.locator("h1")).to_have_text("Mm5 Testfamily")
    assert wcag_violations(page) == []
    page.get_by_role("radio", name="Agreed", exact=True).check()
    page.get_by_role("group", name="Receiving team (if agreed)").get_by_label("CIN and CP Team East").check()
    date = page.get_by_role("group", name="Agreed transfer date (if agreed)")
    for label, value in (("Day", agreed_on.day), ("Month", agreed_on.month), ("Year", agreed_on.year)):
        date.get_by_label(label).fill(str(value))
    page.get_by_label("Decided by").select_option(label="Tia Cin Tm, Team manager, CIN and CP Team East")
    page.get_by_role("button", name="Save and return to the agenda").click()

    expect(page.locator("h1")).to_contain_text("Weekly transfer meeting")
    expect(
        page.get_by_role("row").filter(has_text="Mm5 Testfamily").locator("strong.govuk-tag")
    ).to_have_text("Agreed")
    expect(page.get_by_role("link", name="Start with the next case")).to_have_count(0)
    assert wcag_violations(page) == []
    listed.refresh_from_db()
    assert listed.state == "agreed" and listed.transfer_date == agreed_on


def test_the_director_follows_the_summary_to_a_blocked_transfer(world, open_as):
    blocked = proposed(world, "MM6", "Quin")
    act(blocked, world.ast_tm, "list")
    act(blocked, world.cin_tm, "block", reason="No capacity this month")
    proposed(world, "MM7", "Rosa")  # open, nothing wrong with it: not counted
    page = open_as("director")
    summary = page.locator("#overview-summary")
    expect(summary).to_contain_text("Open transfers needing attention across the authority")
    expect(summary).to_contain_text("0 escalated")
    checked(page)

    summary.get_by_role("link", name="1 blocked").click()
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.get_by_role("heading", name="Blocked transfers (1)")).to_be_visible()
    listed = page.locator("#listed + table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Quin Testfamily")
    expect(listed).to_contain_text("Blocked since 24 November 2026")
    checked(page)

    listed.get_by_role("link", name="Quin Testfamily").click()
    expect(page.locator("h1")).to_contain_text("Transfer from Assessment Team East")
    expect(page.locator("strong.govuk-tag").first).to_have_text("Blocked")
    expect(page.get_by_text("No capacity this month").first).to_be_visible()
    checked(page)
