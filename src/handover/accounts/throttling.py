"""How many API requests a person (or, signed out, an address) may make: the rates are settings
(HANDOVER_API_RATE_USER, HANDOVER_API_RATE_ANON), read when each request is checked so that a change (or a test)
takes effect at once. Over the rate: 429 with Retry-After (DRF's Throttled, through api/errors.py).

The counts are kept in Django's cache. With the default in-memory cache each server process counts on its own, so
a person can make up to the rate times the number of processes (HANDOVER_WORKERS); docs/security.md says so."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _FromSettings:
    def get_rate(self):
        return settings.HANDOVER_API_THROTTLE_RATES.get(self.scope)


class PerPerson(_FromSettings, UserRateThrottle):
    """Signed in (token or session): per person. Signed out: per address, as below."""

    scope = "user"


class PerAddress(_FromSettings, AnonRateThrottle):
    """Signed out (getting a token, or a request without one): per address. The address is the connection's,
    or, behind HANDOVER_TRUSTED_PROXIES proxies, the one they say they received the request from: never an
    X-Forwarded-For a client could make up."""

    scope = "anon"
