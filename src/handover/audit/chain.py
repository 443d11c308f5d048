"""The audit trail's hash chain, in plain Python (no database): how a row is sealed and how a chain is checked.

Each audit row belongs to one chain (its authority's; rows tied to no authority form a chain of their own) and
carries its number in that chain, the seal (hash) of the row before it and its own seal: SHA-256 over a
canonical JSON serialisation of everything it says plus that previous seal and its number. Changing any row's
content breaks its seal; removing a row leaves a gap in the numbers; inserting one needs a seal that fits both
neighbours, which means resealing every later row and the chain's head as well. `handover audit verify` walks
each chain with `check_chain`.

The serialisation is fixed (version 2): keys sorted, no spaces, ASCII only, `at` in UTC to the microsecond, and
JSON values normalised the way both databases give them back (keys as strings, tuples as lists, whole floats as
integers: PostgreSQL's jsonb returns 1e20 as an integer), so a row read back seals to the same hash it was
written with.

Version 2 seals what a row says about the record (`before`, `after`, `detail`: its payload) through the payload's
own SHA-256, so the payload can be erased when the child's record is erased at the end of its retention period
(docs/privacy.md) and the row still verifies: the erased row keeps the payload's digest in place of the payload.
Who acted, when, what they did and to which record stay sealed as written; a digest that does not match what was
erased breaks the seal like any other change, and an erased row with no erasure of its child in the chain is
reported. Version 1 (the payload in the seal itself) is kept for the migration that moved chains to version 2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VERSION = 2
ERASED_VERB = "child_erased"  # the audit row that records an erasure (audit.models.Verb.CHILD_ERASED)
GENESIS = "0" * 64  # the "previous seal" of a chain's first row


def normalised(value: Any) -> Any:
    """A JSON value as it reads back from either database."""
    if isinstance(value, Mapping):
        return {str(k): normalised(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalised(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def utc_text(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("an audit row's time must say its time zone")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _serialised(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def payload_digest(*, before: Any, after: Any, detail: str) -> str:
    """The SHA-256 of what a row says about the record: kept in place of it when it is erased."""
    payload = {"before": normalised(before), "after": normalised(after), "detail": detail}
    return hashlib.sha256(_serialised(payload)).hexdigest()


def _header(
    version: int,
    *,
    authority: int | None,
    sequence: int,
    previous_hash: str,
    at: dt.datetime,
    actor: int | None,
    verb: str,
    child: int | None,
    object_type: str,
    object_id: str,
) -> dict:
    """What every version seals besides the payload: who, when, what, to which record, and where in the chain."""
    return {
        "v": version,
        "authority": authority,
        "sequence": sequence,
        "previous": previous_hash,
        "at": utc_text(at),
        "actor": actor,
        "verb": str(verb),
        "child": child,
        "object_type": object_type,
        "object_id": object_id,
    }


def canonical(
    *, before: Any, after: Any, detail: str, erased_payload_digest: str = "", **header: Any
) -> bytes:
    """The bytes a row's seal is the SHA-256 of (`header`: the arguments of `_header`). An erased row gives its
    payload's digest instead of the payload."""
    content = _header(VERSION, **header)
    content["payload"] = erased_payload_digest or payload_digest(before=before, after=after, detail=detail)
    return _serialised(content)


def seal_v1(*, before: Any, after: Any, detail: str, **header: Any) -> str:
    """A row's seal as version 1 made it (the payload itself in the seal): for the migrations only."""
    content = _header(1, **header)
    content.update(before=normalised(before), after=normalised(after), detail=detail)
    return hashlib.sha256(_serialised(content)).hexdigest()


def seal(**fields: Any) -> str:
    """A row's own hash (hex SHA-256); takes the arguments of `canonical`."""
    return hashlib.sha256(canonical(**fields)).hexdigest()


@dataclass(frozen=True)
class Row:
    """One stored audit row, as `check_chain` reads it."""

    pk: int
    authority: int | None
    sequence: int
    previous_hash: str
    hash: str
    at: dt.datetime
    actor: int | None
    verb: str
    child: int | None
    object_type: str
    object_id: str
    before: Any
    after: Any
    detail: str
    erased_payload_digest: str = ""  # set when the payload was erased with the child's record

    def recomputed(self) -> str:
        return seal(
            authority=self.authority,
            sequence=self.sequence,
            previous_hash=self.previous_hash,
            at=self.at,
            actor=self.actor,
            verb=self.verb,
            child=self.child,
            object_type=self.object_type,
            object_id=self.object_id,
            before=self.before,
            after=self.after,
            detail=self.detail,
            erased_payload_digest=self.erased_payload_digest,
        )


@dataclass(frozen=True)
class Head:
    """Where a chain ended when its last row was written: that row's number and seal (0 and GENESIS if none)."""

    sequence: int
    hash: str


