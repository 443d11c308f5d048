"""Sign-in as councils run it (issue 13, item 1), for local accounts: a username is locked after repeated wrong
passwords, on the sign-in page and at POST /api/token/ alike; passwords follow Django's rules (12 characters or
more) wherever they are set, can be changed, and reset through an emailed link; and managers and auditors confirm
a code from an authenticator app after their password when two-factor sign-in is required."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from tests.api_tokens import issue_token
from tests.fakes.notify_api import fake_notify  # noqa: F401  (the fixture)
from tests.integration.conftest import dated_staff

from handover.accounts import two_factor
from handover.audit.models import AuditEvent
from handover.config.environment import Environment
from handover.domain.errors import ApplicationError
from handover.organisation.models import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different long passphrase"


def with_password(staff, password: str = PASSWORD):
    staff.user.set_password(password)
    staff.user.save()
    return staff


@pytest.fixture
def tom(world):
    return with_password(world.ast_tm)


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post("/sign-in/", {"username": username, "password": password})


def api_token(username: str, password: str = PASSWORD, client: APIClient | None = None, **extra):
    return (client or APIClient()).post(
        "/api/token/", {"username": username, "password": password, **extra}, format="json"
    )


# -- lockout -------------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_on_the_sign_in_page(world, tom):
    client = Client()
    for _ in range(4):
        assert sign_in(client, tom.user.username, "not the password").status_code == 200
    locked = sign_in(client, tom.user.username, "not the password")
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert "<title>You cannot sign in for 15 minutes" in page
    assert "wrong 5 times in a row" in page and 'href="/password-reset/"' in page
    # Now even the right password is refused, and says so.
    assert sign_in(Client(), tom.user.username).status_code == 429
    # Locked by username, not address: a colleague in the same office signs in.
    colleague = with_password(world.cin_tm)
    assert sign_in(Client(), colleague.user.username)["Location"] == "/my-work/"
    # What axes keeps of the attempts never holds the password typed.
    attempt = AccessAttempt.objects.get(username=tom.user.username)
    assert attempt.failures_since_start >= 5 and "not the password" not in attempt.post_data


def test_the_lock_lifts_after_the_wait(world, tom):
    for _ in range(5):
        sign_in(Client(), tom.user.username, "not the password")
    assert sign_in(Client(), tom.user.username).status_code == 429
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16), tick=False):
        assert sign_in(Client(), tom.user.username)["Location"] == "/my-work/"


def test_the_api_token_endpoint_counts_the_same_failures_and_answers_in_json(world, tom):
    for _ in range(3):
        sign_in(Client(), tom.user.username, "not the password")
    assert api_token(tom.user.username, "not the password").status_code == 400
    locked = api_token(tom.user.username, "not the password")
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert locked.json()["detail"].startswith(
        "too many failed sign-in attempts for this username: wait 15 minutes"
    )
    assert api_token(tom.user.username).status_code == 429  # the right password, while locked
    assert sign_in(Client(), tom.user.username).status_code == 429  # and the page is locked too


def test_the_right_password_starts_the_count_again(world, tom):
    for _ in range(4):
        sign_in(Client(), tom.user.username, "not the password")
    assert sign_in(Client(), tom.user.username)["Location"] == "/my-work/"
    for _ in range(4):
        assert sign_in(Client(), tom.user.username, "not the password").status_code == 200


def test_the_number_of_tries_and_the_wait_are_settings(world, tom, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    assert sign_in(Client(), tom.user.username, "wrong").status_code == 200
    locked = sign_in(Client(), tom.user.username, "wrong")
    assert locked.status_code == 429 and locked["Retry-After"] == "300"
    assert "You cannot sign in for 5 minutes" in locked.content.decode()


def test_lockout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HANDOVER_DEBUG", "true")
    monkeypatch.setenv("HANDOVER_LOCKOUT_FAILURES", "3")
    monkeypatch.setenv("HANDOVER_LOCKOUT_MINUTES", "30")
    env = Environment.read()
    assert (env.lockout_failures, env.lockout_minutes) == (3, 30)
    monkeypatch.setenv("HANDOVER_LOCKOUT_FAILURES", "0")
    with pytest.raises(
        ImproperlyConfigured, match="HANDOVER_LOCKOUT_FAILURES must be a whole number, at least 1"
    ):
        Environment.read()


# -- passwords -----------------------------------------------------------------------------------------------


def errors_of(page: str) -> dict[str, str]:
    """Each box's error message, as the page shows it under the box."""
    return {
        box: message.strip()
        for box, message in re.findall(
            r'<p class="govuk-error-message" id="([^"]+)-error"><span class="govuk-visually-hidden">Error:</span>'
            r"([^<]+)</p>",
            page,
        )
    }


