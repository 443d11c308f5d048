"""Find a child: every match paged through 25 at a time, the best match first, and each result saying who the
child is, how old, and who holds the case (user trial: "Ivesley" showed 50 of 129, with no team, worker or age)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import TODAY

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, AllocationKind, Child, RestrictedAccess

pytestmark = pytest.mark.django_db

ASSIGNED = object()  # the world's assessment social worker


def _child(
    world, identifier, first, last="Ivesley", *, team="assessment_east", worker=ASSIGNED, start=None, **fields
):
    """A child of the world's authority; with `start`, holding it since then (None for no allocation)."""
    fields.setdefault("date_of_birth", None if "expected_date_of_birth" in fields else dt.date(2016, 3, 1))
    child = Child.objects.create(
        authority=world.authority,
        identifier=identifier,
        first_name=first,
        last_name=last,
        disability=False,
        **fields,
    )
    if start is not None:
        Allocation.objects.create(
            child=child,
            kind=AllocationKind.PRIMARY,
            team=world.teams[team],
            worker=world.ast_sw if worker is ASSIGNED else worker,
            start=start,
        )
    return child


def _ivesleys(world, n, **fields):
    first = dt.date(2026, 1, 1)
    return [
        _child(world, f"IV{i:03}", f"Child{i:03}", start=first + dt.timedelta(days=i), **fields)
        for i in range(n)
    ]


def _get(staff, **params):
    client = Client()
    client.force_login(staff.user)
    response = client.get("/children/", params)
    assert response.status_code == 200
    return response.content.decode()


def _shown(page: str) -> list[str]:
    """The person IDs a results page lists, in order."""
    return re.findall(r'Person ID</dt><dd class="govuk-summary-list__value">([^<]*)</dd>', page)


def _rows(page: str, identifier: str) -> dict[str, str]:
    """The rows after the person ID in the summary list of the result with person ID `identifier`."""
    block = page.split(f'Person ID</dt><dd class="govuk-summary-list__value">{identifier}</dd>')[1].split(
        "</dl>"
    )[0]
    rows = re.findall(r'__key">([^<]*)</dt><dd class="govuk-summary-list__value">([^<]*)</dd>', block)
    return {key: html.unescape(value) for key, value in rows}


def test_every_match_is_paged_through_25_at_a_time(world):
    children = _ivesleys(world, 60)
    first = _get(world.ast_tm, q="Ivesley")
    assert "60 children match “Ivesley”" in first and "Showing 1 to 25 of 60 results" in first
    assert len(_shown(first)) == 25
    assert 'class="govuk-pagination"' in first
    assert 'href="?q=Ivesley&amp;page=2" rel="next"' in first and 'rel="prev"' not in first
    assert 'aria-label="Page 3"' in first and 'aria-current="page">1<' in first
    second = _get(world.ast_tm, q="Ivesley", page="2")
    assert (
        'href="?q=Ivesley&amp;page=1" rel="prev"' in second
        and 'href="?q=Ivesley&amp;page=3" rel="next"' in second
    )
    last = _get(world.ast_tm, q="Ivesley", page="3")
    assert "60 children match" in last and "Showing 51 to 60 of 60 results" in last
    assert len(_shown(last)) == 10
    assert 'href="?q=Ivesley&amp;page=2" rel="prev"' in last and 'rel="next"' not in last
    # Every child once across the pages, the newest activity first.
    assert _shown(first) + _shown(second) + _shown(last) == [c.identifier for c in reversed(children)]
    # The audit names the children shown on the page, not every match.
    listed = AuditEvent.objects.filter(verb=Verb.CHILD_LISTED).latest("pk")
    assert listed.detail == "search: Ivesley"
    assert listed.after["children"] == [c.pk for c in reversed(children[:10])]


def test_paging_keeps_the_filters(world):
    _ivesleys(world, 30)
    team = world.teams["assessment_east"].pk
    page = _get(world.ast_tm, q="Ivesley", team=str(team))
    assert "30 children match" in page
    assert f'href="?q=Ivesley&amp;team={team}&amp;page=2" rel="next"' in page


def test_one_match_is_one_child(world):
    _child(world, "S1", "Saffron", start=TODAY)
    page = _get(world.ast_tm, q="saffron")
    assert "1 child matches “saffron”" in page and "Showing 1 to 1 of 1 result<" in page
    assert "govuk-pagination" not in page
    none = _get(world.ast_tm, q="nobody")
    assert "0 children match “nobody”" in none and "0 results" in none


