"""Single sign-on by OpenID Connect, the real flow end to end: Django's test client starts it, the redirect to
the provider is followed by hand to a fake provider on 127.0.0.1 (tests/fakes/oidc_provider.py), whose redirect
back is followed to Handover's callback, which exchanges the code for an ID token signed RS256 with a key this
test generated and checks it against the provider's JWKS. The identity maps to a member of staff by email (or a
configured claim); nobody is ever created; someone unknown gets a clear refusal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from tests.fakes.oidc_provider import FakeOidcProvider, running

from handover.config.environment import Oidc
from handover.organisation.models import StaffMember

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/sign-in/sso/callback/"
BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "handover.accounts.oidc.StaffOIDCBackend",
]


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def provider(settings):
    """The fake provider, with Handover's single sign-on settings pointed at it (as the environment would)."""
    fake = FakeOidcProvider(
        key=new_key(), client_id="handover-test-client", client_secret="s3cret-value", redirect_uri=CALLBACK
    )
    stop = running(fake)
    settings.HANDOVER_OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.OIDC_RP_CLIENT_ID = fake.client_id
    settings.OIDC_RP_CLIENT_SECRET = fake.client_secret
    settings.OIDC_OP_ISSUER = fake.issuer
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = fake.authorization_endpoint
    settings.OIDC_OP_TOKEN_ENDPOINT = fake.token_endpoint
    settings.OIDC_OP_JWKS_ENDPOINT = fake.jwks_endpoint
    settings.OIDC_OP_USER_ENDPOINT = None
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.HANDOVER_OIDC_CLAIM = "email"
    settings.HANDOVER_OIDC_PROVIDER_MFA = True
    try:
        yield fake
    finally:
        stop()


def to_provider(client: Client, provider, next_page: str = "/my-work/"):
    """Start single sign-on and follow the redirect to the provider: its answer (a redirect back)."""
    start = client.get(f"/sign-in/sso/?next={next_page}")
    assert start.status_code == 302
    assert start["Location"].startswith(provider.authorization_endpoint + "?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    return at_provider.headers["Location"]


def back_to_handover(client: Client, location: str):
    back = urlsplit(location)
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def sign_in_by_sso(client: Client, provider, **claims):
    provider.person = claims
    return back_to_handover(client, to_provider(client, provider))


def signed_in_as(client: Client) -> str | None:
    page = client.get("/my-work/")
    if page.status_code != 200:
        return None
    return client.session.get("_auth_user_id")


def people() -> tuple[int, int]:
    return get_user_model().objects.count(), StaffMember.objects.count()


def test_a_member_of_staff_signs_in_with_their_council_account(world, provider):
    before = people()
    client = Client()
    response = sign_in_by_sso(client, provider, email="Tom_Assessment_TM@Example.Invalid", sub="entra-oid-1")
    assert response.status_code == 302 and response["Location"] == "/my-work/"
    page = client.get("/my-work/")
    assert page.status_code == 200 and world.ast_tm.name in page.content.decode()
    assert client.session["_auth_user_id"] == str(world.ast_tm.user.pk)
    assert people() == before  # nobody created
    # Handover sent the client secret and the PKCE verifier (the fake refuses a token request without them) and
    # checked the token against the provider's published key.
    [(_, _, token_request)] = [r for r in provider.requests if r[1] == "/token"]
    assert token_request["client_secret"] == "s3cret-value" and token_request["code_verifier"]
    assert any(r[1] == "/jwks" for r in provider.requests)


def test_someone_the_provider_knows_but_handover_does_not_is_refused_and_not_created(world, provider):
    before = people()
    client = Client()
    response = sign_in_by_sso(client, provider, email="new.starter@example.invalid")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot sign in to Handover" in page
    assert "new.starter@example.invalid" in page and "is not set up in Handover" in page
    assert signed_in_as(client) is None
    assert people() == before


def test_staff_who_have_left_are_refused(world, provider):
    world.cin_sw.active = False
    world.cin_sw.save()
    client = Client()
    response = sign_in_by_sso(client, provider, email=world.cin_sw.email)
    assert response.status_code == 403 and "no longer active" in response.content.decode()
    assert signed_in_as(client) is None


def test_two_staff_records_with_one_address_are_refused_rather_than_guessed(world, provider):
    world.cin_sw.email = world.ast_sw.email
    world.cin_sw.save()
    client = Client()
    response = sign_in_by_sso(client, provider, email=world.ast_sw.email)
    assert response.status_code == 403 and "More than one person" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_token_without_the_identity_claim_is_refused(world, provider):
    client = Client()
    response = sign_in_by_sso(client, provider, name="No Email")
    assert (
        response.status_code == 403
        and "did not tell Handover your email address" in response.content.decode()
    )
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "tamper",
    [
        {"claims_override": {"aud": "another-application"}},
        {"claims_override": {"iss": "https://login.example.invalid/someone-else/v2.0"}},
        {"claims_override": {"exp": 1_000_000_000, "iat": 999_999_000, "nbf": 999_999_000}},
        {"signing_key": "another"},
    ],
    ids=["another audience", "another issuer", "expired", "signed with another key"],
)
def test_an_id_token_that_is_not_for_handover_or_not_genuine_is_refused(world, provider, tamper):
    for name, value in tamper.items():
        setattr(provider, name, new_key() if value == "another" else value)
    client = Client()
    response = sign_in_by_sso(client, provider, email=world.ast_tm.email)
    assert response.status_code == 403
    assert "Single sign-on did not work" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_code_taken_to_another_browser_signs_no_one_in(world, provider):
    """The state ties the provider's answer to the browser that asked: a stolen redirect is worth nothing."""
    provider.person = {"email": world.ast_tm.email}
    location = to_provider(Client(), provider)
    thief = Client()
    response = back_to_handover(thief, location)
    assert response.status_code in (400, 403)
    assert signed_in_as(thief) is None


