"""Use cases for allocations outside a protocol transfer: a manager reassigning within the team."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.children.access import require_record_action
from handover.children.models import (
    SUMMARY_DOCUMENT_TYPE,
    Allocation,
    AllocationKind,
    ChangeReason,
    Child,
    DocumentOnFile,
    InvolvedProfessional,
    KeyEvent,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.children.selectors import child_version
from handover.children.workers import require_qualified_worker
from handover.domain import plausible
from handover.domain.errors import ApplicationError, Conflict
from handover.domain.rulebook import RecordAction, TeamWrite
from handover.domain.text import text_errors
from handover.organisation.access import require_team_write
from handover.organisation.models import StaffMember, Team
from handover.organisation.protocol import protocol_for
from handover.organisation.selectors import eligible_workers


def allocation_move(
    *,
    actor: StaffMember | None,
    allocation: Allocation,
    to_team: Team,
    worker: StaffMember | None,
    reason_code: str,
    on: dt.date,
    now: dt.datetime,
) -> Allocation:
    """End `allocation` and start the next one at the same moment (SSD involvements must not overlap). The new
    worker must be a registered social worker where the protocol requires one for the child (D-026); the move is
    recorded with who made it, when, from and to whom and why (the audit rows, and the allocations' reasons)."""
    if reason_code not in ChangeReason.values:
        raise ApplicationError({"reason_code": f"one of {', '.join(ChangeReason.values)}"})
    if worker is not None and worker.pk == allocation.worker_id and to_team.pk == allocation.team_id:
        raise ApplicationError({"worker": "the child is already allocated to this worker"})
    if worker is not None and not eligible_workers(to_team, on=on).filter(pk=worker.pk).exists():
        raise ApplicationError({"worker": f"{worker} is not an active case-holding worker in {to_team}"})
    if worker is not None:
        require_qualified_worker(
            field="worker",
            worker=worker,
            child=allocation.child,
            on=on,
            protocol=protocol_for(allocation.child.authority),
            kind=allocation.kind,
            role=allocation.role,
        )
    with transaction.atomic():
        current = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if current.end is not None:
            raise ApplicationError({"allocation": "this allocation has already ended"})
        before = snapshot(current)
        current.end = on
        current.end_reason = reason_code
        current.save()
        audit_record(
            actor=actor,
            verb=Verb.ALLOCATION_ENDED,
            at=now,
            child=current.child,
            obj=current,
            before=before,
            after=snapshot(current),
        )
        new = Allocation.objects.create(
            child=current.child,
            kind=current.kind,
            team=to_team,
            worker=worker,
            role=current.role,
            purpose=current.purpose,
            start=on,
            start_reason=reason_code,
        )
        where = (
            f"Reassigned within {to_team}"
            if to_team.pk == current.team_id
            else f"Moved from {current.team} to {to_team}"
        )
        audit_record(
            actor=actor,
            verb=Verb.ALLOCATION_STARTED,
            at=now,
            child=new.child,
            obj=new,
            before={
                "moved_from_allocation": current.pk,
                "worker": current.worker_id,
                "team": current.team_id,
            },
            after=snapshot(new),
            detail=f"{where}: {current.worker or 'no worker'} to {worker or 'no worker'} "
            f"({reason_code}: {ChangeReason(reason_code).label})",
        )
    return new


def allocation_reassign(
    *,
    actor: StaffMember,
    child: Child,
    worker: StaffMember,
    reason_code: str = "MANAGE",
    now: dt.datetime,
) -> Allocation:
    """A manager moves a child to another worker in the same team, directly (no transfer)."""
    current = (
        child.allocations.filter(kind=AllocationKind.PRIMARY, end__isnull=True).select_related("team").first()
    )
    if current is None:
        raise ApplicationError({"child": "the child has no open primary allocation"})
    require_team_write(actor, TeamWrite.REASSIGN, current.team)
    return allocation_move(
        actor=actor,
        allocation=current,
        to_team=current.team,
        worker=worker,
        reason_code=reason_code,
        on=timezone.localtime(now).date(),
        now=now,
    )


# What each dated entry's dates are, in words, and whether they may be ahead (a meeting booked).
RECORD_DATES = {
    "documents": {"dated": ("the date of the document", False)},
    "legal_statuses": {"start": ("the start of the legal status", False), "end": ("its end", False)},
    "plans": {"start": ("the start of the plan", False), "end": ("its end", False)},
    "key_events": {"date": ("the date of the meeting or event", True)},
}


def record_date_problems(kind: str, values: dict, *, today: dt.date) -> dict[str, str]:
    """The implausible dates of an entry for a child's record (domain.plausible): a document dated in the future
    or in year 26, a plan ending before it started, a meeting booked years ahead. Not checked against the birth:
    a pre-birth assessment, conference or plan comes before it."""
    problems = {}
    for field, (what, may_be_ahead) in RECORD_DATES.get(kind, {}).items():
        value = values.get(field)
        if not isinstance(value, dt.date):
            continue
        check = plausible.booked_date if may_be_ahead else plausible.past_date
        if problem := check(value, what, today=today):
            problems[field] = problem
    start, end = values.get("start"), values.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start and "end" not in problems:
        problems["end"] = f"the end cannot be before the start ({plausible.day(start)})"
    return problems


def child_record_add(*, actor: StaffMember, child: Child, kind: str, values: dict, now: dt.datetime):
    """Add a dated entry to a child's record: a document on file, a legal status, a plan, a key event or an
    involved professional. An open legal status or plan of the same kind is ended the day the new one starts,
    so episodes never overlap."""

    models_by_kind = {
        "documents": DocumentOnFile,
        "legal_statuses": LegalStatusEpisode,
        "plans": PlanEpisode,
        "key_events": KeyEvent,
        "professionals": InvolvedProfessional,
    }
    require_record_action(actor, child, RecordAction.CHANGE, timezone.localtime(now).date())
    if kind == "documents" and values.get("document_type") == SUMMARY_DOCUMENT_TYPE:
        raise ApplicationError(
            {
                "document_type": "a Case Transfer Summary goes on file when a manager of the transferring team "
                "authorises it on the transfer's summary page, not as an upload"
            }
        )
    model = models_by_kind[kind]
    if problems := record_date_problems(kind, values, today=timezone.localtime(now).date()):
        raise ApplicationError(problems)
    with transaction.atomic():
        if kind in ("legal_statuses", "plans"):
            open_rows = model.objects.select_for_update().filter(child=child, end__isnull=True)
            for row in open_rows:
                if row.start > values["start"]:
                    raise ApplicationError(
                        {"start": f"the open {kind[:-1].replace('_', ' ')} started later ({row.start})"}
                    )
                before = snapshot(row)
                row.end = values["start"]
                row.save()
                audit_record(
                    actor=actor,
                    verb=Verb.CHILD_CHANGED,
                    at=now,
                    child=child,
                    obj=row,
                    before=before,
                    after=snapshot(row),
                )
        if kind == "documents":
            values = {**values, "recorded_by": actor, "recorded_at": now}
        row = model.objects.create(child=child, **values)
        audit_record(actor=actor, verb=Verb.CHILD_CHANGED, at=now, child=child, obj=row, after=snapshot(row))
    return row


def child_close(*, actor: StaffMember, child: Child, reason: str, now: dt.datetime) -> Child:
    """Close a child's record with a reason (nothing is deleted); open allocations end the same day."""
    on = timezone.localtime(now).date()
    require_record_action(actor, child, RecordAction.CLOSE, on)
    if not reason.strip():
        raise ApplicationError({"reason": "say why the record is closed"})
    if problems := text_errors(reason=(reason.strip(), Child._meta.get_field("closure_reason").max_length)):
        raise ApplicationError(problems)  # refused whole, never cut short
    if child.closed_on:
        raise ApplicationError({"child": f"already closed on {child.closed_on}"})
    return close_child_record(actor=actor, child=child, on=on, reason=reason.strip(), now=now)


def close_child_record(
    *, actor: StaffMember, child: Child, on: dt.date, reason: str, now: dt.datetime
) -> Child:
    """End every open allocation on `on` and close the record with `reason`, audited; the caller has checked who
    may (closing by hand, or the protocol's point of transfer to another authority)."""
    with transaction.atomic():
        for allocation in Allocation.objects.select_for_update().filter(child=child, end__isnull=True):
            before = snapshot(allocation)
            allocation.end = max(on, allocation.start)
            allocation.end_reason = ChangeReason.OTHERS
            allocation.save()
            audit_record(
                actor=actor,
                verb=Verb.ALLOCATION_ENDED,
                at=now,
                child=child,
                obj=allocation,
                before=before,
                after=snapshot(allocation),
            )
        before = snapshot(child)
        child.closed_on, child.closure_reason = on, reason.strip()
        child.save()
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CLOSED,
            at=now,
            child=child,
            obj=child,
            before=before,
            after=snapshot(child),
        )
    return child


