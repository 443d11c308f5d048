"""Build the situation the protocol engine routes on from a child's record plus a worker's answers.

The record supplies what it knows (dates of birth, legal status, plan, allocation history); answers supply
the rest (the authority's own facts, the event). Answers win where both speak, and both are kept on the
transfer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from handover.children.models import AllocationKind, Child, LegalStatusEpisode, PlanEpisode
from handover.children.selectors import current_primary  # noqa: F401 (its callers import it from here too)
from handover.domain.facts import LOOKED_AFTER_STATUSES
from handover.organisation.protocol import protocol_for

FRONT_DOOR = "front_door"


def _open_on(queryset, on: dt.date):
    return queryset.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gte=on))


def looked_after_since(child: Child, on: dt.date) -> dt.date | None:
    """The day the child's current time in care began: the start of the unbroken run of looked after legal
    statuses open on `on` (a change from section 20 to a care order is the same time in care), or None."""
    episodes = LegalStatusEpisode.objects.filter(child=child, start__lte=on).order_by("-start", "-pk")
    since = None
    for episode in episodes:
        if episode.status not in LOOKED_AFTER_STATUSES:
            break
        if since is None and episode.end is not None and episode.end < on:
            break  # not looked after on `on`
        if since is not None and episode.end is not None and episode.end < since - dt.timedelta(days=1):
            break  # a break in care before the current run
        since = episode.start
    return since


def record_situation(child: Child, *, event: str, on: dt.date, answers: dict[str, Any] | None = None) -> dict:
    """A JSON situation for `event` on `on`: the record's facts, overlaid with the given answers."""
    answers = answers or {}
    child_facts: dict[str, Any] = {}
    if child.date_of_birth:
        child_facts["birth_date"] = child.date_of_birth.isoformat()
    elif child.expected_date_of_birth:
        child_facts["expected_birth_date"] = child.expected_date_of_birth.isoformat()
    if child.disability is not None:
        child_facts["disability"] = child.disability
    child_facts["asylum_status"] = child.asylum_status or "none"
    if child.locality:
        child_facts["locality"] = child.locality
    legal = _open_on(LegalStatusEpisode.objects.filter(child=child), on).first()
    child_facts["legal_status"] = legal.status if legal else "none"
    if since := looked_after_since(child, on):
        child_facts["looked_after_since"] = since.isoformat()
    plan = _open_on(PlanEpisode.objects.filter(child=child), on).first()
    child_facts["plan"] = plan.plan if plan else "none"

    history: dict[str, Any] = {}
    # A front-door allocation is where a new event is being handled, not an open case: leave it out; so are
    # cases held by a service the protocol says is not social care history (Dorset's Early Help, D-083/D-087:
    # a re-referral goes back to the social care team that held the case, not to Early Help).
    outside = protocol_for(child.authority).outside_case_history
    allocations = list(
        child.allocations.filter(kind=AllocationKind.PRIMARY, start__lte=on)
        .exclude(team__service__kind=FRONT_DOOR)
        .exclude(team__service__code__in=outside)
        .select_related("team__service")
        .order_by("-start", "-pk")
    )
    current = next((a for a in allocations if a.end is None), None)
    if current is not None:
        history["current_service"] = current.team.service.code
    elif allocations:
        last = max(allocations, key=lambda a: a.end)
        history["last_service"] = last.team.service.code
        history["last_team"] = last.team.code
        history["closed_on"] = last.end.isoformat()
    else:
        history["previously_known"] = False

    siblings: dict[str, Any] = {}
    if child.family_id:
        in_proceedings = LegalStatusEpisode.objects.filter(
            child__family_id=child.family_id, status="interim_care_order", start__lte=on
        ).exclude(child=child)
        siblings["in_care_proceedings"] = in_proceedings.filter(Q(end__isnull=True) | Q(end__gte=on)).exists()
        ended = in_proceedings.filter(end__lt=on).order_by("-end").first()
        if ended is not None:
            siblings["care_proceedings_ended_on"] = ended.end.isoformat()
    mother: dict[str, Any] = {}
    if child.mother_looked_after is not None:
        mother["looked_after"] = child.mother_looked_after

    situation: dict[str, Any] = {
        "event": event,
        "date": on.isoformat(),
        "child": child_facts,
        "history": history,
        "siblings": siblings,
        "mother": mother,
        "facts": {},
    }
    for section, values in answers.items():
        if section in ("event", "date"):
            continue
        if isinstance(values, dict):
            situation.setdefault(section, {}).update(values)
        else:
            situation[section] = values
    return {k: v for k, v in situation.items() if v != {}}
