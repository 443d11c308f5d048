"""Every list page asks the same number of queries however many rows it shows (issue 14, item 2): two data sizes,
the same count. A page that asked per row would grow here long before it grew slow for a large authority."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, listed_on

from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers import services
from handover.transfers.escalations import escalation_raise
from handover.transfers.models import Escalation

pytestmark = pytest.mark.django_db

PAGES = ["/escalations/", "/team/", "/children/?q=Testfamily", "/meetings/", "/overview/", "/notifications/"]


def blocked(world, identifiers):
    """Transfers listed for the meeting, blocked by the receiving manager and escalated: each shows on the
    escalations, team, meeting, search and overview pages."""
    for identifier in identifiers:
        transfer = services.transfer_propose(
            now=NOW,
            actor=world.ast_sw,
            child=world.child(identifier, identifier.title()),
            event="assessment_concluded",
            on=TODAY,
            answers=CIN_PLAN,
        ).transfers[0]
        transfer = services.transfer_act(
            now=NOW, actor=world.ast_tm, transfer=transfer, action="list", expected_version=transfer.version
        )
        transfer = services.transfer_act(
            now=NOW,
            actor=world.cin_tm,
            transfer=transfer,
            action="block",
            reason="No capacity this month",
            expected_version=transfer.version,
        )
        # As the sweep raises it once the blocked work is past its local timing (docs/sweep.md).
        escalation_raise(
            transfer=transfer,
            subject=Escalation.Subject.STEP,
            level=protocol_for_transfer(transfer).file.escalation[0],
            moves_on=TODAY + dt.timedelta(days=7),
            key=f"transfer:{transfer.pk}:step:transfer_meeting:test",
            reason="Transfer meeting overdue",
            now=NOW,
            step="transfer_meeting",
        )


SHOWN: dict[str, str] = {}


def count(person, url) -> int:
    client = Client()
    client.force_login(person.user)
    client.get(url)  # the session and the protocol's caches warm
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200, url
    SHOWN[url] = page.content.decode()
    return len(queries)


@pytest.mark.parametrize("who", ["cin_tm", "service_manager"])
def test_list_pages_ask_as_many_queries_for_six_rows_as_for_two(world, who):
    person = getattr(world, who)
    pages = [url for url in PAGES if url != "/overview/" or who == "service_manager"]
    blocked(world, ["QA", "QB"])
    few = {url: count(person, url) for url in pages}
    blocked(world, ["QC", "QD", "QE", "QF"])
    many = {url: count(person, url) for url in pages}
    assert many == few
    # The rows are there: the counts held because the queries cover every row, not because rows were missing.
    # (The escalations sit with the ladder's first level, the service manager; the team page is the manager's.)
    shown = ["/children/?q=Testfamily", "/escalations/" if who == "service_manager" else "/team/"]
    for url in shown:
        assert "Qf Testfamily" in SHOWN[url], url


def test_the_meeting_agenda_asks_as_many_queries_for_six_cases_as_for_two(world):
    """The agenda read five queries per case (its confirmations, documents, plan, legal status, the sending
    team's service): 1,124 queries for a sheet of 220 on the large demo."""
    monday = dt.date(2026, 11, 23)
    for identifier in ["MA", "MB"]:
        listed_on(world, identifier, monday)
    meeting = meeting_sitting_schedule(authority=world.authority, on=monday, now=NOW)
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    url = f"/meetings/{meeting.pk}/"
    few = count(world.business_support, url)
    for identifier in ["MC", "MD"]:  # two more on the sheet, two only as it would be once compiled
        listed_on(world, identifier, monday)
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    for identifier in ["ME", "MF"]:
        listed_on(world, identifier, monday)
    assert count(world.business_support, url) == few
    assert "Mf Testfamily" in SHOWN[url] and "Ma Testfamily" in SHOWN[url]
