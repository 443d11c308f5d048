"""Handover's settings from the environment, declared once with their types and defaults.

Production (HANDOVER_DEBUG unset or false) refuses to start without HANDOVER_SECRET_KEY and
HANDOVER_ALLOWED_HOSTS; development keeps a random key in var/ (never in the repository).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("HANDOVER_VAR_DIR", BASE_DIR / "var"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True)
class Environment:
    debug: bool
    secret_key: str
    allowed_hosts: tuple[str, ...]
    database_url: str
    protocol: str
    authority_name: str | None
    secure: bool
    maintenance: bool
    letters_dir: str | None = None
    base_url: str = "http://localhost:8000"
    digest_hour: int = 7
    email_backend: str = "console"
    email_from: str = "handover@localhost"
    notify_api_key: str | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_email_template: str | None = None
    document_max_bytes: int = 10 * 1024 * 1024

    @classmethod
    def read(cls) -> Environment:
        debug = _bool("HANDOVER_DEBUG", False)
        secret_key = os.environ.get("HANDOVER_SECRET_KEY", "")
        hosts = tuple(h for h in os.environ.get("HANDOVER_ALLOWED_HOSTS", "").split(",") if h)
        if not debug:
            if len(secret_key) < 50:
                raise ImproperlyConfigured(
                    "HANDOVER_SECRET_KEY must be set to a random string of at least 50 characters in production "
                    "(or set HANDOVER_DEBUG=true for local development)"
                )
            if not hosts:
                raise ImproperlyConfigured("HANDOVER_ALLOWED_HOSTS must list the host names Handover serves")
        elif not secret_key:
            secret_key = _development_key()
        return cls(
            debug=debug,
            secret_key=secret_key,
            allowed_hosts=hosts or ("localhost", "127.0.0.1", "[::1]", "testserver"),
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'handover.sqlite3'}"),
            protocol=os.environ.get("HANDOVER_PROTOCOL", "dorset"),
            authority_name=os.environ.get("HANDOVER_AUTHORITY_NAME"),
            secure=_bool("HANDOVER_SECURE", not debug),
            maintenance=_bool("HANDOVER_MAINTENANCE", False),
            letters_dir=os.environ.get("HANDOVER_LETTERS_DIR") or None,
            base_url=os.environ.get("HANDOVER_BASE_URL", "http://localhost:8000"),
            digest_hour=_hour("HANDOVER_DIGEST_HOUR", 7),
            email_backend=_choice("HANDOVER_EMAIL", "console", ("console", "smtp", "notify", "none")),
            email_from=os.environ.get("HANDOVER_EMAIL_FROM", "handover@localhost"),
            notify_api_key=os.environ.get("HANDOVER_NOTIFY_API_KEY") or None,
            notify_base_url=os.environ.get(
                "HANDOVER_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
            ),
            notify_email_template=os.environ.get("HANDOVER_NOTIFY_EMAIL_TEMPLATE") or None,
            document_max_bytes=_bytes("HANDOVER_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024),
        )


def _hour(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 0 <= int(value) <= 23:
        raise ImproperlyConfigured(f"{name} must be an hour of the day from 0 to 23, not {value!r}")
    return int(value)


def _bytes(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of bytes, at least 1, not {value!r}")
    return int(value)


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _development_key() -> str:
    path = VAR_DIR / "development-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
