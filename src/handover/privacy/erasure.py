"""The end of retention: closed records past the authority's retention period (the protocol file's `retention`,
domain/retention.py), listed for review, and erased one at a time by a head of service or the director.

Erasing a record removes every row held about the child (privacy/held.py) and their history, and empties the
child's own row, which stays as a tombstone ("A record erased on ...") so the audit trail still points somewhere.
The audit rows about the child keep who did what and when; what they said about the record (before, after,
detail) is erased, keeping its SHA-256, which their seals cover (audit/chain.py, version 2), so the chain still
verifies. The erasure itself is the last audit row written, and keeps nothing about the child but its number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.deletion import ProtectedError, RestrictedError

from handover.audit.chain import payload_digest
from handover.audit.models import AuditEvent, Verb
from handover.audit.services import audit_record
from handover.children.models import Child, Family, LegalStatusEpisode, PlanEpisode
from handover.domain.errors import ApplicationError, Conflict
from handover.domain.facts import LOOKED_AFTER_PLANS, LOOKED_AFTER_STATUSES
from handover.domain.protocol.schema import Retention
from handover.domain.retention import RetentionEnd, RetentionFacts, retention_end
from handover.domain.rulebook import PrivacyAction
from handover.organisation.access import privacy_refusal_for, visible_children
from handover.organisation.models import StaffMember
from handover.organisation.protocol import protocol_for
from handover.privacy.held import Held, everything_held


@dataclass(frozen=True)
class DueRecord:
    child: Child
    end: RetentionEnd


@dataclass(frozen=True)
class RetentionReview:
    policy: Retention | None  # None: the authority's protocol file sets no retention period
    due: list[DueRecord]
    hidden: int  # restricted records also due that this person is not named on


def require_privacy(action: PrivacyAction, staff: StaffMember, on: dt.date) -> None:
    refusal = privacy_refusal_for(staff, action, on)
    if refusal is not None:
        raise refusal


def _facts(child: Child) -> RetentionFacts:
    return RetentionFacts(
        date_of_birth=child.date_of_birth,
        expected_date_of_birth=child.expected_date_of_birth,
        closed_on=child.closed_on,
        looked_after=child.ever_looked_after,
    )


def _with_looked_after(children: QuerySet) -> QuerySet:
    return children.annotate(
        ever_looked_after=Exists(
            LegalStatusEpisode.objects.filter(child=OuterRef("pk"), status__in=LOOKED_AFTER_STATUSES)
        )
        | Exists(PlanEpisode.objects.filter(child=OuterRef("pk"), plan__in=LOOKED_AFTER_PLANS))
    )


def retention_review(staff: StaffMember, today: dt.date) -> RetentionReview:
    """The closed records of this person's authority whose retention has ended by `today`, oldest end first."""
    require_privacy(PrivacyAction.RETENTION_REVIEW, staff, today)
    policy = protocol_for(staff.authority).file.retention
    if policy is None:
        return RetentionReview(None, [], 0)
    closed = _with_looked_after(
        Child.objects.filter(authority=staff.authority, closed_on__isnull=False, erased_on__isnull=True)
    )
    ended = [
        DueRecord(child, end)
        for child in closed.order_by("closed_on", "pk")
        if (end := retention_end(_facts(child), policy)) is not None and end.on <= today
    ]
    visible = set(
        visible_children(staff, Child.objects.filter(pk__in=[d.child.pk for d in ended])).values_list(
            "pk", flat=True
        )
    )
    due = sorted((d for d in ended if d.child.pk in visible), key=lambda d: (d.end.on, d.child.pk))
    return RetentionReview(policy, due, len(ended) - len(due))


def retention_of(child: Child) -> RetentionEnd | None:
    policy = protocol_for(child.authority).file.retention
    if policy is None:
        return None
    return retention_end(_facts(_with_looked_after(Child.objects.filter(pk=child.pk)).get()), policy)


@dataclass(frozen=True)
class Erased:
    identifier: str  # the child's number before erasure, for the page that confirms it
    rows: dict[str, int]  # rows removed, by kind in words
    audit_rows: int  # audit rows whose contents were erased


def erasure_refusal(child: Child, today: dt.date, end: RetentionEnd | None = None) -> str | None:
    """Why this record cannot be erased today, in words, or None. `end`: the record's retention end, if the
    caller has it already (`retention_of`)."""
    if child.erased_on is not None:
        return f"this record was already erased on {child.erased_on:%-d %B %Y}"
    if child.closed_on is None:
        return "the record is open: only a closed record is erased, at the end of its retention period"
    end = end or retention_of(child)
    if end is None:
        return "the authority's protocol file sets no retention period, so no record is due for erasure"
    if end.on > today:
        return f"its retention period ends on {end.on:%-d %B %Y} ({end.because})"
    return None


