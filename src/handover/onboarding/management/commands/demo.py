"""`handover demo`: build a synthetic authority (synthetic names only) on either protocol."""

import time

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.onboarding.demo import SIZES, build_demo
from handover.organisation.models import Authority


class Command(BaseCommand):
    help = (
        "Build a synthetic authority with realistic volumes: teams, staff, children, allocations, transfers."
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

    def handle(self, *args, **options):
        if options["if_empty"] and Authority.objects.exists():
            self.stdout.write(
                "The database already has an authority; using it (its demo password was printed "
                "when it was built)."
            )
            return
        started = time.perf_counter()  # elapsed time for the progress lines, not the demo's clock

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

        try:
            result = build_demo(
                protocol_name=options["protocol"],
                size=options["size"],
                seed=options["seed"],
                password=options["password"],
                now=clock.now(),
                progress=progress,
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
        self.stdout.write(
            "Demo logins: tm.<team code> (team manager), pm.<team code>, sm.<service code>, "
            "director, auditor; social workers social.<team code>.<n>."
        )
        self.stdout.write(f"Password for every demo login: {result.password}")
