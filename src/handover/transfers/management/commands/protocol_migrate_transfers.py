"""`handover protocol migrate-transfers`: move open transfers to the authority's current protocol version, each
audited with a transfer event, and report what changed; a transfer the version cannot carry stays, with why."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.organisation.access import AccessDenied
from handover.organisation.protocol import protocol_for
from handover.organisation.services import protocol_check_publisher
from handover.transfers.management.commands._protocol import authority_named, staff_named
from handover.transfers.protocol_versions import open_transfers, transfers_move_to_current


class Command(BaseCommand):
    help = "Move open transfers to the authority's current protocol version, recomputing their deadlines."

    def add_arguments(self, parser):
        parser.add_argument("--authority", help="authority code (default: the only one)")
        parser.add_argument(
            "--transfer", type=int, nargs="+", action="extend", help="only these transfers (ids)"
        )
        parser.add_argument(
            "--by", required=True, help="username of the member of staff moving them (on each transfer event)"
        )

    def handle(self, *args, **options):
        now = clock.now()
        authority = authority_named(options["authority"])
        by = staff_named(options["by"], authority)
        try:
            protocol_check_publisher(by, authority, clock.today_of(now))
        except AccessDenied as exc:
            raise CommandError(str(exc)) from exc
        ids = options["transfer"] or None
        write = self.stdout.write
        write(f"{authority.name}: moving open transfers to version {protocol_for(authority).version}.")
        if ids:
            found = set(open_transfers(authority, ids).values_list("pk", flat=True))
            for missing in sorted(set(ids) - found):
                write(f"Transfer {missing}: not an open transfer of {authority}")
        try:
            results = transfers_move_to_current(authority=authority, actor=by, now=now, ids=ids)
        except AccessDenied as exc:
            raise CommandError(str(exc)) from exc
        for changes in results:
            for line in changes.lines():
                write(line)
        moved = sum(1 for c in results if c.moved)
        refused = sum(1 for c in results if c.refusal)
        write(
            self.style.SUCCESS(
                f"moved {moved}, not moved {refused}, already on it {len(results) - moved - refused}"
            )
        )
