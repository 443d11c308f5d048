"""The overview (issue 12, item 4): a service manager's service, a head of service's or the director's whole
authority, the open transfers that are overdue, blocked, escalated or in dispute counted by service and team, each
count opening the list of those transfers with what is late and for how long; filters by service and team; the
same queries however many transfers; audited like every listing. And the navigation offers each page only to those
who may open it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import CIN_PLAN, TODAY, at
from tests.integration.test_transfer_journey import act, propose

from handover.audit.models import AuditEvent, Verb
from handover.children.models import RestrictedAccess
from handover.organisation.models import Role
from handover.organisation.services import staff_create
from handover.transfers import services

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def overdue(world, identifier, first, **child):
    """A transfer proposed 40 days ago and never listed: its steps are overdue."""
    return services.transfer_propose(
        now=at(TODAY - dt.timedelta(days=40)),
        actor=world.ast_sw,
        child=world.child(identifier, first, **child),
        event="assessment_concluded",
        on=TODAY - dt.timedelta(days=40),
        answers=CIN_PLAN,
    ).transfers[0]


def blocked(world, identifier, first, *, escalate=False):
    transfer = propose(world, world.child(identifier, first))
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "block", reason="No capacity this month")
    if escalate:
        act(world.ast_tm, transfer, "escalate", reason="Blocked for a week")
    return transfer


def disputed(world, identifier, first):
    transfer = propose(world, world.child(identifier, first))
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "decline", reason="Threshold for CIN not met")
    return transfer


def counts(page: str) -> dict[str, list[str]]:
    """Each row of the counts table: its name → its four counts."""
    table = page.split('id="counts"')[1].split("</table>")[0]
    rows = {}
    for row in table.split('<tr class="govuk-table__row">')[2:]:
        name = (
            re.sub(r"<[^>]+>", "", row.split("</th>")[0])
            .replace("Service: ", "")
            .replace("Team: ", "")
            .strip()
        )
        cells = re.findall(r'<td class="govuk-table__cell[^"]*"[^>]*>(.*?)</td>', row)
        rows[name] = [re.sub(r"<span.*?</span>", "", re.sub(r"</?a[^>]*>", "", c)).strip() for c in cells]
    return rows


def listed(page: str) -> list[list[str]]:
    """The listed transfers: each row's cells, in words."""
    if 'id="listed"' not in page:
        return []
    table = page.split('id="listed"')[1].split("</table>")[0]
    return [
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in table.split('<tr class="govuk-table__row">')[2:]
    ]


@pytest.fixture
def attention(world):
    """One transfer of each kind the overview counts, all from Assessment East to CIN and CP, and one that is
    on time (not counted)."""
    return {
        "overdue": overdue(world, "O1", "Olive"),
        "blocked": blocked(world, "B1", "Basil"),
        "escalated": blocked(world, "E1", "Esme", escalate=True),
        "disputed": disputed(world, "D1", "Dara"),
        "fine": propose(world, world.child("F1", "Finn")),
    }


def test_the_director_sees_the_whole_authority_counted_by_service_and_team(world, attention):
    page = signed_in(world.director).get("/overview/").content.decode()
    assert "across the authority" in page
    rows = counts(page)
    # Each transfer counts for the service and team it leaves and the service it goes to (no team agreed yet).
    assert rows["Assessment Service"] == ["1", "1", "1", "1"]
    assert rows["Assessment Team East"] == ["1", "1", "1", "1"]
    assert rows["Children in Need and Child Protection Service"] == ["1", "1", "1", "1"]
    assert rows["LAC / Children in Care Service"] == ["0", "0", "0", "0"]
    assert "Finn" not in page  # on time: not counted, not named
    totals = page.split('id="totals">')[1].split("</ul>")[0]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", totals)).strip()
    assert words == "1 overdue 1 blocked 1 escalated 1 declined and in dispute"
    # Each count opens the list of those transfers.
    team = world.teams["assessment_east"]
    service = team.service
    link = f'href="/overview/?show=escalated&amp;service={service.pk}&amp;team={team.pk}#listed"'
    assert link in page


