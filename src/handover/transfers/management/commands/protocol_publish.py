"""`handover protocol publish FILE`: validate a protocol file, report what it would change for every open
transfer, and store it as the authority's current version (audited). `--dry-run` only reports."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.domain.errors import ProtocolError
from handover.organisation.access import AccessDenied
from handover.organisation.protocol import protocol_for, protocol_from_text
from handover.organisation.services import protocol_check_publisher, protocol_file_texts, protocol_publish
from handover.transfers.management.commands._protocol import authority_named, staff_named
from handover.transfers.protocol_versions import version_report


class Command(BaseCommand):
    help = (
        "Validate a protocol file, print what it would change for each open transfer (route, deadlines, "
        "readiness, escalation ladder) and store it as the authority's current version."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the protocol file (its numbered copy beside it)")
        parser.add_argument("--authority", help="authority code (default: the one the file is for)")
        parser.add_argument("--by", help="username of the member of staff publishing it (recorded, audited)")
        parser.add_argument("--dry-run", action="store_true", help="print the report; publish nothing")

    def handle(self, *args, **options):
        now = clock.now()
        today = clock.today_of(now)
        path = options["file"]
        try:
            text, clauses_text = protocol_file_texts(path)
            new = protocol_from_text(text=text, clauses_text=clauses_text, name=path)
        except ProtocolError as exc:
            raise CommandError(str(exc)) from exc
        authority = authority_named(options["authority"] or new.name)
        if new.name != authority.code:
            raise CommandError(f"{path} is {new.name!r}'s protocol, not {authority.code!r}'s")
        by = staff_named(options["by"], authority)
        if by is not None:
            try:
                protocol_check_publisher(by, authority, today)
            except AccessDenied as exc:
                raise CommandError(str(exc)) from exc
        current = protocol_for(authority)
        write = self.stdout.write
        write(f"{authority.name}: {path} is version {new.version}; the current version is {current.version}.")
        if new.version == current.version:
            write("It is the current version already: nothing to publish.")
            return
        report = version_report(authority=authority, new=new, today=today)
        write(f"{len(report)} open transfers; what would change if each moved to {new.version}:")
        for changes in report:
            for line in changes.lines():
                write(line)
        refused = [c for c in report if c.refusal]
        changed = [c for c in report if c.changed and not c.refusal]
        write(
            f"{len(changed)} would change, {len(refused)} cannot move to it (they stay on their version), "
            f"{len(report) - len(changed) - len(refused)} unchanged."
        )
        if options["dry_run"]:
            write("Dry run: nothing published.")
            return
        row = protocol_publish(
            authority=authority, text=text, clauses_text=clauses_text, name=path, now=now, by=by
        )
        write(
            self.style.SUCCESS(
                f"Published {row.version} as the current version of {authority.code}'s protocol: new proposals "
                "use it. Open transfers stay on their version until moved with "
                f"`handover protocol migrate-transfers --authority {authority.code} --by USERNAME`."
            )
        )
