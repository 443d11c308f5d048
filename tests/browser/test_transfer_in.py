"""A transfer in from another authority in a real browser (Dorset D-170, D-171, D-187). A MASH social worker records
the other authority's request at the front door, naming the authority it comes from; the MASH team manager decides
it by proposing the transfer from the child's record. The protocol routes it to CIN and CP, and the transfer-in
conference is due 15 days after the other authority's documents arrived (D-170), their receipt confirmed within a
working day (D-187). Checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations
from tests.integration.conftest import NOW, dated_staff

from handover.children.front_door import NewChild, front_door_contact_record
from handover.children.models import Child, FrontDoorContact
from handover.organisation.models import Role
from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)

TRANSFER_IN = "Another authority asks to transfer in a child on a CP or CIN plan"
FROM_AUTHORITY = "For a transfer in: the local authority it comes from"
MONDAY = dt.date(2026, 11, 23)  # the day before the suite's fixed clock


def _mash_staff(world):
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
    return team


def _type_date(page, legend: str, day: str, month: str, year: str) -> None:
    """Fill a GOV.UK date input, found by its fieldset's legend as a screen reader user would."""
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_a_transfer_in_names_the_authority_it_comes_from_at_the_front_door(world, open_as):
    _mash_staff(world)
    page = open_as("mash_sw")
    page.get_by_role("link", name="Front door").click()
    page.get_by_role("link", name="Record a contact").click()
    expect(page.locator("h1")).to_have_text("Record a contact")
    page.get_by_label(TRANSFER_IN).check()
    _type_date(page, "Day it was received", "23", "11", "2026")
    page.get_by_label("Child's person ID").fill("TI100")
    page.get_by_label("First name").fill("Tam")
    page.get_by_label("Last name").fill("Incomer")
    _type_date(page, "Date of birth", "14", "8", "2016")
    assert axe_violations(page) == []

    # Without the authority it comes from (D-170): refused, said at the top and at the field, nothing written.
    page.get_by_role("button", name="Record the contact").click()
    summary = page.locator(".govuk-error-summary")
    message = "Name the local authority the child is transferring in from"
    expect(summary.get_by_role("link", name=message)).to_have_attribute("href", "#from_authority")
    expect(page.locator("#from_authority-error")).to_contain_text(message)
    expect(page.get_by_label("Child's person ID")).to_have_value("TI100")  # what was typed is kept
    assert not Child.objects.filter(identifier="TI100").exists()
    assert not FrontDoorContact.objects.exists()
    assert axe_violations(page) == []

    page.get_by_label(FROM_AUTHORITY).fill("Somerset Council")
    page.get_by_role("button", name="Record the contact").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Contact recorded for Tam Incomer")
    contact = FrontDoorContact.objects.get(child__identifier="TI100")
    page.wait_for_url(f"**/children/{contact.child_id}/")  # the child's record, to decide it from
    # A manager of the front door decides it: the social worker is not offered the proposal (the rulebook says no).
    expect(page.get_by_role("link", name="Propose a transfer")).to_have_count(0)
    assert (contact.from_authority, contact.event, contact.received_on) == (
        "Somerset Council",
        "transfer_in_request",
        MONDAY,
    )
    assert contact.outcome == FrontDoorContact.Outcome.OPEN

    page.get_by_role("link", name="Front door").click()
    row = page.locator("tr", has_text="Tam Incomer")
    expect(row).to_contain_text(TRANSFER_IN)
    expect(row).to_contain_text("23 November 2026")


def test_a_transfer_in_is_proposed_to_cin_and_cp_with_the_conference_due_15_days_after_the_documents(
    world, open_as
):
    team = _mash_staff(world)
    contact = front_door_contact_record(
        actor=world.mash_sw,
        team=team,
        event="transfer_in_request",
        received_on=MONDAY,
        now=NOW,
        new=NewChild("TI100", "Tam", "Incomer", date_of_birth=dt.date(2016, 8, 14)),
        from_authority="Somerset Council",
    )
    # The decision is the MASH team manager's (D-091): from the front door to the child's record.
    page = open_as("mash_tm")
    page.get_by_role("link", name="Front door").click()
    page.get_by_role("link", name="Tam Incomer", exact=True).click()
    page.get_by_role("link", name="Propose a transfer").click()
    page.get_by_label(TRANSFER_IN).check()
    _type_date(page, "When did it happen?", "23", "11", "2026")
    page.get_by_role("button", name="Continue").click()

    # D-170: the clock starts when the other authority's documents arrive, so the journey asks for that day.
    expect(page.locator("h1")).to_contain_text("On what date did the other authority's documents")
    _type_date(page, "Date", "23", "11", "2026")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("h1")).to_have_text("Recommended receiving team")
    expect(page.locator(".app-recommendation")).to_have_text("Children in Need and Child Protection Service")
    expect(page.get_by_label("Children in Need and Child Protection Service (protocol)")).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Is the file ready?")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check your answers before proposing the transfer")
    page.get_by_role("button", name="Propose the transfer").click()
    expect(page.locator("h1")).to_have_text("Transfer proposed")
    page.get_by_role("link", name="View the transfer of Tam Incomer").click()

    expect(page.locator("h1")).to_have_text(
        "Transfer from MASH Team to Children in Need and Child Protection Service"
    )
    conference = page.locator("tr", has_text="Transfer-in CP conference or CIN meeting")
    expect(conference).to_contain_text("8 December 2026")  # 15 days after Monday 23 November (D-170)
    receipt = page.locator("tr", has_text="Receipt of the documents confirmed to the other authority")
    expect(receipt).to_contain_text("24 November 2026")  # a working day after the documents (D-187)
    assert axe_violations(page) == []
    transfer = Transfer.objects.get(child=contact.child)
    assert (transfer.pathway, transfer.to_service.code) == ("mash_to_cin_cp_transfer_in", "cin_cp")
    contact.refresh_from_db()
    assert contact.outcome == FrontDoorContact.Outcome.PROPOSED
