"""Reads for the transfer meetings, none of which writes: the sittings due (as stored, or as they would be
scheduled), the early warning sheet as it holds or would hold once compiled, and what the sheet and the minutes
show about each case. The writes (scheduling a sitting, compiling its sheet) are in `services.py`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from handover.children.models import Child, LegalStatusEpisode, PlanEpisode
from handover.domain.deadlines import cutoff_for, next_sitting
from handover.domain.workflow import State
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.organisation.access import visible_children
from handover.organisation.models import Authority, Role, StaffMember
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.organisation.selectors import with_memberships
from handover.transfers.models import RemedialAction, Transfer
from handover.transfers.services import ApplicationError, transfer_readiness, with_readiness_data


def meeting_spec(authority: Authority, meeting_id: str | None = None):
    """The protocol and its meeting `meeting_id` (by default the weekly transfer meeting)."""
    protocol = protocol_for(authority)
    if meeting_id is None:
        weekly = [m for m in protocol.file.meetings if m.cadence == "weekly"]
        if not weekly:
            raise ApplicationError(
                {"meeting": f"the {protocol.name} protocol declares no weekly transfer meeting"}
            )
        return protocol, weekly[0]
    if meeting_id not in protocol.meetings:
        raise ApplicationError(
            {"meeting": f"the {protocol.name} protocol declares no meeting {meeting_id!r}"}
        )
    return protocol, protocol.meetings[meeting_id]


def chair_by_rota(authority: Authority, spec, sits_on: dt.date) -> StaffMember | None:
    """Team managers of the services named in `chair_from` take the chair in turn, week by week (D-176)."""
    rota = list(
        StaffMember.objects.filter(
            authority=authority,
            active=True,
            memberships__role=Role.TEAM_MANAGER,
            memberships__team__service__code__in=spec.chair_from,
            memberships__end__isnull=True,
        )
        .distinct()
        .order_by("name", "pk")
    )
    if not rota:
        return None
    turn = sits_on.toordinal() // 7 if spec.cadence == "weekly" else sits_on.year * 12 + sits_on.month
    return rota[turn % len(rota)]


def _sitting_on(authority: Authority, spec, protocol, sits_on: dt.date) -> Meeting:
    stored = (
        Meeting.objects.filter(authority=authority, meeting=spec.id, sits_on=sits_on)
        .select_related("chair", "authority")
        .first()
    )
    if stored is not None:
        return stored
    return Meeting(
        authority=authority,
        meeting=spec.id,
        sits_on=sits_on,
        cutoff=cutoff_for(protocol, spec, sits_on),
        chair=chair_by_rota(authority, spec, sits_on),
    )


def sitting_for(*, authority: Authority, on: dt.date, meeting_id: str | None = None) -> Meeting:
    """The sitting a case identified on `on` can still make (its cut-off honoured): the stored one, else the
    sitting as `meeting_sitting_schedule` would store it (unsaved: `pk` is None), with its chair from the rota.
    Writes nothing."""
    protocol, spec = meeting_spec(authority, meeting_id)
    return _sitting_on(authority, spec, protocol, next_sitting(protocol, spec, on))


def held_on_or_after(protocol, spec, day: dt.date) -> dt.date:
    """The first sitting of `spec` held on or after `day`, whether or not its cut-off has passed (on a Tuesday,
    Wednesday's meeting, which closed its sheet on Monday; `next_sitting` gives the one after)."""
    sits_on = next_sitting(protocol, spec, day - dt.timedelta(days=45))
    while sits_on < day:
        sits_on = next_sitting(protocol, spec, cutoff_for(protocol, spec, sits_on) + dt.timedelta(days=1))
    return sits_on


def coming_sittings(*, authority: Authority, today: dt.date) -> list[Meeting]:
    """For each of the protocol's meetings, the sittings from the first held on or after `today` to the one a
    case identified today can still make (one or two), plus any stored later: stored, or unsaved as they would
    be scheduled. Writes nothing."""
    protocol = protocol_for(authority)
    sittings: list[Meeting] = []
    for spec in protocol.file.meetings:
        days = {held_on_or_after(protocol, spec, today), next_sitting(protocol, spec, today)}
        days |= set(
            Meeting.objects.filter(authority=authority, meeting=spec.id, sits_on__gte=today).values_list(
                "sits_on", flat=True
            )
        )
        sittings.extend(_sitting_on(authority, spec, protocol, day) for day in sorted(days))
    return sittings


def pathways_at(protocol, meeting: Meeting) -> frozenset[str]:
    """The pathways of `protocol` whose cases this meeting hears: those whose timeline has a step at it. A
    transfer with no pathway (the managers chose the team) goes to the protocol's weekly meeting."""
    heard = {
        p.id
        for p in protocol.pathways.values()
        if any(step.at == meeting.meeting for step in protocol.timelines[p.timeline].steps)
    }
    weekly = next((m.id for m in protocol.file.meetings if m.cadence == "weekly"), None)
    return frozenset(heard | ({""} if meeting.meeting == weekly else set()))


def sheet_additions(meeting: Meeting) -> list[Transfer]:
    """The cases compiling the sheet would add now: every listed case identified by the cut-off, heard at this
    meeting and not already on its sheet or waiting on an earlier sitting (a case deferred at a closed sitting
    rolls on). None once the meeting is closed. Writes nothing."""
    if meeting.status == Meeting.Status.CLOSED:
        return []
    # When each case was put on the sheet: one query, not one per case.
    listed = (
        Transfer.objects.filter(child__authority=meeting.authority, state=State.LISTED)
        .select_related("child", "from_team", "to_service", "to_team", "from_allocation__worker")
        .annotate(listed_at=Max("events__at", filter=Q(events__action="list")))
        .order_by("from_team__name", "pk")
    )
    if meeting.pk is not None:
        listed = listed.exclude(pk__in=meeting.items.values("transfer_id"))
    # Cases listed after the cut-off wait for the next sitting: left in the database (the sweep asks this every
    # few minutes, and they are most of what is listed and not on the sheet).
    after_cutoff = dt.datetime.combine(
        meeting.cutoff + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone()
    )
    listed = listed.filter(listed_at__lt=after_cutoff)
    waiting_elsewhere = set(
        MeetingItem.objects.filter(decision=Decision.PENDING, meeting__sits_on__lt=meeting.sits_on)
        .exclude(meeting__status=Meeting.Status.CLOSED)
        .values_list("transfer_id", flat=True)
    )
    heard: dict[str, frozenset[str]] = {}
    additions = []
    for transfer in listed:
        if transfer.pk in waiting_elsewhere or transfer.listed_at is None:
            continue
        # Each case by the protocol version it runs on: a pathway renamed since is still heard.
        protocol = protocol_for_transfer(transfer)
        if protocol.sha256 not in heard:
            heard[protocol.sha256] = pathways_at(protocol, meeting)
        if transfer.pathway not in heard[protocol.sha256]:
            continue
        if timezone.localtime(transfer.listed_at).date() <= meeting.cutoff:
            additions.append(transfer)
    return additions


def sheet_items(meeting: Meeting, viewer: StaffMember | None = None) -> list[MeetingItem]:
    """The early warning sheet as it would be once compiled: the cases it holds, then those compiling would add
    (unsaved items, `pk` None: not on the sheet yet). Writes nothing.

    With a `viewer`, the sheet as that person may see it: a restricted child they are not named on is not
    there at all (no line, no count). Without one, the whole sheet, for the services that compile it."""
    held = []
    if meeting.pk is not None:
        held = list(
            meeting.items.select_related(
                "transfer__child",
                "transfer__from_team",
                "transfer__to_service",
                "transfer__to_team",
                "transfer__from_allocation__worker",
            ).order_by("late_addition", "transfer__from_team__name", "pk")
        )
    items = held + [MeetingItem(meeting=meeting, transfer=t) for t in sheet_additions(meeting)]
    return items if viewer is None else only_visible(items, viewer, lambda item: item.transfer.child_id)


def only_visible(rows: list, viewer: StaffMember, child_of) -> list:
    """The rows whose child `viewer` may see: restricted records they are not named on are left out."""
    visible = set(
        visible_children(viewer, Child.objects.filter(pk__in={child_of(r) for r in rows})).values_list(
            "pk", flat=True
        )
    )
    return [r for r in rows if child_of(r) in visible]


@dataclass(frozen=True)
class KeyDate:
    name: str
    due: dt.date


@dataclass(frozen=True)
class SheetRow:
    """One line of the early warning sheet: the columns business support used to keep in a spreadsheet."""

    item: MeetingItem
    child_name: str
    child_identifier: str
    date_of_birth: dt.date | None
    current_team: str
    current_worker: str
    proposed_team: str
    pathway: str
    case_status: str
    readiness_gaps: tuple[str, ...]
    key_dates: tuple[KeyDate, ...]
    remedial_actions: tuple[RemedialAction, ...]  # outstanding: those not marked done

    @property
    def decision(self) -> str:
        return self.item.get_decision_display()

    @property
    def on_sheet(self) -> bool:
        """False for a case the sheet does not hold yet: it joins when the sheet is compiled."""
        return self.item.pk is not None


def _open_on(queryset, on: dt.date):
    return queryset.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gte=on))


