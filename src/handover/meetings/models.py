"""Sittings of the protocol's transfer meetings and the cases on their early warning sheets."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from handover.organisation.models import Authority, StaffMember
from handover.transfers.models import Transfer


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="meetings")
    meeting = models.CharField(max_length=60, help_text="the meeting's id in the protocol file")
    sits_on = models.DateField()
    cutoff = models.DateField(help_text="cases identified after this day join only as late additions")
    chair = models.ForeignKey(StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    attendees = models.ManyToManyField(StaffMember, blank=True, related_name="meetings_attended")
    minutes = models.TextField(blank=True)
    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["sits_on"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "meeting", "sits_on"], name="one_sitting_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.sits_on:%-d %B %Y}"

    @property
    def name(self) -> str:
        """The meeting's name as the protocol file gives it (e.g. "Weekly transfer meeting")."""
        from handover.organisation.protocol import (
            protocol_for,  # the protocol is cached; import late to avoid a cycle
        )

        spec = protocol_for(self.authority).meetings.get(self.meeting)
        return spec.name if spec else self.meeting


class Decision(models.TextChoices):
    PENDING = "pending", "Not discussed yet"
    AGREED = "agreed", "Agreed"
    AGREED_ALTERNATIVE = "agreed_alternative", "Agreed with an alternative transfer point"
    DEFERRED = "deferred", "Deferred"
    DECLINED = "declined", "Declined"


class MeetingItem(models.Model):
    """One case on a meeting's early warning sheet, and what the meeting decided about it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="meeting_items")
    late_addition = models.BooleanField(default=False)
    late_agreed_by_sending = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    late_agreed_by_receiving = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(max_length=30, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    alternative_transfer_point = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "transfer"], name="one_item_per_transfer")]
