"""The weekly transfer meeting, its writes: scheduling a sitting with its chair from the rota, compiling the early
warning sheet from cases listed by the cut-off, late additions agreed by two managers, and decisions that drive
each transfer's workflow (D-096, D-108, D-176 to D-179 in Dorset; any protocol that declares a meeting). Each is
atomic and audited; the reads (the sitting due, the sheet as it would be) are in `selectors.py` and write
nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.domain import text
from handover.domain.rulebook import TransferWrite
from handover.domain.text import text_errors
from handover.domain.workflow import MANAGERS, State
from handover.meetings import selectors
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.organisation.access import (
    current_memberships,
    require_meeting_write,
    require_write,
)
from handover.organisation.models import Authority, StaffMember
from handover.transfers.models import Transfer
from handover.transfers.services import ApplicationError, transfer_act


def _require_organiser(actor: StaffMember, meeting: Meeting) -> None:
    """Business support, the sitting's chair or a manager schedule a sitting and compile its sheet."""
    require_meeting_write(actor, TransferWrite.MEETING_ORGANISE, meeting)


def meeting_sitting_schedule(
    *,
    authority: Authority,
    on: dt.date,
    meeting_id: str | None = None,
    now: dt.datetime,
    actor: StaffMember | None = None,
) -> Meeting:
    """Store the sitting a case identified on `on` can still make (its cut-off honoured), with its chair from
    the rota, and audit it. A sitting already stored is returned as it is (its chair filled in if the rota was
    empty before); then nothing is written. `actor` None is the system (`handover manage meetings_prepare`)."""
    planned = selectors.sitting_for(authority=authority, on=on, meeting_id=meeting_id)
    if actor is not None:
        _require_organiser(actor, planned)
    with transaction.atomic():
        meeting, created = Meeting.objects.get_or_create(
            authority=authority,
            meeting=planned.meeting,
            sits_on=planned.sits_on,
            defaults={"cutoff": planned.cutoff, "chair": planned.chair},
        )
        if created:
            audit_record(
                actor=actor,
                verb=Verb.MEETING_SCHEDULED,
                at=now,
                obj=meeting,
                after=snapshot(meeting),
                detail=f"scheduled {meeting}; chair: {meeting.chair or 'no one on the rota'}",
            )
        elif meeting.chair_id is None:
            _, spec = selectors.meeting_spec(authority, meeting.meeting)
            chair = selectors.chair_by_rota(authority, spec, meeting.sits_on)
            if chair is not None:
                before = snapshot(meeting)
                meeting.chair = chair
                meeting.save(update_fields=["chair"])
                audit_record(
                    actor=actor,
                    verb=Verb.MEETING_SCHEDULED,
                    at=now,
                    obj=meeting,
                    before=before,
                    after=snapshot(meeting),
                    detail=f"chair of {meeting} from the rota: {chair}",
                )
    return meeting


def _compile(meeting: Meeting, *, now: dt.datetime, actor: StaffMember | None) -> list[MeetingItem]:
    """Add the cases the sheet should hold (`selectors.sheet_additions`), one audit row for each case and one
    for the sheet. Call inside the caller's transaction. Nothing to add, nothing written."""
    added = []
    for transfer in selectors.sheet_additions(meeting):
        item, created = MeetingItem.objects.get_or_create(meeting=meeting, transfer=transfer)
        if not created:  # someone compiled it at the same moment
            continue
        added.append(item)
        audit_record(
            actor=actor,
            verb=Verb.SHEET_COMPILED,
            at=now,
            child=transfer.child,
            obj=item,
            detail=f"on the early warning sheet of {meeting}",
        )
    if added:
        audit_record(
            actor=actor,
            verb=Verb.SHEET_COMPILED,
            at=now,
            obj=meeting,
            after={
                "children": [i.transfer.child_id for i in added],
                "items": [i.pk for i in added],
            },
            detail=f"compiled the early warning sheet of {meeting}: {len(added)} added",
        )
    return added


def early_warning_sheet_compile(
    *, meeting: Meeting, now: dt.datetime, actor: StaffMember | None = None
) -> list[MeetingItem]:
    """Compile the sheet: add every listed case identified by the cut-off that it does not hold yet (a case
    waiting on an earlier sitting stays there; a case deferred at a closed sitting rolls on), each audited.
    Returns the items added (none if the sheet was complete: then nothing is written). Compiling before the
    cut-off is allowed and compiling again later adds the cases listed since; a closed meeting is refused.
    `actor` None is the system (`handover manage meetings_prepare`)."""
    if actor is not None:
        _require_organiser(actor, meeting)
    if meeting.status == Meeting.Status.CLOSED:
        raise ApplicationError({"meeting": "the meeting is closed"})
    with transaction.atomic():
        # One compiler at a time for a sitting: the second waits, then finds the cases already added.
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        return _compile(meeting, now=now, actor=actor)


