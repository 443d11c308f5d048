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
    # Sign-in and tokens (docs/security.md, "Sign-in and tokens"; docs/deployment.md, "Single sign-on").
    require_two_factor: bool = False
    lockout_failures: int = 5
    lockout_minutes: int = 15
    api_token_days: int = 30
    api_rate_user: str | None = "120/minute"
    api_rate_anon: str | None = "30/minute"
    trusted_proxies: int = 0
    oidc: Oidc | None = None

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
            # On in production: managers and auditors confirm a code from an authenticator app after their
            # password. Off in development (and the local demo, scripts/run) unless asked for.
            require_two_factor=_bool("HANDOVER_REQUIRE_TWO_FACTOR", not debug),
            lockout_failures=_whole("HANDOVER_LOCKOUT_FAILURES", 5),
            lockout_minutes=_whole("HANDOVER_LOCKOUT_MINUTES", 15),
            api_token_days=_whole("HANDOVER_API_TOKEN_DAYS", 30),
            api_rate_user=_rate("HANDOVER_API_RATE_USER", "120/minute"),
            api_rate_anon=_rate("HANDOVER_API_RATE_ANON", "30/minute"),
            trusted_proxies=_whole("HANDOVER_TRUSTED_PROXIES", 0, least=0),
            oidc=Oidc.read(),
        )


@dataclass(frozen=True)
class Oidc:
    """Single sign-on by OpenID Connect: on when HANDOVER_OIDC_CLIENT_ID is set, and then every value it needs
    must be. HANDOVER_OIDC_ENTRA_TENANT fills in Microsoft Entra ID's issuer and endpoints for that tenant."""

    client_id: str
    client_secret: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_endpoint: str
    claim: str = "email"  # the claim whose value is the person's email address as Handover holds it
    provider_mfa: bool = True  # the provider asks for a second factor itself (Entra: Conditional Access)
    scopes: str = "openid email profile"

    @classmethod
    def read(cls) -> Oidc | None:
        names = [n for n in os.environ if n.startswith("HANDOVER_OIDC_") and os.environ[n]]
        if not names:
            return None
        tenant = os.environ.get("HANDOVER_OIDC_ENTRA_TENANT", "")
        entra = {}
        if tenant:
            base = f"https://login.microsoftonline.com/{tenant}"
            entra = {
                "ISSUER": f"{base}/v2.0",
                "AUTHORIZATION_ENDPOINT": f"{base}/oauth2/v2.0/authorize",
                "TOKEN_ENDPOINT": f"{base}/oauth2/v2.0/token",
                "JWKS_ENDPOINT": f"{base}/discovery/v2.0/keys",
            }
        needed = (
            "CLIENT_ID",
            "CLIENT_SECRET",
            "ISSUER",
            "AUTHORIZATION_ENDPOINT",
            "TOKEN_ENDPOINT",
            "JWKS_ENDPOINT",
        )
        values = {n: os.environ.get(f"HANDOVER_OIDC_{n}") or entra.get(n, "") for n in needed}
        missing = [f"HANDOVER_OIDC_{n}" for n, v in values.items() if not v]
        if missing:
            raise ImproperlyConfigured(
                f"single sign-on is half set up ({', '.join(sorted(names))} set): also set {', '.join(missing)}"
                + ("" if tenant else " (or HANDOVER_OIDC_ENTRA_TENANT for Microsoft Entra ID's endpoints)")
            )
        return cls(
            **{n.lower(): v for n, v in values.items()},
            claim=os.environ.get("HANDOVER_OIDC_CLAIM") or "email",
            provider_mfa=_bool("HANDOVER_OIDC_PROVIDER_MFA", True),
            scopes=os.environ.get("HANDOVER_OIDC_SCOPES") or "openid email profile",
        )


def _whole(name: str, default: int, least: int = 1) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < least:
        raise ImproperlyConfigured(f"{name} must be a whole number, at least {least}, not {value!r}")
    return int(value)


def _rate(name: str, default: str) -> str | None:
    """A request rate as DRF writes it ("120/minute"), or "off" for none."""
    value = os.environ.get(name, default).strip()
    if value.lower() == "off":
        return None
    number, _, period = value.partition("/")
    if not number.isdigit() or int(number) < 1 or period not in ("second", "minute", "hour", "day"):
        raise ImproperlyConfigured(
            f"{name} must be a number of requests per second, minute, hour or day, like 120/minute (or off), "
            f"not {value!r}"
        )
    return value


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
