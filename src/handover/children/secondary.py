"""Secondary allocations with a purpose: a worker beside the team holding the child's case.

The purposes are the protocol's (`secondary_allocations` in its file: Dorset's CSE and missing, D-082, family
finding, D-126, personal adviser, D-133/D-140/D-141; Central Bedfordshire's joint working, C-029, C-030, C-035),
each with the role its worker holds and the services that may provide one. The allocation keeps the purpose's id
in `Allocation.purpose`; people read its name.

Writes (`secondary_allocation_start`, `secondary_allocation_end`) are atomic and audited, and ask the rulebook
(`RecordAction.SECONDARY_ALLOCATION`: a manager of the team holding the case or of the team providing the worker).
Reads (`secondary_allocations_shown`, `teams_offered`) write nothing; the page or endpoint audits its read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.children.access import may_take_record_action, require_record_action
from handover.children.models import Allocation, AllocationKind, ChangeReason, Child
from handover.children.workers import require_qualified_worker
from handover.domain.errors import ApplicationError
from handover.domain.protocol.model import Protocol
from handover.domain.protocol.schema import SecondaryAllocation
from handover.domain.roles import MANAGERS
from handover.domain.rulebook import RecordAction
from handover.organisation.access import can_write, current_memberships
from handover.organisation.models import CASE_HOLDING_ROLES, Membership, Role, StaffMember, Team
from handover.organisation.protocol import protocol_for

ACTION = RecordAction.SECONDARY_ALLOCATION


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _role_words(role: str) -> str:
    return Role(role).label.lower() if role in Role.values else role.replace("_", " ")


def purposes(protocol: Protocol) -> dict[str, SecondaryAllocation]:
    """The protocol's purposes, by id, in file order."""
    return protocol.secondary_allocations


def purpose_in_words(protocol: Protocol, allocation: Allocation) -> str:
    """The allocation's purpose as people read it: the protocol's name; for one a transfer started (no purpose
    recorded), the worker's role."""
    item = protocol.secondary_allocations.get(allocation.purpose)
    if item is not None:
        return item.name
    if allocation.purpose:
        return allocation.purpose.replace("_", " ").capitalize()
    return Role(allocation.role).label if allocation.role in Role.values else "Secondary allocation"


def services_in_words(item: SecondaryAllocation, protocol: Protocol) -> str:
    if not item.services:
        return "any team"
    return " or ".join(protocol.services[s].name for s in item.services if s in protocol.services)


def _allowed_team(item: SecondaryAllocation, team: Team) -> bool:
    return not item.services or team.service.code in item.services


# -- writes ---------------------------------------------------------------------------------------------------


def secondary_allocation_start(
    *,
    actor: StaffMember,
    child: Child,
    purpose: str,
    team: Team,
    worker: StaffMember,
    start: dt.date,
    reason: str,
    now: dt.datetime,
) -> Allocation:
    """Start a secondary allocation of `worker` in `team` for one of the protocol's purposes, from `start`.

    Refused (nothing written) unless the actor is a manager of the team holding the case or of `team`; and, by
    field, unless the purpose is the protocol's, the team is of a service the purpose allows, the worker is an
    active member of the team in the purpose's role (a registered social worker where the protocol requires one,
    D-026), the start is neither in the future nor before the child's birth, the reason is an SSDA903 reason, and
    the worker has no open allocation for the same purpose already."""
    today = timezone.localtime(now).date()
    require_record_action(actor, child, ACTION, today, providing_team=team)
    protocol = protocol_for(child.authority)
    errors: dict[str, str] = {}
    item = protocol.secondary_allocations.get(purpose)
    if item is None:
        known = ", ".join(p.name for p in protocol.secondary_allocations.values()) or "none"
        errors["purpose"] = (
            f"{purpose!r} is not a purpose of a secondary allocation in the {protocol.file.authority.name} "
            f"protocol (its purposes: {known})"
        )
    if child.closed_on:
        errors["child"] = f"the child's record was closed on {_day(child.closed_on)}"
    if team.service.authority_id != child.authority_id:
        errors["team"] = f"{team} belongs to another authority"
    elif not team.active:
        errors["team"] = f"{team} is no longer an active team"
    elif item is not None and not _allowed_team(item, team):
        errors["team"] = (
            f"{team} does not provide allocations for {item.name}: the protocol "
            f"({', '.join(item.cites)}) names {services_in_words(item, protocol)}"
        )
    if start > today:
        errors["start"] = "the start date must be today or in the past"
    elif child.date_of_birth and start < child.date_of_birth:
        errors["start"] = (
            f"the start date cannot be before the child's date of birth ({_day(child.date_of_birth)})"
        )
    if reason not in ChangeReason.values:
        errors["reason"] = "select the reason the allocation starts from the list (the SSDA903 reasons)"
    if item is not None and "team" not in errors:
        role = item.who.value
        member = (
            Membership.objects.filter(staff=worker, team=team, role=role, start__lte=start)
            .filter(Q(end__isnull=True) | Q(end__gte=max(start, today)))
            .exists()
        )
        if not (worker.active and member):
            errors["worker"] = (
                f"{worker} is not an active {_role_words(role)} in {team}: an allocation for {item.name} "
                f"needs a {_role_words(role)}"
            )
        elif "start" not in errors:
            try:
                require_qualified_worker(
                    field="worker",
                    worker=worker,
                    child=child,
                    on=start,
                    protocol=protocol,
                    kind=AllocationKind.SECONDARY,
                    role=role,
                )
            except ApplicationError as exc:
                errors.update(exc.errors)
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        Child.objects.select_for_update().get(pk=child.pk)  # two starts at once: the second sees the first
        open_one = Allocation.objects.filter(
            child=child, kind=AllocationKind.SECONDARY, purpose=item.id, worker=worker, end__isnull=True
        ).first()
        if open_one is not None:
            raise ApplicationError(
                {
                    "worker": f"{worker} already has an open allocation for {item.name} with this child "
                    f"(since {_day(open_one.start)})"
                }
            )
        allocation = Allocation.objects.create(
            child=child,
            kind=AllocationKind.SECONDARY,
            team=team,
            worker=worker,
            role=item.who.value,
            purpose=item.id,
            start=start,
            start_reason=reason,
        )
        audit_record(
            actor=actor,
            verb=Verb.ALLOCATION_STARTED,
            at=now,
            child=child,
            obj=allocation,
            after=snapshot(allocation),
            detail=f"Secondary allocation: {item.name}, {team}, {worker} from {_day(start)} "
            f"({reason}: {ChangeReason(reason).label}; {', '.join(item.cites)})",
        )
    return allocation


