"""Who may see and do what: one place, used by pages and API alike.

- Every role except administrator may read non-restricted children of its authority (each read is audited);
  a restricted record is visible only to the staff named on it.
- Writes to a transfer are decided by the workflow table (handover.domain.workflow) from the actor's roles on
  each side of that transfer; this module works those roles out.
- Auditors read everything they may see and write nothing.
- An erased record (privacy/erasure.py) is seen by no one: only its tombstone remains, for the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from handover.domain import roles
from handover.domain.errors import AccessDenied
from handover.domain.rulebook import (
    PrivacyAction,
    RecordRefused,
    Standing,
    TeamStanding,
    TeamWrite,
    TransferWrite,
    privacy_refusal,
    team_write_refusal,
    write_refusal,
)
from handover.domain.workflow import Actor
from handover.organisation.models import Membership, StaffMember, Team

READ_ONLY_ROLES = roles.READ_ONLY
NO_CHILD_ACCESS_ROLES = roles.NO_CHILD_ACCESS


def staff_for(user, on: dt.date | None = None) -> StaffMember | None:
    """The signed-in person; `on` (the request's day, from the boundary) is the day their roles are read for."""
    if user is None or not user.is_authenticated:
        return None
    staff = getattr(user, "staff", None)
    if staff is not None and on is not None:
        staff.as_of = on
    return staff


def current_memberships(staff: StaffMember, on: dt.date | None = None) -> list[Membership]:
    """The roles `staff` holds on `on`, by default the day the boundary loaded them for (never the clock)."""
    on = on or getattr(staff, "as_of", None)
    if on is None:
        raise ValueError(f"no day to read {staff}'s roles for: load them with staff_for(user, on=...)")
    cache = getattr(staff, "_memberships_cache", None)
    if cache is not None and cache[0] == on:
        return cache[1]
    memberships = list(
        staff.memberships.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on).select_related(
            "team__service", "service"
        )
    )
    staff._memberships_cache = (on, memberships)
    return memberships


def roles_of(staff: StaffMember, on: dt.date | None = None) -> set[str]:
    return {m.role for m in current_memberships(staff, on)}


def can_read_children(staff: StaffMember | None) -> bool:
    if staff is None or not staff.active:
        return False
    roles = roles_of(staff)
    return bool(roles - NO_CHILD_ACCESS_ROLES)


def _acting_roles(staff: StaffMember, on: dt.date | None) -> frozenset[str]:
    """The roles that count for a write: every role held, less read-only and no-access ones."""
    return frozenset(roles_of(staff, on) - READ_ONLY_ROLES - NO_CHILD_ACCESS_ROLES)


def can_write(staff: StaffMember | None, on: dt.date | None = None) -> bool:
    if staff is None or not staff.active:
        return False
    return bool(_acting_roles(staff, on))


def visible_children(staff: StaffMember | None, queryset: QuerySet) -> QuerySet:
    """Children this person may see: their authority's, restricted ones only where they are named."""
    if not can_read_children(staff):
        return queryset.none()
    # EXISTS, not a join and DISTINCT: used as a subquery (`transfer__child__in=...`), the join made SQLite plan
    # the escalations page's query badly (issue 14). The children app sits above this one: its model is reached
    # through the queryset's.
    named = queryset.model._meta.get_field("restricted_access").related_model.objects.filter(
        child=OuterRef("pk"), staff=staff
    )
    return queryset.filter(authority_id=staff.authority_id, erased_on__isnull=True).filter(
        Q(restricted=False) | Exists(named)
    )


def visible_child_of(staff: StaffMember | None, children: QuerySet, ref: str = "child") -> Exists | Q:
    """A filter for rows (transfers, escalations, allocations) whose child, at the path `ref`, this person may see
    (`visible_children` over `children`, the Child model's queryset), tested per row with EXISTS. As
    `child__in=visible_children(...)`, SQLite planned a list of open work as a walk over every child of the
    authority and their transfers before the state's index (issue 14: 555 ms against 12 ms on the large demo)."""
    if not can_read_children(staff):
        return Q(pk__in=[])
    return Exists(visible_children(staff, children.filter(pk=OuterRef(ref))))


