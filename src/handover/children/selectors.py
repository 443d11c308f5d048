"""Reads of a child's record that pages and services share. They write nothing."""

from __future__ import annotations

from django.db.models import Max

from handover.children.models import Allocation, AllocationKind, Child


def current_primary(child: Child, on=None) -> Allocation | None:
    """The child's open primary allocation (who holds the case now), with its team, service and worker."""
    queryset = child.allocations.filter(kind=AllocationKind.PRIMARY, end__isnull=True)
    return queryset.select_related("team__service", "worker").first()


def child_version(child: Child) -> int:
    """The version of the child's details: the id of the latest row of its history (django-simple-history adds
    one on every save). A form sends it back, so a change saved by someone else in between is refused, not
    overwritten. 0 for a record with no history (rows bulk-created by an import)."""
    return Child.history.filter(id=child.pk).aggregate(latest=Max("history_id"))["latest"] or 0
