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
