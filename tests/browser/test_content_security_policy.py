"""The strict Content-Security-Policy in a real browser: no page breaks it (chromium reports every refused script,
style or image on the console), and GOV.UK Frontend's JavaScript still runs from its files."""

from __future__ import annotations

import pytest
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def refusals_while(page, visit) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    visit()
    return seen


def test_no_page_breaks_the_policy_and_govuk_frontend_still_runs(open_as, live_server, world):
    child = world.child("H200", "Nell")
    page = open_as("ast_tm")
    paths = ["/my-work/", f"/children/{child.pk}/", "/children/?q=Nell", "/team/", "/protocol/"]

    def visit_all():
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            # js-enabled is set by a script file; GOV.UK Frontend's initAll by a module file.
            assert "govuk-frontend-supported" in page.evaluate("document.body.className"), path

    assert refusals_while(page, visit_all) == []


def test_the_menu_toggle_works_at_320_px_with_the_policy(open_as, live_server):
    page = open_as("ast_tm", width=320)
    toggle = page.locator(".govuk-service-navigation__toggle")
    assert toggle.is_visible()
    toggle.click()
    assert page.locator(".govuk-service-navigation__list").is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"


def test_axe_still_runs_on_a_page_under_the_policy(open_as):
    page = open_as("ast_tm")
    assert axe_violations(page) == []
