"""`handover manage two_factor_reset USERNAME`: remove a person's authenticator app (a lost or replaced phone),
so that they set one up again the next time they sign in. Run by whoever runs Handover's server; audited."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from handover import clock
from handover.accounts import two_factor


class Command(BaseCommand):
    help = "Remove a person's authenticator app: they set up a new one at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"there is no login with the username {username!r}")
        removed = two_factor.reset(user, now=clock.now(), by="the two_factor_reset command")
        if removed:
            self.stdout.write(f"{username}'s authenticator app is removed: they set up a new one at sign-in.")
        else:
            self.stdout.write(f"{username} has no authenticator app set up: nothing to do.")
