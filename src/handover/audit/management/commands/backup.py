"""`handover backup PATH`: a consistent copy of the whole database (SQLite's online backup API; pg_dump on
PostgreSQL) and PATH.manifest.json beside it (row counts, audit chain ends, when; docs/security.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.audit.backup import BackupError, backup, manifest_path


class Command(BaseCommand):
    help = (
        "Back up the whole database to PATH (SQLite: a copy made with the online backup API; PostgreSQL: "
        "pg_dump's custom format) with a manifest beside it: the rows in each table and where each audit chain "
        "ends, which `handover restore` checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to write (it must not exist yet)")

    def handle(self, *args, **options):
        path = Path(options["path"])
        try:
            manifest = backup(path, now=clock.now())
        except BackupError as exc:
            raise CommandError(f"No backup made: {exc}.") from exc
        rows = sum(manifest["counts"].values())
        ends = "; ".join(f"{c['name']} at number {c['sequence']:,}" for c in manifest["audit_chains"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the database to {path} ({manifest['bytes']:,} bytes, {len(manifest['counts'])} tables, "
                f"{rows:,} rows)."
            )
        )
        self.stdout.write(f"Audit chains end: {ends or 'no audit rows yet'}.")
        self.stdout.write(f"Manifest: {manifest_path(path)} (keep it with the backup).")
