"""A Django email backend that sends through GOV.UK Notify (HANDOVER_EMAIL=notify).

Notify sends with a template made in its admin; Handover's has two placeholders, ((subject)) and ((body)), so
every email goes through the one template (settings.HANDOVER_NOTIFY_TEMPLATES["email"]). Notify sends each
recipient their own notification, so a message to two people is two requests; their Notify ids are set on the
message as `provider_ids`, in recipient order, for the outbox to record.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError

from handover.notifications.notify import notify_client

REFERENCE_HEADER = "X-Handover-Reference"


class NotifyEmailBackend(BaseEmailBackend):
    """Sends each message to each recipient through Notify. With `fail_silently`, a message Notify refuses or
    cannot be reached for is skipped (not counted); a missing API key or template is a configuration error and
    is raised either way, as it would fail every message."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.client = None

    def open(self) -> bool:
        if self.client is not None:
            return False
        if not settings.HANDOVER_NOTIFY_TEMPLATES.get("email"):
            raise ImproperlyConfigured(
                "HANDOVER_NOTIFY_EMAIL_TEMPLATE is not set: GOV.UK Notify sends email through a template; make "
                "one with ((subject)) as its subject and ((body)) as its message and give its id"
            )
        self.client = notify_client()
        return True

    def close(self) -> None:
        self.client = None

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        opened = self.open()
        sent = 0
        try:
            for message in email_messages:
                try:
                    self._send(message)
                except (APIError, requests.RequestException):
                    if not self.fail_silently:
                        raise
                    continue
                sent += 1
        finally:
            if opened:
                self.close()
        return sent

    def _send(self, message) -> None:
        message.provider_ids = []
        reference = (message.extra_headers or {}).get(REFERENCE_HEADER)
        for address in message.recipients():
            response = self.client.send_email_notification(
                email_address=address,
                template_id=settings.HANDOVER_NOTIFY_TEMPLATES["email"],
                personalisation={"subject": message.subject, "body": message.body},
                reference=reference,
            )
            message.provider_ids.append(response["id"])
