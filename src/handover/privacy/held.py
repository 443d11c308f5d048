"""Everything Handover holds about one child, found from the records themselves rather than from a list kept by
hand: every row that points at the child, and every row that points at one of those, and so on (a transfer's
events, deadlines, letters, meeting items, notifications...). A new model that points at a child or a transfer is
included without changing this file; the subject access export shows exactly what erasure removes.

Left out: the audit trail (exported from its own table, and kept through an erasure with its payload erased),
simple-history's copies (the history of the rows found here, which erasure removes and the export does not
repeat), and the records the child's rows point to but do not own (staff, teams, meetings, the family).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.db import models

from handover.audit.models import AuditEvent
from handover.children.models import Child

# What each kind of row is called where the model's own name reads badly ("Document on files", "Sweep watchs").
KIND_NAMES = {
    "children.DocumentOnFile": "Documents on file",
    "children.RestrictedAccess": "Staff named on the restricted record",
    "children.LegalStatusEpisode": "Legal statuses",
    "children.PlanEpisode": "Plans",
    "transfers.SignOff": "Sign-offs",
    "transfers.ReferralOut": "Referrals to another authority",
    "sweep.SweepWatch": "Reminder checks (the sweep's own bookkeeping)",
    "meetings.MeetingItem": "Cases on transfer meeting agendas",
}


@dataclass
class HeldRows:
    """The rows of one kind held about the child, oldest first."""

    model: type[models.Model]
    rows: list[models.Model] = field(default_factory=list)

    @property
    def name(self) -> str:
        return (
            KIND_NAMES.get(self.model._meta.label) or str(self.model._meta.verbose_name_plural).capitalize()
        )


@dataclass(frozen=True)
class Shared:
    """A row found from this child's records that belongs to another child: erasure must not take it."""

    model: type[models.Model]
    pk: int
    child_id: int


@dataclass
class Held:
    child: Child
    kinds: list[HeldRows]
    shared: list[Shared]

    @property
    def rows(self) -> int:
        return sum(len(k.rows) for k in self.kinds)

    def counts(self) -> dict[str, int]:
        return {k.name: len(k.rows) for k in self.kinds if k.rows}


def is_history(model: type[models.Model]) -> bool:
    """simple-history's copy of a model (HistoricalTransfer and the like)."""
    return hasattr(model, "instance_type")


def _reverse_relations(model: type[models.Model]):
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue
        related = rel.related_model
        if related is AuditEvent or is_history(related):
            continue
        yield rel


def everything_held(child: Child) -> Held:
    """Every row held about `child` (but the audit trail and history), by kind in the order found."""
    kinds: dict[type[models.Model], HeldRows] = {}
    seen: dict[type[models.Model], set] = {}
    shared: list[Shared] = []
    frontier: list[tuple[type[models.Model], list]] = [(Child, [child.pk])]
    while frontier:
        model, pks = frontier.pop(0)
        for rel in _reverse_relations(model):
            related = rel.related_model
            found = [
                row
                for row in related._base_manager.filter(**{f"{rel.field.attname}__in": pks}).order_by("pk")
                if row.pk not in seen.setdefault(related, set())
            ]
            mine = []
            for row in found:
                other = getattr(row, "child_id", child.pk)
                if related is not Child and other is not None and other != child.pk:
                    shared.append(Shared(related, row.pk, other))
                    continue
                seen[related].add(row.pk)
                mine.append(row)
            if mine:
                kinds.setdefault(related, HeldRows(related)).rows.extend(mine)
                frontier.append((related, [row.pk for row in mine]))
    for held in kinds.values():
        held.rows.sort(key=lambda row: row.pk)
    return Held(child, list(kinds.values()), shared)


# -- a row in words and as data -------------------------------------------------------------------------------


def _words(obj: models.Model, f: models.Field) -> object:
    """One field's value as a person reads it: choices by their label, related records by their name."""
    if f.is_relation:
        related = getattr(obj, f.name)
        return str(related) if related is not None else None
    if f.choices:
        return getattr(obj, f"get_{f.name}_display")()
    value = getattr(obj, f.attname)
    if isinstance(value, (bytes, memoryview)):
        return f"a file of {len(bytes(value)):,} bytes (in the documents folder of the export)"
    return value


def fields_in_words(obj: models.Model) -> list[tuple[str, object]]:
    """(label, value) for every field that says something: for the PDF."""
    out = []
    for f in obj._meta.concrete_fields:
        if f.primary_key:
            continue
        value = _words(obj, f)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        elif isinstance(value, dt.datetime):
            value = f"{value:%-d %B %Y, %H:%M}"
        elif isinstance(value, dt.date):
            value = f"{value:%-d %B %Y}"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value, indent=1, ensure_ascii=False, default=str)
        out.append((str(f.verbose_name).capitalize(), value))
    return out


def as_data(obj: models.Model) -> dict:
    """Every field of a row for the JSON export: values as stored, a related record as its id and name, a
    choice with its label, a file by its size and SHA-256 (the file itself is in the ZIP)."""
    out: dict[str, object] = {"id": obj.pk}
    for f in obj._meta.concrete_fields:
        if f.primary_key:
            continue
        value = getattr(obj, f.attname)
        if f.is_relation:
            out[f.attname] = value
            if value is not None:
                out[f.name] = str(getattr(obj, f.name))
            continue
        if isinstance(value, (bytes, memoryview)):
            content = bytes(value)
            out[f.name] = {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            continue
        out[f.name] = value
        if f.choices and value not in (None, ""):
            out[f"{f.name}_label"] = getattr(obj, f"get_{f.name}_display")()
    return out