def change(client: Client, old: str, new1: str, new2: str | None = None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new1, "new_password2": new1 if new2 is None else new2},
    )


@pytest.mark.parametrize(
    ("old", "new1", "new2", "box", "message"),
    [
        ("not it", NEW_PASSWORD, None, "old_password", "Your current password is not right: enter it again"),
        (PASSWORD, "too short", None, "new_password1", "Your new password must be 12 characters or more"),
        (PASSWORD, "password1234", None, "new_password1", "Your new password is one that many people use"),
        (
            PASSWORD,
            "tom_assessment_tm1",
            None,
            "new_password1",
            "Your new password is too like your username",
        ),
        (PASSWORD, "384756102938475", None, "new_password1", "Your new password must not be only numbers"),
        (
            PASSWORD,
            NEW_PASSWORD,
            "something else entirely",
            "new_password2",
            "The new passwords do not match",
        ),
        ("", "", "", "old_password", "Enter your current password"),
    ],
)
def test_a_password_change_is_refused_naming_the_box_and_the_rule(tom, old, new1, new2, box, message):
    client = Client()
    sign_in(client, tom.user.username)
    response = change(client, old, new1, new2)
    page = response.content.decode()
    assert response.status_code == 200 and "<title>Error: Change your password" in page
    assert errors_of(page)[box].startswith(message)
    assert f'<a href="#{box}">{errors_of(page)[box]}</a>' in page
    tom.user.refresh_from_db()
    assert tom.user.check_password(PASSWORD)  # nothing changed


def test_changing_a_password_keeps_you_signed_in_and_the_old_one_stops_working(tom):
    client = Client()
    sign_in(client, tom.user.username)
    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert "Your password has been changed" in client.get("/account/").content.decode()
    assert client.get("/my-work/").status_code == 200
    assert sign_in(Client(), tom.user.username).status_code == 200  # the old one: refused
    assert sign_in(Client(), tom.user.username, NEW_PASSWORD)["Location"] == "/my-work/"
    assert AuditEvent.objects.filter(actor=tom.user, detail="Password changed").exists()


def test_the_password_rules_hold_where_staff_are_set_up(world):
    with pytest.raises(ApplicationError) as refused:
        dated_staff(
            authority=world.authority,
            username="new_starter",
            name="New Starter",
            roles=[(Role.SOCIAL_WORKER, world.teams["cin_cp_east"])],
            password="short",
        )
    assert "at least 12 characters" in refused.value.errors["password"]
    assert not world.authority.staff.filter(name="New Starter").exists()


