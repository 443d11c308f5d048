"""Reads for pages: each returns what one part of a page shows, with its related rows fetched up front."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from handover.children.models import Allocation, AllocationKind, Child, LegalStatusEpisode, PlanEpisode
from handover.children.secondary import purpose_in_words
from handover.domain.facts import LEGAL_STATUS_WORDS, PLAN_WORDS
from handover.domain.workflow import OPEN_STATES
from handover.organisation.access import current_memberships, visible_child_of, visible_children
from handover.organisation.models import Role, StaffMember
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.organisation.selectors import with_memberships
from handover.transfers.models import Escalation, RemedialAction, SignOff, Transfer, TransferEvent


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
            visible_child_of(staff, Child.objects.all()), worker=staff, end__isnull=True
        )
        .select_related("child", "team")
        .order_by("child__last_name", "child__first_name")
    )


def remedial_actions_for(staff: StaffMember, today: dt.date) -> list[tuple[RemedialAction, Due]]:
    actions = RemedialAction.objects.filter(
        visible_child_of(staff, Child.objects.all(), "transfer__child"), owner=staff, done_at__isnull=True
    ).select_related("transfer__child")
    return [(action, due(staff, action.due, today, action.transfer)) for action in actions.order_by("due")]


@dataclass(frozen=True)
class TimelineEntry:
    day: dt.date
    title: str
    detail: str
    by: str = ""


def transfer_events() -> QuerySet[TransferEvent]:
    """Transfer events with who took each, ready for `TransferEvent.actor_words` (the role and team they held
    that day) without a query per event: for a transfer's history, `Prefetch("events", transfer_events())`."""
    return TransferEvent.objects.select_related("actor").prefetch_related(with_memberships("actor"))


def sign_offs_of(transfer: Transfer) -> list[SignOff]:
    """The transfer's sign-offs with who gave each (`SignOff.by_words`), read from one prefetch."""
    return list(transfer.sign_offs.select_related("by").prefetch_related(with_memberships("by")))


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
    for row in (
        TransferEvent.objects.filter(transfer__child=child)
        .select_related("actor", "transfer__to_service")
        .prefetch_related(with_memberships("actor"))
    ):
        entries.append(
            TimelineEntry(
                timezone.localtime(row.at).date(),
                f"Transfer to {row.transfer.to_service}: {row.action.replace('_', ' ')}",
                row.reason,
                row.actor_words,
            )
        )
    entries += escalation_entries(child)
    return sorted(entries, key=lambda e: e.day, reverse=True)


def escalation_entries(child: Child) -> list[TimelineEntry]:
    """The child's escalations: each level raised (by a person or by Handover on the protocol's timings), moved
    up, and resolved, with its level, role and clauses."""
    entries = []
    rows = (
        Escalation.objects.filter(transfer__child=child)
        .select_related("opened_by", "resolved_by", "transfer__to_service")
        .prefetch_related(with_memberships("opened_by"), with_memberships("resolved_by"))
    )
    for row in rows:
        level = f"level {row.level}, {role_words(row.role)}"
        cites = f" ({', '.join(row.cites)})" if row.cites else ""
        entries.append(
            TimelineEntry(
                timezone.localtime(row.opened_at).date(),
                f"Escalated to {level}{cites}",
                row.reason,
                row.opened_by_words,
            )
        )
        if row.resolved_at is not None:
            moved = row.resolution.startswith("moved up")
            entries.append(
                TimelineEntry(
                    timezone.localtime(row.resolved_at).date(),
                    f"Escalation {'moved up' if moved else 'resolved'} from {level}",
                    row.resolution,
                    row.resolved_by_words,
                )
            )
    return entries


def siblings_of(child: Child, staff: StaffMember) -> list[Child]:
    if child.family_id is None:
        return []
    return list(visible_children(staff, Child.objects.filter(family_id=child.family_id)).exclude(pk=child.pk))


@dataclass(frozen=True)
class SiblingRow:
    """A sibling as the child's record shows them: who holds their case, and whether they are apart from the
    child where the protocol keeps one social worker per family (Dorset D-033), with the recorded reason."""

    child: Child
    held_by: Allocation | None
    apart: bool
    reason: str


