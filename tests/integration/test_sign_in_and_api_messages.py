"""Sign-in and API messages a person reads when they are not (yet) let in: an empty sign-in names each box to
fill; a wrong username or password says so without saying which; the API tells someone with no credentials or a
bad token to authenticate (401 with `WWW-Authenticate: Token`), and someone known whose roles do not allow a thing
that they may not (403); signed out, the API docs page goes to sign-in and the schema says to sign in."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient
from tests.api_tokens import token_client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def summary_links(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (the box it goes to, the message)."""
    body = page.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', body)


def field_error(page: str, box: str) -> str | None:
    found = re.search(rf'<p class="govuk-error-message" id="{box}-error">.*?</span>\s*([^<]+)</p>', page)
    return found.group(1).strip() if found else None


@pytest.fixture
def known(world):
    world.ast_tm.user.set_password(PASSWORD)
    world.ast_tm.user.save()
    return world.ast_tm


def sign_in(**data) -> tuple[int, str]:
    response = Client().post("/sign-in/", data)
    return response.status_code, response.content.decode()


def test_an_empty_sign_in_names_each_box_to_fill(known):
    status, page = sign_in(username="", password="")
    assert status == 200 and "<title>Error: Sign in" in page
    assert summary_links(page) == [
        ("id_username", "Enter your username"),
        ("id_password", "Enter your password"),
    ]
    assert field_error(page, "id_username") == "Enter your username"
    assert field_error(page, "id_password") == "Enter your password"
    assert "Enter a correct username and password" not in page


def test_a_missing_password_is_asked_for_and_the_username_kept(known):
    _, page = sign_in(username=known.user.username, password="")
    assert summary_links(page) == [("id_password", "Enter your password")]
    assert field_error(page, "id_username") is None
    assert f'value="{known.user.username}"' in page


def test_a_wrong_password_and_an_unknown_username_read_the_same(known):
    _, wrong_password = sign_in(username=known.user.username, password="not the password")
    _, unknown_user = sign_in(username="nobody_by_this_name", password=PASSWORD)
    for page in (wrong_password, unknown_user):
        assert summary_links(page) == [("id_username", "Enter a correct username and password")]
        assert field_error(page, "id_username") == "Enter a correct username and password"
        assert field_error(page, "id_password") is None
        assert "not the password" not in page and PASSWORD not in page  # a password is never shown back
    assert "does not exist" not in unknown_user and "wrong password" not in wrong_password.lower()


def test_the_right_password_signs_in(known):
    response = Client().post("/sign-in/", {"username": known.user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/my-work/"


# -- the API -------------------------------------------------------------------------------------------------------


def test_no_credentials_is_told_to_authenticate_with_a_token(world):
    response = APIClient().get("/api/children/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.data["detail"].startswith("sign in first")
    assert "Token" in response.data["detail"] and "/api/token/" in response.data["detail"]


def test_a_bad_token_is_told_to_authenticate_again(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/children/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.data["detail"] == "Invalid token."


def test_a_known_person_whose_roles_do_not_allow_it_is_refused_not_asked_to_sign_in(world):
    client = token_client(world.ast_sw.user)
    assert client.get("/api/children/").status_code == 200
    refused = client.get("/api/audit/")
    assert refused.status_code == 403 and "WWW-Authenticate" not in refused
    auditor = token_client(world.auditor.user)
    write = auditor.post("/api/children/", {}, format="json")
    assert write.status_code == 403 and write.data["detail"] == "your roles are read-only"


def test_a_signed_in_browser_session_still_reads_the_api(world):
    """With the token asked first, a request with no token still falls to the browser's session."""
    child = world.child("S1", "Sol")
    client = APIClient()
    client.force_login(world.ast_tm.user)  # a session cookie, as the sign-in page gives
    listed = client.get("/api/children/")
    assert listed.status_code == 200 and [c["id"] for c in listed.data["results"]] == [child.pk]


def test_signed_out_the_docs_page_goes_to_sign_in_and_back(world):
    response = Client().get("/api/docs/")
    assert response.status_code == 302 and response["Location"] == "/sign-in/?next=/api/docs/"
    sign_in_page = Client().get(response["Location"]).content.decode()
    assert "Your roles" not in sign_in_page and 'name="next" value="/api/docs/"' in sign_in_page
    client = Client()
    client.force_login(world.ast_tm.user)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "swagger-ui" in docs.content.decode()


def test_signed_out_the_schema_says_to_sign_in(world):
    response = Client().get("/api/schema/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    text = response.content.decode()
    assert "sign in first" in text and "Your roles" not in text
    client = Client()
    client.force_login(world.ast_tm.user)
    assert client.get("/api/schema/").status_code == 200
