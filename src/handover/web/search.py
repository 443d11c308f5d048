"""Find a child: the search page's read. Writes nothing; the page audits the children it shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Case, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Concat, Lower
from django.utils import dateformat

from handover.children.models import Allocation, AllocationKind, Child
from handover.domain.calendar import age_on
from handover.domain.workflow import OPEN_STATES
from handover.organisation.access import visible_children
from handover.organisation.models import StaffMember, Team

PER_PAGE = 25


@dataclass(frozen=True)
class Found:
    """One child as a result line shows them: who, how old, and who holds the case."""

    child: Child
    age: str
    team: str
    worker: str


@dataclass(frozen=True)
class SearchPage:
    """One page of matches. `page` is Django's (count, numbers, previous and next); `asked_for` is the page number
    as typed when there is no such page and another is shown instead."""

    results: list[Found]
    page: Page
    page_range: list[int | str]
    asked_for: str | None = None


def children_search(
    *, staff: StaffMember, query: str, team: Team | None = None, open_transfer: bool = False
) -> QuerySet[Child]:
    """The children `staff` may see whose person ID is `query`, whose names contain any of its words or who were
    born on a date typed in it (2015-03-27), optionally held by `team` or with an open transfer.

    Best match first: the exact person ID, then the exact full name (first and last, any case), then the most
    recent activity (latest allocation start), then surname and first name (and id, so pages never overlap).
    """
    words = Q(identifier__iexact=query)
    for word in query.split():
        words |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        if born := typed_birth_date(word):
            words |= Q(date_of_birth=born)
    found = Child.objects.filter(words)
    if team is not None:
        found = found.filter(allocations__team=team, allocations__end__isnull=True)
    if open_transfer:
        found = found.filter(transfers__state__in=[s.value for s in OPEN_STATES])
    latest = Allocation.objects.filter(child=OuterRef("pk")).order_by("-start").values("start")[:1]
    return (
        visible_children(staff, found)
        .annotate(
            search_full_name=Lower(Concat("first_name", Value(" "), "last_name")),
            search_latest=Subquery(latest),
        )
        .annotate(
            search_rank=Case(
                When(identifier__iexact=query, then=Value(0)),
                When(search_full_name=" ".join(query.split()).lower(), then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("search_rank", F("search_latest").desc(nulls_last=True), "last_name", "first_name", "pk")
    )


def search_page(children: QuerySet[Child], *, number: str | None, on: dt.date) -> SearchPage:
    """Page `number` (as typed in the address) of `children`, PER_PAGE to a page, each with their age on `on` and
    who holds the case. A number past the end shows the last page; anything else that is not a page number
    shows the first. Three queries whatever the page holds: the count, the page, and the case holders'."""
    holders = Allocation.objects.filter(kind=AllocationKind.PRIMARY).select_related("team", "worker")
    paginator = Paginator(
        children.prefetch_related(
            Prefetch("allocations", queryset=holders.order_by("-start"), to_attr="holders")
        ),
        PER_PAGE,
    )
    shown = _page_number(number, paginator.num_pages)
    page = paginator.page(shown)
    return SearchPage(
        results=[_found(child, on) for child in page.object_list],
        page=page,
        page_range=list(paginator.get_elided_page_range(shown, on_each_side=1, on_ends=1)),
        asked_for=None if number is None or number == str(shown) else number,
    )


def typed_birth_date(word: str) -> dt.date | None:
    """A word typed like 2015-03-27 that is a real date; anything else (2020-99-99) is searched as text."""
    if len(word) != 10 or word[4] != "-":
        return None
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        return None


def age_in_words(child: Child, on: dt.date) -> str:
    """ "9 years old (born 1 March 2016)", "1 year 3 months old", "5 days old", or "unborn, due 3 March 2027"."""
    born = child.date_of_birth
    if born is None:
        return f"unborn, due {_day(child.expected_date_of_birth)}" if child.expected_date_of_birth else ""
    if born > on:
        return f"born {_day(born)}"
    age = age_on(born, on)
    if age.years >= 2:
        words = _count(age.years, "year")
    elif age.years == 1:
        words = _count(1, "year") + (f" {_count(age.months, 'month')}" if age.months else "")
    elif age.months:
        words = _count(age.months, "month")
    elif age.days:
        words = _count(age.days, "day")
    else:
        return f"born today ({_day(born)})"
    return f"{words} old (born {_day(born)})"


def _found(child: Child, on: dt.date) -> Found:
    """The team holding the case and its worker; for a closed record, the team that held it last."""
    holding = next((a for a in child.holders if a.end is None), None)
    team, worker = "Not allocated", "Not allocated"
    if child.closed_on is not None:
        last = holding or next(iter(child.holders), None)  # newest first
        team = last.team.name if last is not None else team
        worker = f"Closed on {_day(child.closed_on)}"
    elif holding is not None:
        team = holding.team.name
        worker = holding.worker.name if holding.worker is not None else worker
    return Found(child=child, age=age_in_words(child, on), team=team, worker=worker)


def _page_number(typed: str | None, last: int) -> int:
    try:
        number = int(typed or 1)
    except ValueError:
        return 1
    return min(max(number, 1), last)


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _day(day: dt.date) -> str:
    return dateformat.format(day, "j F Y")
