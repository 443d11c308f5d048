"""Check the stored audit trail against its hash chains (`handover audit verify`, and after `handover restore`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.utils import timezone

from handover.audit.chain import Checked, Head, Problem, Row, check_chain
from handover.audit.models import AuditChainHead, AuditEvent
from handover.audit.services import audit_seal_waiting

FIELDS = (
    "pk",
    "authority_id",
    "sequence",
    "previous_hash",
    "hash",
    "at",
    "actor_id",
    "verb",
    "child_id",
    "object_type",
    "object_id",
    "before",
    "after",
    "detail",
    "erased_payload_digest",
)
NO_AUTHORITY = "rows tied to no authority"


@dataclass(frozen=True)
class ChainResult:
    chain: int  # the authority's id, 0 for rows tied to none
    name: str
    checked: Checked


def _rows_of(chain: int) -> QuerySet:
    return (
        AuditEvent.objects.filter(authority_id=chain) if chain else AuditEvent.objects.filter(authority=None)
    )


@dataclass(frozen=True)
class Verified:
    chains: list[ChainResult]
    sealed: int  # rows that were waiting to be sealed, sealed first

    @property
    def rows(self) -> int:
        return sum(c.checked.rows for c in self.chains)

    @property
    def intact(self) -> bool:
        return all(c.checked.problem is None for c in self.chains)


def audit_verify() -> Verified:
    """Seal any rows still waiting, then check every chain from its first row to its head, reading in batches.

    Each chain is read up to the head as it was when the check began, so rows sealed meanwhile by Handover do
    not count against it; rows past the head are then looked for on their own (read before the head, so a
    seal committing in between never looks like one)."""
    sealed = audit_seal_waiting()
    heads = {h.chain: h for h in AuditChainHead.objects.select_related("authority")}
    chains = set(heads) | {
        a or 0 for a in AuditEvent.objects.order_by().values_list("authority_id", flat=True).distinct()
    }
    results = []
    for chain in sorted(chains):
        head = heads.get(chain)
        end = head.sequence if head else 0
        rows = (
            _rows_of(chain)
            .filter(sequence__lte=end)
            .order_by("sequence")
            .values_list(*FIELDS)
            .iterator(chunk_size=2000)
        )
        checked = check_chain(
            (Row(*values) for values in rows), Head(head.sequence, head.hash) if head else None
        )
        if checked.problem is None:
            checked = _past_the_head(chain, checked)
        results.append(ChainResult(chain, _name(chain, head), checked))
    return Verified(results, sealed)


def _past_the_head(chain: int, checked: Checked) -> Checked:
    top = _rows_of(chain).aggregate(top=Max("sequence"))["top"] or 0
    now = AuditChainHead.objects.filter(chain=chain).values_list("sequence", flat=True).first() or 0
    if top <= now:
        return checked
    first = (
        _rows_of(chain).filter(sequence__gt=now).order_by("sequence").values_list("pk", "sequence").first()
    )
    return Checked(
        checked.rows,
        checked.last,
        Problem(
            "inserted",
            first[0],
            first[1],
            f"the chain's recorded end is number {now}, but rows up to number {top} (from row {first[0]}) "
            "follow it: they were inserted",
        ),
    )


def _name(chain: int, head: AuditChainHead | None) -> str:
    if not chain:
        return NO_AUTHORITY
    if head is not None and head.authority is not None:
        return head.authority.name
    return _rows_of(chain).values_list("authority__name", flat=True).first() or f"authority {chain}"


def heads_kept(recorded: Iterable[dict]) -> list[str]:
    """Chains' ends recorded elsewhere (a backup's manifest) that the stored chains no longer pass through.

    Resealing every row after a change, head included, would satisfy `audit_verify`; it cannot bring back a
    row number and seal that were written down outside the database."""
    problems = []
    for end in recorded:
        if not end["sequence"]:
            continue
        found = _rows_of(end["chain"]).filter(sequence=end["sequence"]).values_list("pk", "hash").first()
        if found is None:
            problems.append(
                f"{end['name']}: number {end['sequence']}, where the chain ended when it was written down, is "
                "gone: rows were removed since"
            )
        elif found[1] != end["hash"]:
            problems.append(
                f"{end['name']}: row {found[0]} (number {end['sequence']}) is not the row the chain ended with "
                "when it was written down: the chain was rewritten since"
            )
    return problems


def describe_row(pk: int | None) -> str:
    """One row in words, for a report: when, what and who."""
    row = AuditEvent.objects.filter(pk=pk).select_related("actor").first() if pk is not None else None
    if row is None:
        return ""
    at = timezone.localtime(row.at)
    who = row.actor.get_username() if row.actor is not None else "Handover (automatic)"
    what = row.get_verb_display() + (f" ({row.detail})" if row.detail else "")
    return f"Row {row.pk} was recorded on {at:%-d %B %Y at %H:%M}, by {who}: {what}"


def report_lines(verified: Verified) -> tuple[list[str], list[str]]:
    """What `audit_verify` found, in sentences: one per intact chain, and one (with the row) per broken one."""
    intact, broken = [], []
    if verified.sealed:
        rows = "1 row that was" if verified.sealed == 1 else f"{verified.sealed:,} rows that were"
        intact.append(
            f"Sealed {rows} waiting (written a moment ago, or cut off between commit and seal) before checking."
        )
    for result in verified.chains:
        checked = result.checked
        if checked.problem is None:
            erased = (
                f"; what {checked.erased:,} of them said was erased with their child's record"
                if checked.erased
                else ""
            )
            intact.append(
                f"{result.name}: {checked.rows:,} rows, intact (ends at number {checked.last.sequence:,})"
                + erased
            )
            continue
        row = describe_row(checked.problem.row)
        broken.append(f"{result.name}: {checked.problem.message}." + (f" {row}." if row else ""))
    return intact, broken
