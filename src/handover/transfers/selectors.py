"""Reads for pages: each returns what one part of a page shows, with its related rows fetched up front."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from handover.children.models import Allocation, Child
from handover.domain.workflow import OPEN_STATES
from handover.organisation.access import current_memberships, visible_children
from handover.organisation.models import StaffMember
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.transfers.models import Escalation, RemedialAction, Transfer, TransferEvent
from handover.transfers.services import transfer_available_actions


@dataclass(frozen=True)
class Due:
    """A due date with working days left (negative when overdue), in the authority's calendar."""

    date: dt.date | None
    working_days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0


def due(staff: StaffMember, date: dt.date | None, today: dt.date, transfer: Transfer | None = None) -> Due:
    """Working days to `date` in the calendar of the transfer's protocol version (else the authority's)."""
    if date is None:
        return Due(None, None)
    protocol = protocol_for_transfer(transfer) if transfer is not None else protocol_for(staff.authority)
    return Due(date, protocol.calendar.working_days_between(today, date))


def my_cases(staff: StaffMember) -> list[Allocation]:
    """The person's open cases; a restricted record they are not named on is not there, even if theirs."""
    return list(
        Allocation.objects.filter(
            worker=staff, end__isnull=True, child__in=visible_children(staff, Child.objects.all())
        )
        .select_related("child", "team")
        .order_by("child__last_name", "child__first_name")
    )


def transfers_waiting_on(staff: StaffMember, today: dt.date) -> list[tuple[Transfer, list[str], Due]]:
    """Open transfers touching the person's teams or services where they can act now, soonest deadline first."""
    teams = [m.team_id for m in current_memberships(staff) if m.team_id]
    services = [m.service_id for m in current_memberships(staff) if m.service_id]
    children = visible_children(staff, Child.objects.all())
    candidates = (
        Transfer.objects.filter(state__in=[s.value for s in OPEN_STATES], child__in=children)
        .filter(
            Q(from_team_id__in=teams)
            | Q(to_team_id__in=teams)
            | Q(to_service__teams__in=teams, to_team__isnull=True)
            | Q(to_service_id__in=services)
            | Q(from_team__service_id__in=services)
            | Q(receiving_worker=staff)
        )
        .distinct()
        .select_related("child__authority", "from_team__service", "to_service", "to_team", "from_allocation")
        .prefetch_related("deadlines")
    )
    waiting = []
    for transfer in candidates:
        actions = [a.value for a in transfer_available_actions(staff, transfer)]
        if not actions:
            continue
        upcoming = [d.due for d in transfer.deadlines.all() if d.due and not d.actual and not d.standing]
        waiting.append((transfer, actions, due(staff, min(upcoming) if upcoming else None, today, transfer)))
    waiting.sort(key=lambda row: (row[2].date is None, row[2].date or dt.date.max))
    return waiting


def remedial_actions_for(staff: StaffMember, today: dt.date) -> list[tuple[RemedialAction, Due]]:
    actions = RemedialAction.objects.filter(
        owner=staff, done_at__isnull=True, transfer__child__in=visible_children(staff, Child.objects.all())
    ).select_related("transfer__child")
    return [(action, due(staff, action.due, today, action.transfer)) for action in actions.order_by("due")]


@dataclass(frozen=True)
class TimelineEntry:
    day: dt.date
    title: str
    detail: str
    by: str = ""


def child_timeline(child: Child) -> list[TimelineEntry]:
    """Key events, allocations and transfer actions on one timeline, newest first."""
    entries = [
        TimelineEntry(event.date, event.event_type.replace("_", " ").capitalize(), event.notes)
        for event in child.key_events.all()
    ]
    for allocation in child.allocations.select_related("team", "worker"):
        who = allocation.worker.name if allocation.worker else "no worker yet"
        entries.append(TimelineEntry(allocation.start, f"Allocated to {allocation.team}", who))
        if allocation.end:
            entries.append(
                TimelineEntry(
                    allocation.end,
                    f"Allocation with {allocation.team} ended",
                    allocation.get_end_reason_display(),
                )
            )
    for row in TransferEvent.objects.filter(transfer__child=child).select_related(
        "actor", "transfer__to_service"
    ):
        entries.append(
            TimelineEntry(
                timezone.localtime(row.at).date(),
                f"Transfer to {row.transfer.to_service}: {row.action.replace('_', ' ')}",
                row.reason,
                row.actor_name,
            )
        )
    return sorted(entries, key=lambda e: e.day, reverse=True)


def siblings_of(child: Child, staff: StaffMember) -> list[Child]:
    if child.family_id is None:
        return []
    return list(visible_children(staff, Child.objects.filter(family_id=child.family_id)).exclude(pk=child.pk))


def open_escalations_for(staff: StaffMember, today: dt.date) -> list[tuple[Escalation, Due]]:
    """Unresolved escalations sitting with one of this person's roles, or on their teams' transfers."""
    roles = {m.role for m in current_memberships(staff)}
    teams = [m.team_id for m in current_memberships(staff) if m.team_id]
    children = visible_children(staff, Child.objects.all())
    rows = (
        Escalation.objects.filter(resolved_at__isnull=True, transfer__child__in=children)
        .filter(Q(role__in=roles) | Q(transfer__from_team_id__in=teams) | Q(transfer__to_team_id__in=teams))
        .select_related("transfer__child", "transfer__from_team", "transfer__to_service")
        .order_by("opened_at")
    )
    return [(row, due(staff, row.due, today, row.transfer)) for row in rows]


@dataclass(frozen=True)
class TeamPressure:
    team: object
    caseload: list[tuple[StaffMember | None, int]]
    incoming: list[Transfer]
    outgoing: list[Transfer]
    overdue: int
    blocked: int


def team_pressure(team, today: dt.date, viewer) -> TeamPressure:
    """Caseload by worker, transfers in and out, and how many are overdue or blocked. Transfers of children the
    viewer may not see (restricted records they are not named on) are left out: not there, not counted."""
    visible = visible_children(viewer, Child.objects.all())
    counts = (
        Allocation.objects.filter(team=team, end__isnull=True, kind="primary")
        .values("worker")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    workers = {
        s.pk: s for s in StaffMember.objects.filter(pk__in=[c["worker"] for c in counts if c["worker"]])
    }
    caseload = [(workers.get(c["worker"]), c["n"]) for c in counts]
    open_states = [s.value for s in OPEN_STATES]
    related = ("child", "from_team", "to_service", "to_team")
    incoming = list(
        Transfer.objects.filter(state__in=open_states, child__in=visible)
        .filter(Q(to_team=team) | Q(to_team__isnull=True, to_service=team.service))
        .select_related(*related)
        .prefetch_related("deadlines")
    )
    outgoing = list(
        Transfer.objects.filter(state__in=open_states, from_team=team, child__in=visible)
        .select_related(*related)
        .prefetch_related("deadlines")
    )
    both = incoming + outgoing
    overdue = sum(
        1
        for t in both
        if any(d.due and not d.actual and d.due < today and not d.standing for d in t.deadlines.all())
    )
    blocked = sum(1 for t in both if t.state in ("blocked", "escalated"))
    return TeamPressure(team, caseload, incoming, outgoing, overdue, blocked)