@dataclass(frozen=True)
class Prepared:
    """What `meetings_prepare` did for one sitting: scheduled it (or found it stored), and the cases it added."""

    meeting: Meeting
    scheduled: bool
    added: tuple[MeetingItem, ...]

    def line(self) -> str:
        done = ["scheduled" if self.scheduled else "already scheduled"]
        if self.added:
            done.append(f"{len(self.added)} added to the early warning sheet")
        return f"{self.meeting} (cut-off {self.meeting.cutoff:%-d %B}): {', '.join(done)}"


def meetings_prepare(*, authority: Authority, now: dt.datetime) -> list[Prepared]:
    """Schedule the coming sittings of each of the protocol's meetings (`selectors.coming_sittings`), and compile
    the sheet of each open sitting whose cut-off has passed (the cut-off day counts: compiled the day after).
    By the system, each write audited; what is done already writes nothing, so cron may run it often."""
    today = timezone.localtime(now).date()
    prepared = []
    for sitting in selectors.coming_sittings(authority=authority, today=today):
        # The sitting whose cut-off that is (next_sitting from its cut-off), even if today is past it; a stored
        # one is left as it is (its chair filled in if the rota was empty when it was scheduled).
        meeting = meeting_sitting_schedule(
            authority=authority, on=sitting.cutoff, meeting_id=sitting.meeting, now=now
        )
        added: list[MeetingItem] = []
        if meeting.status != Meeting.Status.CLOSED and meeting.cutoff < today:
            added = early_warning_sheet_compile(meeting=meeting, now=now)
        prepared.append(Prepared(meeting, sitting.pk is None, tuple(added)))
    return prepared


def _listed_on(transfer: Transfer) -> dt.date | None:
    listed = transfer.events.filter(action="list").aggregate(at=Max("at"))["at"]
    return timezone.localtime(listed).date() if listed else None


def _is_manager_of(staff: StaffMember, *, on: dt.date, team=None, service=None) -> bool:
    return any(
        m.role in MANAGERS
        and m.team_id
        and (
            m.team_id == getattr(team, "pk", None)
            or (service is not None and m.team.service_id == service.pk)
        )
        for m in current_memberships(staff, on)
    )


def meeting_add_late(
    *,
    actor: StaffMember,
    meeting: Meeting,
    transfer: Transfer,
    sending_manager: StaffMember,
    receiving_manager: StaffMember,
    now: dt.datetime,
) -> MeetingItem:
    """A case identified after the cut-off joins only with the recorded agreement of the two managers (D-177)."""
    transfer.refresh_from_db()
    errors = {}
    if meeting.status == Meeting.Status.CLOSED:
        errors["meeting"] = "the meeting is closed"
    if transfer.state != State.LISTED:
        errors["transfer"] = (
            f"only a transfer on the early warning sheet can be added; this one is {transfer.state}"
        )
    identified = _listed_on(transfer)
    if identified is not None and identified <= meeting.cutoff:
        errors["transfer"] = "it was identified before the cut-off, so it is on the sheet already"
    if not _is_manager_of(sending_manager, on=timezone.localtime(now).date(), team=transfer.from_team):
        errors["sending_manager"] = (
            f"{sending_manager} is not a team or practice manager of {transfer.from_team}"
        )
    if not _is_manager_of(receiving_manager, on=timezone.localtime(now).date(), service=transfer.to_service):
        errors["receiving_manager"] = (
            f"{receiving_manager} is not a team or practice manager in {transfer.to_service}"
        )
    if errors:
        raise ApplicationError(errors)
    _require_recorder(actor, meeting, transfer)
    with transaction.atomic():
        _compile(meeting, now=now, actor=actor)  # the sheet first, so the late case follows the others
        item, _ = MeetingItem.objects.update_or_create(
            meeting=meeting,
            transfer=transfer,
            defaults={
                "late_addition": True,
                "late_agreed_by_sending": sending_manager,
                "late_agreed_by_receiving": receiving_manager,
            },
        )
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_ACTION,
            at=now,
            child=transfer.child,
            obj=item,
            detail=f"late addition to {meeting}, agreed by {sending_manager} and {receiving_manager}",
        )
    return item


def _require_recorder(actor: StaffMember, meeting: Meeting, transfer: Transfer) -> None:
    require_write(actor, TransferWrite.MEETING_RECORD, transfer, meeting=meeting)


