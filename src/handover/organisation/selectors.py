"""Reads about the organisation that services in several apps need."""

from __future__ import annotations

import datetime as dt

from handover.organisation.models import CASE_HOLDING_ROLES, StaffMember, Team


def eligible_workers(team: Team, *, on: dt.date):
    """Active staff holding a case-holding role in `team` on `on`."""
    return (
        StaffMember.objects.filter(
            active=True,
            memberships__team=team,
            memberships__role__in=[r.value for r in CASE_HOLDING_ROLES],
            memberships__start__lte=on,
        )
        .exclude(memberships__team=team, memberships__end__lt=on)
        .distinct()
    )
