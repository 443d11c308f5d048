"""Data protection in a real browser (issue 13 item 6): on the day a closed record's retention ends, the director
opens the retention review from the navigation, exports the record for a subject access request, then erases it
with its number and a reason. Each page checked with axe-core. Screenshots go to test-output/browser/privacy-*."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import axe_violations, screenshot
from tests.integration.conftest import at
from tests.integration.test_privacy import TWENTY_FIFTH, transferred_and_closed

from handover.children.models import Child

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_director_reviews_exports_and_erases_a_record_at_the_end_of_its_retention(
    world, open_as, settings
):
    child = transferred_and_closed(world)
    settings.HANDOVER_FIXED_NOW = at(TWENTY_FIFTH)
    page = open_as("director")
    page.get_by_role("link", name="Retention", exact=True).click()
    expect(page.locator("h1")).to_have_text("Retention review")
    row = page.locator("#due tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Zephyrine Testfamily")
    expect(row).to_contain_text("the child's 25th birthday")
    assert axe_violations(page) == []
    screenshot(page, "privacy-retention-1280")

    row.get_by_role("link", name="Zephyrine Testfamily", exact=True).click()
    page.get_by_role("link", name="Subject access export").click()
    expect(page.locator("h1")).to_have_text("Subject access export")
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="The same as data (JSON)").click()
    assert download.value.suggested_filename == "subject-access-ZEPH-0001-2041-03-01.json"
    page.reload()
    expect(page.locator("#exports")).to_contain_text("Subject access export (JSON), by Dee Director")

    page.get_by_role("link", name="Back to the record").click()
    page.get_by_role("link", name="Erase this record: its retention period has ended").click()
    expect(page.locator("h1")).to_have_text("Erase this record")
    expect(page.locator("#removed")).to_contain_text("Transfer events")
    page.get_by_role("button", name="Erase the record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the child's number exactly")
    assert axe_violations(page) == []
    screenshot(page, "privacy-erase-errors-1280")
    page.get_by_label("Type the child's number to confirm").fill("ZEPH-0001")
    page.get_by_label("Why is the record being erased?").fill("Retention review, March 2041")
    page.get_by_role("button", name="Erase the record").click()
    page.wait_for_url("**/retention/")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Record ZEPH-0001 erased")
    expect(page.locator("#due")).to_have_text("No closed record has reached the end of its retention period.")
    assert axe_violations(page) == []
    assert Child.objects.get(pk=child.pk).erased_on == TWENTY_FIFTH
