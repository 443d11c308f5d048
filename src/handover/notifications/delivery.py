"""Sending the outbox: every unsent `OutboundEmail`, through whatever email backend is set (EMAIL_BACKEND: the
console in development, SMTP or GOV.UK Notify in production). The sweep calls it every few minutes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db import transaction

from handover.notifications.backends import REFERENCE_HEADER
from handover.notifications.models import OutboundEmail
from handover.notifications.notify import notify_error_message

MAX_ATTEMPTS = 5  # then the email is left unsent, its last error recorded, for a person to look at


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    given_up: int = 0  # of the failed, those that have now been tried MAX_ATTEMPTS times


def outbox_pending():
    """Emails still to send: not sent, and not yet given up on."""
    return OutboundEmail.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)


def outbox_deliver(*, now: dt.datetime, limit: int | None = None) -> DeliveryReport:
    """Send every unsent email (at most `limit`), oldest first, one at a time, and mark each sent at `now` with
    the provider's id; a failure adds one to its attempts and records the error, and it is tried again on the
    next run (not this one) until MAX_ATTEMPTS.

    Each row is locked (`select_for_update(skip_locked=True)` where the database has it) in its own small
    transaction while it is sent and marked, so two sweeps at once never send the same row; on SQLite, which
    has no row locks, the transaction's write lock serialises them instead.

    Delivery is at least once, not exactly once: if the process dies after the provider accepted an email and
    before the transaction marking it sent commits, the row is still unsent and the next run sends it again.
    Each email carries its outbox reference (X-Handover-Reference; Notify's `reference`) so a duplicate can be
    recognised.
    """
    mail = get_connection(fail_silently=False)
    sent = failed = given_up = 0
    tried: set[int] = set()
    opened = False
    try:
        while limit is None or sent + failed < limit:
            with transaction.atomic():
                row = _next_row(exclude=tried)
                if row is None:
                    break
                tried.add(row.pk)
                if not opened:
                    mail.open()
                    opened = True
                message = EmailMessage(
                    subject=row.subject,
                    body=row.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[row.to],
                    headers={REFERENCE_HEADER: f"handover-email-{row.pk}"},
                    connection=mail,
                )
                try:
                    if mail.send_messages([message]) != 1:
                        raise RuntimeError("the email backend did not send it")
                except ImproperlyConfigured:
                    raise  # not this email's fault: every one would fail
                except Exception as exc:  # whatever the backend raises (SMTP, HTTP, Notify): record, go on
                    row.attempts += 1
                    row.last_error = notify_error_message(exc)[:2000]
                    row.save(update_fields=["attempts", "last_error"])
                    failed += 1
                    given_up += row.attempts >= MAX_ATTEMPTS
                    continue
                row.sent_at = now
                row.attempts += 1
                row.provider_id = ",".join(getattr(message, "provider_ids", None) or [])[:100]
                row.save(update_fields=["sent_at", "attempts", "provider_id"])
                sent += 1
    finally:
        if opened:
            mail.close()
    return DeliveryReport(sent=sent, failed=failed, given_up=given_up)


def _next_row(*, exclude: set[int]) -> OutboundEmail | None:
    rows = outbox_pending().exclude(pk__in=exclude).order_by("created_at", "pk")
    if db_connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return rows.first()
