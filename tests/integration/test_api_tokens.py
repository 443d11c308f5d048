"""API tokens (issue 13, item 2): each POST /api/token/ issues a new token; tokens expire, can be revoked, are kept
only as a hash, and are listed per person on 'Your API tokens'; and the API limits how many requests a person
(or, signed out, an address) makes, answering 429 with Retry-After."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient
from tests.api_tokens import issue_token
from tests.integration.conftest import NOW

from handover.accounts.models import ApiToken
from handover.audit.models import AuditEvent
from handover.config.environment import Environment

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password 42"


@pytest.fixture
def tom(world):
    world.ast_tm.user.set_password(PASSWORD)
    world.ast_tm.user.save()
    return world.ast_tm


def get_token(username: str, **extra):
    return APIClient().post(
        "/api/token/", {"username": username, "password": PASSWORD, **extra}, format="json"
    )


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def test_each_request_for_a_token_issues_a_new_one_and_each_works(tom):
    first = get_token(tom.user.username, name="Nightly export")
    second = get_token(tom.user.username)
    assert first.status_code == second.status_code == 201
    assert first.data["token"] != second.data["token"]
    assert first.data["name"] == "Nightly export"
    assert dt.datetime.fromisoformat(first.json()["expires_at"]) == NOW + dt.timedelta(days=30)
    for key in (first.data["token"], second.data["token"]):
        assert with_token(key).get("/api/teams/").status_code == 200
    assert ApiToken.objects.filter(user=tom.user).count() == 2
    assert AuditEvent.objects.filter(detail__startswith="API token issued: Nightly export").count() == 1


def test_only_a_hash_of_a_token_is_kept(tom):
    key = get_token(tom.user.username).data["token"]
    row = ApiToken.objects.get()
    stored = " ".join(str(value) for value in ApiToken.objects.values_list().get())
    assert key not in stored and key[8:] not in stored  # no column holds it, or most of it
    assert row.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix) and len(row.prefix) < 10


def test_a_token_stops_working_when_it_expires(tom, settings):
    settings.HANDOVER_API_TOKEN_DAYS = 2
    key = get_token(tom.user.username).data["token"]
    settings.HANDOVER_FIXED_NOW = NOW + dt.timedelta(days=2) - dt.timedelta(minutes=1)
    assert with_token(key).get("/api/teams/").status_code == 200
    settings.HANDOVER_FIXED_NOW = NOW + dt.timedelta(days=2)
    expired = with_token(key).get("/api/teams/")
    assert expired.status_code == 401 and expired["WWW-Authenticate"] == "Token"
    assert (
        expired.data["detail"] == "this token expired on 26 November 2026: get a new one (POST /api/token/)"
    )


def test_a_revoked_token_stops_working_at_once(tom):
    key = issue_token(tom.user, "Old laptop")
    client = with_token(key)
    assert client.get("/api/teams/").status_code == 200
    token = ApiToken.objects.get()
    response = signed_in(tom).post(f"/account/api-tokens/{token.pk}/revoke/", follow=True)
    assert "The token ‘Old laptop’ is revoked" in response.content.decode()
    refused = client.get("/api/teams/")
    assert refused.status_code == 401 and "revoked" in refused.data["detail"]


def test_someone_elses_token_cannot_be_revoked(world, tom):
    theirs = issue_token(world.cin_tm.user, "Their script")
    token = ApiToken.objects.get(user=world.cin_tm.user)
    assert signed_in(tom).post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    assert with_token(theirs).get("/api/teams/").status_code == 200


def test_your_api_tokens_lists_yours_with_their_dates_and_never_the_token(world, tom, settings):
    used = issue_token(tom.user, "Caseload report", now=NOW - dt.timedelta(days=3))
    unused = issue_token(tom.user, "Spare")
    gone = issue_token(tom.user, "Revoked one")
    theirs = issue_token(world.cin_tm.user, "Someone else's")
    ApiToken.objects.filter(name="Revoked one").update(revoked_at=NOW)
    with_token(used).get("/api/teams/")  # at the suite's clock: Tuesday 24 November 2026, 10am
    page = signed_in(tom).get("/account/api-tokens/").content.decode()
    rows = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert rows.index("Spare") < rows.index("Caseload report")  # newest first
    report = rows.split("Caseload report", 1)[1].split("</tr>", 1)[0]
    assert "21 November 2026, 10:00a.m." in report  # created
    assert "24 November 2026, 10:00a.m." in report  # last used
    assert "21 December 2026" in report  # expires, 30 days after it was issued
    assert "Not used yet" in rows.split("Spare", 1)[1].split("</tr>", 1)[0]
    assert "Revoked one" not in page and "1 token has expired or been revoked and no longer works" in page
    assert "Someone else" not in page
    for key in (used, unused, gone, theirs):
        assert key not in page and key[8:] not in page
    assert 'Revoke<span class="govuk-visually-hidden"> Spare</span>' in page


def test_a_token_got_on_the_page_is_shown_once(tom):
    client = signed_in(tom)
    response = client.post("/account/api-tokens/", {"name": "Team dashboard"})
    assert response.status_code == 201
    page = response.content.decode()
    key = page.split('<code id="new-token" class="app-break-anywhere">', 1)[1].split("</code>", 1)[0]
    assert key.startswith("hov_") and "cannot show it again" in page
    assert with_token(key).get("/api/teams/").status_code == 200
    assert key not in client.get("/account/api-tokens/").content.decode()


def test_a_token_needs_a_name_on_the_page(tom):
    response = signed_in(tom).post("/account/api-tokens/", {"name": "  "})
    page = response.content.decode()
    assert response.status_code == 200 and "<title>Error: Your API tokens" in page
    assert '<a href="#name">Enter a name for the token, like the script that will use it</a>' in page
    assert not ApiToken.objects.exists()


def test_only_active_staff_get_tokens(world, tom):
    tom.active = False
    tom.save()
    refused = get_token(tom.user.username)
    assert refused.status_code == 403 and refused.data["detail"] == "sign in as an active member of staff"
    assert not ApiToken.objects.exists()


def test_a_token_of_someone_who_has_left_no_longer_works(world, tom):
    client = with_token(issue_token(tom.user))
    tom.active = False
    tom.save()
    assert client.get("/api/teams/").status_code == 403


# -- throttling ----------------------------------------------------------------------------------------------


@pytest.fixture
def rates(settings):
    cache.clear()  # the counts of earlier tests

    def set_rates(user=None, anon=None):
        settings.HANDOVER_API_THROTTLE_RATES = {"user": user, "anon": anon}

    yield set_rates
    cache.clear()


def test_a_person_making_too_many_requests_is_told_to_wait(world, tom, rates):
    rates(user="3/minute")
    client = with_token(issue_token(tom.user))
    assert [client.get("/api/teams/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/teams/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.data["detail"]
    # Per person: someone else, from the same office, is not held up.
    assert with_token(issue_token(world.cin_tm.user)).get("/api/teams/").status_code == 200
    # The same person's browser session counts as the same person.
    session = APIClient()
    session.force_login(tom.user)
    assert session.get("/api/teams/").status_code == 429


def test_an_address_asking_for_too_many_tokens_is_told_to_wait(world, rates):
    rates(anon="2/minute")
    office, elsewhere = APIClient(REMOTE_ADDR="10.0.0.7"), APIClient(REMOTE_ADDR="10.0.0.8")
    no_password = {"username": "tom_assessment_tm"}
    assert [office.post("/api/token/", no_password, format="json").status_code for _ in range(2)] == [
        400,
        400,
    ]
    refused = office.post("/api/token/", no_password, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    # An X-Forwarded-For made up by the client is not believed (no proxy is trusted by default).
    assert (
        office.post("/api/token/", no_password, format="json", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code
        == 429
    )
    assert elsewhere.post("/api/token/", no_password, format="json").status_code == 400


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(world, rates, settings):
    rates(anon="1/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    no_password = {"username": "tom_assessment_tm"}
    first = proxy.post("/api/token/", no_password, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = proxy.post("/api/token/", no_password, format="json", HTTP_X_FORWARDED_FOR="198.51.100.2")
    again = proxy.post("/api/token/", no_password, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert (first.status_code, second.status_code, again.status_code) == (400, 400, 429)


def test_the_rates_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HANDOVER_DEBUG", "true")
    monkeypatch.delenv("HANDOVER_API_RATE_USER", raising=False)
    monkeypatch.setenv("HANDOVER_API_RATE_ANON", "off")
    monkeypatch.setenv("HANDOVER_API_TOKEN_DAYS", "7")
    env = Environment.read()
    assert (env.api_rate_user, env.api_rate_anon, env.api_token_days) == ("120/minute", None, 7)
    monkeypatch.setenv("HANDOVER_API_RATE_USER", "lots")
    with pytest.raises(ImproperlyConfigured, match="HANDOVER_API_RATE_USER must be a number of requests"):
        Environment.read()
