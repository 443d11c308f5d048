"""The weekly transfer meeting: its sittings and chair rota, the early warning sheet (which compiles itself
from cases listed before the cut-off), late additions agreed by two managers, and decisions that drive each
transfer's workflow (D-096, D-108, D-176 to D-179 in Dorset; any protocol that declares a meeting)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.domain import text
from handover.domain.deadlines import cutoff_for, next_sitting
from handover.domain.text import text_errors
from handover.domain.workflow import MANAGERS, State
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.organisation.access import AccessDenied, actor_on_transfer, can_write, current_memberships
from handover.organisation.models import Authority, Role, StaffMember
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.transfers.models import Transfer
from handover.transfers.services import ApplicationError, transfer_act


def _meeting_spec(authority: Authority, meeting_id: str | None):
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


def meeting_sitting(*, authority: Authority, on: dt.date, meeting_id: str | None = None) -> Meeting:
    """The sitting a case identified on `on` can still make (its cut-off honoured), created if need be."""
    protocol, spec = _meeting_spec(authority, meeting_id)
    sits_on = next_sitting(protocol, spec, on)
    meeting, created = Meeting.objects.get_or_create(
        authority=authority,
        meeting=spec.id,
        sits_on=sits_on,
        defaults={"cutoff": cutoff_for(protocol, spec, sits_on)},
    )
    if created or meeting.chair_id is None:
        meeting.chair = _chair_for(authority, spec, sits_on)
        meeting.save(update_fields=["chair"])
    return meeting


def _chair_for(authority: Authority, spec, sits_on: dt.date) -> StaffMember | None:
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


def _listed_on(transfer: Transfer) -> dt.date | None:
    listed = transfer.events.filter(action="list").aggregate(at=Max("at"))["at"]
    return timezone.localtime(listed).date() if listed else None


def _pathways_at(protocol, meeting: Meeting) -> frozenset[str]:
    """The pathways of `protocol` whose cases this meeting hears: those whose timeline has a step at it. A
    transfer with no pathway (the managers chose the team) goes to the protocol's weekly meeting."""
    heard = {
        p.id
        for p in protocol.pathways.values()
        if any(step.at == meeting.meeting for step in protocol.timelines[p.timeline].steps)
    }
    weekly = next((m.id for m in protocol.file.meetings if m.cadence == "weekly"), None)
    return frozenset(heard | ({""} if meeting.meeting == weekly else set()))


def early_warning_sheet(meeting: Meeting) -> list[MeetingItem]:
    """The sheet compiles itself: every listed case identified by the cut-off and not already waiting on an
    earlier sitting, plus the late additions. Deferred cases roll on to the next sitting."""
    if meeting.status != Meeting.Status.CLOSED:
        # When each case was put on the sheet: one query, not one per case.
        # Each case by the protocol version it runs on: a pathway renamed since is still heard.
        listed = (
            Transfer.objects.filter(child__authority=meeting.authority, state=State.LISTED)
            .select_related("child")
            .annotate(listed_at=Max("events__at", filter=Q(events__action="list")))
            .exclude(pk__in=meeting.items.values("transfer_id"))
        )
        waiting_elsewhere = set(
            MeetingItem.objects.filter(decision=Decision.PENDING, meeting__sits_on__lt=meeting.sits_on)
            .exclude(meeting__status=Meeting.Status.CLOSED)
            .values_list("transfer_id", flat=True)
        )
        heard: dict[str, frozenset[str]] = {}
        for transfer in listed:
            if transfer.pk in waiting_elsewhere or transfer.listed_at is None:
                continue
            protocol = protocol_for_transfer(transfer)
            if protocol.sha256 not in heard:
                heard[protocol.sha256] = _pathways_at(protocol, meeting)
            if transfer.pathway not in heard[protocol.sha256]:
                continue
            if timezone.localtime(transfer.listed_at).date() <= meeting.cutoff:
                MeetingItem.objects.get_or_create(meeting=meeting, transfer=transfer)
    return list(
        meeting.items.select_related(
            "transfer__child",
            "transfer__from_team",
            "transfer__to_service",
            "transfer__to_team",
            "transfer__from_allocation__worker",
        ).order_by("late_addition", "transfer__from_team__name", "pk")
    )


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
    roles = actor_on_transfer(actor, transfer)
    held = {m.role for m in current_memberships(actor)}
    if not can_write(actor):
        raise AccessDenied("your roles are read-only")
    if (
        actor.pk == meeting.chair_id
        or Role.BUSINESS_SUPPORT in held
        or (roles.sending_roles | roles.receiving_roles) & MANAGERS
    ):
        return
    raise AccessDenied(
        "the meeting's decisions are recorded by business support, the chair or the managers concerned"
    )


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
    held = {m.role for m in current_memberships(actor)}
    if not can_write(actor) or not (actor.pk == meeting.chair_id or Role.BUSINESS_SUPPORT in held):
        raise AccessDenied("the chair or business support closes the meeting")
    if meeting.status == Meeting.Status.CLOSED:
        raise ApplicationError({"meeting": "already closed"})
    if problems := text_errors(minutes=(minutes, text.MINUTES)):
        raise ApplicationError(problems)
    with transaction.atomic():
        for item in meeting.items.filter(decision=Decision.PENDING):
            item.decision, item.reason = Decision.DEFERRED, "not reached at the meeting"
            item.recorded_by, item.recorded_at = actor, now
            item.save()
        meeting.minutes, meeting.status = minutes, Meeting.Status.CLOSED
        meeting.save()
        meeting.attendees.set(attendees)
        audit_record(actor=actor, verb=Verb.TRANSFER_ACTION, at=now, obj=meeting, detail=f"closed {meeting}")
    return meeting
