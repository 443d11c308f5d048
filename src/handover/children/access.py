"""A person's relation to a child, worked out once from the records for the rulebook (domain/rulebook.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch

from handover.children.models import Allocation, AllocationKind, Child
from handover.domain import rulebook
from handover.domain.roles import SENIOR
from handover.domain.workflow import OPEN_STATES
from handover.organisation.access import AccessDenied, can_write, current_memberships
from handover.organisation.models import StaffMember, Team

_OPEN = [s.value for s in OPEN_STATES]


def with_relation_data(prefix: str = "") -> list[Prefetch]:
    """The prefetches that let `child_relation` answer for each child of a list without a query: the child's
    open allocations with their teams, and its open transfers. `prefix` is the path to the child ("child__").
    Kept apart (`to_attr`), so the child's own `allocations` and `transfers` still give every row."""
    transfer = Child._meta.get_field("transfers").related_model  # the transfers app sits above this one
    return [
        Prefetch(
            f"{prefix}allocations",
            queryset=Allocation.objects.filter(end__isnull=True).select_related("team"),
            to_attr="relation_open_allocations",
        ),
        Prefetch(
            f"{prefix}transfers",
            queryset=transfer.objects.filter(state__in=_OPEN).only(
                "pk", "child_id", "to_team_id", "to_service_id"
            ),
            to_attr="relation_open_transfers",
        ),
    ]


def child_relation(
    staff: StaffMember, child: Child, on: dt.date | None = None, *, providing_team: Team | None = None
) -> rulebook.ChildRelation:
    """`providing_team`: the team providing a secondary allocation's worker, for that write."""
    memberships = current_memberships(staff, on)
    # A list page that asks for many children prefetches both (`with_relation_data`): no query per child then.
    if hasattr(child, "relation_open_allocations"):
        open_allocations = child.relation_open_allocations
    else:
        open_allocations = list(child.allocations.filter(end__isnull=True).select_related("team"))
    case_teams = {a.team_id for a in open_allocations if a.kind == AllocationKind.PRIMARY}
    holding_teams = {a.team_id for a in open_allocations}
    holding_services = {a.team.service_id for a in open_allocations}
    if hasattr(child, "relation_open_transfers"):
        open_transfers = [(t.to_team_id, t.to_service_id) for t in child.relation_open_transfers]
    else:
        open_transfers = list(
            child.transfers.filter(state__in=_OPEN).values_list("to_team_id", "to_service_id")
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
        case_team_roles=frozenset(m.role for m in memberships if m.team_id in case_teams),
        providing_team_roles=frozenset(
            m.role for m in memberships if providing_team is not None and m.team_id == providing_team.pk
        ),
    )


def require_record_action(
    staff: StaffMember,
    child: Child,
    action: rulebook.RecordAction,
    on: dt.date | None = None,
    *,
    providing_team: Team | None = None,
) -> None:
    """Refuse (AccessDenied, naming the rule) a write to the child's record this person may not make."""
    if not can_write(staff, on):
        raise AccessDenied("your roles are read-only")
    refusal = rulebook.record_refusal(action, child_relation(staff, child, on, providing_team=providing_team))
    if refusal is not None:
        raise AccessDenied(str(refusal), rule=refusal.rule)


def may_take_record_action(
    staff: StaffMember,
    child: Child,
    action: rulebook.RecordAction,
    on: dt.date | None = None,
    *,
    providing_team: Team | None = None,
) -> bool:
    """What a page or the API offers: the same answer the service enforces."""
    try:
        require_record_action(staff, child, action, on, providing_team=providing_team)
    except AccessDenied:
        return False
    return True
