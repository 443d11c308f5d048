"""Settings for the test suite: development mode, fast password hashing, tasks run immediately, and a fixed
clock (the suite is written for Tuesday 24 November 2026; CI also runs it with the machine's clock moved)."""

import datetime as _dt
import os
from zoneinfo import ZoneInfo

os.environ.setdefault("HANDOVER_DEBUG", "true")
os.environ.setdefault("HANDOVER_SECURE", "false")

from handover.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

HANDOVER_FIXED_NOW = _dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/London"))

# Two-factor sign-in is off for the suite (people sign in with a password alone, as before); the tests of it turn
# it on. API rate limits are off too (a test makes many requests as one person); the throttling tests set rates.
HANDOVER_REQUIRE_TWO_FACTOR = False
HANDOVER_API_THROTTLE_RATES = {"user": None, "anon": None}
# Every read's audit row sealed at once, so a test sees the chain as it reads it whatever ran just before; the
# tests of sealing a read's row later set the production interval.
HANDOVER_AUDIT_READ_SEAL_SECONDS = 0
