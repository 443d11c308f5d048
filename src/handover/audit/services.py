"""Write audit rows. Call inside the transaction of the change being recorded.

The row is written with the change (one INSERT, nothing locked) and sealed into its authority's hash chain
(audit/chain.py) as soon as that transaction commits, by `audit_seal` in a short transaction of its own that
locks the chain's head: so one authority's rows are numbered one at a time, a rolled back change leaves no gap,
and no change waits on another authority-wide lock while it runs (a head locked from the first audit row to the
commit deadlocks two transactions that audit between writes the other is waiting on, and holds every page read
of the authority behind the slowest open write). Sealing costs four short statements after the commit however
many rows the transaction wrote (docs/security.md). A read's row, written outside any transaction, is committed
at once and sealed with the chain's next seal, a second later at most while pages are being read
(`_seal_now_and_then`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

from handover.audit.chain import GENESIS, seal
from handover.audit.models import AuditChainHead, AuditEvent, Verb

logger = logging.getLogger(__name__)


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
    row = AuditEvent(
        at=at if timezone.is_aware(at) else timezone.make_aware(at),
        actor=user,
        verb=verb,
        child=child,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=before,
        after=after,
        detail=detail[:300],
        authority_id=_authority_of(actor, child, obj),
    )
    chain = row.authority_id or 0
    if transaction.get_connection().in_atomic_block:
        row.save(force_insert=True)
        _seal_after_commit(chain)
    else:  # a read's row, in no transaction: committed at once, before the page goes out
        row.save(force_insert=True)
        _seal_now_and_then(chain)
    return row


# When a read's row is sealed: reads were every request's write, and sealing each one locked the chain's head,
# so every page of an authority queued behind the others' seals (issue 14, bench/audit_reads.py). A read's row is
# committed before its page is answered, so none is lost; the chain seals it with the next seal: a read's at
# most HANDOVER_AUDIT_READ_SEAL_SECONDS later in this process, any write's, the sweep's, and `handover audit verify`'s.
_last_read_seal: dict[int, float] = {}


def _seal_now_and_then(chain: int) -> None:
    interval = getattr(settings, "HANDOVER_AUDIT_READ_SEAL_SECONDS", 1.0)
    now = time.monotonic()
    if interval and now - _last_read_seal.get(chain, -interval) < interval:
        return
    _last_read_seal[chain] = now
    try:
        audit_seal(chain)
    except DatabaseError:  # the row is committed: it waits for the chain's next seal
        logger.warning("audit chain %s: sealing after a read failed; the rows wait for the next seal", chain)


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


def _authority_of(actor: Any, child: models.Model | None, obj: models.Model | None) -> int | None:
    """Whose chain a row goes in: the child's authority; else the acting staff member's; else the record's
    (a protocol version, a member of staff); else none (the sweep, an import run by no one)."""
    if child is not None:
        return child.authority_id
    staff = actor if hasattr(actor, "authority_id") else getattr(actor, "staff", None)
    if staff is not None:
        return staff.authority_id
    if obj is not None:
        if obj._meta.label == "organisation.Authority":
            return obj.pk
        return getattr(obj, "authority_id", None)
    return None


def _seal_after_commit(chain: int) -> None:
    """Seal the chain's new rows once the transaction commits: one callback per chain and transaction, unless
    one already waits whose savepoints all enclose this row (rolling any of them back would undo this row too).
    Robust: a failure is logged, and the rows wait for the chain's next seal."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        active = set(connection.savepoint_ids)
        if any(
            getattr(callback, "audit_chain", None) == chain and not callback.done and savepoints <= active
            for savepoints, callback, _ in connection.run_on_commit
        ):
            return

    def seal_chain() -> None:
        seal_chain.done = True  # type: ignore[attr-defined]
        audit_seal(chain)

    seal_chain.audit_chain, seal_chain.done = chain, False  # type: ignore[attr-defined]
    transaction.on_commit(seal_chain, robust=True)


def audit_seal(chain: int) -> list[int]:
    """Number and seal every committed row of `chain` (an authority's id, 0 for rows tied to none) still waiting,
    in the order written, and move the chain's head on. Returns the rows sealed."""
    with transaction.atomic(savepoint=False):
        head = _locked_head(chain)
        waiting = (
            AuditEvent.objects.filter(authority_id=chain)
            if chain
            else AuditEvent.objects.filter(authority=None)
        )
        rows = list(waiting.filter(sequence=None).order_by("pk"))
        if not rows:
            return []
        for row in rows:  # sealed as stored, so exactly what `handover audit verify` reads back
            row.sequence, row.previous_hash = head.sequence + 1, head.hash
            row.hash = seal(
                authority=row.authority_id,
                sequence=row.sequence,
                previous_hash=row.previous_hash,
                at=row.at,
                actor=row.actor_id,
                verb=row.verb,
                child=row.child_id,
                object_type=row.object_type,
                object_id=row.object_id,
                before=row.before,
                after=row.after,
                detail=row.detail,
                erased_payload_digest=row.erased_payload_digest,
            )
            head.sequence, head.hash = row.sequence, row.hash
        _write_seals(rows)
        AuditChainHead.objects.filter(pk=head.pk).update(sequence=head.sequence, hash=head.hash)
    return [row.pk for row in rows]


def _write_seals(rows: list[AuditEvent]) -> None:
    """One UPDATE statement, executed for each row (psycopg sends them in one go): bulk_update's CASE costs
    milliseconds a row in Python when a transaction wrote thousands."""
    connection = transaction.get_connection()
    q = connection.ops.quote_name
    table, pk = q(AuditEvent._meta.db_table), q(AuditEvent._meta.pk.column)
    with connection.cursor() as cursor:
        # bandit B608: the model's own table and column names, quoted; the values go as parameters.
        cursor.executemany(
            f"UPDATE {table} SET {q('sequence')} = %s, {q('previous_hash')} = %s, {q('hash')} = %s WHERE {pk} = %s",  # nosec B608
            [(row.sequence, row.previous_hash, row.hash, row.pk) for row in rows],
        )


def audit_seal_waiting() -> int:
    """Seal the rows of every chain still waiting (a transaction cut off between its commit and its seal).
    Returns how many were sealed."""
    chains = (
        AuditEvent.objects.filter(sequence=None).order_by().values_list("authority_id", flat=True).distinct()
    )
    return sum(len(audit_seal(chain or 0)) for chain in sorted({c or 0 for c in chains}))


def _locked_head(chain: int) -> AuditChainHead:
    heads = AuditChainHead.objects.select_for_update()
    try:
        return heads.get(chain=chain)
    except AuditChainHead.DoesNotExist:
        pass
    try:
        with transaction.atomic():  # a savepoint: another sealer may start the chain at the same moment
            AuditChainHead.objects.create(chain=chain, authority_id=chain or None, sequence=0, hash=GENESIS)
    except IntegrityError:
        pass
    return heads.get(chain=chain)


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
