"""Two-factor sign-in in a real browser, with two-factor required: a team manager signs in through the form, is
sent to set up an authenticator app (the QR code shows under the strict Content-Security-Policy; the key is there
to type), mistypes the code and is told so, enters the right one and reaches their work; signing in again asks
only for the code. No page breaks the policy and axe finds nothing on either page."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP
from tests.browser.conftest import PASSWORD, axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_factor_on(settings):
    settings.HANDOVER_REQUIRE_TWO_FACTOR = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a person retyping a code waits a second or more anyway


def code_for(key_text: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app given `key_text` shows now (or `steps_ahead` half-minutes from now)."""
    secret = key_text.replace(" ", "")
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(page, live_server, staff) -> None:
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", staff.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")


def test_a_manager_sets_up_an_app_then_confirms_its_code_at_each_sign_in(
    browser, live_server, world, two_factor_on
):
    tom = world.ast_tm
    tom.user.set_password(PASSWORD)
    tom.user.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        sign_in(page, live_server, tom)
        page.wait_for_url("**/sign-in/two-factor/set-up/?next=%2Fmy-work%2F")
        assert page.locator("h1").inner_text() == "Set up two-factor sign-in"
        qr = page.locator("img[alt='QR code for adding Handover to an authenticator app']")
        assert qr.evaluate("(img) => img.complete && img.naturalWidth > 0")  # drawn, not refused
        key = page.locator("#secret").inner_text()
        assert axe_violations(page) == []
        screenshot(page, "two-factor-set-up")

        wrong = "000000" if code_for(key) != "000000" else "111111"
        page.fill("#code", wrong)
        page.click("button:has-text('Confirm the code')")
        summary = page.locator(".govuk-error-summary")
        assert "Enter the 6-digit code your authenticator app shows now" in summary.inner_text()
        assert page.evaluate("document.activeElement.closest('.govuk-error-summary') !== null")

        page.fill("#code", code_for(key))
        page.click("button:has-text('Confirm the code')")
        page.wait_for_url("**/my-work/")

        page.click("button:has-text('Sign out')")
        sign_in(page, live_server, tom)
        page.wait_for_url("**/sign-in/two-factor/?next=%2Fmy-work%2F")
        assert axe_violations(page) == []
        screenshot(page, "two-factor-code")
        # The next half-minute's code: the one just used is never accepted twice.
        page.fill("#code", code_for(key, steps_ahead=1))
        page.click("button:has-text('Continue')")
        page.wait_for_url("**/my-work/")
        assert tom.name in page.locator("#signed-in").inner_text()
        assert refused == []
    finally:
        context.close()


def test_the_set_up_page_fits_a_small_screen(browser, live_server, world, two_factor_on):
    tom = world.ast_tm
    tom.user.set_password(PASSWORD)
    tom.user.save()
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    try:
        sign_in(page, live_server, tom)
        page.wait_for_url("**/sign-in/two-factor/set-up/**")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "two-factor-set-up-320")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 320])
def test_the_account_pages_pass_axe_and_fit_the_screen(open_as, live_server, width):
    """Your account, changing the password, Your API tokens with a new token shown and one listed, and the
    password reset pages: no WCAG failures, nothing scrolls sideways at 320 px, the policy holds."""
    page = open_as("ast_tm", width=width)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    def check(name: str) -> None:
        assert axe_violations(page) == [], name
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        screenshot(page, f"account-{name}-{width}")

    page.click("a:has-text('Your account')")
    page.wait_for_url("**/account/")
    check("account")
    page.goto(f"{live_server.url}/account/password/")
    page.click("button:has-text('Change password')")  # empty: the error summary
    assert "Enter your current password" in page.locator(".govuk-error-summary").inner_text()
    check("password-change-errors")
    page.goto(f"{live_server.url}/account/api-tokens/")
    page.fill("#name", "Weekly caseload report for the service manager")
    page.click("button:has-text('Get a token')")
    assert page.locator("#new-token").inner_text().startswith("hov_")
    check("api-token-new")
    page.goto(f"{live_server.url}/account/api-tokens/")
    assert "Weekly caseload report" in page.locator("table").inner_text()
    check("api-tokens")
    page.click("button:has-text('Revoke')")
    assert "is revoked" in page.locator(".govuk-notification-banner").inner_text()
    page.click("button:has-text('Sign out')")
    page.goto(f"{live_server.url}/password-reset/")
    check("password-reset")
    assert refused == []
