"""`handover demo`: build a synthetic authority (synthetic names only) on either protocol, or list its logins."""

import time
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from handover import clock
from handover.onboarding.demo import SIZES, build_demo, demo_logins
from handover.organisation.models import Authority

LOGIN_PATTERNS = (
    "Logins: director, head.of.service, auditor, administrator; sm.<service code> (service manager); "
    "tm.<team code> (team manager), pm.<team code> (practice manager), bs.<team code> (business support); "
    "social.<team code>.<n> (social worker), personal.<team code>.<n> (personal adviser, leaving care)."
)


class Command(BaseCommand):
    help = (
        "Build a synthetic authority with realistic volumes: teams, staff, children, allocations, transfers. "
        "With --logins, list every demo login instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--protocol", default="dorset", help="bundled protocol name or path")
        parser.add_argument("--size", choices=sorted(SIZES), default="mid")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--password", help="password for every demo login (default: generated and printed)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the database already has an authority (used by scripts/run)",
        )
        parser.add_argument(
            "--logins",
            action="store_true",
            help="list every login of the demo in this database (username, name, role, team) and build "
            "nothing; --password names the shared password in the listing",
        )

    def handle(self, *args, **options):
        authorities = list(Authority.objects.order_by("pk"))
        if options["logins"]:
            if not authorities:
                raise CommandError("this database has no demo yet: build it first (handover demo)")
            for authority in authorities:
                self._logins(authority, options["password"])
            return
        if options["if_empty"] and authorities:
            other = [a for a in authorities if a.protocol != options["protocol"]]
            if other:
                raise CommandError(
                    f"this database holds {other[0].name} (protocol {other[0].protocol}), not a demo on "
                    f"{options['protocol']}: use another database (scripts/run keeps one per protocol)"
                )
            self.stdout.write(
                f"The database already has an authority ({authorities[0].name}); using it (its demo password "
                "was printed when it was built)."
            )
            return
        started = time.perf_counter()  # elapsed time for the progress lines, not the demo's clock
        try:
            with self._progress(started) as (say, advance):
                result = build_demo(
                    protocol_name=options["protocol"],
                    size=options["size"],
                    seed=options["seed"],
                    password=options["password"],
                    now=clock.now(),
                    progress=say,
                    advance=advance,
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.authority.name}: {result.children} children, {result.staff} staff, "
                f"{result.historic_transfers} historic and {result.open_transfers} open transfers; "
                f"built in {time.perf_counter() - started:.1f} s."
            )
        )
        self.stdout.write(result.timing())
        self.stdout.write(result.senders)
        self.stdout.write(LOGIN_PATTERNS)
        self.stdout.write("`handover demo --logins` lists every login with its name, role and team.")
        self.stdout.write(f"Password for every demo login: {result.password}")

    @contextmanager
    def _progress(self, started: float):
        """On a terminal, a bar for each long phase with the result lines above them; otherwise a line for each
        result with the seconds since the start (logs and scripts read those), as before."""
        if not self.stdout.isatty():

            def say(message: str) -> None:
                self.stdout.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

            yield say, None
            return
        # The wrapped stream itself: Django's wrapper would end each of rich's partial redraws with a new line.
        console = Console(file=getattr(self.stdout, "_out", self.stdout), highlight=False)
        bars = Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        tasks: dict[str, int] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        def say_above(message: str) -> None:
            if not message.startswith("  "):  # the count lines: the bars show those
                console.print(message, markup=False)

        with bars:
            yield say_above, advance

    def _logins(self, authority: Authority, password: str | None) -> None:
        logins = demo_logins(authority)
        header = ("username", "name", "role", "team")
        rows = [header] + [(x.username, x.name, x.role, x.where) for x in logins]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write(f"{authority.name}: {len(logins)} logins")
        for i, row in enumerate(rows):
            self.stdout.write(
                "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row[:3])) + "  " + row[3]
            )
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths) + "  " + "-" * len(header[3]))
        if password:
            self.stdout.write(f"Every login above has the same password: {password}")
        else:
            self.stdout.write(
                "Every login above has the same password: the one printed when the demo was built "
                "(scripts/run keeps it in var/<protocol>.password)."
            )
