"""`handover import teams|staff|caseload FILE.csv`: all-or-nothing, with a report of row, column, problem."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.onboarding.importing import COLUMNS, ImportFailed, NotUTF8, decode_csv, import_csv
from handover.organisation.models import Authority


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
        try:
            written = import_csv(
                authority=authorities.get(),
                kind=options["kind"],
                text=text,
                now=clock.now(),
                progress=self.stdout.write,
            )
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"imported {written} {options['kind']} rows"))
