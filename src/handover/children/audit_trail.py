"""Who viewed or changed a child's record, as the record shows it to those who may see it: each person by name,
with the role they held that day and where, never a username."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from handover.audit.models import AuditEvent
from handover.children.models import Child
from handover.domain.roles import SENIORITY, RoleName
from handover.organisation.models import Membership, StaffMember

SYSTEM = "Handover (automatic)"  # the sweep, an import: no person acted
_ORDER = [role.value for role in RoleName]


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    who: str
    role: str  # "Team manager, Assessment Team East"; empty if no role was held that day


def record_audit_trail(child: Child, *, limit: int = 50) -> list[AuditRow]:
    """The latest `limit` audit rows of `child`, newest first, each with who acted in words. Three queries,
    however many rows."""
    events = list(AuditEvent.objects.filter(child=child).select_related("actor")[:limit])
    staff = {
        s.user_id: s
        for s in StaffMember.objects.filter(
            user_id__in={e.actor_id for e in events if e.actor_id}
        ).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("team", "service"))
        )
    }
    rows = []
    for event in events:
        if event.actor_id is None:
            rows.append(AuditRow(event, SYSTEM, ""))
            continue
        person = staff.get(event.actor_id)
        if person is None:  # a sign-in with no staff record (a superuser setting the system up)
            rows.append(AuditRow(event, event.actor.get_full_name() or event.actor.get_username(), ""))
            continue
        rows.append(AuditRow(event, person.name, role_held(person, timezone.localtime(event.at).date())))
    return rows


def role_held(staff: StaffMember, on: dt.date) -> str:
    """The main role `staff` held on `on` and where, in words: the most senior; among roles of the same rank, the
    one held longest (as the header says who is signed in). Reads the prefetched memberships."""
    held = [m for m in staff.memberships.all() if m.start <= on and (m.end is None or m.end >= on)]
    if not held:
        return ""
    main = min(held, key=lambda m: (-SENIORITY.get(RoleName(m.role), 0), m.start, _ORDER.index(m.role), m.pk))
    where = main.team or main.service
    return f"{main.get_role_display()}, {where.name}" if where is not None else main.get_role_display()
