"""What the early warning sheet and the minutes show about each case: read-only views over the records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, prefetch_related_objects

from handover.children.models import LegalStatusEpisode, PlanEpisode
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.meetings.services import early_warning_sheet
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers.models import RemedialAction
from handover.transfers.services import transfer_readiness


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
    remedial_actions: tuple[RemedialAction, ...]

    @property
    def decision(self) -> str:
        return self.item.get_decision_display()


def _open_on(queryset, on: dt.date):
    return queryset.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gte=on))


def case_status(child, on: dt.date) -> str:
    """The plan and legal status as the sheet shows them, e.g. 'Looked after (Interim care order)'."""
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
        remedial_actions=tuple(transfer.remedial_actions.all()),
    )


def sheet_rows(meeting: Meeting) -> list[SheetRow]:
    """The sheet with each case's readiness gaps and next key dates, as of the meeting day."""
    items = early_warning_sheet(meeting)
    prefetch_related_objects(
        items,
        "transfer__deadlines",
        Prefetch("transfer__remedial_actions", RemedialAction.objects.select_related("owner")),
    )
    return [sheet_row(item) for item in items]


def decided(meeting: Meeting) -> dict[str, int]:
    """How many cases the sitting agreed, deferred, declined (for the minutes' summary line)."""
    counts = {d.label: 0 for d in Decision}
    for item in meeting.items.all():
        counts[item.get_decision_display()] += 1
    return {label: n for label, n in counts.items() if n}
