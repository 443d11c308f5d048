"""Reads about the organisation that services in several apps need."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from handover.domain.roles import SENIORITY
from handover.organisation.models import CASE_HOLDING_ROLES, Membership, Role, StaffMember, Team


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


# -- who took a decision, in words ------------------------------------------------------------------------------


def with_memberships(lookup: str = "") -> Prefetch:
    """The prefetch `name_with_role` reads, for the staff at `lookup` (e.g. "actor", "decided_by"; "" for a
    queryset of staff): every membership with its team and service, so a list of decisions costs two queries
    however long it is."""
    return Prefetch(
        f"{lookup}__memberships" if lookup else "memberships",
        queryset=Membership.objects.select_related("team", "service"),
    )


def held_on(staff: StaffMember, on: dt.date) -> list[Membership]:
    """The roles `staff` held on `on`, most senior first, from `staff.memberships.all()` (so a prefetch by
    `with_memberships` serves it: no query per person)."""
    held = [m for m in staff.memberships.all() if m.start <= on and (m.end is None or m.end >= on)]
    return sorted(
        held,
        key=lambda m: (-SENIORITY.get(m.role, 0), m.role, _where(m), m.pk),
    )


def _where(membership: Membership) -> str:
    if membership.team_id:
        return membership.team.name
    if membership.service_id:
        return membership.service.name
    return ""  # an authority-wide role (head of service, director)


def role_in_words(membership: Membership) -> str:
    """ "Team manager, Assessment Team East"; "Service director" for a role across the authority."""
    try:
        role = Role(membership.role).label
    except ValueError:
        role = membership.role.replace("_", " ").capitalize()
    where = _where(membership)
    return f"{role}, {where}" if where else role


def name_with_role(staff: StaffMember | None, on: dt.date | dt.datetime) -> str:
    """Who took a decision or an action, as people read it: "Name, Role, Team", with the role and team they
    held on that day (memberships have dates: a manager who has since moved on is shown as they were). Several
    roles that day: each, most senior first, separated by semicolons. None: "" (the caller says who else)."""
    if staff is None:
        return ""
    if isinstance(on, dt.datetime):
        on = timezone.localtime(on).date()
    roles = [role_in_words(m) for m in held_on(staff, on)]
    return ", ".join([staff.name, "; ".join(roles)]) if roles else staff.name
