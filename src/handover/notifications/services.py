"""Writes for notifications: create one (once per key and person), clear the ones whose work is done, queue
emails at once or as one daily digest per person, and record each person's choice of delivery.

Emails are queued in the outbox (`OutboundEmail`) in the same transaction as the notification; `delivery.py`
sends them. So a crash between deciding and sending loses nothing, and the sweep re-run sends what is left.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.domain.errors import ApplicationError
from handover.domain.workflow import FINAL_STATES
from handover.notifications.models import Delivery, Notification, NotificationPreference, OutboundEmail
from handover.organisation.models import StaffMember
from handover.transfers.models import Deadline


def delivery_of(staff: StaffMember) -> str:
    """The person's choice: digest (the default), immediate, or in Handover only."""
    preference = getattr(staff, "notification_preference", None)
    return preference.delivery if preference is not None else Delivery.DIGEST


def notification_preference_set(*, actor: StaffMember, delivery: str, now: dt.datetime) -> None:
    """Each person chooses for themselves how they are told."""
    if delivery not in Delivery.values:
        choices = ", ".join(label.lower() for label in Delivery.labels)
        raise ApplicationError({"delivery": f"choose one of: {choices}"})
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(staff=actor)
        before = preference.delivery
        preference.delivery = delivery
        preference.save()
        audit_record(
            actor=actor,
            verb=Verb.NOTIFICATION_PREFERENCE,
            at=now,
            obj=preference,
            before={"delivery": before},
            after={"delivery": delivery},
        )


def absolute(url: str) -> str:
    """A link for an email: the service's address (settings.HANDOVER_BASE_URL) and the page's path."""
    return settings.HANDOVER_BASE_URL.rstrip("/") + url


def notify(
    *,
    recipient: StaffMember,
    key: str,
    kind: str,
    title: str,
    url: str,
    now: dt.datetime,
    body: str = "",
    child=None,
    transfer=None,
    step: str = "",
    remedial_action=None,
    escalation=None,
    meeting=None,
    contact=None,
) -> Notification | None:
    """Tell `recipient` once about `key`: an in-app notification and, if they chose it, an email at once. A
    notification that already exists for the key is left alone (None is returned): the sweep may call this
    every few minutes."""
    if not recipient.active:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                key=key,
                kind=kind,
                title=title[:300],
                body=body,
                url=url,
                child=child,
                transfer=transfer,
                step=step,
                remedial_action=remedial_action,
                escalation=escalation,
                meeting=meeting,
                contact=contact,
                created_at=now,
            )
            if delivery_of(recipient) == Delivery.IMMEDIATE and recipient.email:
                OutboundEmail.objects.create(
                    key=f"notification:{notification.pk}",
                    recipient=recipient,
                    to=recipient.email,
                    subject=title[:300],
                    body=_email_body([notification]),
                    created_at=now,
                )
                notification.emailed_at = now
                notification.save(update_fields=["emailed_at"])
    except IntegrityError:
        return None  # told already
    return notification


def email_queue(
    *, recipient: StaffMember, key: str, subject: str, body: str, now: dt.datetime
) -> OutboundEmail | None:
    """Queue one email (an early warning sheet, minutes) once per key, whatever the person's digest choice:
    papers for a meeting go when they are ready. In-app-only people are not emailed."""
    if not recipient.active or not recipient.email or delivery_of(recipient) == Delivery.IN_APP:
        return None
    try:
        with transaction.atomic():
            return OutboundEmail.objects.create(
                key=key,
                recipient=recipient,
                to=recipient.email,
                subject=subject[:300],
                body=body,
                created_at=now,
            )
    except IntegrityError:
        return None


