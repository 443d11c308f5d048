"""`handover restore PATH [--force]`: put a backup made by `handover backup` into an empty database, then verify
the audit chains and compare every table's rows with the manifest's. Exit code 1 if anything differs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from handover.audit.backup import BackupError, restore
from handover.audit.verify import report_lines


class Command(BaseCommand):
    help = (
        "Restore a backup made by `handover backup` into an empty database (stop Handover first), then verify "
        "the audit trail and compare each table's rows with those the backup recorded."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file (its .manifest.json beside it)")
        parser.add_argument(
            "--force", action="store_true", help="replace everything in a database that already holds data"
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        try:
            restored = restore(path, force=options["force"])
        except BackupError as exc:
            raise CommandError(f"Nothing restored: {exc}.") from exc
        write = self.stdout.write
        made = timezone.localtime(dt.datetime.fromisoformat(restored.manifest["created_at"]))
        write(f"Restored {path}, made on {made:%-d %B %Y at %H:%M}.")
        intact, broken = report_lines(restored.verified)
        broken += restored.chain_ends
        for line in intact:
            write(f"Audit trail: {line}")
        write("Rows per table (in the backup, restored):")
        width = max((len(t) for t in restored.manifest["counts"]), default=10)
        differences = restored.differences
        for table in sorted(set(restored.manifest["counts"]) | set(restored.counts)):
            recorded, now = restored.manifest["counts"].get(table), restored.counts.get(table)
            flag = "  DIFFERENT" if table in differences else ""
            write(f"  {table:<{width}}  {_n(recorded):>10}  {_n(now):>10}{flag}")
        if restored.unapplied:
            write(
                f"This version of Handover has {len(restored.unapplied)} migrations the backup had not: run "
                "`handover manage migrate` before starting it."
            )
        problems = broken + [
            f"{t}: {_n(recorded)} rows in the backup, {_n(now)} restored"
            for t, (recorded, now) in differences.items()
        ]
        if problems:
            raise CommandError(
                "The restored database does not match the backup:\n" + "\n".join(f"- {p}" for p in problems)
            )
        rows = sum(restored.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Every table holds the rows the backup recorded ({rows:,} rows in {len(restored.counts)} tables) "
                "and the audit trail is intact."
            )
        )


def _n(count: int | None) -> str:
    return "missing" if count is None else f"{count:,}"
