"""What Handover tells people: in-app notifications (each links to the thing to do and clears when it is done),
their delivery by email (at once or in a daily digest, as each person chooses), and the emails themselves in an
outbox, so a crash between deciding to send and sending loses nothing.

Emails name the work and link to it; they carry the child's Handover reference (person ID), never a child's
name or details: the record stays behind sign-in.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from handover.children.models import Child, FrontDoorContact
from handover.meetings.models import Meeting
from handover.organisation.models import StaffMember
from handover.transfers.models import Escalation, RemedialAction, Transfer


class Delivery(models.TextChoices):
    DIGEST = "digest", "Once a day, in a digest"
    IMMEDIATE = "immediate", "As soon as it happens"
    IN_APP = "in_app", "Only in Handover (no email)"


class NotificationPreference(models.Model):
    staff = models.OneToOneField(
        StaffMember, on_delete=models.PROTECT, related_name="notification_preference"
    )
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.DIGEST)
    history = HistoricalRecords()


class Notification(models.Model):
    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        ESCALATED = "escalated", "Escalated to you"
        STEPPED_DOWN = "stepped_down", "Escalation resolved"
        SHEET = "sheet", "Early warning sheet"
        MINUTES = "minutes", "Meeting minutes"
        AGE_LIST = "age_list", "Cases to list at the meeting"
        CONTACT = "contact", "Contact about a case you hold"

    recipient = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="notifications")
    key = models.CharField(max_length=250, help_text="what it is about, stable: the sweep creates it once")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, help_text="the page where the thing to do is done")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    step = models.CharField(max_length=100, blank=True, help_text="the transfer's deadline step it is about")
    remedial_action = models.ForeignKey(
        RemedialAction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalation = models.ForeignKey(
        Escalation, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    contact = models.ForeignKey(
        FrontDoorContact, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_reason = models.CharField(max_length=200, blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="when it went out by email (or digest)"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_key")]
        indexes = [
            models.Index(fields=["recipient", "cleared_at"]),
            models.Index(fields=["emailed_at", "cleared_at"]),
        ]


class OutboundEmail(models.Model):
    """An email decided on, in the same transaction as what caused it; `deliver` sends it and marks it sent."""

    key = models.CharField(max_length=250, unique=True, help_text="what it is: decided once")
    recipient = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(
        max_length=100, blank=True, help_text="the email provider's id, e.g. Notify's"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["sent_at"])]
