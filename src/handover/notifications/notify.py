"""GOV.UK Notify, shared by email (`backends.py`) and letters by post (`letters_by_post.py`): the client, built from
settings, and Notify's error messages in words."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

# Notify's API keys are `<key name>-<service id>-<secret>`, the last two UUIDs; the client slices them apart.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
API_KEY = re.compile(rf"^.+-{_UUID}-{_UUID}$", re.IGNORECASE)


def notify_configured() -> bool:
    """Whether Notify can be used at all (pages offer "Send by post" only then)."""
    return bool(settings.HANDOVER_NOTIFY_API_KEY)


def notify_client() -> NotificationsAPIClient:
    """A client for settings.HANDOVER_NOTIFY_API_KEY at settings.HANDOVER_NOTIFY_BASE_URL."""
    key = settings.HANDOVER_NOTIFY_API_KEY
    if not key:
        raise ImproperlyConfigured(
            "HANDOVER_NOTIFY_API_KEY is not set: GOV.UK Notify needs the service's API key to send anything"
        )
    if not API_KEY.match(key):
        raise ImproperlyConfigured(
            "HANDOVER_NOTIFY_API_KEY is not a GOV.UK Notify API key: it should be "
            "<key name>-<service id>-<secret>, the last two each a UUID, as Notify's API keys page shows it"
        )
    return NotificationsAPIClient(key, base_url=settings.HANDOVER_NOTIFY_BASE_URL)


def notify_error_message(exc: Exception) -> str:
    """Notify's own words for a refused request: its `errors` list is `[{"error": ..., "message": ...}]`."""
    if isinstance(exc, APIError):
        message = exc.message
        if isinstance(message, list):
            message = "; ".join(
                str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in message
            )
        return f"{exc.status_code}: {message}"
    return f"{type(exc).__name__}: {exc}"
