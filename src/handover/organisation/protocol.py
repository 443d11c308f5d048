"""The authority's compiled protocols: the version each transfer started under and the current one for new work.

A version is identified by the hash of its file's bytes, so each is loaded once per process, whichever database
it came from; the bundled file is checked at start-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.core import checks

from handover.domain.errors import Problem, ProtocolError
from handover.domain.protocol.loader import load_protocol, load_protocol_text
from handover.domain.protocol.model import Protocol
from handover.organisation.models import ProtocolVersion

# Compiled versions by the sha256 of their bytes, and each version string's hash. Both are content-addressed
# (a version string names one text), so they are never stale, whichever database a row came from.
_COMPILED: dict[str, Protocol] = {}
_SHA_BY_VERSION: dict[str, str] = {}
# Within one request, each authority's current version is asked of the database once (a child's record asked six
# times): {authority id: sha256, or None until a version is stored}. None outside `current_version_read_once`.
_CURRENT: ContextVar[dict[int, str | None] | None] = ContextVar("current_protocol_versions", default=None)


@contextmanager
def current_version_read_once() -> Iterator[None]:
    """Remember each authority's current version until the block ends (one request: a version published by
    someone else meanwhile shows from the next request; one published in this block shows at once)."""
    token = _CURRENT.set({})
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_version_changed(authority_id: int) -> None:
    """Forget the remembered current version of `authority_id` (its publisher has just changed it)."""
    remembered = _CURRENT.get()
    if remembered is not None:
        remembered.pop(authority_id, None)


@lru_cache(maxsize=8)
def protocol_named(name: str) -> Protocol:
    """A protocol file (bundled name or path), as it is on disk now."""
    return _remember(load_protocol(name))


def protocol_from_text(*, text: str, clauses_text: str, name: str) -> Protocol:
    """A protocol from its text and its numbered copy's text, through the loader's checks; cached by hash."""
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if sha256 in _COMPILED:
        return _COMPILED[sha256]
    return _remember(load_protocol_text(text, name=name, clauses=clauses_text))


def _remember(protocol: Protocol) -> Protocol:
    _COMPILED.setdefault(protocol.sha256, protocol)
    _SHA_BY_VERSION.setdefault(protocol.version, protocol.sha256)
    return _COMPILED[protocol.sha256]


def _stored(sha256: str) -> Protocol:
    if sha256 in _COMPILED:
        return _COMPILED[sha256]
    row = ProtocolVersion.objects.filter(sha256=sha256).values("name", "version", "text", "clauses_text")[0]
    protocol = protocol_from_text(
        text=row["text"], clauses_text=row["clauses_text"], name=f"{row['name']} (version {row['version']})"
    )
    if protocol.sha256 != sha256:
        raise ProtocolError(
            [
                Problem(
                    row["name"], "", f"the stored text of version {row['version']} no longer matches its hash"
                )
            ]
        )
    return protocol


def protocol_for(authority) -> Protocol:
    """The authority's current version: the one new proposals, meetings and the protocol page use. Until a
    version is stored, the file the authority names."""
    remembered = _CURRENT.get()
    if remembered is not None and authority.pk in remembered:
        sha256 = remembered[authority.pk]
    else:
        sha256 = (
            ProtocolVersion.objects.filter(authority=authority, current=True)
            .values_list("sha256", flat=True)
            .first()
        )
        if remembered is not None:
            remembered[authority.pk] = sha256
    if sha256 is None:
        return protocol_named(authority.protocol)
    return _stored(sha256)


def protocol_for_transfer(transfer) -> Protocol:
    """The version the transfer recorded when it was proposed (or was moved to), whatever is current now: its
    deadlines, readiness, escalation ladder, pathway and route are judged by it. A transfer whose version was
    never stored (history loaded from elsewhere, e.g. the demo's `protocol_version="demo"`) gets the current one.
    """
    sha256 = _SHA_BY_VERSION.get(transfer.protocol_version)
    if sha256 is None:
        sha256 = (
            ProtocolVersion.objects.filter(
                authority_id=transfer.child.authority_id, version=transfer.protocol_version
            )
            .values_list("sha256", flat=True)
            .first()
        )
        if sha256 is None:
            return protocol_for(transfer.child.authority)
        _SHA_BY_VERSION[transfer.protocol_version] = sha256
    return _stored(sha256)


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