def secondary_allocation_end(
    *, actor: StaffMember, allocation: Allocation, end: dt.date, reason: str, now: dt.datetime
) -> Allocation:
    """End an open secondary allocation on `end` (not before it started, not in the future) with an SSDA903
    reason; by a manager of the team holding the case or of the team providing the worker. Nothing is deleted."""
    today = timezone.localtime(now).date()
    child = allocation.child
    require_record_action(actor, child, ACTION, today, providing_team=allocation.team)
    errors: dict[str, str] = {}
    if allocation.kind != AllocationKind.SECONDARY:
        errors["allocation"] = (
            "only a secondary allocation ends here: the case holder changes by a transfer or a reassignment"
        )
    if end > today:
        errors["end"] = "the end date must be today or in the past"
    elif end < allocation.start:
        errors["end"] = f"the end date cannot be before the allocation started ({_day(allocation.start)})"
    if reason not in ChangeReason.values:
        errors["reason"] = "select the reason the allocation ends from the list (the SSDA903 reasons)"
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        current = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if current.end is not None:
            raise ApplicationError({"allocation": f"this allocation already ended on {_day(current.end)}"})
        before = snapshot(current)
        current.end, current.end_reason = end, reason
        current.save()
        audit_record(
            actor=actor,
            verb=Verb.ALLOCATION_ENDED,
            at=now,
            child=child,
            obj=current,
            before=before,
            after=snapshot(current),
            detail=f"Secondary allocation ended: {purpose_in_words(protocol_for(child.authority), current)}, "
            f"{current.team}, {current.worker or 'no worker'} on {_day(end)} "
            f"({reason}: {ChangeReason(reason).label})",
        )
    return current


# -- reads (write nothing) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondaryRow:
    allocation: Allocation
    purpose: str  # in words
    may_end: bool


def secondary_allocations_shown(staff: StaffMember, child: Child, on: dt.date) -> list[SecondaryRow]:
    """The child's secondary allocations, open first then ended (latest first), with their purpose in words and
    whether this person may end each (the rulebook's answer)."""
    protocol = protocol_for(child.authority)
    rows = list(
        child.allocations.filter(kind=AllocationKind.SECONDARY)
        .select_related("team__service", "worker")
        .order_by("-start", "-pk")
    )
    rows.sort(key=lambda a: a.end is not None)
    writes = can_write(staff, on)
    by_team: dict[int, bool] = {}
    out = []
    for allocation in rows:
        may_end = False
        if writes and allocation.end is None:
            if allocation.team_id not in by_team:
                by_team[allocation.team_id] = may_take_record_action(
                    staff, child, ACTION, on, providing_team=allocation.team
                )
            may_end = by_team[allocation.team_id]
        out.append(SecondaryRow(allocation, purpose_in_words(protocol, allocation), may_end))
    return out


def teams_offered(staff: StaffMember, child: Child, on: dt.date) -> list[Team]:
    """The teams this person may start a secondary allocation with, for some purpose of the protocol: every
    active team of a service a purpose allows, for a manager of the team holding the case; otherwise the teams
    of such services this person manages. Empty: they may start none (the page offers no link)."""
    protocol = protocol_for(child.authority)
    if child.closed_on or not protocol.secondary_allocations or not can_write(staff, on):
        return []
    teams = Team.objects.filter(service__authority=child.authority, active=True).select_related("service")
    if all(item.services for item in protocol.secondary_allocations.values()):
        allowed = {s for item in protocol.secondary_allocations.values() for s in item.services}
        teams = teams.filter(service__code__in=allowed)
    teams = teams.order_by("service__name", "name")
    if may_take_record_action(staff, child, ACTION, on):
        return list(teams)
    managed = {m.team_id for m in current_memberships(staff, on) if m.team_id and m.role in MANAGERS}
    return [
        team
        for team in teams
        if team.pk in managed and may_take_record_action(staff, child, ACTION, on, providing_team=team)
    ]


def workers_offered(teams: list[Team], on: dt.date) -> list[tuple[StaffMember, str]]:
    """Active staff holding a case-holding role in any of `teams` on `on`, each with the teams and roles in
    words, for the page's list of workers (the service checks the team and the purpose's role)."""
    memberships = (
        Membership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=on),
            team__in=teams,
            role__in=[r.value for r in CASE_HOLDING_ROLES],
            start__lte=on,
            staff__active=True,
        )
        .select_related("staff", "team")
        .order_by("staff__name", "staff_id", "team__name")
    )
    found: dict[int, tuple[StaffMember, list[str]]] = {}
    for m in memberships:
        found.setdefault(m.staff_id, (m.staff, []))[1].append(f"{_role_words(m.role)}, {m.team}")
    return [(staff, "; ".join(held)) for staff, held in found.values()]
