"""The authority's compiled protocol, loaded once per process and checked at start-up."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core import checks

from handover.domain.errors import ProtocolError
from handover.domain.protocol.loader import load_protocol
from handover.domain.protocol.model import Protocol


@lru_cache(maxsize=8)
def protocol_named(name: str) -> Protocol:
    return load_protocol(name)


def protocol_for(authority) -> Protocol:
    return protocol_named(authority.protocol)


@checks.register()
def check_protocol(app_configs=None, **kwargs):
    """Refuse to start with a protocol file that does not validate."""
    try:
        protocol_named(settings.HANDOVER_PROTOCOL)
    except ProtocolError as exc:
        return [
            checks.Error(
                f"protocol {settings.HANDOVER_PROTOCOL!r} is invalid", hint=str(exc), id="handover.E001"
            )
        ]
    return []
