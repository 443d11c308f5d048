"""Write audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models

from handover.audit.models import AuditEvent, Verb


def audit_record(
    *,
    actor: Any,
    verb: Verb,
    at: dt.datetime,
    child: models.Model | None = None,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
) -> AuditEvent:
    """Record who did what to which record, at `at` (the boundary's clock).

    `actor` is a User or a StaffMember (or None for the system).
    """
    user = getattr(actor, "user", actor)
    return AuditEvent.objects.create(
        at=at,
        actor=user,
        verb=verb,
        child=child,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=before,
        after=after,
        detail=detail[:300],
    )


def audit_listing(
    *,
    actor: Any,
    at: dt.datetime,
    children: Iterable[int],
    detail: str,
    obj: models.Model | None = None,
) -> AuditEvent | None:
    """Record that a page, download or API response showed these children (a read that is not one record).

    One row for the whole response, naming what was read in `detail` and the children shown in
    `after["children"]`, rather than one row per child: a listing costs one INSERT however long it is, and an
    auditor still finds every listing that showed a child by its id in `after`. A record read on its own (the
    child record, a transfer, one case) is a row with `child` set instead. A response that shows no child
    writes nothing.
    """
    shown = sorted({int(c) for c in children if c is not None})
    if not shown:
        return None
    return audit_record(
        actor=actor, verb=Verb.CHILD_LISTED, at=at, obj=obj, after={"children": shown}, detail=detail
    )


def snapshot(instance: models.Model, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A JSON-ready copy of a row's concrete fields, for before/after."""
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if isinstance(field, models.BinaryField):
            continue
        value = field.value_from_object(instance)
        out[field.attname if field.is_relation else field.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # UUID, Decimal