def require_child_access(staff: StaffMember | None, child) -> None:
    if not can_read_children(staff):
        raise AccessDenied("your roles do not give access to children's records")
    if child.authority_id != staff.authority_id:
        raise AccessDenied("this child's record belongs to another authority")
    if child.erased_on is not None:
        raise AccessDenied(
            f"this record was erased on {child.erased_on:%-d %B %Y} at the end of its retention"
        )
    if child.restricted and not child.restricted_access.filter(staff=staff).exists():
        raise AccessDenied("this record is restricted to the staff named on it")


def actor_for(
    staff: StaffMember, *, sending_team, receiving_service, receiving_team=None, on: dt.date | None = None
) -> Actor:
    """The actor's roles on each side of a transfer (workflow.Actor)."""
    sending: set[str] = set()
    receiving: set[str] = set()
    other: set[str] = set()
    for m in current_memberships(staff, on):
        if m.role in READ_ONLY_ROLES or m.role in NO_CHILD_ACCESS_ROLES:
            continue
        if m.team_id is not None:
            if m.team_id == sending_team.pk:
                sending.add(m.role)
            in_receiving = (
                m.team_id == receiving_team.pk
                if receiving_team is not None
                else m.team.service_id == receiving_service.pk
            )
            if in_receiving:
                receiving.add(m.role)
        elif m.service_id is None or m.service_id in (sending_team.service_id, receiving_service.pk):
            # Authority-wide roles (head of service, director), and service-wide ones for the two services.
            other.add(m.role)
    return Actor(frozenset(sending), frozenset(receiving), frozenset(other))


def actor_on_transfer(staff: StaffMember, transfer, on: dt.date | None = None) -> Actor:
    """The actor's roles on each side of this transfer."""
    return actor_for(
        staff,
        on=on,
        sending_team=transfer.from_team,
        receiving_service=transfer.to_service,
        receiving_team=transfer.to_team,
    )


def standing_on_transfer(
    staff: StaffMember,
    transfer,
    on: dt.date | None = None,
    *,
    meeting=None,
    remedial_action=None,
    escalation=None,
) -> Standing:
    """The person's standing on a transfer (or a proposal: anything with from_team, to_service, to_team and
    from_allocation), for the rulebook's writes."""
    actor = actor_on_transfer(staff, transfer, on)
    allocation = getattr(transfer, "from_allocation", None)
    return Standing(
        sending_roles=actor.sending_roles,
        receiving_roles=actor.receiving_roles,
        held_roles=_acting_roles(staff, on),
        allocated_worker=allocation is not None and allocation.worker_id == staff.pk,
        chairs_meeting=meeting is not None and meeting.chair_id == staff.pk,
        owns_action=remedial_action is not None and remedial_action.owner_id == staff.pk,
        holds_escalation=escalation is not None and escalation.role in actor.all_roles,
    )


def require_write(
    staff: StaffMember,
    write: TransferWrite,
    transfer,
    on: dt.date | None = None,
    *,
    meeting=None,
    remedial_action=None,
    escalation=None,
) -> None:
    """Refuse (AccessDenied, naming the rule) a write around a transfer this person may not make."""
    if not can_write(staff, on):
        raise AccessDenied("your roles are read-only")
    standing = standing_on_transfer(
        staff, transfer, on, meeting=meeting, remedial_action=remedial_action, escalation=escalation
    )
    refusal = write_refusal(write, standing)
    if refusal is not None:
        raise AccessDenied(str(refusal), rule=refusal.rule)


def may(
    staff: StaffMember | None,
    write: TransferWrite,
    transfer,
    on: dt.date | None = None,
    *,
    meeting=None,
    remedial_action=None,
    escalation=None,
) -> bool:
    """What a page or the API offers: the answer the service will enforce."""
    if staff is None:
        return False
    try:
        require_write(
            staff,
            write,
            transfer,
            on,
            meeting=meeting,
            remedial_action=remedial_action,
            escalation=escalation,
        )
    except AccessDenied:
        return False
    return True


