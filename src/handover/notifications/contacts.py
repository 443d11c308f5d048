"""Telling a team about a contact the front door passed to it (a child already open there): the allocated worker
and the team's managers, once each, until someone in the team has read it. Emails name the child by person ID
only, as every notification does."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from handover.children.models import FrontDoorContact
from handover.children.selectors import current_primary
from handover.notifications.models import Notification
from handover.notifications.services import notify
from handover.organisation.models import MANAGER_ROLES, StaffMember


def contact_passed_on_notify(sender, *, contact: FrontDoorContact, now, **kwargs) -> None:
    held = current_primary(contact.child)
    today = timezone.localtime(now).date()
    managers = StaffMember.objects.filter(
        Q(memberships__end__isnull=True) | Q(memberships__end__gte=today),
        memberships__team=contact.passed_to,
        memberships__role__in=list(MANAGER_ROLES),
        memberships__start__lte=today,
        active=True,
    ).distinct()
    people = {p.pk: p for p in managers}
    if held is not None and held.worker is not None:
        people[held.worker.pk] = held.worker
    for person in people.values():
        notify(
            recipient=person,
            key=f"contact:{contact.pk}",
            kind=Notification.Kind.CONTACT,
            title=f"Contact received at {contact.team} about person ID {contact.child.identifier}",
            body=f"Received on {contact.received_on:%-d %B %Y}; passed to {contact.passed_to}, which holds the case.",
            url=reverse("web:child", args=[contact.child_id]),
            now=now,
            child=contact.child,
            contact=contact,
        )
