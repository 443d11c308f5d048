"""The journey with the keyboard only (Tab, Space, Enter, typing), and screenshots of the main pages at
1280 px and 375 px wide (test-output/browser/screens/; copied to docs/screenshots/ by hand when the pages change)."""

from __future__ import annotations

import pytest
from tests.browser.conftest import OUTPUT
from tests.browser.test_journeys import make_ready
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.transfers import services
from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has focus, as a keyboard user would."""
    target = page.locator(selector).first.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => element === document.activeElement"):
            return
    raise AssertionError(f"could not reach {selector} with Tab")


def choose_radio(page, selector: str) -> None:
    """Tab into the radio group, then arrow keys to the option (which selects it), as a keyboard user would."""
    target = page.locator(selector).first.element_handle()
    name = target.get_attribute("name")
    tab_to(page, f"input[name='{name}']:first-of-type, input[name='{name}']:checked")
    for _ in range(40):
        if target.evaluate("(element) => element === document.activeElement"):
            page.keyboard.press("Space")  # focus alone does not select the first option
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not reach {selector} with the arrow keys")


def keyboard_sign_in(browser, live_server, staff, password="synthetic-password-for-tests"):
    staff.user.set_password(password)
    staff.user.save()
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/sign-in/")
    tab_to(page, "#id_username")
    page.keyboard.type(staff.user.username)
    tab_to(page, "#id_password")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/my-work/")
    return page


def keyboard_action(page, live_server, transfer, label, *, fields=()):
    page.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    tab_to(page, f"a.govuk-button:has-text('{label}')")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"h1:has-text('{label}')")
    for selector, keys in fields:
        tab_to(page, selector)
        if keys == " ":
            page.keyboard.press("Space")
        else:
            page.keyboard.type(keys)
    tab_to(page, f"button:has-text('{label}')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/transfers/{transfer.pk}/")


def test_whole_journey_with_the_keyboard_only(world, browser, live_server):
    child = world.child("K1", "Kit")
    today = TODAY
    worker = keyboard_sign_in(browser, live_server, world.ast_sw)
    worker.goto(f"{live_server.url}/children/{child.pk}/")
    tab_to(worker, "a.govuk-button:has-text('Propose a transfer')")
    worker.keyboard.press("Enter")
    choose_radio(worker, "input[value='assessment_concluded']")
    for field, value in (("#date-day", today.day), ("#date-month", today.month), ("#date-year", today.year)):
        tab_to(worker, field)
        worker.keyboard.type(str(value))
    tab_to(worker, "button:has-text('Continue')")
    worker.keyboard.press("Enter")
    choose_radio(worker, "input[name='value'][value='cin_plan']")
    tab_to(worker, "button:has-text('Continue')")
    worker.keyboard.press("Enter")
    worker.wait_for_selector("text=Recommended receiving team")
    for _ in range(2):  # recommendation (pre-selected), readiness
        tab_to(worker, "button:has-text('Continue')")
        worker.keyboard.press("Enter")
    tab_to(worker, "button:has-text('Propose the transfer')")
    worker.keyboard.press("Enter")
    worker.wait_for_selector("text=Transfer proposed")
    transfer = Transfer.objects.get(child=child)

    keyboard_action(
        keyboard_sign_in(browser, live_server, world.ast_tm),
        live_server,
        transfer,
        "Put on the early warning sheet",
    )
    receiver = keyboard_sign_in(browser, live_server, world.cin_tm)
    keyboard_action(
        receiver,
        live_server,
        transfer,
        "Agree the transfer",
        fields=(("#to_team", " "), ("#transfer_date", "9"), ("#month", "12"), ("#year", "2026")),
    )
    keyboard_action(receiver, live_server, transfer, "Name the receiving worker", fields=(("#worker", " "),))
    keyboard_action(
        keyboard_sign_in(browser, live_server, world.cin_sw),
        live_server,
        transfer,
        "Record the handover meeting",
        fields=(
            ("#held_on", str(today.day)),
            ("#held_on-month", str(today.month)),
            ("#held_on-year", str(today.year)),
            ("#attendees", " "),  # the outgoing worker
            ("#notes", "Went through the plan together."),
        ),
    )
    make_ready(world, transfer)
    keyboard_action(  # before the agreed 9 December: confirmed, with the reason
        receiver,
        live_server,
        transfer,
        "Complete the transfer",
        fields=(("#confirm_early", " "), ("#reason", "Everything was ready early.")),
    )
    transfer.refresh_from_db()
    assert transfer.state == "transferred"


@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_of_the_main_pages(world, open_as, live_server, width):
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("K2", "Lyra"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    page = open_as("ast_tm", width=width)
    screens = OUTPUT / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    for name, path in (
        ("my-work", "/my-work/"),
        ("child-record", f"/children/{transfer.child.pk}/"),
        ("transfer", f"/transfers/{transfer.pk}/"),
        ("team", "/team/"),
        ("protocol", "/protocol/"),
        ("propose", f"/children/{transfer.child.pk}/propose/"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(screens / f"{name}-{width}.png"), full_page=False)
    assert len(list(screens.glob(f"*-{width}.png"))) == 6