def require_meeting_write(
    staff: StaffMember, write: TransferWrite, meeting, on: dt.date | None = None
) -> None:
    """Refuse a write about a meeting as a whole (closing it, compiling its sheet) this person may not make."""
    if staff.authority_id != meeting.authority_id:
        raise AccessDenied("that meeting is another authority's")
    if not can_write(staff, on):
        raise AccessDenied("your roles are read-only")
    standing = Standing(
        held_roles=_acting_roles(staff, on),
        chairs_meeting=meeting.chair_id == staff.pk,
    )
    refusal = write_refusal(write, standing)
    if refusal is not None:
        raise AccessDenied(str(refusal), rule=refusal.rule)


def may_at_meeting(staff: StaffMember | None, write: TransferWrite, meeting) -> bool:
    if staff is None:
        return False
    try:
        require_meeting_write(staff, write, meeting)
    except AccessDenied:
        return False
    return True


def require_team_write(staff: StaffMember, write: TeamWrite, team, on: dt.date | None = None) -> None:
    """Refuse a write about a team's caseload (reassigning, case requests, bulk moves) this person may not make."""
    if not can_write(staff, on):
        raise AccessDenied("your roles are read-only")
    memberships = current_memberships(staff, on)
    standing = TeamStanding(
        team_roles=frozenset(m.role for m in memberships if m.team_id == team.pk),
        held_roles=_acting_roles(staff, on),
    )
    refusal = team_write_refusal(write, standing, str(team))
    if refusal is not None:
        raise AccessDenied(str(refusal), rule=refusal.rule)


def may_team_write(staff: StaffMember | None, write: TeamWrite, team, on: dt.date | None = None) -> bool:
    """What a page offers about a team's caseload: the answer `require_team_write` will enforce."""
    if staff is None or team is None:
        return False
    try:
        require_team_write(staff, write, team, on)
    except AccessDenied:
        return False
    return True


def require_staff_write(
    staff: StaffMember, write: TeamWrite, subject: StaffMember, on: dt.date | None = None
) -> None:
    """Refuse a write about a member of staff (their professional registration) unless this person may make it
    for one of the teams `subject` works in (a senior manager: whatever their teams)."""
    if not can_write(staff, on):
        raise AccessDenied("your roles are read-only")
    if subject.authority_id != staff.authority_id:
        raise AccessDenied(f"{subject} is not staff of {staff.authority}")
    mine = current_memberships(staff, on)
    held = _acting_roles(staff, on)
    teams = [
        m.team for m in current_memberships(subject, on or getattr(staff, "as_of", None)) if m.team_id
    ] or [None]
    refusal = None
    for team in teams:
        standing = TeamStanding(
            team_roles=frozenset(m.role for m in mine if team is not None and m.team_id == team.pk),
            held_roles=held,
        )
        refusal = team_write_refusal(write, standing, str(team) if team else f"{subject}'s team")
        if refusal is None:
            return
    raise AccessDenied(str(refusal), rule=refusal.rule)


# -- data protection (docs/privacy.md) ---------------------------------------------------------------------------


def privacy_refusal_for(
    staff: StaffMember | None, action: PrivacyAction, on: dt.date | None = None
) -> RecordRefused | None:
    """Why this person may not take a data protection action (the rulebook's answer for the roles they hold
    anywhere in the authority on the day), or None if they may."""
    if staff is None or not staff.active:
        return privacy_refusal(action, frozenset())
    return privacy_refusal(action, frozenset(roles_of(staff, on)))


def may_privacy_action(staff: StaffMember | None, action: PrivacyAction, on: dt.date | None = None) -> bool:
    return privacy_refusal_for(staff, action, on) is None


# -- pages a person may open ---------------------------------------------------------------------------------