def reset_link(message) -> str:
    found = re.search(r"http://localhost:8000(/password-reset/[^/\s]+/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def ask_for_reset(email: str):
    return Client().post("/password-reset/", {"email": email})


def test_a_forgotten_password_is_reset_through_an_emailed_link(tom):
    assert 'href="/password-reset/"' in Client().get("/sign-in/").content.decode()
    response = ask_for_reset("TOM_assessment_tm@example.invalid")
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    [message] = mail.outbox
    assert message.to == [tom.email] and message.subject == "Reset your Handover password"
    assert "tom_assessment_tm" in message.body and "within an hour" in message.body
    client = Client()
    form = client.get(reset_link(message), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert sign_in(Client(), tom.user.username, NEW_PASSWORD)["Location"] == "/my-work/"
    # The link works once.
    again = Client().get(reset_link(message), follow=True).content.decode()
    assert "This link does not work" in again


def test_a_reset_checks_the_new_password_against_the_rules(tom):
    ask_for_reset(tom.email)
    client = Client()
    form = client.get(reset_link(mail.outbox[0]), follow=True)
    page = client.post(form.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "short"})
    assert (
        errors_of(page.content.decode())["new_password1"] == "Your new password must be 12 characters or more"
    )


def test_an_unknown_address_gets_the_same_answer_and_no_email(world):
    response = ask_for_reset("nobody@example.invalid")
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address"), ("not an address", "Enter an email address in the correct format")],
)
def test_a_reset_request_names_what_is_wrong_with_the_address(world, email, message):
    page = ask_for_reset(email).content.decode()
    assert errors_of(page)["email"].startswith(message) and mail.outbox == []


def test_staff_without_a_password_set_their_first_one_by_reset_unless_they_use_single_sign_on(
    world, settings
):
    # The world's staff have no password (as staff imported from a spreadsheet).
    ask_for_reset(world.cin_sw.email)
    assert len(mail.outbox) == 1
    settings.HANDOVER_OIDC_ENABLED = True
    ask_for_reset(world.cin_sw.email)
    assert len(mail.outbox) == 1
    # Someone who has left is sent nothing.
    settings.HANDOVER_OIDC_ENABLED = False
    world.ast_sw.active = False
    world.ast_sw.save()
    ask_for_reset(world.ast_sw.email)
    assert len(mail.outbox) == 1


def test_a_reset_lifts_a_lockout_and_revokes_api_tokens(tom):
    token = issue_token(tom.user)
    for _ in range(5):
        sign_in(Client(), tom.user.username, "not the password")
    assert sign_in(Client(), tom.user.username).status_code == 429
    ask_for_reset(tom.email)
    client = Client()
    form = client.get(reset_link(mail.outbox[0]), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert sign_in(Client(), tom.user.username, NEW_PASSWORD)["Location"] == "/my-work/"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/teams/").status_code == 401


def test_the_reset_email_goes_through_gov_uk_notify_when_that_is_the_email_backend(
    tom,
    settings,
    fake_notify,  # noqa: F811
):
    settings.EMAIL_BACKEND = "handover.notifications.backends.NotifyEmailBackend"
    ask_for_reset(tom.email)
    [sent] = fake_notify.emails()
    assert sent["email_address"] == tom.email
    assert sent["personalisation"]["subject"] == "Reset your Handover password"
    assert "/password-reset/" in sent["personalisation"]["body"]


# -- two-factor ----------------------------------------------------------------------------------------------


@pytest.fixture
def two_factor_on(settings):
    settings.HANDOVER_REQUIRE_TWO_FACTOR = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # wrong-code throttling has its own test


def code_for(key_hex: str, steps_ahead: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def with_app(staff) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff.user, name="Authenticator app", confirmed=True)


def key_on_page(page: str) -> str:
    text = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8)).hex()


@pytest.fixture
def head_of_service(world):
    return dated_staff(
        authority=world.authority,
        username="hos_head",
        name="Hal Head",
        roles=[(Role.HEAD_OF_SERVICE, None)],
        email="hos_head@example.invalid",
    )


@pytest.mark.parametrize(
    ("person", "needs"),
    [
        ("ast_tm", True),
        ("ast_pm", True),
        ("service_manager", True),
        ("head_of_service", True),
        ("director", True),
        ("auditor", True),
        ("ast_sw", False),
        ("business_support", False),
        ("administrator", False),
    ],
)
def test_managers_and_auditors_need_two_factor(world, head_of_service, two_factor_on, person, needs):
    staff = head_of_service if person == "head_of_service" else getattr(world, person)
    assert two_factor.must_use(staff.user, world.ast_tm.as_of) is needs


