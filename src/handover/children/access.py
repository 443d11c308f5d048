"""A person's relation to a child, worked out once from the records for the rulebook (domain/rulebook.py)."""

from __future__ import annotations

import datetime as dt

from handover.children.models import Child
from handover.domain import rulebook
from handover.domain.roles import SENIOR
from handover.domain.workflow import OPEN_STATES
from handover.organisation.access import AccessDenied, can_write, current_memberships
from handover.organisation.models import StaffMember


def child_relation(staff: StaffMember, child: Child, on: dt.date | None = None) -> rulebook.ChildRelation:
    memberships = current_memberships(staff, on)
    open_allocations = list(child.allocations.filter(end__isnull=True).select_related("team"))
    holding_teams = {a.team_id for a in open_allocations}
    holding_services = {a.team.service_id for a in open_allocations}
    open_transfers = list(
        child.transfers.filter(state__in=[s.value for s in OPEN_STATES]).values_list(
            "to_team_id", "to_service_id"
        )
    )
    receiving_teams = {team for team, _ in open_transfers if team}
    receiving_services = {service for team, service in open_transfers if not team}
    holding, receiving, senior = set(), set(), set()
    for m in memberships:
        if m.team_id is not None:
            if m.team_id in holding_teams:
                holding.add(m.role)
            if m.team_id in receiving_teams or m.team.service_id in receiving_services:
                receiving.add(m.role)
        elif m.role in SENIOR and (m.service_id is None or m.service_id in holding_services):
            senior.add(m.role)
    return rulebook.ChildRelation(
        allocated=any(a.worker_id == staff.pk for a in open_allocations),
        holding_team_roles=frozenset(holding),
        receiving_team_roles=frozenset(receiving),
        senior_roles=frozenset(senior),
        open_transfer=bool(open_transfers),
    )


def require_record_action(
    staff: StaffMember, child: Child, action: rulebook.RecordAction, on: dt.date | None = None
) -> None:
    """Refuse (AccessDenied, naming the rule) a write to the child's record this person may not make."""
    if not can_write(staff, on):
        raise AccessDenied("your roles are read-only")
    refusal = rulebook.record_refusal(action, child_relation(staff, child, on))
    if refusal is not None:
        raise AccessDenied(str(refusal))


def may_take_record_action(
    staff: StaffMember, child: Child, action: rulebook.RecordAction, on: dt.date | None = None
) -> bool:
    """What a page or the API offers: the same answer the service enforces."""
    try:
        require_record_action(staff, child, action, on)
    except AccessDenied:
        return False
    return True
