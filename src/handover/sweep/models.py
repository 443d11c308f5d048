"""A record of each sweep: when it ran, for which day, what it found and did, and whether it finished."""

from __future__ import annotations

from django.db import models


class SweepRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    today = models.DateField()
    found = models.JSONField(default=dict, blank=True, help_text="counts by standing: due soon, overdue, ...")
    done = models.JSONField(
        default=dict, blank=True, help_text="counts of what it did: reminders, escalations"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]


class SweepWatch(models.Model):
    """The day the sweep last judged a transfer's work, and how many times that work has changed.

    A transfer's standings (due soon, overdue, the next escalation level) change only with the date or with its
    records, so one judgement a day is enough unless something changes: every save of the transfer, its
    deadlines, remedial actions or escalations, or the child's documents and key events, counts a change and
    clears `looked_on` (`sweep.watch`). The sweep judges only transfers not looked at today, and writes
    `looked_on` after acting; a change counted while it was judging puts the transfer back for the next run."""

    transfer = models.OneToOneField(
        "transfers.Transfer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    looked_on = models.DateField(null=True, blank=True)
    changes = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["looked_on"], name="sweep_watch_looked_on")]


class MeetingsWatch(models.Model):
    """The day the sweep last prepared an authority's meetings (sittings opened, sheets compiled, papers sent),
    and how many times what they depend on has changed: the meetings and their sheets and attendees, the staff
    and their memberships (who gets the papers), the protocol version. Open transfers changing count through
    `SweepWatch` (the sweep prepares the meetings again on any run that judged a transfer)."""

    authority = models.OneToOneField(
        "organisation.Authority", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    looked_on = models.DateField(null=True, blank=True)
    changes = models.PositiveBigIntegerField(default=0)
