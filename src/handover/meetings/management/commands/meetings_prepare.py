"""`handover manage meetings_prepare`: schedule the coming sittings of every authority's transfer meetings, with
their chairs from the rota, and compile the early warning sheets whose cut-off has passed. For cron (say, each
working day at 6am): what is done already is left alone and writes nothing. Pages never do this on a GET."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.meetings.services import meetings_prepare
from handover.organisation.models import Authority


class Command(BaseCommand):
    help = (
        "Schedule the coming transfer meeting sittings and compile the early warning sheets whose cut-off has "
        "passed, for every authority (or one). Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authority", help="only this authority (its code)")

    def handle(self, *args, **options):
        now = clock.now()
        authorities = Authority.objects.order_by("code")
        if options["authority"]:
            authorities = authorities.filter(code=options["authority"])
            if not authorities.exists():
                raise CommandError(f"no authority {options['authority']!r}")
        for authority in authorities:
            prepared = meetings_prepare(authority=authority, now=now)
            self.stdout.write(f"{authority.name}:")
            for done in prepared:
                self.stdout.write(f"  {done.line()}")
            if not prepared:
                self.stdout.write("  the protocol declares no transfer meetings")
