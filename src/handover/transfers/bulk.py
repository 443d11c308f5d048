"""Bulk transfer of a caseload (a worker leaves, a team restructures), run in the background with progress.

`bulk_transfer_request` records the request and queues `run_bulk_transfer` (django-tasks; `handover manage
db_worker` runs the queue). Each family moves together in its own transaction, so one failure does not undo
the others; every child gets a result line.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from handover import clock
from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import Allocation, AllocationKind, ChangeReason
from handover.children.services import allocation_move
from handover.domain.rulebook import TeamWrite
from handover.domain.text import REASON, text_errors
from handover.domain.workflow import OPEN_STATES
from handover.organisation.access import require_team_write
from handover.organisation.models import StaffMember, Team
from handover.organisation.selectors import eligible_workers
from handover.transfers.models import BulkTransfer, Transfer
from handover.transfers.services import ApplicationError


def bulk_transfer_request(
    *,
    actor: StaffMember,
    from_team: Team,
    to_team: Team,
    reason: str,
    reason_code: str = ChangeReason.ORGRST,
    from_worker: StaffMember | None = None,
    to_worker: StaffMember | None = None,
    now: dt.datetime,
) -> BulkTransfer:
    across = to_team.service_id != from_team.service_id
    require_team_write(
        actor, TeamWrite.BULK_MOVE_ACROSS_SERVICES if across else TeamWrite.BULK_MOVE, from_team
    )
    errors = {}
    if not reason.strip():
        errors["reason"] = "say why the caseload is moving"
    errors.update(text_errors(reason=(reason, REASON)))
    if reason_code not in (
        ChangeReason.ORGRST,
        ChangeReason.LEFTRL,
        ChangeReason.ABSENC,
        ChangeReason.MANAGE,
    ):
        errors["reason_code"] = "ORGRST, LEFTRL, ABSENC or MANAGE"
    if from_team.pk == to_team.pk and (to_worker is None or to_worker == from_worker):
        errors["to_worker"] = "name the worker taking the caseload within the same team"
    if (
        to_worker is not None
        and not eligible_workers(to_team, on=timezone.localtime(now).date()).filter(pk=to_worker.pk).exists()
    ):
        errors["to_worker"] = f"{to_worker} is not an active case-holding worker in {to_team}"
    if not to_team.active:
        errors["to_team"] = f"{to_team} is not active"
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        job = BulkTransfer.objects.create(
            requested_by=actor,
            requested_at=now,
            from_team=from_team,
            from_worker=from_worker,
            to_team=to_team,
            to_worker=to_worker,
            reason_code=reason_code,
            reason=reason.strip(),
        )
        audit_record(
            actor=actor,
            verb=Verb.BULK_TRANSFER,
            at=now,
            obj=job,
            detail=f"{from_team} -> {to_team}: {reason}",
        )
        transaction.on_commit(lambda: run_bulk_transfer.enqueue(job.pk))
    return job


@task()
def run_bulk_transfer(job_id: int) -> None:
    """The background task: the boundary where the clock is read for the job."""
    bulk_transfer_run(job_id=job_id, now=clock.now())
    job = BulkTransfer.objects.get(pk=job_id)
    job.finished_at = clock.now()
    job.save(update_fields=["finished_at"])


def bulk_transfer_run(*, job_id: int, now: dt.datetime) -> BulkTransfer:
    """Move the job's caseload family by family, recording a result line per child."""
    job = BulkTransfer.objects.select_related("from_team", "to_team", "requested_by").get(pk=job_id)
    allocations = Allocation.objects.filter(team=job.from_team, kind=AllocationKind.PRIMARY, end__isnull=True)
    if job.from_worker_id:
        allocations = allocations.filter(worker_id=job.from_worker_id)
    allocations = list(allocations.select_related("child").order_by("child__family_id", "child_id"))
    job.status, job.total, job.done, job.results = BulkTransfer.Status.RUNNING, len(allocations), 0, []
    job.save(update_fields=["status", "total", "done", "results"])
    on = timezone.localtime(now).date()
    open_states = [s.value for s in OPEN_STATES]
    families = groupby(allocations, key=lambda a: a.child.family_id or f"child-{a.child_id}")
    for _, group in families:
        group = list(group)
        results = _move_family(job, group, on, now, open_states)
        job.results.extend(results)
        job.done += len(group)
        job.save(update_fields=["results", "done"])
    job.status = BulkTransfer.Status.DONE
    job.save(update_fields=["status"])
    return job


def _move_family(
    job: BulkTransfer, group: list[Allocation], on: dt.date, now: dt.datetime, open_states: list[str]
) -> list[dict]:
    """Siblings move together or not at all."""
    blocked = Transfer.objects.filter(child__in=[a.child for a in group], state__in=open_states).first()
    if blocked is not None:
        message = f"{blocked.child.name} has open transfer {blocked.pk}; finish or withdraw it first"
        return [_result(a, "skipped", message) for a in group]
    try:
        with transaction.atomic():
            for allocation in group:
                allocation_move(
                    actor=job.requested_by,
                    allocation=allocation,
                    to_team=job.to_team,
                    worker=job.to_worker,
                    reason_code=job.reason_code,
                    on=on,
                    now=now,
                )
    except ApplicationError as exc:
        return [_result(a, "failed", str(exc)) for a in group]
    return [_result(a, "moved", f"to {job.to_team}") for a in group]


def _result(allocation: Allocation, outcome: str, message: str) -> dict:
    return {
        "child": allocation.child_id,
        "identifier": allocation.child.identifier,
        "outcome": outcome,
        "message": message,
    }
