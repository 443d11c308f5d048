"""Changing a child's details, adding a document and replacing one, in a real browser: the links on the child
record, the GOV.UK error summary (its links move focus to the field), the document types in words, a file whose
contents are not what its name says, a transfer's step closed by the upload at once, and earlier versions folded
away on the record. Every page checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations, screenshot
from tests.integration.conftest import NOW, TODAY

from handover.children.models import DocumentOnFile
from handover.children.services import child_record_add
from handover.organisation.protocol import protocol_for
from handover.transfers import services

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def _emergency_placement(world):
    """A child placed in an emergency on Monday: the Personal Education Plan step waits for a PEP on file."""
    facts = protocol_for(world.authority).facts
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_tm,
        child=world.child("BU1", "Pip"),
        event="becomes_looked_after",
        on=dt.date(2026, 11, 23),
        answers={"facts": {"emergency_placement": True}} if "emergency_placement" in facts else {},
        to_service=world.services["lac"],
    ).transfers[0]


def fill_date(page, prefix: str, day: dt.date) -> None:
    page.fill(f"#{prefix}", str(day.day))
    page.fill(f"#{prefix}-month", str(day.month))
    page.fill(f"#{prefix}-year", str(day.year))


def test_a_worker_changes_the_details_and_adds_a_document_that_closes_a_step(world, open_as, live_server):
    transfer = _emergency_placement(world)
    child = transfer.child
    page = open_as("ast_sw")
    page.goto(f"{live_server.url}/children/{child.pk}/")
    page.get_by_role("link", name="Change the child's details").click()
    page.wait_for_url(f"**/children/{child.pk}/edit/")
    expect(page.locator("h1")).to_have_text("Change the child's details")
    expect(page.locator("#first_name")).to_have_value("Pip")
    assert axe_violations(page) == []

    # Two mistakes: the summary lists both, and its links take the keyboard to the field.
    page.fill("#first_name", "")
    page.fill("#date_of_birth-month", "13")
    page.click("button:has-text('Save the details')")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the child's first name")
    expect(summary).to_contain_text("The date of birth must be a real date, like 27 3 2015")
    expect(page).to_have_title("Error: Change the child's details – Handover – Dorset County Council")
    assert axe_violations(page) == []
    screenshot(page, "child-edit-errors-1280")
    summary.get_by_role("link", name="Enter the child's first name").click()
    expect(page.locator("#first_name")).to_be_focused()

    page.fill("#first_name", "Pippa")
    page.fill("#date_of_birth-month", "3")
    page.select_option("#ethnicity", label="Black African")
    page.get_by_label("Not known").check()
    page.click("button:has-text('Save the details')")
    page.wait_for_url(f"**/children/{child.pk}/")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The child's details are saved.")
    expect(page.locator("h1")).to_have_text("Pippa Testfamily")
    child.refresh_from_db()
    assert (child.first_name, child.ethnicity, child.disability) == ("Pippa", "BAFR", None)

    page.get_by_role("link", name="Add a document").click()
    page.wait_for_url(f"**/children/{child.pk}/documents/new/")
    options = page.locator("#document_type option").all_inner_texts()
    assert "Personal Education Plan" in options and "Genogram" in options and "pep" not in options
    assert axe_violations(page) == []
    page.select_option("#document_type", label="Personal Education Plan")
    fill_date(page, "dated", TODAY)
    page.set_input_files("#file", {"name": "pep.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a..."})
    page.click("button:has-text('Add the document')")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The selected file must be a PDF, DOCX, ODT, JPEG or PNG: pep.pdf is named as a PDF but its contents "
        "are not a PDF"
    )
    expect(page.locator("#document_type")).to_have_value("pep")  # what was chosen stays chosen
    assert axe_violations(page) == []
    screenshot(page, "document-new-errors-1280")
    assert not DocumentOnFile.objects.filter(child=child).exists()

    page.set_input_files("#file", {"name": "pep.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.click("button:has-text('Add the document')")
    page.wait_for_url(f"**/children/{child.pk}/")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Personal Education Plan added to the child's file."
    )
    expect(page.locator("table").filter(has_text="Dated")).to_contain_text("Personal Education Plan")
    assert bytes(DocumentOnFile.objects.get(child=child).content) == PDF
    assert axe_violations(page) == []
    screenshot(page, "child-record-after-upload-1280")

    page.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    step = page.locator("tr").filter(has_text="Personal Education Plan initiated")
    expect(step).to_contain_text(f"Done {TODAY.day} November 2026")


def test_the_links_are_not_offered_to_a_worker_of_another_team(world, open_as, live_server):
    child = world.child("BU2", "Rae")
    page = open_as("cin_sw")
    page.goto(f"{live_server.url}/children/{child.pk}/")
    expect(page.locator("h1")).to_have_text("Rae Testfamily")
    expect(page.get_by_role("link", name="Change the child's details")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a document")).to_have_count(0)


def test_a_worker_replaces_a_document_and_sees_the_earlier_version_on_the_record(world, open_as, live_server):
    """From the child's record: Replace on the chronology, a mistake first (a date in the future), then the new
    version; the record lists the new one and, folded away, the earlier one, still downloadable. At 320 px the
    record does not scroll sideways."""
    child = world.child("BU3", "Kit")
    old = child_record_add(
        now=NOW,
        actor=world.ast_sw,
        child=child,
        kind="documents",
        values={
            "document_type": "chronology",
            "title": "Chronology to October",
            "dated": dt.date(2026, 10, 30),
            "content": PDF,
            "content_type": "application/pdf",
        },
    )
    page = open_as("ast_sw")
    page.goto(f"{live_server.url}/children/{child.pk}/")
    documents = page.locator("table").filter(has_text="Dated")
    expect(documents).to_contain_text("Chronology to October")
    expect(documents).to_contain_text("30 October 2026")
    expect(documents).to_contain_text("by Ava Assessment Sw")
    documents.get_by_role("link", name="Replace the Chronology dated 30 October 2026").click()
    page.wait_for_url(f"**/children/{child.pk}/documents/{old.pk}/replace/")
    expect(page.locator("h1")).to_have_text("Replace a document")
    expect(page.locator("#title")).to_have_value("Chronology to October")
    assert axe_violations(page) == []

    page.fill("#title", "Chronology to November")
    fill_date(page, "dated", TODAY + dt.timedelta(days=1))
    page.set_input_files("#file", {"name": "chronology.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.click("button:has-text('Replace the document')")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The date of the document must be today or in the past")
    expect(page.locator("#title")).to_have_value("Chronology to November")  # what was typed stays typed
    assert axe_violations(page) == []
    screenshot(page, "document-replace-errors-1280")
    summary.get_by_role("link", name="The date of the document must be today or in the past").click()
    expect(page.locator("#dated")).to_be_focused()

    fill_date(page, "dated", TODAY)
    page.set_input_files("#file", {"name": "chronology.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.click("button:has-text('Replace the document')")
    page.wait_for_url(f"**/children/{child.pk}/#documents")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "New version of the Chronology added to the child's file."
    )
    expect(documents).to_contain_text("Chronology to November")
    earlier = documents.locator("details")
    expect(earlier.locator("summary")).to_have_text("Earlier version (1)")
    download = earlier.get_by_role("link", name="Chronology to October, dated 30 October 2026 (download)")
    expect(download).not_to_be_visible()  # folded away until asked for
    earlier.locator("summary").click()
    expect(earlier).to_contain_text("Replaced on 24 November 2026 by Ava Assessment Sw.")
    expect(download).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "child-record-document-versions-1280")
    old.refresh_from_db()
    assert old.replaced_by is not None

    small = open_as("ast_tm", width=320)  # a manager also sees the audit table
    small.goto(f"{live_server.url}/children/{child.pk}/")
    expect(small.locator("h1")).to_have_text("Kit Testfamily")
    assert small.evaluate("document.documentElement.scrollWidth") <= 320
    expect(small.locator("#audit + table")).to_contain_text("Ava Assessment Sw")
    assert axe_violations(small) == []
    screenshot(small, "child-record-documents-320")
