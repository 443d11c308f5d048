"""Who may be, and who has been, a child's social worker.

- **The qualified-worker check**, in one home. Wherever a worker is named as a child's social worker — the
  receiving worker of a transfer (`identify_worker`, and again when the transfer completes) and the worker a
  case is moved or reassigned to (`children.services.allocation_move`: reassigning within a team, bulk moves)
  — the service calls `require_qualified_worker`, and pages and the API ask `worker_choices` what to offer. The
  rule is the rulebook's (`domain/rulebook.qualified_worker_refusal`); whether the protocol requires it for this
  child is its `workers` setting (Dorset D-026: looked after children and children on a child protection plan),
  read from the child's record on the day (and, for a transfer, from its facts too).
- **Counting changes of worker** (Central Bedfordshire C-003, C-004: the fewest transitions; no reallocation
  within a team): how many social workers a child has had, and the reassignments within a team. Reads only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby, pairwise
from typing import Any

from django.db.models import Count, Q

from handover.children.models import Allocation, AllocationKind, Child
from handover.domain.errors import ApplicationError
from handover.domain.protocol.model import Protocol
from handover.domain.registration import Registration
from handover.domain.rulebook import qualified_worker_refusal
from handover.organisation.access import visible_child_of
from handover.organisation.models import Role, StaffMember, Team

# -- the qualified-worker check ---------------------------------------------------------------------------------


def names_social_worker(kind: str, role: str) -> bool:
    """Whether an allocation of this kind and role makes its worker the child's social worker: the case holder
    (the primary allocation), or any allocation in the social worker role."""
    return kind == AllocationKind.PRIMARY or role == Role.SOCIAL_WORKER


def record_facts(child: Child, on: dt.date) -> dict[str, Any]:
    """The facts of the child's record on `on` that a protocol's `workers.applies_when` may read
    (`domain/registration.RECORD_FACTS`), as flat facts."""
    facts: dict[str, Any] = {"event.date": on, "child.asylum_status": child.asylum_status or "none"}
    if child.date_of_birth:
        facts["child.birth_date"], facts["child.unborn"] = child.date_of_birth, False
    elif child.expected_date_of_birth:
        facts["child.expected_birth_date"], facts["child.unborn"] = child.expected_date_of_birth, True
    if child.disability is not None:
        facts["child.disability"] = child.disability
    open_on = Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on))
    legal = child.legal_statuses.filter(open_on).order_by("-start", "-pk").first()
    facts["child.legal_status"] = legal.status if legal else "none"
    plan = child.plans.filter(open_on).order_by("-start", "-pk").first()
    facts["child.plan"] = plan.plan if plan else "none"
    return facts


def registration_of(staff: StaffMember) -> Registration:
    return Registration(staff.social_work_england_number, staff.social_work_england_expires)


def required_by(
    *,
    protocol: Protocol,
    child: Child,
    on: dt.date,
    kind: str,
    role: str,
    facts: Iterable[Mapping[str, Any]] = (),
) -> tuple[str, ...]:
    """The clauses of `protocol` requiring a registered social worker for this allocation of this child on
    `on` (its record's facts on the day, and any `facts` given, e.g. a transfer's), or () if none does."""
    if protocol.workers is None or not names_social_worker(kind, role):
        return ()
    return protocol.workers.registration_required_by(record_facts(child, on), *facts)


def require_qualified_worker(
    *,
    field: str,
    worker: StaffMember,
    child: Child,
    on: dt.date,
    protocol: Protocol,
    kind: str,
    role: str,
    facts: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Refuse (ApplicationError on `field`) naming `worker` as the child's social worker on `on` where the
    protocol requires a registered social worker and they are not one on that day."""
    required = required_by(protocol=protocol, child=child, on=on, kind=kind, role=role, facts=facts)
    refusal = qualified_worker_refusal(
        worker=worker.name, registration=registration_of(worker), on=on, required_by=required
    )
    if refusal is not None:
        raise ApplicationError({field: refusal})


def worker_choices(
    workers: Iterable[StaffMember],
    *,
    child: Child,
    on: dt.date,
    protocol: Protocol,
    kind: str,
    role_of: Callable[[StaffMember], str],
    facts: Iterable[Mapping[str, Any]] = (),
) -> list[tuple[StaffMember, str | None]]:
    """Each of `workers` with why they may not be named as the child's social worker (None: they may), the
    same answer `require_qualified_worker` gives, for pages and the API to offer only the eligible."""
    facts = tuple(facts)
    required: dict[str, tuple[str, ...]] = {}
    out = []
    for worker in workers:
        role = role_of(worker)
        if role not in required:
            required[role] = required_by(
                protocol=protocol, child=child, on=on, kind=kind, role=role, facts=facts
            )
        refusal = qualified_worker_refusal(
            worker=worker.name, registration=registration_of(worker), on=on, required_by=required[role]
        )
        out.append((worker, refusal))
    return out


# -- counting changes of worker (C-003, C-004) ------------------------------------------------------------------


def social_workers_had(child: Child) -> int:
    """How many different people have been the child's social worker (held its case, or an allocation in the
    social worker role), over its whole record. Reads `child.allocations.all()`, so a prefetch serves it."""
    return len(
        {
            a.worker_id
            for a in child.allocations.all()
            if a.worker_id is not None and names_social_worker(a.kind, a.role)
        }
    )


@dataclass(frozen=True)
class Reassignment:
    """The child's case moved from one worker to another within one team, on a day, for a reason (SSDA903)."""

    child_id: int
    team_id: int
    on: dt.date
    from_worker_id: int
    to_worker_id: int
    reason: str


def reassignments_within_team(allocations: Iterable[Allocation]) -> list[Reassignment]:
    """The reassignments among one child's primary allocations in one team, in date order: an allocation that
    ended the day the next began, each with a worker, and a different one."""
    ordered = sorted(allocations, key=lambda a: (a.start, a.pk))
    return [
        Reassignment(
            after.child_id, after.team_id, after.start, before.worker_id, after.worker_id, after.start_reason
        )
        for before, after in pairwise(ordered)
        if before.end == after.start
        and before.worker_id is not None
        and after.worker_id is not None
        and before.worker_id != after.worker_id
    ]


def team_reassignments(team: Team, viewer: StaffMember) -> list[tuple[Child, int]]:
    """The children `team` holds now (those `viewer` may see) whose case has been reassigned within the team,
    with how many times, most first."""
    held = Allocation.objects.filter(
        visible_child_of(viewer, Child.objects.all()),
        team=team,
        kind=AllocationKind.PRIMARY,
        end__isnull=True,
    ).values("child")
    # Only a child allocated in the team more than once can have been reassigned within it: the others (most of
    # a team's caseload) are not fetched (issue 14: a third of the team page's time).
    more_than_once = (
        Allocation.objects.filter(team=team, kind=AllocationKind.PRIMARY, child__in=held)
        .values("child")
        .annotate(allocations=Count("pk"))
        .filter(allocations__gt=1)
        .values("child")
    )
    rows = (
        Allocation.objects.filter(team=team, kind=AllocationKind.PRIMARY, child__in=more_than_once)
        .select_related("child")
        .order_by("child_id", "start", "pk")
    )
    counted = []
    for _, group in groupby(rows, key=lambda a: a.child_id):
        group = list(group)
        if n := len(reassignments_within_team(group)):
            counted.append((group[0].child, n))
    return sorted(counted, key=lambda row: (-row[1], row[0].last_name, row[0].first_name, row[0].pk))
