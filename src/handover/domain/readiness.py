"""Readiness: which checklist items apply to a transfer and why, which are met, missing or stale, which block.

Documents on file are given as {document type: date of the latest one}, counting current versions only (a
version replaced by a newer one is left out by the caller: transfers.services); confirmations (a manager's
judgement, such as "the CIN plan is SMART") as {item id: date confirmed}.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from handover.domain.protocol.model import Protocol

ItemStatus = Literal["met", "missing", "stale", "unknown"]


@dataclass(frozen=True)
class ItemResult:
    id: str
    name: str
    status: ItemStatus
    blocking: bool
    cites: tuple[str, ...]
    why: str
    detail: str
    missing_facts: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.blocking and self.status != "met"


@dataclass(frozen=True)
class Readiness:
    items: tuple[ItemResult, ...]

    @property
    def ready(self) -> bool:
        return not any(item.blocks for item in self.items)

    @property
    def blocking(self) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.items if item.blocks)


def assess(
    protocol: Protocol,
    facts: Mapping[str, Any],
    *,
    on: dt.date,
    documents: Mapping[str, dt.date] | None = None,
    confirmations: Mapping[str, dt.date] | None = None,
) -> Readiness:
    """Assess the checklist for a transfer whose facts include transfer.from/transfer.to."""
    documents = documents or {}
    confirmations = confirmations or {}
    results = []
    for compiled in protocol.readiness:
        item = compiled.spec
        applies = compiled.condition.evaluate(facts)
        if applies is False:
            continue
        why = compiled.condition.explain()
        if applies is None:
            missing = tuple(compiled.condition.missing(facts))
            results.append(
                ItemResult(
                    item.id,
                    item.name,
                    "unknown",
                    item.blocking,
                    item.cites,
                    why,
                    "may apply: the situation does not say " + ", ".join(missing),
                    missing,
                )
            )
            continue
        status, detail = _check(protocol, item.requires, item.id, documents, confirmations, on)
        results.append(ItemResult(item.id, item.name, status, item.blocking, item.cites, why, detail))
    return Readiness(tuple(results))


def _check(
    protocol: Protocol,
    requires: Any,
    item_id: str,
    documents: Mapping[str, dt.date],
    confirmations: Mapping[str, dt.date],
    on: dt.date,
) -> tuple[ItemStatus, str]:
    if requires.confirmed_by is not None:
        confirmed = confirmations.get(item_id)
        if confirmed is None:
            return "missing", f"needs confirming by the {requires.confirmed_by.value.replace('_', ' ')}"
        return "met", f"confirmed on {confirmed.isoformat()}"
    wanted = [requires.document] if requires.document else list(requires.any_document)
    names = " or ".join(protocol.document_types[d].name for d in wanted)
    present = [(documents[d], d) for d in wanted if d in documents]
    if not present:
        return "missing", f"no {names} on file"
    dated, doc = max(present)
    label = protocol.document_types[doc].name
    if requires.max_age is not None:
        limit = protocol.calendar.add(dated, requires.max_age)
        if isinstance(limit, dt.datetime):
            limit = limit.date()
        if on > limit:
            return "stale", f"{label} dated {dated.isoformat()} is older than {requires.max_age}: update it"
    return "met", f"{label} dated {dated.isoformat()} on file"