def _separation_reasons(child: Child, apart: list[Child], exceptions: dict[str, str]) -> dict[int, str]:
    """For each sibling apart from the child, the reason recorded when the two went to different workers: a
    separation given at proposal, at agreement or when the worker was named, or a permitted exception; the
    latest one. The family's events and exceptions are read once, not once per sibling."""
    if not apart:
        return {}
    family = [child.pk, *(s.pk for s in apart)]
    events = list(
        TransferEvent.objects.filter(transfer__child__in=family)
        .exclude(reason="")
        .order_by("-at", "-pk")
        .values_list("transfer__child_id", "action", "reason", "data")
    )
    excepted = list(
        Transfer.objects.filter(child__in=family)
        .exclude(exception="")
        .order_by("-proposed_at", "-pk")
        .values_list("child_id", "exception")
    )
    reasons = {}
    for sibling in apart:
        pair = (child.pk, sibling.pk)
        reasons[sibling.pk] = next(
            (
                reason
                for of, action, reason, data in events
                if of in pair
                and isinstance(data, dict)
                and (
                    (action == "separate_sibling" and data.get("sibling") in pair)
                    or data.get("siblings_apart")
                )
            ),
            next((exceptions.get(code, code) for of, code in excepted if of in pair), ""),
        )
    return reasons


def sibling_rows(child: Child, siblings: list[Child]) -> list[SiblingRow]:
    """The child's siblings (`siblings_of`, as this person may see them), each with who holds their case; where
    the protocol keeps one social worker per family, a sibling with another worker is flagged with the reason
    recorded (or none)."""
    if not siblings:
        return []
    spec = protocol_for(child.authority).file
    one_worker = bool(spec.siblings and spec.siblings.same_worker)
    exceptions = {e.id: e.name for e in spec.exceptions}
    held = {
        a.child_id: a
        for a in Allocation.objects.filter(
            child__in=[child, *siblings], kind="primary", end__isnull=True
        ).select_related("team", "worker")
    }
    mine = held.get(child.pk)

    def is_apart(sibling: Child) -> bool:
        theirs = held.get(sibling.pk)
        return bool(
            one_worker
            and mine
            and theirs
            and mine.worker_id
            and theirs.worker_id
            and mine.worker_id != theirs.worker_id
        )

    apart = [s for s in siblings if is_apart(s)]
    reasons = _separation_reasons(child, apart, exceptions)
    return [
        SiblingRow(sibling, held.get(sibling.pk), sibling.pk in reasons, reasons.get(sibling.pk, ""))
        for sibling in siblings
    ]


SUBJECT_WORDS = {
    Escalation.Subject.BLOCKED: "Blocked transfer",
    Escalation.Subject.STEP: "Overdue step",
    Escalation.Subject.REMEDIAL_ACTION: "Overdue remedial action",
    Escalation.Subject.DISPUTE: "Declined transfer in dispute",
}


def role_words(role: str) -> str:
    """A role as people read it ("Service manager"), never its code."""
    try:
        return Role(role).label
    except ValueError:
        return role.replace("_", " ").capitalize()


@dataclass(frozen=True)
class EscalationRow:
    """An open escalation as the escalations page shows it, in words."""

    escalation: Escalation
    moves_up: Due  # when it moves to the next level if still open
    open_for: int  # working days since it was opened, in the transfer's protocol calendar
    step_name: str = ""

    @property
    def level_words(self) -> str:
        return f"Level {self.escalation.level}: {role_words(self.escalation.role)}"

    @property
    def subject_words(self) -> str:
        subject = self.escalation.subject
        if subject == Escalation.Subject.STEP:
            return f"{SUBJECT_WORDS[subject]} \u201c{self.step_name or self.escalation.step}\u201d"
        if subject == Escalation.Subject.REMEDIAL_ACTION and self.escalation.remedial_action is not None:
            return f"{SUBJECT_WORDS[subject]}: {self.escalation.remedial_action.description}"
        return SUBJECT_WORDS.get(subject, "Blocked transfer")

    @property
    def clauses(self) -> str:
        return ", ".join(self.escalation.cites)


def open_escalations(staff: StaffMember):
    """Unresolved escalations sitting with one of this person's roles, or on their teams' transfers, of children
    they may see, oldest first: the one query the escalations page and the API ask."""
    roles = {m.role for m in current_memberships(staff)}
    teams = [m.team_id for m in current_memberships(staff) if m.team_id]
    return (
        Escalation.objects.filter(
            visible_child_of(staff, Child.objects.all(), "transfer__child"), resolved_at__isnull=True
        )
        .filter(Q(role__in=roles) | Q(transfer__from_team_id__in=teams) | Q(transfer__to_team_id__in=teams))
        .order_by("opened_at", "pk")
    )


def open_escalations_for(staff: StaffMember, today: dt.date) -> list[EscalationRow]:
    """`open_escalations`, with what the page says of each (who raised and acknowledged it, the work, how long
    it has been open, when it moves up)."""
    rows = (
        open_escalations(staff)
        .select_related(
            "transfer__child__authority",
            "transfer__from_team",
            "transfer__from_allocation",  # whose the work is, for what the page offers (the rulebook's standing)
            "transfer__to_service",
            "transfer__to_team",
            "remedial_action",
            "opened_by",
            "acknowledged_by",
        )
        .prefetch_related(
            "transfer__deadlines", with_memberships("opened_by"), with_memberships("acknowledged_by")
        )
    )
    found = []
    for row in rows:
        calendar = protocol_for_transfer(row.transfer).calendar
        opened = timezone.localtime(row.opened_at).date()
        names = {d.step: d.name for d in row.transfer.deadlines.all()}
        found.append(
            EscalationRow(
                escalation=row,
                moves_up=due(staff, row.due, today, row.transfer),
                open_for=max(calendar.working_days_between(opened, today), 0),
                step_name=names.get(row.step, ""),
            )
        )
    return found


