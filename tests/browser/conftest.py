"""Browser tests: Playwright driving Debian's chromium against Django's live server. Screenshots go to
test-output/browser/. Never `playwright install`: the browser is the system's (installed by .ci/run)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from tests.integration.conftest import world  # noqa: F401  (the same synthetic Dorset world)

# Playwright's sync API keeps an event loop running in this thread; the test code's ORM calls are still
# synchronous, so Django's async-safety guard would refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
AXE = Path(__file__).with_name("axe.min.js").read_text(encoding="utf-8")
PASSWORD = "synthetic-password-for-tests"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: .ci/run installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def open_as(browser, live_server, request):
    """Open a page signed in as one of the world's staff, through the real sign-in form."""
    contexts = []
    people = request.getfixturevalue("world")

    def signed_in(person: str, width: int = 1280):
        staff = getattr(people, person)
        staff.user.set_password(PASSWORD)
        staff.user.save()
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/sign-in/")
        page.fill("#id_username", staff.user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/my-work/")
        return page

    yield signed_in
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """WCAG 2.2 A and AA violations axe-core finds on the page as it is now."""
    # Evaluated through the DevTools protocol, not added as an inline <script>: the page's
    # Content-Security-Policy (rightly) refuses inline script, and the test must not weaken it.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(f"() => {{ {AXE}\n}}")
    result = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}})).violations"""
    )
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]} for v in result]
