"""`handover sweep`: run the sweep now (for cron, every few minutes), or `--schedule` it as a background task
that re-queues itself (for `handover manage db_worker`). Idempotent: running it twice changes nothing the
second time. Prints what it found and did."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.organisation.models import Authority
from handover.sweep.services import sweep_run
from handover.sweep.tasks import CannotSchedule, sweep_schedule


class Command(BaseCommand):
    help = (
        "Remind ahead of due dates, tell people what is overdue, escalate up the protocol's ladder after its "
        "timings, step down what is done, prepare meetings and send their papers, and deliver email. "
        "Safe to run every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authority", help="only this authority (its code)")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="queue it as a background task that repeats (run `handover manage db_worker`)",
        )
        parser.add_argument(
            "--every", type=int, default=10, help="minutes between scheduled sweeps (default 10)"
        )

    def handle(self, *args, **options):
        now = clock.now()
        if options["every"] < 1:
            raise CommandError("--every must be at least 1 minute")
        if options["schedule"]:
            try:
                queued = sweep_schedule(now=now, every_minutes=options["every"])
            except CannotSchedule as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"scheduled: a sweep every {options['every']} minutes"
                if queued
                else "a scheduled sweep is already waiting; nothing queued"
            )
            return
        authorities = None
        if options["authority"]:
            authorities = list(Authority.objects.filter(code=options["authority"]))
            if not authorities:
                raise CommandError(f"no authority {options['authority']!r}")
        run = sweep_run(now=now, authorities=authorities)
        found = (
            ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(run.found.items())) or "no open work"
        )
        done = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(run.done.items()) if v) or "nothing"
        self.stdout.write(f"found: {found}")
        self.stdout.write(f"done: {done}")