@dataclass(frozen=True)
class TeamTransfers:
    team: object
    caseload: list[tuple[StaffMember | None, int]]
    incoming: list[Transfer]
    outgoing: list[Transfer]

    @property
    def blocked(self) -> int:
        return sum(1 for t in self.incoming + self.outgoing if t.state in ("blocked", "escalated"))


def team_transfers(team, viewer) -> TeamTransfers:
    """Caseload by worker and transfers in and out. Transfers of children the viewer may not see (restricted
    records they are not named on) are left out: not there, not counted. Whether they are due soon or overdue
    is the sweep's judgement (`web.selectors.team_pressure`)."""
    visible = visible_child_of(viewer, Child.objects.all())
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
        Transfer.objects.filter(visible, state__in=open_states)
        .filter(Q(to_team=team) | Q(to_team__isnull=True, to_service=team.service))
        .select_related(*related)
    )
    outgoing = list(
        Transfer.objects.filter(visible, state__in=open_states, from_team=team).select_related(*related)
    )
    return TeamTransfers(team, caseload, incoming, outgoing)


# -- a worker's page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """A child a worker holds or co-works, as the worker's page shows it."""

    allocation: Allocation
    status: str  # the plan and legal status in words, e.g. "Child protection plan"
    purpose: str = ""  # a secondary allocation's purpose in words


@dataclass(frozen=True)
class Caseload:
    """A worker's open allocations (primary: the cases they hold; secondary: those they co-work) and the open
    transfers of a case from them or to them, all of children the viewer may see."""

    cases: list[CaseRow]
    co_working: list[CaseRow]
    transfers_out: list[Transfer]
    transfers_in: list[Transfer]

    @property
    def children(self) -> list[int]:
        return [r.allocation.child_id for r in self.cases + self.co_working] + [
            t.child_id for t in self.transfers_out + self.transfers_in
        ]


def _status_words(child_ids: set[int], on: dt.date) -> dict[int, str]:
    """Each child's plan and legal status open on `on`, in words (two queries for them all)."""
    open_on = Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on))
    plans: dict[int, str] = {}
    for plan in PlanEpisode.objects.filter(open_on, child_id__in=child_ids).order_by("start", "pk"):
        plans[plan.child_id] = plan.plan  # the latest open one wins
    legal: dict[int, str] = {}
    for episode in LegalStatusEpisode.objects.filter(open_on, child_id__in=child_ids).order_by("start", "pk"):
        legal[episode.child_id] = episode.status
    words = {}
    for child_id in child_ids:
        parts = [
            table.get(value, value.replace("_", " ").capitalize())
            for table, value in ((PLAN_WORDS, plans.get(child_id)), (LEGAL_STATUS_WORDS, legal.get(child_id)))
            if value and value != "none"
        ]
        words[child_id] = "; ".join(parts) or "No plan or order"
    return words


def worker_caseload(subject: StaffMember, viewer: StaffMember, on: dt.date) -> Caseload:
    """`subject`'s caseload as `viewer` may see it: a restricted record they are not named on is not there and
    not counted. Cases longest held first; transfers oldest first."""
    visible = visible_child_of(viewer, Child.objects.all())
    allocations = list(
        Allocation.objects.filter(visible, worker=subject, end__isnull=True)
        .select_related("child", "team")
        .order_by("start", "child__last_name", "child__first_name", "pk")
    )
    status = _status_words({a.child_id for a in allocations}, on)
    secondary = [a for a in allocations if a.kind == AllocationKind.SECONDARY]
    protocol = protocol_for(subject.authority) if secondary else None
    open_states = [s.value for s in OPEN_STATES]
    related = ("child", "from_team", "to_service", "to_team")
    transfers = Transfer.objects.filter(visible, state__in=open_states).select_related(*related)
    return Caseload(
        cases=[CaseRow(a, status[a.child_id]) for a in allocations if a.kind != AllocationKind.SECONDARY],
        co_working=[CaseRow(a, status[a.child_id], purpose_in_words(protocol, a)) for a in secondary],
        transfers_out=list(transfers.filter(from_allocation__worker=subject).order_by("proposed_at", "pk")),
        transfers_in=list(transfers.filter(receiving_worker=subject).order_by("proposed_at", "pk")),
    )
