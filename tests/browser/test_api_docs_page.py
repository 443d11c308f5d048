"""The self-hosted API docs page works in a real browser under the strict Content-Security-Policy: Swagger UI
draws the operations from the schema, and chromium reports no refused script or style."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_draw_the_operations_with_the_policy_on(open_as, live_server):
    page = open_as("ast_tm")
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=15000)
    assert page.locator(".opblock-tag").count() > 3  # teams, children, transfers, ...
    assert refused == []
