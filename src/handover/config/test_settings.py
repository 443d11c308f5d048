"""Settings for the test suite: development mode, fast password hashing, tasks run immediately."""

import os

os.environ.setdefault("HANDOVER_DEBUG", "true")
os.environ.setdefault("HANDOVER_SECURE", "false")

from handover.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
