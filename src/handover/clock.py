"""The one clock. Only the boundary reads it (a request, a management command, a background task) and passes
`now` down; nothing below it reads the time. A fixed instant in settings.HANDOVER_FIXED_NOW (the test suite's,
or a training copy's) replaces the real time everywhere at once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    fixed = getattr(settings, "HANDOVER_FIXED_NOW", None)
    return fixed if fixed is not None else timezone.now()


def today_of(moment: dt.datetime) -> dt.date:
    """The local (Europe/London) day of an instant."""
    return timezone.localtime(moment).date()


def wall_time() -> float:
    """The real time in seconds, never the fixed one: only for checking a one-time code, which an authenticator
    app makes from the real time on the person's phone (django-otp checks its own codes the same way)."""
    import time

    return time.time()
