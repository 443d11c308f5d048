"""The sweep as a background task (django-tasks with `db_worker`): each run queues the next, `every` minutes on,
so a worker started with `handover manage db_worker` keeps the protocol's clock running without cron.
`handover sweep --schedule` starts the chain (once: a chain already waiting is left alone)."""

from __future__ import annotations

import datetime as dt

from django_tasks import default_task_backend, task

from handover import clock


@task()
def sweep_scheduled(every_minutes: int = 10) -> dict:
    """The boundary where the clock is read for a scheduled sweep. The next run is queued before this one
    starts, so a sweep that fails does not stop the chain (the failure is on the task and the SweepRun)."""
    now = clock.now()
    if default_task_backend.supports_defer:
        sweep_schedule(now=now + dt.timedelta(minutes=every_minutes), every_minutes=every_minutes)
    from handover.sweep.services import sweep_run

    run = sweep_run(now=now)
    return {"sweep": run.pk, "found": run.found, "done": run.done}


class CannotSchedule(Exception):
    """The task backend runs tasks at once (development, tests): use cron with `handover sweep` instead."""


def sweep_schedule(*, now: dt.datetime, every_minutes: int = 10) -> bool:
    """Queue a scheduled sweep to run from `now`, unless one is already waiting. True if one was queued.
    Raises CannotSchedule where the task backend cannot run a task later (the immediate backend)."""
    if not default_task_backend.supports_defer:
        raise CannotSchedule(
            "the task backend runs tasks at once, so it cannot schedule a sweep: run `handover sweep` from cron, "
            "or use the database backend (TASKS) with `handover manage db_worker`"
        )
    if _waiting():
        return False
    sweep_scheduled.using(run_after=now).enqueue(every_minutes)
    return True


def _waiting() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=f"{sweep_scheduled.func.__module__}.{sweep_scheduled.func.__qualname__}",
        status__in=["READY", "RUNNING"],
    ).exists()