def test_each_list_says_what_is_late_and_for_how_long_and_opens_the_transfer(world, attention):
    client = signed_in(world.director)
    page = client.get("/overview/", {"show": "overdue"}).content.decode()
    assert "Overdue transfers (1)" in page
    ((child, sides, what, how_long),) = listed(page)
    assert child == "Olive Testfamily: open the transfer"
    assert sides == "Assessment Team East to Children in Need and Child Protection Service"
    assert (
        what.startswith("On the early warning sheet (due 19 October 2026), and ")
        and "more overdue steps" in what
    )
    assert how_long == "26 working days late"
    assert f'href="/transfers/{attention["overdue"].pk}/"' in page.split('id="listed"')[1]

    ((child, _, what, how_long),) = listed(client.get("/overview/", {"show": "escalated"}).content.decode())
    assert child.startswith("Esme Testfamily")
    assert what == "Blocked transfer escalated to level 1, service manager, since 24 November 2026"
    assert how_long == "Since today"
    ((child, _, what, _),) = listed(client.get("/overview/", {"show": "disputed"}).content.decode())
    assert (
        child.startswith("Dara") and what == "Declined 24 November 2026; with the service manager to decide"
    )
    ((child, _, what, _),) = listed(client.get("/overview/", {"show": "blocked"}).content.decode())
    assert child.startswith("Basil") and what == "Blocked since 24 November 2026"


def test_a_service_manager_sees_their_service_and_filters_by_team(world, attention):
    # A case going from CIN and CP East to the LAC service: outside the other service manager's service.
    lac_manager = staff_create(
        authority=world.authority,
        username="lou_lac_sm",
        name="Lou Lac Sm",
        roles=[(Role.SERVICE_MANAGER, world.services["lac"])],
    )
    client = signed_in(world.service_manager)
    page = client.get("/overview/").content.decode()
    assert "to or from Children in Need and Child Protection Service" in page
    assert list(counts(page)) == ["Children in Need and Child Protection Service"]  # no team agreed yet
    assert "Assessment Service" not in page.split('id="counts"')[1]
    lac = signed_in(lac_manager).get("/overview/").content.decode()
    assert counts(lac) == {"LAC / Children in Care Service": ["0", "0", "0", "0"]}
    assert "Olive" not in lac

    # The director narrows to a team: only the transfers to or from it.
    director = signed_in(world.director)
    west = world.teams["assessment_west"]
    page = director.get("/overview/", {"team": west.pk, "show": "overdue"}).content.decode()
    assert counts(page) == {"Assessment Service": ["0", "0", "0", "0"]} and listed(page) == []
    east = world.teams["assessment_east"]
    page = director.get("/overview/", {"team": east.pk, "show": "overdue"}).content.decode()
    assert counts(page)["Assessment Team East"] == ["1", "1", "1", "1"] and len(listed(page)) == 1
    assert f'<option value="{east.pk}" selected>' in page


def test_a_filter_that_is_not_offered_is_refused_with_the_field_named(world, attention):
    client = signed_in(world.service_manager)
    lac = world.services["lac"]
    response = client.get("/overview/", {"service": lac.pk})  # not their service
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and '<a href="#service">Choose a service from the list</a>' in page
    assert 'id="service-error"' in page
    page = client.get("/overview/", {"team": "east"}).content.decode()
    assert '<a href="#team">Choose a team from the list</a>' in page
    page = client.get("/overview/", {"show": "late"}).content.decode()
    assert '<a href="#totals">Choose to list overdue, blocked, escalated or disputed transfers</a>' in page


def test_only_senior_managers_may_open_it(world):
    for person in (world.ast_sw, world.ast_tm, world.cin_pm, world.business_support, world.auditor):
        assert signed_in(person).get("/overview/").status_code == 403
    for person in (world.service_manager, world.director):
        assert signed_in(person).get("/overview/").status_code == 200
    head = staff_create(
        authority=world.authority, username="hos", name="Hana Head", roles=[(Role.HEAD_OF_SERVICE, None)]
    )
    assert "across the authority" in signed_in(head).get("/overview/").content.decode()