def child_erase(*, child: Child, staff: StaffMember, now: dt.datetime, confirm: str, reason: str) -> Erased:
    """Erase a closed record past its retention: the person types the child's number to confirm and says why
    (the review's decision). Everything is done in one transaction: a failure leaves the record as it was."""
    today = now.date()
    require_privacy(PrivacyAction.ERASE, staff, today)
    errors = {}
    if confirm.strip() != child.identifier:
        errors["confirm"] = (
            "Enter the child's number exactly as it is shown, to confirm which record to erase"
        )
    if not reason.strip():
        errors["reason"] = "Enter why the record is being erased (the retention review's decision)"
    elif len(reason) > 280:
        errors["reason"] = "The reason must be 280 characters or fewer"
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        end = retention_of(child)
        refusal = erasure_refusal(child, today, end)
        if refusal is not None:
            raise Conflict(f"This record cannot be erased: {refusal}.")
        held = everything_held(child)
        if held.shared:
            raise Conflict(
                "This record cannot be erased: some of its records also belong to another child's record "
                f"({len(held.shared)} of them). Ask the system administrator to separate them first."
            )
        identifier, family = child.identifier, child.family
        _delete(held)
        _empty(child, today)
        if family is not None and not Child.objects.filter(family=family).exists():
            _delete_rows_and_history(Family, Family.objects.filter(pk=family.pk))
        erased_audit = _erase_audit_payloads(child)
        counts = held.counts()
        audit_record(
            actor=staff,
            verb=Verb.CHILD_ERASED,
            at=now,
            child=child,
            obj=child,
            after={
                "erased_on": today.isoformat(),
                "retention_ended": end.on.isoformat(),
                "because": end.because,
                "rows_removed": counts,
                "audit_rows_erased": erased_audit,
            },
            detail=reason.strip(),
        )
    return Erased(identifier, counts, erased_audit)


def _delete(held: Held) -> None:
    """Delete every held row. The rows point at each other (a letter at a document, an escalation at a remedial
    action, a document at the version that replaced it), all PROTECT: delete what nothing else held still
    points at, then again, until none is left."""
    left = {kind.model: [row.pk for row in kind.rows] for kind in held.kinds}
    while left:
        progress = False
        for model in list(left):
            remaining = []
            for pk in left[model]:
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk=pk).delete()
                    progress = True
                except (ProtectedError, RestrictedError):
                    remaining.append(pk)
            if remaining:
                left[model] = remaining
            else:
                del left[model]
        if not progress:
            blocked = ", ".join(f"{m._meta.verbose_name_plural} {pks}" for m, pks in left.items())
            raise Conflict(f"This record cannot be erased: other records still point at {blocked}.")
    for kind in held.kinds:
        _delete_history(kind.model, [row.pk for row in kind.rows])


def _delete_history(model, pks: list[int]) -> None:
    history = getattr(model, "history", None)
    if history is not None and pks:
        history.model.objects.filter(id__in=pks).delete()


def _delete_rows_and_history(model, rows: QuerySet) -> None:
    pks = list(rows.values_list("pk", flat=True))
    rows.delete()
    _delete_history(model, pks)


def _empty(child: Child, today: dt.date) -> None:
    """The tombstone: the row stays (the audit trail points at it), with nothing about the child in it."""
    child.identifier = f"erased-{child.pk}"
    child.first_name = child.last_name = ""
    child.date_of_birth = child.expected_date_of_birth = None
    child.gender = child.ethnicity = child.address = child.locality = child.school = ""
    child.disability = child.mother_looked_after = None
    child.asylum_status = "none"
    child.family = None
    child.restricted = False
    child.closure_reason = ""
    child.erased_on = today
    child.save()
    _delete_history(Child, [child.pk])  # the copies of the record as it was, and of the tombstone


def _erase_audit_payloads(child: Child) -> int:
    """Erase what each audit row about the child said (before, after, detail), keeping its digest. One UPDATE
    per row, which the PostgreSQL trigger allows once (audit migration 0010)."""
    rows = list(
        AuditEvent.objects.filter(child=child, erased_payload_digest="").values_list(
            "pk", "before", "after", "detail"
        )
    )
    if not rows:
        return 0
    connection = transaction.get_connection()
    q = connection.ops.quote_name
    table = q(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        # bandit B608: the model's own table and column names, quoted; the values go as parameters.
        cursor.executemany(
            f"UPDATE {table} SET {q('before')} = NULL, {q('after')} = NULL, {q('detail')} = '', "  # nosec B608
            f"{q('erased_payload_digest')} = %s WHERE {q('id')} = %s",
            [(payload_digest(before=b, after=a, detail=d), pk) for pk, b, a, d in rows],
        )
    return len(rows)