@dataclass(frozen=True)
class Problem:
    """The first thing wrong in a chain: the row it concerns (None if the rows are gone) and what happened."""

    kind: str  # "altered", "removed", "inserted"
    row: int | None
    sequence: int
    message: str


@dataclass(frozen=True)
class Checked:
    rows: int
    last: Head
    problem: Problem | None
    erased: int = 0  # rows whose payload was erased with their child's record


def check_chain(rows: Iterable[Row], head: Head | None) -> Checked:
    """Walk one chain's rows in number order and return the first problem, if any.

    A row whose content no longer matches its seal was altered (or inserted with a made-up seal); a jump in the
    numbers means rows were removed; a row whose previous seal is not the seal of the row before means one of
    the two was changed and resealed, or the row was inserted; rows past the head, or a head past the last row,
    mean rows were added or removed at the end.
    """
    expected, previous, last_pk, count = 1, GENESIS, None, 0
    erased_first: dict[int | None, int] = {}  # child -> the first row of theirs whose payload was erased
    erasures: set[int | None] = set()  # children whose erasure the chain records
    erased = 0
    for row in rows:
        count += 1
        if row.erased_payload_digest:
            erased += 1
            erased_first.setdefault(row.child, row.pk)
        if str(row.verb) == ERASED_VERB:
            erasures.add(row.child)
        if row.sequence < expected:
            return Checked(
                count,
                Head(row.sequence, row.hash),
                Problem(
                    "inserted",
                    row.pk,
                    row.sequence,
                    f"row {row.pk} repeats number {row.sequence} of the chain: it was inserted",
                ),
            )
        if row.sequence > expected:
            gap = (
                f"number {expected} is"
                if row.sequence == expected + 1
                else f"numbers {expected} to {row.sequence - 1} are"
            )
            after = f" after row {last_pk}" if last_pk is not None else " at the start of the chain"
            return Checked(
                count,
                Head(row.sequence, row.hash),
                Problem(
                    "removed",
                    row.pk,
                    expected,
                    f"{gap} missing{after}, before row {row.pk}: rows were removed",
                ),
            )
        if row.recomputed() != row.hash:
            return Checked(
                count,
                Head(row.sequence, row.hash),
                Problem(
                    "altered",
                    row.pk,
                    row.sequence,
                    f"row {row.pk} (number {row.sequence}) no longer matches its seal: it was changed after it "
                    "was written, or inserted with a made-up seal",
                ),
            )
        if row.previous_hash != previous:
            before = f"row {last_pk}" if last_pk is not None else "the start of the chain"
            return Checked(
                count,
                Head(row.sequence, row.hash),
                Problem(
                    "inserted",
                    row.pk,
                    row.sequence,
                    f"row {row.pk} (number {row.sequence}) does not follow {before}: it was inserted, or "
                    f"{before} was changed and resealed",
                ),
            )
        expected, previous, last_pk = row.sequence + 1, row.hash, row.pk
    last = Head(expected - 1, previous)
    if head is None:
        if count:
            return Checked(
                count,
                last,
                Problem(
                    "inserted",
                    last_pk,
                    last.sequence,
                    "the chain has rows but no recorded end: its rows were inserted outside Handover",
                ),
            )
        head = Head(0, GENESIS)
    if head.sequence > last.sequence:
        gap = (
            f"number {head.sequence} is"
            if head.sequence == last.sequence + 1
            else f"numbers {last.sequence + 1} to {head.sequence} are"
        )
        after = f"after row {last_pk}" if last_pk is not None else "(every row of the chain)"
        return Checked(
            count,
            last,
            Problem(
                "removed", None, last.sequence + 1, f"{gap} missing at the end, {after}: rows were removed"
            ),
        )
    if head.sequence < last.sequence:
        return Checked(
            count,
            last,
            Problem(
                "inserted",
                last_pk,
                head.sequence + 1,
                f"the chain's recorded end is number {head.sequence}, but rows up to number {last.sequence} "
                f"(row {last_pk}) follow it: they were inserted",
            ),
        )
    if head.hash != last.hash:
        return Checked(
            count,
            last,
            Problem(
                "altered",
                last_pk,
                last.sequence,
                f"row {last_pk} (number {last.sequence}) is not the row the chain ended with: it was changed "
                "and resealed, or replaced",
            ),
        )
    unexplained = sorted(pk for child, pk in erased_first.items() if child is None or child not in erasures)
    if unexplained:
        row = unexplained[0]
        return Checked(
            count,
            last,
            Problem(
                "erased",
                row,
                0,
                f"row {row}'s contents were erased, but the chain records no erasure of its child's record: it "
                "was erased outside Handover",
            ),
            erased,
        )
    return Checked(count, last, None, erased)
