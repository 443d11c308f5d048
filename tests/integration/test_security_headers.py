"""Headers every response carries because any of them may hold a child's data (issue 13, item 3): a strict
Content-Security-Policy with no inline script, a Permissions-Policy, and `Cache-Control: no-store` on pages and
API responses alike; static files stay cacheable."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.api_tokens import issue_token

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def child(world):
    return world.child("H100", "Orla")


def test_a_childs_record_is_never_kept_by_the_browser_or_a_proxy(world, child):
    response = signed_in(world.ast_tm).get(f"/children/{child.pk}/")
    assert response.status_code == 200
    cache_control = response.headers["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_the_api_json_about_a_child_is_never_kept_either(world, child):
    token = issue_token(world.ast_tm.user)
    response = Client().get(f"/api/children/{child.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path, signed",
    [("/", False), ("/sign-in/", False), ("/my-work/", True), ("/children/?q=Orla", True)],
)
def test_pages_allow_scripts_and_styles_from_this_site_only(world, child, path, signed):
    response = (signed_in(world.ast_tm) if signed else Client()).get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_no_page_carries_an_inline_script_or_style_the_policy_would_block(world, child):
    client = signed_in(world.ast_tm)
    for path in ("/", "/my-work/", f"/children/{child.pk}/", "/protocol/", "/team/", "/escalations/"):
        page = client.get(path).content.decode()
        for tag in page.split("<script")[1:]:
            assert tag.split(">", 1)[0].strip().startswith(("src=", 'type="module" src=')), (path, tag[:80])
        assert "<style" not in page and ' style="' not in page, path


def test_static_files_stay_cacheable(world):
    response = Client().get("/static/app/init.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
