"""A meeting's age list: the children a meeting discusses because of their age, not because someone listed them.

A protocol meeting names the pathways it `lists` (Dorset: the monthly 16+ meeting lists `lac_to_leaving_care`,
D-137). A child is on the list once they reach the earliest age in that pathway's timeline (an `at_age` step)
and stays on it until the pathway's step is done (a completed transfer on that pathway, or an open allocation
in the receiving service). The protocol's own rules for the pathway decide the rest (plan, age limit), so
nothing here knows which authority it is serving.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from dataclasses import dataclass

from django.db.models import Prefetch

from handover.children.models import Allocation, AllocationKind, Child
from handover.domain.calendar import Duration, DurationUnit, date_at_age
from handover.domain.protocol import schema
from handover.domain.protocol.model import Protocol
from handover.domain.workflow import OPEN_STATES, State
from handover.meetings.models import Meeting
from handover.meetings.selectors import only_visible, sitting_for
from handover.organisation.models import Authority
from handover.organisation.protocol import protocol_for
from handover.transfers.models import Transfer
from handover.transfers.services import ApplicationError, transfer_recommend


@dataclass(frozen=True)
class AgeListEntry:
    """One child on a meeting's age list, with when they joined it and when the pathway's step is due."""

    child: Child
    allocation: Allocation  # the open primary allocation: its team and worker hold the case now
    pathway: str
    listed_from: dt.date  # the day the child reaches the timeline's earliest at_age age
    due: dt.date | None  # the day the pathway's transfer_by step is due, if it is due at an age
    overdue: bool  # the sitting is after `due`
    transfer: Transfer | None  # the open transfer on this pathway, if one has been proposed

    @property
    def team(self):
        return self.allocation.team

    @property
    def worker(self):
        return self.allocation.worker


def age_list(meeting: Meeting, viewer=None) -> list[AgeListEntry]:
    """The children `meeting` discusses by age on the day it sits, earliest to reach the list age first; with a
    `viewer`, only those they may see (a restricted record they are not named on is not there)."""
    protocol = protocol_for(meeting.authority)
    spec = protocol.meetings.get(meeting.meeting)
    if spec is None:
        raise ApplicationError(
            {"meeting": f"the {protocol.name} protocol declares no meeting {meeting.meeting!r}"}
        )
    entries: list[AgeListEntry] = []
    for pathway_id in spec.lists:
        entries.extend(_listed_for(protocol, protocol.pathways[pathway_id], meeting))
    if viewer is not None:
        entries = only_visible(entries, viewer, lambda entry: entry.child.pk)
    return sorted(entries, key=lambda e: (e.listed_from, e.child.last_name, e.child.first_name, e.child.pk))


def age_list_for(
    *, authority: Authority, on: dt.date, meeting_id: str | None = None
) -> tuple[Meeting, list[AgeListEntry]]:
    """The sitting of the age-listing meeting a case identified on `on` can make, and its age list. Writes
    nothing: the sitting is the stored one, else as it would be scheduled (unsaved).

    Without `meeting_id`, the protocol's one meeting that lists children by age.
    """
    if meeting_id is None:
        protocol = protocol_for(authority)
        listing = [m.id for m in protocol.file.meetings if m.lists]
        if len(listing) != 1:
            raise ApplicationError(
                {
                    "meeting": f"the {protocol.name} protocol declares {len(listing)} meetings that list "
                    "children by age; name one"
                }
            )
        meeting_id = listing[0]
    meeting = sitting_for(authority=authority, on=on, meeting_id=meeting_id)
    return meeting, age_list(meeting)


def _listed_for(protocol: Protocol, pathway: schema.Pathway, meeting: Meeting) -> list[AgeListEntry]:
    timeline = protocol.timelines[pathway.timeline]
    ages = [step.at_age for step in timeline.steps if step.at_age is not None]
    transfer_by = next(step for step in timeline.steps if step.id == timeline.transfer_by)
    # The protocol's rules that lead to this pathway, and the events they fire on (e.g. `age_reached`).
    events = list(dict.fromkeys(rule.event for rule in protocol.file.rules if rule.pathway == pathway.id))
    receiving = {pathway.to.service, *pathway.to.choose_from} - {None}
    sits_on = meeting.sits_on
    candidates = (
        Child.objects.filter(
            authority=meeting.authority,
            closed_on__isnull=True,
            date_of_birth__isnull=False,
            date_of_birth__lte=max(_born_by(sits_on, age) for age in ages),
            allocations__kind=AllocationKind.PRIMARY,
            allocations__end__isnull=True,
            allocations__team__service__code__in=pathway.from_,
        )
        # Subqueries, not joins: exclude() across a relation need not match both conditions on one row.
        .exclude(
            pk__in=Transfer.objects.filter(pathway=pathway.id, state=State.TRANSFERRED).values("child_id")
        )
        .exclude(
            pk__in=Allocation.objects.filter(end__isnull=True, team__service__code__in=receiving).values(
                "child_id"
            )
        )
        .select_related("authority")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.filter(
                    kind=AllocationKind.PRIMARY, end__isnull=True
                ).select_related("team__service", "worker"),
                to_attr="open_primary",
            ),
            Prefetch(
                "transfers",
                queryset=Transfer.objects.filter(
                    pathway=pathway.id, state__in=[s.value for s in OPEN_STATES]
                ).order_by("-proposed_at"),
                to_attr="open_on_pathway",
            ),
        )
    )
    entries = []
    for child in candidates:
        listed_from = min(date_at_age(child.date_of_birth, age) for age in ages)
        if listed_from > sits_on or not _routes_to(child, pathway, events, sits_on):
            continue
        due = date_at_age(child.date_of_birth, transfer_by.at_age) if transfer_by.at_age else None
        entries.append(
            AgeListEntry(
                child=child,
                allocation=child.open_primary[0],
                pathway=pathway.id,
                listed_from=listed_from,
                due=due,
                overdue=due is not None and sits_on > due,
                transfer=child.open_on_pathway[0] if child.open_on_pathway else None,
            )
        )
    return entries


def _routes_to(child: Child, pathway: schema.Pathway, events: list[str], on: dt.date) -> bool:
    """Whether the protocol routes this child to the pathway on `on`: its conditions decide, not this module."""
    for event in events:
        _, decision = transfer_recommend(child=child, event=event, on=on)
        if decision.pathway is not None and decision.pathway.id == pathway.id:
            return True
    return False


def _born_by(on: dt.date, age: Duration) -> dt.date:
    """A date of birth after which a child cannot have reached `age` by `on`.

    Loose on purpose (the end of the month): it only narrows the query; `date_at_age` makes the exact test.
    """
    latest = on - dt.timedelta(days=7 * age.get(DurationUnit.WEEKS) + age.get(DurationUnit.DAYS))
    months = 12 * age.get(DurationUnit.YEARS) + age.get(DurationUnit.MONTHS)
    year, month0 = divmod(latest.year * 12 + latest.month - 1 - months, 12)
    return dt.date(year, month0 + 1, monthrange(year, month0 + 1)[1])
