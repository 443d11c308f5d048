"""Reads that compose apps from different layers for pages: the sweep's judgement of a page's transfers ("due
soon", "overdue": one home, `standings_of`), My work and the team page with it, and a child's timeline with the
reminders sent about it (which live in the notifications app, above transfers). Each writes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from handover.children.models import Allocation, AllocationKind, Child
from handover.children.secondary import purpose_in_words
from handover.children.workers import team_reassignments
from handover.domain.roles import RoleName
from handover.domain.sweep import Standing
from handover.meetings.models import Meeting
from handover.meetings.selectors import coming_sittings
from handover.notifications.selectors import reminders_about
from handover.organisation.access import roles_of
from handover.organisation.models import StaffMember
from handover.organisation.protocol import protocol_for
from handover.sweep.services import judge
from handover.sweep.work import DeadlineRow
from handover.transfers import selectors as transfer_selectors
from handover.transfers.models import SWEEP_NAME, RemedialAction, Transfer
from handover.transfers.selectors import Due, TimelineEntry
from handover.web import next_steps

# What a row's tag says: the worst standing of its work, overdue before due soon.
SHOWN = (Standing.OVERDUE, Standing.DUE_SOON)


def _worst(standings) -> Standing | None:
    return next((s for s in SHOWN if s in standings), None)


@dataclass(frozen=True)
class Standings:
    """The sweep's view of a set of transfers on a day: for each transfer, the worst standing of its timeline
    steps and timescales (overdue, due soon, or None), and for each of their open remedial actions, its own."""

    transfers: dict[int, Standing] = field(default_factory=dict)
    remedial_actions: dict[int, Standing] = field(default_factory=dict)
    # For each transfer, the timeline steps (and timescales) the sweep judges overdue, with their due dates:
    # what is late, for pages that say so.
    late: dict[int, list[DeadlineRow]] = field(default_factory=dict)

    def of(self, transfer: Transfer) -> Standing | None:
        return self.transfers.get(transfer.pk)

    def of_action(self, action: RemedialAction) -> Standing | None:
        return self.remedial_actions.get(action.pk)

    def count(self, transfers, standing: Standing) -> int:
        return sum(1 for t in transfers if self.transfers.get(t.pk) is standing)


def standings_of(*, authority, today: dt.date, transfers: QuerySet[Transfer]) -> Standings:
    """Whether each of `transfers` is due soon or overdue, as the sweep judges it (`sweep.services.judge`: the
    protocol version's calendar and reminder window), so every page and every reminder mean the same thing."""
    judged = judge(authority=authority, today=today, transfers=transfers)
    gathered = judged.gathered
    steps: dict[int, set[Standing]] = {}
    actions: dict[int, Standing] = {}
    late: dict[int, list[DeadlineRow]] = {}
    for _, plan in judged.plans:
        for key, standing in plan.standings.items():
            if key in gathered.deadlines:
                steps.setdefault(gathered.transfer_of[key], set()).add(standing)
                if standing is Standing.OVERDUE:
                    late.setdefault(gathered.transfer_of[key], []).append(gathered.deadlines[key])
            elif key in gathered.remedial_actions and standing in SHOWN:
                actions[gathered.remedial_actions[key].pk] = standing
    worst = {pk: _worst(found) for pk, found in steps.items()}
    for rows in late.values():
        rows.sort(key=lambda row: (row.due, row.name))
    return Standings({pk: s for pk, s in worst.items() if s is not None}, actions, late)


# -- My work --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    action: RemedialAction
    due: Due
    standing: Standing | None


@dataclass(frozen=True)
class CoWorking:
    allocation: Allocation
    purpose: str  # in words


@dataclass(frozen=True)
class MyWork:
    cases: list[Allocation]
    # What the transfers touching the person need from them, grouped by that need (web/next_steps.py).
    next_steps: list[next_steps.Group]
    remedial_actions: list[ActionRow]
    # Children the person co-works: their open secondary allocations, with the purpose in words.
    co_working: list[CoWorking] = field(default_factory=list)
    # The sittings of the coming week that are this person's to run: business support prepare and minute
    # them, the chair chairs them (stored, or as they would be scheduled).
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def children(self) -> list[int]:
        return (
            [a.child_id for a in self.cases]
            + [row.allocation.child_id for row in self.co_working]
            + [
                step.transfer.child_id
                for group in self.next_steps
                for row in group.rows
                for step in row.steps
            ]
            + [row.action.transfer.child_id for row in self.remedial_actions]
        )


# Rows shown of each need on My work, most pressing first; the rest are a link away. A team manager of a busy
# team had 595 checklists to confirm on one page (832 KB, 0.6 s to render; issue 14).
ROWS_PER_NEED = 20


def my_work(staff: StaffMember, today: dt.date, *, need: next_steps.Need | None = None) -> MyWork:
    """The person's cases, the children they co-work (open secondary allocations, purpose in words), what the
    transfers touching them need from them (each with the sweep's "due soon" or "overdue", grouped by need and
    sibling group; the first ROWS_PER_NEED of each) and their remedial actions. With `need`, every row of that
    need and no other."""
    escalations = next_steps.unacknowledged_escalations(staff)
    steps = [
        step
        for transfer in next_steps.candidate_transfers(staff)
        for step in next_steps.transfer_steps(
            staff, transfer, today=today, escalations=escalations.get(transfer.pk, ())
        )
    ]
    actions = transfer_selectors.remedial_actions_for(staff, today)
    ids = {s.transfer.pk for s in steps} | {a.transfer_id for a, _ in actions}
    standings = (
        standings_of(authority=staff.authority, today=today, transfers=Transfer.objects.filter(pk__in=ids))
        if ids
        else Standings()
    )
    allocations = transfer_selectors.my_cases(staff)
    secondary = [a for a in allocations if a.kind == AllocationKind.SECONDARY]
    protocol = protocol_for(staff.authority) if secondary else None
    return MyWork(
        cases=[a for a in allocations if a.kind != AllocationKind.SECONDARY],
        co_working=[CoWorking(a, purpose_in_words(protocol, a)) for a in secondary],
        next_steps=[
            group if need is not None else group.shortened(ROWS_PER_NEED)
            for group in next_steps.grouped(
                steps, standing_of=standings.of, due_of=lambda t: next_steps.next_due(staff, t, today)
            )
            if need is None or group.need is need
        ],
        remedial_actions=[ActionRow(a, d, standings.of_action(a)) for a, d in actions],
        meetings=meetings_to_run(staff, today),
    )


def meetings_to_run(staff: StaffMember, today: dt.date) -> list[Meeting]:
    """The coming week's sittings a person runs: every sitting for business support, the ones they chair for
    anyone else."""
    week = today + dt.timedelta(days=7)
    business_support = RoleName.BUSINESS_SUPPORT.value in roles_of(staff)
    return [
        sitting
        for sitting in coming_sittings(authority=staff.authority, today=today)
        if sitting.sits_on <= week and (business_support or sitting.chair_id == staff.pk)
    ]


# -- the team page --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamPressure:
    team: object
    caseload: list[tuple[StaffMember | None, int]]
    incoming: list[tuple[Transfer, Standing | None]]
    outgoing: list[tuple[Transfer, Standing | None]]
    overdue: int  # transfers with an overdue step (or timescale)
    due_soon: int  # transfers with a step due soon and none overdue
    blocked: int
    # Children the team holds whose case was reassigned within it, with how many times (C-003, C-004).
    reassigned: list[tuple[Child, int]] = field(default_factory=list)

    @property
    def children(self) -> list[int]:
        return [t.child_id for t, _ in self.incoming + self.outgoing] + [c.pk for c, _ in self.reassigned]


def team_pressure(team, today: dt.date, viewer: StaffMember) -> TeamPressure:
    """Caseload by worker, transfers in and out with the sweep's standing, how many are overdue, due soon or
    blocked, and the children reassigned within the team. Children the viewer may not see are left out: not there, not counted."""
    found = transfer_selectors.team_transfers(team, viewer)
    both = found.incoming + found.outgoing
    standings = (
        standings_of(
            authority=team.service.authority,
            today=today,
            transfers=Transfer.objects.filter(pk__in=[t.pk for t in both]),
        )
        if both
        else Standings()
    )
    return TeamPressure(
        team=team,
        caseload=found.caseload,
        incoming=[(t, standings.of(t)) for t in found.incoming],
        outgoing=[(t, standings.of(t)) for t in found.outgoing],
        overdue=standings.count(both, Standing.OVERDUE),
        due_soon=standings.count(both, Standing.DUE_SOON),
        blocked=found.blocked,
        reassigned=team_reassignments(team, viewer),
    )


# -- a child's record -----------------------------------------------------------------------------------------


def child_timeline(child: Child) -> list[TimelineEntry]:
    """The child's timeline (key events, allocations, transfer actions, escalations) and the reminders sent
    about its transfers, newest first."""
    entries = transfer_selectors.child_timeline(child)
    entries += [
        TimelineEntry(timezone.localtime(r.at).date(), f"Reminder sent: {r.title}", "", SWEEP_NAME)
        for r in reminders_about(child)
    ]
    return sorted(entries, key=lambda e: e.day, reverse=True)
