"""Reads for pages: a person's notifications (still to do, and done recently), how many are still to do (the
header's count), and the reminders sent about a child (its record's timeline). Each writes nothing.

A notification about a child the person may not see (a restricted record they are not named on) is not there
for them: not listed, not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Min, Q, QuerySet

from handover.children.models import Child
from handover.notifications.models import Notification
from handover.notifications.services import delivery_of, still_to_do
from handover.organisation.access import visible_children
from handover.organisation.models import StaffMember

DONE_RECENTLY = dt.timedelta(days=14)
REMINDER_KINDS = (Notification.Kind.DUE_SOON, Notification.Kind.OVERDUE)


def _theirs(staff: StaffMember) -> QuerySet[Notification]:
    children = visible_children(staff, Child.objects.all())
    return Notification.objects.filter(recipient=staff).filter(Q(child__isnull=True) | Q(child__in=children))


def notifications_to_do_count(staff: StaffMember) -> int:
    """How many of the person's notifications are still to do (one query)."""
    return _theirs(staff).filter(still_to_do()).count()


@dataclass(frozen=True)
class NotificationsPage:
    to_do: list[Notification]
    done_recently: list[Notification]
    delivery: str


def notifications_for(staff: StaffMember, *, now: dt.datetime) -> NotificationsPage:
    """The person's notifications still to do, newest first; those done (cleared, or their work done) in the last
    14 days; and their choice of delivery."""
    rows = _theirs(staff).select_related("child")
    to_do = list(rows.filter(still_to_do()).order_by("-created_at", "-pk"))
    since = now - DONE_RECENTLY
    # Done but not cleared yet: the work was done since the sweep last ran (it clears them within minutes).
    done_recently = list(
        rows.exclude(pk__in=Notification.objects.filter(still_to_do()).values("pk"))
        .filter(Q(cleared_at__gte=since) | Q(cleared_at__isnull=True))
        .order_by("-created_at", "-pk")
    )
    return NotificationsPage(to_do, done_recently, delivery_of(staff))


@dataclass(frozen=True)
class ReminderSent:
    at: dt.datetime
    title: str


def reminders_about(child: Child) -> list[ReminderSent]:
    """The reminders sent about the child's transfers (due soon, overdue): one per reminder, however many people
    it went to, dated when it first went."""
    rows = (
        Notification.objects.filter(child=child, kind__in=REMINDER_KINDS)
        .values("key", "title")
        .annotate(at=Min("created_at"))
        .order_by("at")
    )
    seen: set[str] = set()
    sent = []
    for row in rows:
        if row["key"] in seen:
            continue
        seen.add(row["key"])
        sent.append(ReminderSent(row["at"], row["title"]))
    return sent
