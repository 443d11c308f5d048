"""Whole journeys in a real browser, by the people who do them; every main page checked with axe-core."""

from __future__ import annotations

import pytest
from tests.browser.conftest import axe_violations, screenshot
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, authorise_summary

from handover.children.models import DocumentOnFile
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer

pytestmark = pytest.mark.django_db(transaction=True)


def propose_in_browser(page, live_server, child, *, to_service=None, reason=""):
    page.goto(f"{live_server.url}/children/{child.pk}/")
    page.click("text=Propose a transfer")
    page.check("input[value='assessment_concluded']")
    today = TODAY
    page.fill("#date-day", str(today.day))
    page.fill("#date-month", str(today.month))
    page.fill("#date-year", str(today.year))
    page.click("button:has-text('Continue')")
    page.check("input[name='value'][value='cin_plan']")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=Recommended receiving team")
    if to_service:
        page.check(f"input[name='to_service'][value='{to_service}']")
        page.fill("#override_reason", reason)
    else:
        page.check("input[name='to_service'][value='cin_cp']")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=Is the file ready?")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=Check your answers")
    page.click("button:has-text('Propose the transfer')")
    page.wait_for_selector("text=Transfer proposed")


def make_ready(world, transfer):
    for doc in ("chronology", "genogram", "child_plan", "cse_screening"):
        DocumentOnFile.objects.create(child=transfer.child, document_type=doc, dated=TODAY)
    authorise_summary(world, transfer)
    for item, who in (
        ("file_checked_and_authorised", world.ast_tm),
        ("files_audited_by_both_managers", world.ast_tm),
        ("personal_information_complete", world.ast_sw),
    ):
        services.transfer_confirm_item(now=NOW, actor=who, transfer=transfer, item=item)
    for kind, who in (
        (SignOffKind.SENDING_AUDIT, world.ast_pm),
        (SignOffKind.RECEIVING_AUDIT, world.cin_tm),
    ):
        services.transfer_sign_off(now=NOW, actor=who, transfer=transfer, kind=kind)


def test_propose_agree_allocate_handover_transferred_by_three_people(world, open_as, live_server):
    child = world.child("B1", "Bryn")
    worker = open_as("ast_sw")
    propose_in_browser(worker, live_server, child)
    screenshot(worker, "1-proposed")
    transfer = Transfer.objects.get(child=child)

    manager = open_as("ast_tm")
    manager.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    manager.click("text=Put on the early warning sheet")
    manager.click("button:has-text('Put on the early warning sheet')")
    manager.wait_for_selector("text=Listed")

    receiver = open_as("cin_tm")
    receiver.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    receiver.click("text=Agree the transfer")
    receiver.check("label:has-text('CIN and CP Team East')")
    receiver.fill("#transfer_date", "9")
    receiver.fill("#month", "12")
    receiver.fill("#year", "2026")
    receiver.click("button:has-text('Agree the transfer')")
    receiver.wait_for_selector("text=Name the receiving worker")
    receiver.click("text=Name the receiving worker")
    assert receiver.get_by_text("Caseload: 0 open cases").first.is_visible()  # beside each name
    assert axe_violations(receiver) == []
    receiver.check("label:has-text('Sam Cin Sw')")
    receiver.click("button:has-text('Name the receiving worker')")
    screenshot(receiver, "2-worker-named")

    new_worker = open_as("cin_sw")
    new_worker.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    new_worker.click("text=Record the handover meeting")
    assert axe_violations(new_worker) == []
    new_worker.get_by_role("group", name="When was the handover meeting held?").get_by_label("Day").fill("24")
    new_worker.fill("#held_on-month", "11")
    new_worker.fill("#held_on-year", "2026")
    new_worker.get_by_label("Ava Assessment Sw, the outgoing worker").check()
    new_worker.get_by_label("Sam Cin Sw, the receiving worker").check()
    new_worker.fill("#notes", "Went through the plan; Sam meets the family on Friday.")
    new_worker.click("button:has-text('Record the handover meeting')")
    new_worker.wait_for_selector("text=Handover held")
    assert new_worker.get_by_text("Held on 24 November 2026.").first.is_visible()

    make_ready(world, transfer)
    receiver.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    receiver.click("text=Complete the transfer")
    assert axe_violations(receiver) == []
    # Today is before the agreed 9 December: the page asks for the confirmation and the reason.
    receiver.get_by_label("Complete before the agreed date").check()
    receiver.get_by_label("Why complete it before 9 December 2026").fill("The family asked to start now.")
    receiver.click("button:has-text('Complete the transfer')")
    receiver.wait_for_selector("strong.govuk-tag:has-text('Transferred')")
    assert receiver.get_by_text("completed early, before the agreed date").is_visible()
    screenshot(receiver, "3-transferred")
    transfer.refresh_from_db()
    assert transfer.state == "transferred" and transfer.to_allocation.worker == world.cin_sw


def test_a_refused_action_is_explained(world, open_as, live_server):
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("B2", "Cass"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    page = open_as("cin_sw")
    page.goto(f"{live_server.url}/transfers/{transfer.pk}/withdraw/")
    page.fill("#reason", "Not ours")
    page.click("button:has-text('Withdraw the transfer')")
    summary = page.inner_text(".govuk-error-summary")
    assert "There is a problem" in summary and "in the sending team can withdraw the proposal" in summary
    screenshot(page, "refused-action")
    transfer.refresh_from_db()
    assert transfer.state == "proposed"


def test_an_override_needs_and_records_a_reason(world, open_as, live_server):
    child = world.child("B3", "Dax")
    page = open_as("ast_sw")
    page.goto(f"{live_server.url}/children/{child.pk}/propose/")
    propose_in_browser(
        page, live_server, child, to_service="lac", reason="Accommodated under section 20 last night"
    )
    screenshot(page, "override")
    transfer = Transfer.objects.get(child=child)
    assert transfer.to_service.code == "lac" and transfer.override_reason.startswith("Accommodated")


def test_every_main_page_has_no_wcag_violations(world, open_as, live_server, browser):
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("B4", "Eve", family=world.family),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        separation_reasons={},
    ).transfers[0]
    anonymous = browser.new_context().new_page()
    pages = {"start": (anonymous, "/"), "sign-in": (anonymous, "/sign-in/")}
    manager = open_as("ast_tm")
    for name, path in (
        ("my-work", "/my-work/"),
        ("find-a-child", "/children/?q=eve"),
        ("child", f"/children/{transfer.child.pk}/"),
        ("transfer", f"/transfers/{transfer.pk}/"),
        ("withdraw", f"/transfers/{transfer.pk}/withdraw/"),
        ("team", "/team/"),
        ("escalations", "/escalations/"),
        ("protocol", "/protocol/"),
        ("propose-event", f"/children/{world.child('B5', 'Fay').pk}/propose/"),
        ("not-found", "/children/999999/"),
    ):
        pages[name] = (manager, path)
    failures = {}
    for name, (page, path) in pages.items():
        page.goto(f"{live_server.url}{path}")
        violations = axe_violations(page)
        if violations:
            failures[name] = violations
    assert failures == {}
    anonymous.context.close()