def test_two_factor_is_on_by_default_in_production_and_off_in_development(monkeypatch):
    monkeypatch.delenv("HANDOVER_REQUIRE_TWO_FACTOR", raising=False)
    monkeypatch.setenv("HANDOVER_DEBUG", "false")
    monkeypatch.setenv("HANDOVER_SECRET_KEY", "k" * 60)
    monkeypatch.setenv("HANDOVER_ALLOWED_HOSTS", "handover.example.gov.uk")
    assert Environment.read().require_two_factor is True
    monkeypatch.setenv("HANDOVER_REQUIRE_TWO_FACTOR", "false")
    assert Environment.read().require_two_factor is False
    monkeypatch.delenv("HANDOVER_REQUIRE_TWO_FACTOR")
    monkeypatch.setenv("HANDOVER_DEBUG", "true")
    assert Environment.read().require_two_factor is False


def test_a_manager_without_an_app_is_sent_to_set_one_up_and_a_social_worker_is_not(world, tom, two_factor_on):
    client = Client()
    assert sign_in(client, tom.user.username)["Location"] == "/my-work/"
    sent = client.get("/my-work/")
    assert sent.status_code == 302 and sent["Location"] == "/sign-in/two-factor/set-up/?next=%2Fmy-work%2F"
    assert client.get("/children/").status_code == 302  # every page, not just the first
    worker = Client()
    sign_in(worker, with_password(world.ast_sw).user.username)
    assert worker.get("/my-work/").status_code == 200


def test_setting_up_shows_a_qr_code_and_the_key_and_stores_nothing_until_the_code_is_right(
    tom, two_factor_on
):
    client = Client()
    sign_in(client, tom.user.username)
    first = client.get("/sign-in/two-factor/set-up/?next=/team/").content.decode()
    second = client.get("/sign-in/two-factor/set-up/?next=/team/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in first
    assert key_on_page(first) != key_on_page(second)  # a new key each time the page is opened...
    assert not TOTPDevice.objects.exists()  # ...and none kept until it has shown it works
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', first).group(1))
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    enrolment = re.search(r'name="enrolment" value="([^"]+)"', first).group(1)
    key = key_on_page(first)
    wrong = client.post(
        "/sign-in/two-factor/set-up/", {"enrolment": enrolment, "code": "000000", "next": "/team/"}
    )
    if code_for(key) != "000000":
        assert "Enter the 6-digit code your authenticator app shows now" in wrong.content.decode()
        assert not TOTPDevice.objects.exists()
    done = client.post(
        "/sign-in/two-factor/set-up/", {"enrolment": enrolment, "code": code_for(key), "next": "/team/"}
    )
    assert done.status_code == 302 and done["Location"] == "/team/"
    device = TOTPDevice.objects.get(user=tom.user)
    assert device.confirmed and device.key == key
    assert client.get("/my-work/").status_code == 200
    assert AuditEvent.objects.filter(actor=tom.user, detail__startswith="Two-factor sign-in set up").exists()


def test_a_set_up_page_cannot_be_used_for_someone_else(world, tom, two_factor_on):
    client = Client()
    sign_in(client, tom.user.username)
    page = client.get("/sign-in/two-factor/set-up/").content.decode()
    enrolment, key = re.search(r'name="enrolment" value="([^"]+)"', page).group(1), key_on_page(page)
    other = Client()
    sign_in(other, with_password(world.cin_tm).user.username)
    refused = other.post("/sign-in/two-factor/set-up/", {"enrolment": enrolment, "code": code_for(key)})
    assert "This set-up page was open too long" in refused.content.decode()
    assert not TOTPDevice.objects.exists()


def test_a_manager_with_an_app_confirms_its_code_after_the_password(tom, two_factor_on):
    device = with_app(tom)
    client = Client()
    sign_in(client, tom.user.username)
    sent = client.get("/team/")
    assert sent["Location"] == "/sign-in/two-factor/?next=%2Fteam%2F"
    wrong = client.post("/sign-in/two-factor/", {"code": "12345", "next": "/team/"})
    page = wrong.content.decode()
    assert "<title>Error: Enter the code from your authenticator app" in page
    assert errors_of(page)["code"] == "Enter the 6-digit code your authenticator app shows now"
    assert client.get("/team/").status_code == 302
    right = client.post("/sign-in/two-factor/", {"code": code_for(device.key), "next": "/team/"})
    assert right.status_code == 302 and right["Location"] == "/team/"
    assert client.get("/team/").status_code == 200


def test_a_code_is_not_accepted_twice(tom, two_factor_on):
    device = with_app(tom)
    code = code_for(device.key)
    first, second = Client(), Client()
    for client in (first, second):
        sign_in(client, tom.user.username)
    assert first.post("/sign-in/two-factor/", {"code": code})["Location"] == "/my-work/"
    again = second.post("/sign-in/two-factor/", {"code": code})
    assert again.status_code == 200 and "Enter the 6-digit code" in again.content.decode()


def test_wrong_codes_make_the_next_one_wait(tom, settings):
    settings.HANDOVER_REQUIRE_TWO_FACTOR = True  # with django-otp's throttle as configured
    device = with_app(tom)
    client = Client()
    sign_in(client, tom.user.username)
    client.post("/sign-in/two-factor/", {"code": "000001" if code_for(device.key) != "000001" else "000002"})
    held = client.post("/sign-in/two-factor/", {"code": code_for(device.key)})
    assert "Too many wrong codes: wait 1 second, then enter the code your app shows" in held.content.decode()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3), tick=False):
        assert client.post("/sign-in/two-factor/", {"code": code_for(device.key)})["Location"] == "/my-work/"


