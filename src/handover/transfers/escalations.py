"""Escalations up the protocol's ladder (Dorset D-030, D-032; Central Bedfordshire C-008, C-028): raised by the
sweep when work is blocked or overdue past the local timings, stepped down when the work is done, acknowledged by
the person it sits with. A manager's own "escalate" on a blocked transfer is `services.transfer_act`.

One escalation is open per piece of work: raising the next level resolves the level below ("moved up"). Each
write is atomic and audited; the sweep's writes carry no person (the audit row's actor is empty, and pages say
"Handover (automatic, by the protocol's timings)").
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.domain import text
from handover.domain.errors import ApplicationError
from handover.domain.protocol import schema
from handover.domain.rulebook import TransferWrite
from handover.domain.text import text_errors
from handover.domain.workflow import Action, Actor, State, check
from handover.organisation.access import require_write
from handover.organisation.models import StaffMember
from handover.transfers.models import Escalation, RemedialAction, Transfer, TransferEvent

BLOCKED_STATES = (State.BLOCKED.value, State.ESCALATED.value)


def role_name(role: str) -> str:
    return role.replace("_", " ")


def escalation_raise(
    *,
    transfer: Transfer,
    subject: str,
    level: schema.EscalationLevel,
    moves_on: dt.date | None,
    key: str,
    reason: str,
    now: dt.datetime,
    step: str = "",
    remedial_action: RemedialAction | None = None,
) -> Escalation | None:
    """Raise `level` on a piece of work, by the sweep, once per `key` (None if it was raised already, or if
    the work no longer needs it: the transfer closed or unblocked, or already at or above that level).

    A blocked transfer moves up its own ladder (state escalated, `escalation_level`), as a manager's
    "escalate" would; an overdue step or remedial action gets an escalation of its own."""
    if Escalation.objects.filter(key=key).exists():
        return None
    with transaction.atomic():
        locked = Transfer.objects.select_for_update(of=("self",)).select_related("child").get(pk=transfer.pk)
        if not locked.is_open:
            return None
        previous = list(_open_on(locked, subject, step, remedial_action))
        if any(e.level >= level.level for e in previous):
            return None
        if subject == Escalation.Subject.BLOCKED:
            if locked.state not in BLOCKED_STATES or locked.escalation_level >= level.level:
                return None
            check(
                Action.ESCALATE,
                state=locked.state,
                actor=Actor(),
                route_kind=locked.route_kind,
                reason=reason,
                by_sweep=True,
            )
            before = snapshot(locked)
            from_state = locked.state
            locked.state = State.ESCALATED
            locked.escalation_level = level.level
            locked.version += 1
            locked.save()
            TransferEvent.objects.create(
                transfer=locked,
                action=Action.ESCALATE.value,
                from_state=from_state,
                to_state=locked.state,
                actor=None,
                at=now,
                reason=reason,
                data={"level": level.level, "by": "sweep", "cites": list(level.cites)},
            )
            audit_record(
                actor=None,
                verb=Verb.TRANSFER_ACTION,
                at=now,
                child=locked.child,
                obj=locked,
                before=before,
                after=snapshot(locked),
                detail=f"escalate: {from_state} -> escalated (by the sweep, level {level.level})",
            )
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    transfer=locked,
                    subject=subject,
                    step=step,
                    remedial_action=remedial_action,
                    level=level.level,
                    role=level.who.value,
                    cites=list(level.cites),
                    opened_at=now,
                    opened_by=None,
                    key=key,
                    due=moves_on,
                    reason=reason,
                )
        except IntegrityError:
            # Another sweep raised it a moment ago; ours rolls back whole (the transfer's change too).
            transaction.set_rollback(True)
            return None
        for lower in previous:
            _resolve(
                lower,
                now=now,
                by=None,
                resolution=f"moved up to level {level.level} ({role_name(level.who)})",
            )
        audit_record(
            actor=None,
            verb=Verb.ESCALATION_RAISED,
            at=now,
            child=locked.child,
            obj=escalation,
            after=snapshot(escalation),
            detail=f"level {level.level}, {role_name(level.who)} ({', '.join(level.cites)}): {reason}",
        )
    return escalation


def _open_on(transfer: Transfer, subject: str, step: str, remedial_action: RemedialAction | None):
    rows = Escalation.objects.select_for_update().filter(
        transfer=transfer, subject=subject, resolved_at__isnull=True
    )
    if subject == Escalation.Subject.STEP:
        rows = rows.filter(step=step)
    elif subject == Escalation.Subject.REMEDIAL_ACTION:
        rows = rows.filter(remedial_action=remedial_action)
    return rows


def _resolve(escalation: Escalation, *, now: dt.datetime, by: StaffMember | None, resolution: str) -> None:
    before = snapshot(escalation)
    escalation.resolved_at = now
    escalation.resolved_by = by
    escalation.resolution = resolution
    escalation.save()  # not queryset.update(): the row history must see it
    audit_record(
        actor=by,
        verb=Verb.ESCALATION_RESOLVED,
        at=now,
        child=escalation.transfer.child,
        obj=escalation,
        before=before,
        after=snapshot(escalation),
        detail=resolution,
    )


def escalation_step_down(*, escalation: Escalation, resolution: str, now: dt.datetime) -> bool:
    """The work is done: resolve the escalation open on it, by the sweep. False if it was resolved already."""
    with transaction.atomic():
        locked = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("transfer__child")
            .get(pk=escalation.pk)
        )
        if locked.resolved_at is not None:
            return False
        _resolve(locked, now=now, by=None, resolution=resolution)
    return True


def escalation_acknowledge(
    *, actor: StaffMember, escalation: Escalation, now: dt.datetime, note: str = ""
) -> Escalation:
    """ "I have this": the person the escalation sits with (or a manager of either team) says it is being dealt
    with. It stays open until the work is done (the sweep steps it down) or the block is resolved; it does not
    stop the clock to the next level."""
    if problems := text_errors(note=(note, text.REASON)):
        raise ApplicationError(problems)
    on = timezone.localtime(now).date()
    with transaction.atomic():
        locked = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related(
                "transfer__child", "transfer__from_team", "transfer__to_service", "transfer__to_team"
            )
            .get(pk=escalation.pk)
        )
        require_write(actor, TransferWrite.ESCALATION_ACKNOWLEDGE, locked.transfer, on, escalation=locked)
        if locked.resolved_at is not None:
            raise ApplicationError({"escalation": "this escalation is resolved already"})
        if locked.acknowledged_at is not None:
            raise ApplicationError({"escalation": f"{locked.acknowledged_by.name} acknowledged it already"})
        before = snapshot(locked)
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
        locked.save()
        audit_record(
            actor=actor,
            verb=Verb.ESCALATION_ACKNOWLEDGED,
            at=now,
            child=locked.transfer.child,
            obj=locked,
            before=before,
            after=snapshot(locked),
            detail=note.strip(),
        )
    return locked