def child_update(
    *,
    actor: StaffMember,
    child: Child,
    values: dict,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Child:
    """Change the child's details (name, date of birth, ...), by someone with a relation to the child. With
    `expected_version` (a page's `child_version`), refused with a conflict if the details changed since."""
    today = timezone.localtime(now).date()
    require_record_action(actor, child, RecordAction.CHANGE, today)
    problems = {}
    born, due = values.get("date_of_birth"), values.get("expected_date_of_birth")
    if isinstance(born, dt.date) and (problem := plausible.birth_date(born, today=today)):
        problems["date_of_birth"] = problem
    if isinstance(due, dt.date) and (problem := plausible.expected_birth_date(due, today=today)):
        problems["expected_date_of_birth"] = problem
    if problems:
        raise ApplicationError(problems)
    with transaction.atomic():
        if expected_version is not None:
            locked = Child.objects.select_for_update().get(pk=child.pk)
            if child_version(locked) != expected_version:
                raise Conflict(
                    f"the child's details were changed by someone else since you loaded them (version "
                    f"{expected_version}, now {child_version(locked)}); reload them and try again"
                )
        before = snapshot(child)
        for field, value in values.items():
            setattr(child, field, value)
        child.save()
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=child,
            obj=child,
            before=before,
            after=snapshot(child),
        )
    return child