def meeting_record_decision(
    *,
    actor: StaffMember,
    item: MeetingItem,
    decision: str,
    decided_by: StaffMember | None = None,
    to_team=None,
    transfer_date: dt.date | None = None,
    alternative_transfer_point: str = "",
    reason: str = "",
    now: dt.datetime,
) -> MeetingItem:
    """Record what the meeting decided; the transfer moves on through its workflow.

    `decided_by` is the receiving manager, present at the meeting, who agreed or declined (by default the person
    recording it). The workflow asks whether *that* manager may agree or decline; when someone else records it
    (business support, the chair), the manager is recorded as present and the transfer's history and audit
    trail name both: who decided and who recorded it. Nobody can decide as someone else who is not there.
    """
    decision = Decision(decision)
    decided_by = decided_by or actor
    meeting = item.meeting
    transfer = item.transfer
    _require_recorder(actor, meeting, transfer)
    errors = {}
    if meeting.status == Meeting.Status.CLOSED:
        errors["meeting"] = "the meeting is closed"
    elif timezone.localtime(now).date() < meeting.sits_on:
        errors["meeting"] = (
            f"the meeting sits on {meeting.sits_on:%A %-d %B %Y}: its decisions are recorded from that day"
        )
    if item.decision != Decision.PENDING:
        errors["decision"] = f"already recorded: {item.get_decision_display().lower()}"
    if decision is Decision.PENDING:
        errors["decision"] = "choose agreed, agreed with an alternative transfer point, deferred or declined"
    if decision is Decision.AGREED_ALTERNATIVE and not alternative_transfer_point.strip():
        errors["alternative_transfer_point"] = (
            "name the alternative transfer point (for example, the LAC review)"
        )
    if decision in (Decision.DEFERRED, Decision.DECLINED) and not reason.strip():
        errors["reason"] = f"give the reason the case was {decision.value}"
    errors.update(
        text_errors(
            reason=(reason, text.REASON),
            alternative_transfer_point=(
                alternative_transfer_point,
                MeetingItem._meta.get_field("alternative_transfer_point").max_length,
            ),
        )
    )
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        _compile(meeting, now=now, actor=actor)  # the meeting decides from the whole sheet
        transfer.refresh_from_db()
        if decision in (Decision.AGREED, Decision.AGREED_ALTERNATIVE):
            note = f"at the {meeting.name} of {meeting.sits_on:%-d %B %Y}" + (
                f"; transfer point: {alternative_transfer_point}" if alternative_transfer_point else ""
            )
            transfer_act(
                actor=actor,
                decided_by=decided_by,
                transfer=transfer,
                action="agree",
                expected_version=transfer.version,
                to_team=to_team,
                transfer_date=transfer_date,
                reason=note,
                now=now,
                on=meeting.sits_on,
            )
        elif decision is Decision.DECLINED:
            transfer_act(
                actor=actor,
                decided_by=decided_by,
                transfer=transfer,
                action="decline",
                expected_version=transfer.version,
                reason=reason,
                now=now,
                on=meeting.sits_on,
            )
        item.decision, item.decided_by, item.reason = decision, decided_by, reason
        item.alternative_transfer_point = alternative_transfer_point.strip()
        item.recorded_by, item.recorded_at = actor, now
        item.save()
        if decided_by != actor:
            meeting.attendees.add(decided_by)  # they decided at the meeting, so they were there
        if meeting.status == Meeting.Status.SCHEDULED:
            meeting.status = Meeting.Status.IN_PROGRESS
            meeting.save(update_fields=["status"])
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_ACTION,
            at=now,
            child=transfer.child,
            obj=item,
            detail=f"{meeting}: {decision.label}, decided by {decided_by.name}, recorded by {actor.name}",
        )
    return item


def meeting_close(
    *, actor: StaffMember, meeting: Meeting, minutes: str, attendees: list[StaffMember], now: dt.datetime
) -> Meeting:
    """Close the sitting: cases not reached are deferred to the next one; attendance and minutes recorded."""
    require_meeting_write(actor, TransferWrite.MEETING_CLOSE, meeting)
    if meeting.status == Meeting.Status.CLOSED:
        raise ApplicationError({"meeting": "already closed"})
    if problems := text_errors(minutes=(minutes, text.MINUTES)):
        raise ApplicationError(problems)
    with transaction.atomic():
        _compile(meeting, now=now, actor=actor)  # cases due on the sheet but never compiled are deferred too
        for item in meeting.items.filter(decision=Decision.PENDING):
            item.decision, item.reason = Decision.DEFERRED, "not reached at the meeting"
            item.recorded_by, item.recorded_at = actor, now
            item.save()
        meeting.minutes, meeting.status = minutes, Meeting.Status.CLOSED
        meeting.save()
        meeting.attendees.set(attendees)
        audit_record(actor=actor, verb=Verb.TRANSFER_ACTION, at=now, obj=meeting, detail=f"closed {meeting}")
    return meeting