def test_the_answer_is_not_accepted_twice(world, provider):
    client = Client()
    provider.person = {"email": world.ast_tm.email}
    location = to_provider(client, provider)
    assert back_to_handover(client, location).status_code == 302
    client.post("/sign-out/")
    again = back_to_handover(client, location)
    assert again.status_code in (400, 403)
    assert signed_in_as(client) is None


def test_cancelling_at_the_provider_says_single_sign_on_did_not_work(world, provider):
    provider.deny = True
    client = Client()
    response = back_to_handover(client, to_provider(client, provider))
    assert response.status_code == 403 and "Single sign-on did not work" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_configured_claim_is_matched_instead_of_email(world, provider, settings):
    settings.HANDOVER_OIDC_CLAIM = "preferred_username"
    client = Client()
    response = sign_in_by_sso(
        client, provider, preferred_username=world.cin_tm.email, email="someone.else@example.invalid"
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.cin_tm.user.pk)


def test_the_sign_in_page_offers_single_sign_on_only_when_it_is_set_up(world, provider, settings):
    page = Client().get("/sign-in/?next=/team/").content.decode()
    assert "Sign in with your council account" in page and 'href="/sign-in/sso/?next=/team/"' in page
    settings.HANDOVER_OIDC_ENABLED = False
    page = Client().get("/sign-in/").content.decode()
    assert "Sign in with your council account" not in page
    assert Client().get("/sign-in/sso/").status_code == 404
    assert Client().get("/sign-in/sso/callback/?code=x&state=y").status_code == 404


def test_a_password_sign_in_never_reaches_the_provider(world, provider):
    """The single sign-on backend answers only its own callback: a crafted ?code= on the sign-in page is not
    exchanged at the provider."""
    response = Client().post(
        "/sign-in/?code=stolen&state=whatever", {"username": world.ast_tm.user.username, "password": "x"}
    )
    assert response.status_code == 200
    assert provider.requests == []


def test_managers_who_signed_in_at_a_provider_that_asked_for_a_second_factor_are_not_asked_again(
    world, provider, settings
):
    settings.HANDOVER_REQUIRE_TWO_FACTOR = True
    client = Client()
    assert sign_in_by_sso(client, provider, email=world.ast_tm.email)["Location"] == "/my-work/"
    assert client.get("/my-work/").status_code == 200
    # Where the provider does not ask for one, Handover does: the manager sets up an app.
    settings.HANDOVER_OIDC_PROVIDER_MFA = False
    other = Client()
    sign_in_by_sso(other, provider, email=world.cin_tm.email)
    response = other.get("/my-work/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/two-factor/set-up/")


def test_the_next_page_survives_the_round_trip_and_an_outside_one_does_not(world, provider):
    client = Client()
    provider.person = {"email": world.ast_tm.email}
    location = to_provider(client, provider, next_page="/team/")
    assert back_to_handover(client, location)["Location"] == "/team/"
    client.post("/sign-out/")
    location = to_provider(client, provider, next_page="https://evil.example/")
    assert back_to_handover(client, location)["Location"] == "/my-work/"


# -- settings from the environment ---------------------------------------------------------------------------


def test_single_sign_on_is_off_unless_configured(monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("HANDOVER_OIDC_")]:
        monkeypatch.delenv(name)
    assert Oidc.read() is None


def test_an_entra_tenant_fills_in_microsofts_endpoints(monkeypatch):
    monkeypatch.setenv("HANDOVER_OIDC_ENTRA_TENANT", "contoso.onmicrosoft.com")
    monkeypatch.setenv("HANDOVER_OIDC_CLIENT_ID", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("HANDOVER_OIDC_CLIENT_SECRET", "secret")
    monkeypatch.setenv("HANDOVER_OIDC_CLAIM", "preferred_username")
    oidc = Oidc.read()
    base = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    assert oidc.issuer == f"{base}/v2.0"
    assert oidc.authorization_endpoint == f"{base}/oauth2/v2.0/authorize"
    assert oidc.token_endpoint == f"{base}/oauth2/v2.0/token"
    assert oidc.jwks_endpoint == f"{base}/discovery/v2.0/keys"
    assert oidc.claim == "preferred_username" and oidc.provider_mfa is True


def test_half_a_configuration_is_refused_naming_what_is_missing(monkeypatch):
    monkeypatch.setenv("HANDOVER_OIDC_CLIENT_ID", "client")
    monkeypatch.delenv("HANDOVER_OIDC_ENTRA_TENANT", raising=False)
    with pytest.raises(ImproperlyConfigured) as refused:
        Oidc.read()
    assert "HANDOVER_OIDC_CLIENT_SECRET" in str(refused.value) and "HANDOVER_OIDC_ISSUER" in str(
        refused.value
    )


def test_the_redirect_uri_sent_is_the_registered_callback(world, provider):
    start = Client().get("/sign-in/sso/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["redirect_uri"] == [CALLBACK] and query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()
