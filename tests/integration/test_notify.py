"""Email through GOV.UK Notify, the outbox's delivery, and letters sent by post through Notify's precompiled-letter
API, all against a local fake of Notify's API (tests/fakes/notify_api.py) that checks each request's token."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from notifications_python_client.errors import HTTPError
from rest_framework.test import APIClient
from tests.fakes.notify_api import API_KEY, EMAIL_TEMPLATE, FAIL_ADDRESS, SERVICE_ID, fake_notify  # noqa: F401
from tests.integration.conftest import NOW, at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.children.models import InvolvedProfessional
from handover.documents import letters
from handover.documents.models import Letter
from handover.domain.errors import AccessDenied, ApplicationError
from handover.notifications.delivery import MAX_ATTEMPTS, outbox_deliver
from handover.notifications.letters_by_post import letter_post
from handover.notifications.models import Delivery, Notification, NotificationPreference, OutboundEmail
from handover.notifications.services import digests_queue, email_queue, notify
from handover.organisation.models import Role
from handover.organisation.services import staff_create
from handover.transfers import services

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)
NOTIFY_BACKEND = "handover.notifications.backends.NotifyEmailBackend"


@pytest.fixture
def notify_email(settings, fake_notify):  # noqa: F811
    settings.EMAIL_BACKEND = NOTIFY_BACKEND
    return fake_notify


# -- the email backend ---------------------------------------------------------------------------------------


def test_the_backend_sends_each_recipient_through_notify_with_a_signed_token(notify_email):
    message = EmailMessage(
        subject="Handover: 1 thing to do",
        body="* Agree the transfer\n  http://testserver/transfers/1/",
        to=["ava@example.invalid", "tom@example.invalid"],
        headers={"X-Handover-Reference": "handover-email-7"},
    )
    assert message.send() == 1
    received = notify_email.received
    assert [r.body["email_address"] for r in received] == ["ava@example.invalid", "tom@example.invalid"]
    assert received[0].body == {
        "email_address": "ava@example.invalid",
        "template_id": EMAIL_TEMPLATE,
        "personalisation": {
            "subject": "Handover: 1 thing to do",
            "body": "* Agree the transfer\n  http://testserver/transfers/1/",
        },
        "reference": "handover-email-7",
    }
    assert received[0].claims["iss"] == SERVICE_ID
    assert message.provider_ids == [r.id for r in received]


def test_the_backend_raises_notifys_refusal_unless_told_to_fail_silently(notify_email, settings):
    message = EmailMessage(subject="s", body="b", to=[FAIL_ADDRESS])
    with pytest.raises(HTTPError) as refused:
        message.send()
    assert refused.value.status_code == 400
    assert "Not a valid email address" in str(refused.value.message)
    assert get_connection(fail_silently=True).send_messages([message]) == 0

    # A key whose secret is not the service's: Notify answers 403, and nothing is sent.
    settings.HANDOVER_NOTIFY_API_KEY = API_KEY[:-36] + "00000000-0000-4000-8000-000000000000"
    with pytest.raises(HTTPError) as forbidden:
        EmailMessage(subject="s", body="b", to=["ava@example.invalid"]).send()
    assert forbidden.value.status_code == 403
    assert notify_email.received == []


def test_the_backend_names_a_missing_key_or_template(settings):
    settings.EMAIL_BACKEND = NOTIFY_BACKEND
    settings.HANDOVER_NOTIFY_API_KEY = None
    settings.HANDOVER_NOTIFY_TEMPLATES = {"email": "x"}
    with pytest.raises(ImproperlyConfigured, match="HANDOVER_NOTIFY_API_KEY is not set"):
        EmailMessage(subject="s", body="b", to=["ava@example.invalid"]).send()
    settings.HANDOVER_NOTIFY_API_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match=r"not a GOV\.UK Notify API key"):
        EmailMessage(subject="s", body="b", to=["ava@example.invalid"]).send()
    settings.HANDOVER_NOTIFY_API_KEY = API_KEY
    settings.HANDOVER_NOTIFY_TEMPLATES = {"email": None}
    with pytest.raises(ImproperlyConfigured, match="HANDOVER_NOTIFY_EMAIL_TEMPLATE"):
        EmailMessage(subject="s", body="b", to=["ava@example.invalid"]).send()


# -- the outbox ----------------------------------------------------------------------------------------------


def test_the_outbox_sends_each_email_once_and_records_notifys_id(world, notify_email):
    first = email_queue(recipient=world.ast_tm, key="sheet:1", subject="The sheet", body="b1", now=NOW)
    second = email_queue(recipient=world.cin_tm, key="sheet:2", subject="The sheet", body="b2", now=NOW)
    later = NOW + dt.timedelta(minutes=5)

    report = outbox_deliver(now=later)

    assert (report.sent, report.failed) == (2, 0)
    by_address = {r.body["email_address"]: r for r in notify_email.received}
    assert set(by_address) == {world.ast_tm.email, world.cin_tm.email}
    for row in (first, second):
        row.refresh_from_db()
        assert row.sent_at == later and row.last_error == ""
        assert row.provider_id == by_address[row.to].id
        assert by_address[row.to].body["reference"] == f"handover-email-{row.pk}"
    # A second sweep finds nothing to send.
    assert outbox_deliver(now=later) == type(report)(sent=0, failed=0)
    assert len(notify_email.received) == 2


def test_the_outbox_honours_a_limit(world, notify_email):
    for n in range(3):
        email_queue(recipient=world.ast_tm, key=f"k{n}", subject="s", body="b", now=NOW)
    assert outbox_deliver(now=NOW, limit=2).sent == 2
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 1
    assert outbox_deliver(now=NOW).sent == 1


def test_a_failure_is_recorded_retried_on_the_next_sweep_and_given_up_after_five(world, notify_email):
    world.cin_tm.email = FAIL_ADDRESS
    world.cin_tm.save()
    bad = email_queue(recipient=world.cin_tm, key="bad", subject="s", body="b", now=NOW)
    good = email_queue(recipient=world.ast_tm, key="good", subject="s", body="b", now=NOW)

    report = outbox_deliver(now=NOW)

    assert (report.sent, report.failed) == (1, 1)
    bad.refresh_from_db()
    assert bad.sent_at is None and bad.attempts == 1
    assert "400" in bad.last_error and "Not a valid email address" in bad.last_error
    good.refresh_from_db()
    assert good.sent_at == NOW

    # Retried once per sweep, then left (still recorded) after MAX_ATTEMPTS.
    reports = [outbox_deliver(now=NOW) for _ in range(MAX_ATTEMPTS)]
    assert [r.failed for r in reports] == [1] * (MAX_ATTEMPTS - 1) + [0]
    assert reports[MAX_ATTEMPTS - 2].given_up == 1
    bad.refresh_from_db()
    assert bad.attempts == MAX_ATTEMPTS and bad.sent_at is None and "Not a valid" in bad.last_error


def test_a_failed_email_goes_on_a_later_sweep_once_it_can(world, notify_email):
    world.cin_tm.email = FAIL_ADDRESS
    world.cin_tm.save()
    row = email_queue(recipient=world.cin_tm, key="retry", subject="s", body="b", now=NOW)
    assert outbox_deliver(now=NOW).failed == 1
    OutboundEmail.objects.filter(pk=row.pk).update(to="tia@example.invalid")
    later = NOW + dt.timedelta(minutes=10)
    assert outbox_deliver(now=later).sent == 1
    row.refresh_from_db()
    assert row.sent_at == later and row.attempts == 2 and row.provider_id


def test_a_digest_and_an_immediate_notification_arrive_at_notify(world, notify_email):
    NotificationPreference.objects.create(staff=world.cin_tm, delivery=Delivery.IMMEDIATE)
    for recipient in (world.ast_tm, world.cin_tm):
        notify(
            recipient=recipient,
            key="due:1",
            kind=Notification.Kind.DUE_SOON,
            title="Agree the transfer by Friday",
            url="/my-work/",
            now=NOW,
        )
    assert digests_queue(now=NOW).people == 1  # the immediate person was emailed already

    assert outbox_deliver(now=NOW).sent == 2

    by_address = {e["email_address"]: e["personalisation"] for e in notify_email.emails()}
    assert by_address[world.cin_tm.email]["subject"] == "Agree the transfer by Friday"
    assert by_address[world.ast_tm.email]["subject"] == "Handover: 1 thing to do"
    for personalisation in by_address.values():
        assert "* Agree the transfer by Friday" in personalisation["body"]
        assert "/my-work/" in personalisation["body"]


# -- letters by post -----------------------------------------------------------------------------------------


@pytest.fixture
def written(world):
    """Letters written for a transfer with its new worker named: the family's, and two professionals'."""
    transfer = listed_on(world, "post1", MONDAY)
    child = transfer.child
    child.address = "1 Example Road\nExampletown EX1 1AA"
    child.save()
    InvolvedProfessional.objects.create(
        child=child,
        name="Dr Ada Example",
        role="GP",
        organisation="Example Surgery",
        address="2 Surgery Lane",
    )
    InvolvedProfessional.objects.create(child=child, name="Ben Example", role="Head teacher")
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="agree",
        expected_version=transfer.version,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
        on=MONDAY,
    )
    transfer.refresh_from_db()
    world.cin_sw.phone = "01234 567890"
    world.cin_sw.save()
    services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="identify_worker",
        expected_version=transfer.version,
        worker=world.cin_sw,
        on=MONDAY,
    )
    sent = letters.letters_send(actor=world.ast_sw, transfer=transfer, now=at(MONDAY))
    return {letter.addressee: letter for letter in sent}


def family_letter(written) -> Letter:
    return written["The parent or carer of Post1 Testfamily"]


def posted_audit():
    return AuditEvent.objects.filter(verb=Verb.LETTER_POSTED)


def test_a_letter_goes_by_post_with_its_pdf_and_reference_recorded(world, written, fake_notify):  # noqa: F811
    letter = family_letter(written)

    posted = letter_post(actor=world.ast_tm, letter=letter, now=NOW, postage="first")

    [received] = fake_notify.received
    assert received.kind == "letter" and received.claims["iss"] == SERVICE_ID
    assert received.body["reference"] == f"handover-letter-{letter.pk}"
    assert received.body["postage"] == "first"
    assert base64.b64decode(received.body["content"]) == bytes(letter.pdf)
    posted.refresh_from_db()
    assert (posted.posted_at, posted.posted_by, posted.postage) == (NOW, world.ast_tm, "first")
    assert posted.notify_id == received.id
    assert posted.notify_reference == f"handover-letter-{letter.pk}"
    [event] = posted_audit()
    assert event.child == letter.transfer.child and event.object_id == str(letter.pk)
    assert event.at == NOW and event.actor == world.ast_tm.user
    assert f"sent by post through GOV.UK Notify, reference handover-letter-{letter.pk}" in event.detail


def test_a_letter_is_posted_once(world, written, fake_notify):  # noqa: F811
    letter = family_letter(written)
    letter_post(actor=world.ast_tm, letter=letter, now=NOW)
    with pytest.raises(ApplicationError) as again:
        letter_post(actor=world.ast_sw, letter=letter, now=NOW + dt.timedelta(hours=1))
    assert set(again.value.errors) == {"letter"}
    assert "already sent by post on 24 November 2026" in again.value.errors["letter"]
    assert len(fake_notify.received) == 1 and posted_audit().count() == 1
    letter.refresh_from_db()
    assert letter.posted_by == world.ast_tm


def test_a_social_worker_of_another_team_may_not_post_a_letter(world, written, fake_notify):  # noqa: F811
    other = staff_create(
        authority=world.authority,
        username="lou_lac_sw",
        name="Lou Lac Sw",
        roles=[(Role.SOCIAL_WORKER, world.teams["lac_team"])],
        email="lou@example.invalid",
    )
    other.as_of = NOW.date()
    with pytest.raises(AccessDenied, match="letters are sent by the workers, managers or business support"):
        letter_post(actor=other, letter=family_letter(written), now=NOW)
    assert_nothing_posted(fake_notify)


def assert_nothing_posted(fake):
    assert fake.received == []
    assert not Letter.objects.filter(posted_at__isnull=False).exists()
    assert not Letter.objects.exclude(notify_id="").exists()
    assert not posted_audit().exists()


def test_notifys_refusal_is_given_in_its_words_and_nothing_is_recorded(world, written, fake_notify):  # noqa: F811
    fake_notify.refuse_letters = True
    with pytest.raises(ApplicationError) as refused:
        letter_post(actor=world.ast_tm, letter=family_letter(written), now=NOW)
    assert refused.value.errors == {
        "letter": "GOV.UK Notify did not accept the letter (400: Letter content is not a valid PDF)"
    }
    assert_nothing_posted(fake_notify)


def test_bad_postage_and_a_letter_with_no_postal_address_are_refused(world, written, fake_notify):  # noqa: F811
    with pytest.raises(ApplicationError) as postage:
        letter_post(actor=world.ast_tm, letter=family_letter(written), now=NOW, postage="carrier pigeon")
    assert postage.value.errors == {"postage": "choose first, second or economy postage"}
    with pytest.raises(ApplicationError) as address:
        letter_post(actor=world.ast_tm, letter=written["Ben Example"], now=NOW)
    assert set(address.value.errors) == {"address"}
    assert "the letter to Ben Example has no postal address" in address.value.errors["address"]
    assert_nothing_posted(fake_notify)


def test_without_notify_set_up_posting_is_refused_and_not_offered(world, written, client, settings):
    settings.HANDOVER_NOTIFY_API_KEY = None
    letter = family_letter(written)
    with pytest.raises(ApplicationError, match="not set up"):
        letter_post(actor=world.ast_tm, letter=letter, now=NOW)
    client.force_login(world.ast_tm.user)
    page = client.get(f"/transfers/{letter.transfer_id}/").content.decode()
    assert "Send by post" not in page


def test_the_transfer_page_offers_send_by_post_and_shows_it_sent(world, written, client, fake_notify):  # noqa: F811
    letter = family_letter(written)
    client.force_login(world.ast_tm.user)
    page = client.get(f"/transfers/{letter.transfer_id}/").content.decode()
    assert f'action="/letters/{letter.pk}/post/"' in page and "Send by post" in page

    # A GET of the button's address changes nothing.
    assert client.get(f"/letters/{letter.pk}/post/").status_code == 302
    assert_nothing_posted(fake_notify)

    response = client.post(f"/letters/{letter.pk}/post/", {"postage": "second"}, follow=True)
    page = response.content.decode()
    assert f"Sent by post on 24 November 2026, Notify reference handover-letter-{letter.pk}" in page
    assert f'action="/letters/{letter.pk}/post/"' not in page
    assert len(fake_notify.letters()) == 1

    # Someone outside the two teams is not offered it.
    client.force_login(world.lac_tm.user)
    other = written["Dr Ada Example"]
    page = client.get(f"/transfers/{letter.transfer_id}/")
    assert page.status_code in (200, 404)
    assert f'action="/letters/{other.pk}/post/"' not in page.content.decode()


def test_the_api_posts_a_letter_once(world, written, fake_notify):  # noqa: F811
    letter = written["Dr Ada Example"]
    api = APIClient()
    api.force_authenticate(user=world.ast_tm.user)
    url = f"/api/transfers/{letter.transfer_id}/letters/{letter.pk}/post/"
    assert api.get(url).status_code == 405

    response = api.post(url, {"postage": "economy"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["notify_reference"] == f"handover-letter-{letter.pk}"
    assert response.json()["postage"] == "economy"
    again = api.post(url, {}, format="json")
    assert again.status_code == 400 and "already sent by post" in again.json()["errors"]["letter"]
    bad = api.post(
        f"/api/transfers/{letter.transfer_id}/letters/{family_letter(written).pk}/post/",
        {"postage": "airmail"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["errors"] == {
        "postage": "choose first, second or economy postage"
    }
    assert len(fake_notify.letters()) == 1