def still_to_do() -> Q:
    """The notifications whose work is not done yet: the transfer open, the step not done, the remedial action
    not done, the escalation not resolved, the contact passed on not read. Pages filter with it (so an item clears the moment the work is
    done, with nothing written on a GET); the sweep writes `cleared_at` for the rest."""
    step_done = Deadline.objects.filter(
        transfer_id=OuterRef("transfer_id"), step=OuterRef("step"), actual__isnull=False
    )
    return (
        Q(cleared_at__isnull=True)
        & ~Q(transfer__state__in=[s.value for s in FINAL_STATES])
        & ~Q(remedial_action__done_at__isnull=False)
        & ~Q(escalation__resolved_at__isnull=False)
        & ~Q(contact__read_at__isnull=False)
        & ~(Q(step__gt="") & Exists(step_done))
    )


def notifications_clear_done(*, now: dt.datetime, transfer_ids=None) -> int:
    """Write `cleared_at` on notifications whose work is done (the sweep does this; pages already hide them),
    of every transfer or those in `transfer_ids` (only a transfer's records make its work done). Row by row,
    not queryset.update(): each is its own small write and the count is what changed."""
    cleared = 0
    open_rows = Notification.objects.filter(cleared_at__isnull=True)
    if transfer_ids is not None:
        open_rows = open_rows.filter(transfer_id__in=list(transfer_ids))
    done = open_rows.exclude(pk__in=open_rows.filter(still_to_do()).values("pk"))
    for notification in done.iterator():
        notification.cleared_at = now
        notification.cleared_reason = "done"
        notification.save(update_fields=["cleared_at", "cleared_reason"])
        cleared += 1
    return cleared


@dataclass(frozen=True)
class DigestQueued:
    people: int
    notifications: int


def digests_queue(*, now: dt.datetime) -> DigestQueued:
    """Once a day, from `settings.HANDOVER_DIGEST_HOUR` (local time), one email per person who chose the
    digest, listing what is still to do that they were not emailed about. Keyed by person and day, so the
    sweep may run every few minutes: the first run after the hour queues it, later runs find it queued."""
    local = timezone.localtime(now)
    if local.hour < settings.HANDOVER_DIGEST_HOUR:
        return DigestQueued(0, 0)
    day = local.date()
    people = 0
    told = 0
    pending = (
        Notification.objects.filter(still_to_do(), emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient__notification_preference")
        .order_by("recipient_id", "created_at", "pk")
    )
    by_person: dict[int, list[Notification]] = {}
    for notification in pending:
        if delivery_of(notification.recipient) == Delivery.DIGEST:
            by_person.setdefault(notification.recipient_id, []).append(notification)
    sent_today = set(
        OutboundEmail.objects.filter(
            key__startswith="digest:", key__endswith=f":{day.isoformat()}"
        ).values_list("recipient_id", flat=True)
    )
    for rows in by_person.values():
        recipient = rows[0].recipient
        if recipient.pk in sent_today:
            continue  # today's digest went already; these wait for tomorrow's
        with transaction.atomic():
            try:
                with transaction.atomic():
                    OutboundEmail.objects.create(
                        key=f"digest:{recipient.pk}:{day.isoformat()}",
                        recipient=recipient,
                        to=recipient.email,
                        subject=f"Handover: {len(rows)} thing{'s' if len(rows) != 1 else ''} to do",
                        body=_email_body(rows),
                        created_at=now,
                    )
            except IntegrityError:
                continue  # today's digest went already; these wait for tomorrow's
            for notification in rows:
                notification.emailed_at = now
                notification.save(update_fields=["emailed_at"])
        people += 1
        told += len(rows)
    return DigestQueued(people, told)


def _email_body(rows: list[Notification]) -> str:
    """Plain text: what to do and the link, no child's name (the record stays behind sign-in)."""
    lines = []
    for notification in rows:
        lines.append(f"* {notification.title}")
        if notification.body:
            lines.append(f"  {notification.body}")
        lines.append(f"  {absolute(notification.url)}")
    lines.append("")
    lines.append(
        "Sign in to Handover to see the details. You can choose how you are told on the Notifications page."
    )
    return "\n".join(lines)