def test_the_api_asks_managers_for_their_code(world, tom, two_factor_on):
    no_app = api_token(tom.user.username)
    assert no_app.status_code == 403 and "set up an authenticator app" in no_app.json()["detail"]
    device = with_app(tom)
    no_code = api_token(tom.user.username)
    assert no_code.status_code == 400
    assert no_code.json()["errors"]["code"][0].startswith(
        "enter the 6-digit code your authenticator app shows"
    )
    assert (
        api_token(
            tom.user.username, code="000000" if code_for(device.key) != "000000" else "111111"
        ).status_code
        == 400
    )
    assert api_token(tom.user.username, code=code_for(device.key)).status_code == 201
    # A social worker needs no code.
    assert api_token(with_password(world.ast_sw).user.username).status_code == 201


def test_a_session_not_yet_confirmed_cannot_use_the_api(tom, two_factor_on):
    with_app(tom)
    client = APIClient()
    client.post("/sign-in/", {"username": tom.user.username, "password": PASSWORD})
    refused = client.get("/api/children/")
    assert refused.status_code == 403 and refused.json()["detail"].startswith("confirm the code")


def test_the_account_page_says_how_the_person_signs_in_and_sign_out_needs_no_code(tom, two_factor_on):
    device = with_app(tom)
    issue_token(tom.user)
    client = Client()
    sign_in(client, tom.user.username)
    assert client.get("/account/")["Location"] == "/sign-in/two-factor/?next=%2Faccount%2F"
    client.post("/sign-in/two-factor/", {"code": code_for(device.key)})
    page = client.get("/account/").content.decode()
    assert "Set up with an authenticator app" in page and "1 token works" in page
    assert 'href="/account/password/"' in page
    # Part-way through signing in (the code not yet given), signing out still works.
    halfway = Client()
    sign_in(halfway, tom.user.username)
    assert halfway.post("/sign-out/").status_code == 302
    assert halfway.get("/account/")["Location"] == "/sign-in/?next=/account/"