def test_the_exact_person_id_comes_first_then_the_exact_name_then_the_latest_activity(world):
    _child(world, "R1", "Rosa", start=dt.date(2026, 10, 1))
    _child(world, "R2", "Rosalind", start=dt.date(2026, 11, 1))
    _child(world, "ROSA", "Zoe", "Zed", start=dt.date(2020, 1, 1))  # person ID typed, oldest activity
    assert _shown(_get(world.ast_tm, q="rosa")) == ["ROSA", "R2", "R1"]
    _child(world, "H1", "Hana", start=dt.date(2019, 1, 1))  # the exact name, oldest activity
    _child(world, "H2", "Hannah", start=dt.date(2026, 11, 20))
    _child(world, "H3", "Amy", "Ivesley-Hana", start=None)  # no allocation: last
    _child(world, "H4", "Ben", start=dt.date(2026, 11, 20))  # same day as Hannah: by surname, then first name
    assert _shown(_get(world.ast_tm, q="hana  IVESLEY")) == ["H1", "H4", "H2", "R2", "R1", "H3"]


def test_each_result_shows_id_age_team_and_worker(world):
    _child(world, "A1", "Ada", start=dt.date(2026, 9, 1))
    _child(world, "A2", "Abi", start=dt.date(2026, 9, 1), expected_date_of_birth=dt.date(2027, 3, 3))
    _child(world, "A3", "Ali", start=dt.date(2026, 9, 1), worker=None, date_of_birth=dt.date(2026, 8, 20))
    _child(world, "A4", "Amy", team="cin_cp_east", worker=world.cin_sw, start=dt.date(2025, 1, 1))
    Allocation.objects.filter(child__identifier="A4").update(end=dt.date(2026, 5, 3))
    Child.objects.filter(identifier="A4").update(
        closed_on=dt.date(2026, 5, 3), date_of_birth=dt.date(2025, 8, 24)
    )
    _child(world, "A5", "Ava", start=None, date_of_birth=dt.date(2026, 11, 24))
    page = _get(world.ast_tm, q="Ivesley")
    east, cin = world.teams["assessment_east"].name, world.teams["cin_cp_east"].name
    assert f'href="/children/{Child.objects.get(identifier="A1").pk}/">Ada Ivesley</a>' in page
    assert _rows(page, "A1") == {
        "Age": "10 years old (born 1 March 2016)",
        "Team": east,
        "Worker": world.ast_sw.name,
    }
    assert _rows(page, "A2")["Age"] == "unborn, due 3 March 2027"
    assert _rows(page, "A3") == {
        "Age": "3 months old (born 20 August 2026)",
        "Team": east,
        "Worker": "Not allocated",
    }
    assert _rows(page, "A4") == {
        "Age": "1 year 3 months old (born 24 August 2025)",
        "Team": cin,  # the team that held it last
        "Worker": "Closed on 3 May 2026",
    }
    assert _rows(page, "A5") == {
        "Age": "born today (24 November 2026)",
        "Team": "Not allocated",
        "Worker": "Not allocated",
    }


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("abc", 1), ("99", 3), ("0", 1), ("-3", 1), ("2.5", 1), ("9" * 5000, 1), ("", 1), ("3", 3)],
)
def test_a_page_that_does_not_exist_shows_a_real_page_and_says_so(world, typed, shown):
    _ivesleys(world, 60)
    page = _get(world.ast_tm, q="Ivesley", page=typed)
    assert f'aria-current="page">{shown}<' in page and "60 children match" in page
    assert ("There is no page" in page) == (typed not in ("", "3"))


def test_a_page_of_nothing_is_not_an_error(world):
    page = _get(world.ast_tm, q="Ivesley", page="4")
    assert "0 children match" in page and "govuk-pagination" not in page


def test_the_number_of_queries_does_not_grow_with_the_results(world):
    workers = [world.ast_sw, world.ast_sw2, world.cin_sw, None]
    teams = ["assessment_east", "assessment_west", "cin_cp_east"]

    def queries(q):
        client = Client()
        client.force_login(world.ast_tm.user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/children/", {"q": q}).status_code == 200
        return len(captured)

    for i in range(5):
        _child(world, f"F{i}", f"Few{i}", "Fewley", team=teams[i % 3], worker=workers[i % 4], start=TODAY)
    for i in range(40):
        _child(world, f"M{i}", f"Many{i}", "Manley", team=teams[i % 3], worker=workers[i % 4], start=TODAY)
    assert queries("Fewley") == queries("Manley")


def test_a_restricted_child_is_neither_shown_nor_counted_for_staff_not_named(world):
    _ivesleys(world, 3)
    secret = _child(world, "SECRET9", "Saoirse", start=TODAY, restricted=True)
    RestrictedAccess.objects.create(child=secret, staff=world.ast_sw)
    page = _get(world.ast_tm, q="Ivesley")
    assert "3 children match" in page and "Saoirse" not in page and "SECRET9" not in page
    assert _get(world.ast_tm, q="SECRET9").count("Person ID") == 0
    named = _get(world.ast_sw, q="Ivesley")
    assert "4 children match" in named and "Saoirse Ivesley" in named