def _open_episode(episodes, on: dt.date):
    """The latest episode open on `on` of those prefetched (newest first, as the models order them)."""
    return next((e for e in episodes if e.start <= on and (e.end is None or e.end >= on)), None)


def case_status(child, on: dt.date) -> str:
    """The plan and legal status as the sheet shows them, e.g. 'Looked after (Interim care order)'."""
    if hasattr(child, "sheet_plans"):  # prefetched for a whole sheet (`sheet_rows`)
        plan = _open_episode(child.sheet_plans, on)
        legal = _open_episode(child.sheet_legal_statuses, on)
    else:
        plan = _open_on(PlanEpisode.objects.filter(child=child), on).first()
        legal = _open_on(LegalStatusEpisode.objects.filter(child=child), on).first()
    parts = []
    if plan is not None and plan.plan != "none":
        parts.append(plan.get_plan_display())
    if legal is not None and legal.status != "none":
        parts.append(f"({legal.get_status_display()})" if parts else legal.get_status_display())
    return " ".join(parts) or "No plan recorded"


def sheet_row(item: MeetingItem, key_dates: int = 3) -> SheetRow:
    """One case as the sheet shows it, as of the meeting day, by the protocol version the transfer runs on."""
    meeting = item.meeting
    transfer = item.transfer
    protocol = protocol_for_transfer(transfer)
    child = transfer.child
    allocation = transfer.from_allocation
    pathway = protocol.pathways.get(transfer.pathway) if transfer.pathway else None
    readiness = transfer_readiness(transfer, on=meeting.sits_on)
    upcoming = [
        KeyDate(d.name, d.due)
        for d in transfer.deadlines.all()
        if d.due is not None and d.actual is None and d.due >= meeting.sits_on
    ]
    return SheetRow(
        item=item,
        child_name=child.name,
        child_identifier=child.identifier,
        date_of_birth=child.date_of_birth,
        current_team=transfer.from_team.name,
        current_worker=allocation.worker.name if allocation and allocation.worker else "Not allocated",
        proposed_team=str(transfer.to_team or transfer.to_service),
        pathway=pathway.name if pathway else "Agreed between managers",
        case_status=case_status(child, meeting.sits_on),
        readiness_gaps=tuple(r.name for r in readiness.items if r.status != "met"),
        key_dates=tuple(sorted(upcoming, key=lambda k: k.due)[:key_dates]),
        remedial_actions=tuple(a for a in transfer.remedial_actions.all() if a.done_at is None),
    )


def sheet_rows(meeting: Meeting, viewer: StaffMember) -> list[SheetRow]:
    """The sheet (as it would be once compiled) as `viewer` may see it, with each case's readiness gaps and next
    key dates, as of the meeting day."""
    items = sheet_items(meeting, viewer)
    # Everything a row reads, a query per kind rather than five per case (issue 14: 1,124 queries for 220 cases).
    prefetch_related_objects(
        items,
        "transfer__deadlines",
        "transfer__confirmations",
        "transfer__from_team__service",
        Prefetch("transfer__remedial_actions", RemedialAction.objects.select_related("owner")),
        with_readiness_data("transfer__child__"),
        Prefetch("transfer__child__plans", to_attr="sheet_plans"),
        Prefetch("transfer__child__legal_statuses", to_attr="sheet_legal_statuses"),
        with_memberships("decided_by"),  # the minutes name who decided with their role and team
    )
    return [sheet_row(item) for item in items]


def decided(meeting: Meeting) -> dict[str, int]:
    """How many cases the sitting agreed, deferred, declined (for the minutes' summary line)."""
    counts = {d.label: 0 for d in Decision}
    for item in meeting.items.all():
        counts[item.get_decision_display()] += 1
    return {label: n for label, n in counts.items() if n}