def test_a_restricted_record_is_not_counted_for_someone_not_named_on_it(world):
    secret = overdue(world, "X1", "Xanthe", restricted=True)
    page = signed_in(world.director).get("/overview/", {"show": "overdue"}).content.decode()
    assert counts(page)["Assessment Service"][0] == "0" and "Xanthe" not in page
    RestrictedAccess.objects.create(child=secret.child, staff=world.director)
    page = signed_in(world.director).get("/overview/", {"show": "overdue"}).content.decode()
    assert counts(page)["Assessment Service"][0] == "1" and "Xanthe Testfamily" in page


def test_a_get_writes_only_the_audit_of_the_children_it_lists(world, attention):
    client = signed_in(world.director)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client.get("/overview/")  # counts only: no child named, nothing recorded
    assert not AuditEvent.objects.filter(pk__gt=last).exists()
    client.get("/overview/", {"show": "blocked"})
    (row,) = AuditEvent.objects.filter(pk__gt=last)
    assert row.verb == Verb.CHILD_LISTED and row.detail == "Overview: blocked transfers"
    assert row.after == {"children": [attention["blocked"].child_id]}


def test_the_queries_do_not_grow_with_the_transfers(world):
    def queries(show: str) -> int:
        client = signed_in(world.director)
        client.get("/overview/")  # the session and the protocol read once
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/overview/", {"show": show}).status_code == 200
        return len(captured)

    for n in range(2):
        overdue(world, f"Q{n}", f"Quin{n}")
        blocked(world, f"QB{n}", f"Quill{n}", escalate=bool(n))
    small = {show: queries(show) for show in ("overdue", "blocked", "escalated")}
    for n in range(2, 7):
        overdue(world, f"Q{n}", f"Quin{n}")
        blocked(world, f"QB{n}", f"Quill{n}", escalate=bool(n % 2))
    large = {show: queries(show) for show in ("overdue", "blocked", "escalated")}
    assert large == small
    assert len(listed(signed_in(world.director).get("/overview/", {"show": "overdue"}).content.decode())) == 7


# -- the navigation ------------------------------------------------------------------------------------------------


def navigation(staff) -> list[str]:
    page = signed_in(staff).get("/my-work/").content.decode()
    nav = page.split('<ul class="govuk-service-navigation__list"')[1].split("</ul>")[0]
    return [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]


def test_the_navigation_offers_only_the_pages_the_person_may_open(world):
    assert navigation(world.ast_sw) == [
        "My work",
        "Find a child",
        "Meetings",
        "Escalations",
        "Protocol",
        "Notifications",
    ]
    assert signed_in(world.ast_sw).get("/team/").status_code == 403  # the rule the navigation asked
    assert "Team" in navigation(world.ast_tm) and "Overview" not in navigation(world.ast_tm)
    assert signed_in(world.ast_tm).get("/team/").status_code == 200
    for senior in (world.service_manager, world.director):
        links = navigation(senior)
        assert links.index("Team") < links.index("Overview")
    assert navigation(world.administrator) == ["My work", "Escalations", "Protocol", "Notifications"]
    page = signed_in(world.director).get("/overview/").content.decode()
    assert re.search(r'href="/overview/" aria-current="page"', page)


@pytest.mark.parametrize("who", ["director", "service_manager"])
def test_my_works_summary_counts_what_the_overview_counts(world, attention, who):
    """My work's totals come from a lighter count (no transfer fetched or worded): the same numbers."""
    from handover.organisation.access import overview_scope
    from handover.web.overview import flag_totals, overview_of, summary_for

    person = getattr(world, who)
    secret = overdue(world, "X2", "Xena", restricted=True)  # counted for no one not named on it
    scope = overview_scope(person)
    full = overview_of(person, scope, TODAY)
    summary = summary_for(person, TODAY)
    assert [(f["words"], f["count"], f["url"]) for f in summary.flags] == full.totals
    assert [n for _, n, _ in full.totals] == [1, 1, 1, 1]
    assert summary.scope_words == full.scope_words
    RestrictedAccess.objects.create(child=secret.child, staff=person)
    assert flag_totals(person, scope, TODAY).counts["overdue"] == 2
