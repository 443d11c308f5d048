"""`handover audit verify`: recompute every authority's audit hash chain and name the first row that was
changed, removed or inserted (exit code 1), or say how many rows were checked (exit code 0)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from handover.audit.verify import audit_verify, heads_kept, report_lines


class Command(BaseCommand):
    help = (
        "verify: recompute the audit trail's hash chains (one per authority) and name the first row that was "
        "changed, removed or inserted since it was written."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"], help="verify: check the hash chains")
        parser.add_argument(
            "--against",
            metavar="MANIFEST",
            help="a backup's manifest (PATH.manifest.json): also check each chain still passes through where "
            "it ended then, which a chain rewritten since would not",
        )

    def handle(self, *args, **options):
        recorded = []
        if options["against"]:
            try:
                recorded = json.loads(Path(options["against"]).read_text(encoding="utf-8"))["audit_chains"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(
                    f"--against: {options['against']} is not a backup's manifest ({exc})"
                ) from exc
        verified = audit_verify()
        intact, broken = report_lines(verified)
        broken += heads_kept(recorded)
        for line in intact:
            self.stdout.write(line)
        if broken:
            raise CommandError(
                "The audit trail has been tampered with:\n" + "\n".join(f"- {line}" for line in broken)
            )
        rows, count = verified.rows, len(verified.chains)
        chains = f"{count} chain" + ("" if count == 1 else "s")
        against = " and each passes through where it ended in the manifest" if recorded else ""
        self.stdout.write(
            self.style.SUCCESS(f"The audit trail is intact: {rows:,} rows checked in {chains}{against}.")
        )
