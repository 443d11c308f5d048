"""`handover import teams|staff|caseload FILE.csv`: all-or-nothing, with a report of row, column, problem.

On a terminal, a progress bar for checking the rows and one for writing them (rich); otherwise (cron, a pipe,
tests) a plain line every 1,000 rows."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from handover import clock
from handover.onboarding.importing import COLUMNS, ImportFailed, NotUTF8, decode_csv, import_csv
from handover.organisation.models import Authority

STAGES = {"check": "Checking rows", "write": "Writing records"}


class Command(BaseCommand):
    help = "Import teams, staff or an existing caseload from CSV (columns in docs/import.md)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(COLUMNS))
        parser.add_argument("file")
        parser.add_argument("--authority", help="authority code (default: the only one)")

    def handle(self, *args, **options):
        authorities = Authority.objects.all()
        if options["authority"]:
            authorities = authorities.filter(code=options["authority"])
        if authorities.count() != 1:
            raise CommandError(
                "name the authority with --authority (run `handover demo` or set one up first)"
            )
        try:
            text = decode_csv(Path(options["file"]).read_bytes(), options["file"])
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from exc
        except NotUTF8 as exc:
            raise CommandError(str(exc), returncode=2) from exc

        def run(**progress):
            return import_csv(
                authority=authorities.get(), kind=options["kind"], text=text, now=clock.now(), **progress
            )

        try:
            written = self._with_bars(run) if self.stdout.isatty() else run(progress=self.stdout.write)
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"imported {written} {options['kind']} rows"))

    def _with_bars(self, run) -> int:
        """One bar per stage, left on the screen when done. Rich writes to the stream itself: Django's wrapper
        would end each of its partial redraws with a new line."""
        stream = getattr(self.stdout, "_out", self.stdout)
        bars = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
        )
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(STAGES.get(stage, stage), total=total)
            bars.update(tasks[stage], completed=done)

        with bars:
            return run(advance=advance)