def managed_teams(staff: StaffMember, on: dt.date | None = None) -> list[Team]:
    """The teams this person manages (team manager or practice manager) on the day."""
    return [m.team for m in current_memberships(staff, on) if m.team_id and m.role in roles.MANAGERS]


def _senior(staff: StaffMember, on: dt.date | None = None) -> bool:
    return bool(roles_of(staff, on) & roles.SENIOR)


def may_open_team_page(staff: StaffMember | None, on: dt.date | None = None) -> bool:
    """The team page is for the managers of a team (their own teams) and senior managers (every team); the
    navigation shows its link to them only, and the page refuses everyone else."""
    if staff is None or not staff.active:
        return False
    return bool(managed_teams(staff, on)) or _senior(staff, on)


def team_page_teams(staff: StaffMember, on: dt.date | None = None) -> list[Team]:
    """The teams whose page this person may open: those they manage, else (a senior manager) every active team
    of the authority's own services; none for anyone else."""
    if not may_open_team_page(staff, on):
        return []
    return managed_teams(staff, on) or list(
        Team.objects.filter(service__authority=staff.authority, active=True, service__external=False)
    )


@dataclass(frozen=True)
class OverviewScope:
    """What a senior manager's overview covers: `services` (ids), or the whole authority when None."""

    services: frozenset[int] | None

    @property
    def whole_authority(self) -> bool:
        return self.services is None


# Heads of service and the director answer for the whole authority's transfers (D-032, C-008: the top of the
# ladder); a service manager for their own service.
_AUTHORITY_WIDE = frozenset({roles.RoleName.HEAD_OF_SERVICE, roles.RoleName.SERVICE_DIRECTOR})


def overview_scope(staff: StaffMember | None, on: dt.date | None = None) -> OverviewScope | None:
    """Whether this person may open the service-wide and authority-wide overview, and over what: a head of
    service or the director, the whole authority; a service manager, the services they manage (the whole
    authority where their role is not tied to one service); anyone else, None."""
    if staff is None or not staff.active:
        return None
    memberships = [m for m in current_memberships(staff, on) if m.role in roles.SENIOR]
    if not memberships:
        return None
    if any(m.role in _AUTHORITY_WIDE or m.service_id is None for m in memberships):
        return OverviewScope(None)
    return OverviewScope(frozenset(m.service_id for m in memberships))


def may_confirm_item(
    staff: StaffMember | None, transfer, confirmed_by: str, on: dt.date | None = None
) -> bool:
    """Whether this person may confirm a checklist item the protocol has confirmed by the role `confirmed_by`:
    that role, or a manager where it is a manager's or a social worker's item, in the sending or receiving team
    (the rule `transfers.services.transfer_confirm_item` enforces)."""
    if staff is None or not can_write(staff, on):
        return False
    actor = actor_on_transfer(staff, transfer, on)
    acceptable = {confirmed_by}
    if confirmed_by in roles.MANAGERS or confirmed_by == roles.RoleName.SOCIAL_WORKER:
        acceptable |= roles.MANAGERS
    return bool((actor.sending_roles | actor.receiving_roles) & acceptable)


def may_see_worker(viewer: StaffMember | None, subject: StaffMember, on: dt.date | None = None) -> bool:
    """Who may open a worker's page (their caseload, the transfers to and from them): the worker themselves; a
    team manager or practice manager of a team the worker is in, or holds a case in, on the day; and the
    authority's senior managers (service manager, head of service, director), as for the team page."""
    if viewer is None or not viewer.active or subject.authority_id != viewer.authority_id:
        return False
    if viewer.pk == subject.pk:
        return True
    mine = current_memberships(viewer, on)
    if any(m.role in roles.SENIOR for m in mine):
        return True
    managed = {m.team_id for m in mine if m.team_id and m.role in roles.MANAGERS}
    if not managed:
        return False
    day = on or viewer.as_of
    if any(m.team_id in managed for m in current_memberships(subject, day)):
        return True
    # A case still held in the team by someone who has since left it: its managers answer for it.
    return subject.allocations.filter(team_id__in=managed, end__isnull=True).exists()
