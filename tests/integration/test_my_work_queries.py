"""My work asks the same number of queries however many transfers it shows (issue 14, item 2): what each row
needs (the person's relation to the child, the readiness checklist's documents) is fetched for all rows at once,
not asked per transfer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.transfers import services

pytestmark = pytest.mark.django_db


def proposed(world, identifiers):
    for identifier in identifiers:
        services.transfer_propose(
            now=NOW,
            actor=world.ast_sw,
            child=world.child(identifier, identifier.title()),
            event="assessment_concluded",
            on=TODAY,
            answers=CIN_PLAN,
        )


def queries_for(person) -> tuple[int, str]:
    client = Client()
    client.force_login(person.user)
    client.get("/my-work/")  # the session and the protocol's caches warm
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/my-work/")
    assert page.status_code == 200
    return len(queries), page.content.decode()


@pytest.mark.parametrize(
    "who", ["ast_sw", "ast_tm", "cin_tm", "business_support", "service_manager", "director"]
)
def test_my_work_asks_as_many_queries_for_six_transfers_as_for_two(world, who):
    person = getattr(world, who)
    proposed(world, ["QA", "QB"])
    few, _ = queries_for(person)
    proposed(world, ["QC", "QD", "QE", "QF"])
    many, page = queries_for(person)
    assert many == few, f"{few} queries for 2 transfers, {many} for 6"
    if who == "ast_sw":  # the worker's rows are all there: the page did not save queries by showing less
        assert all(name in page for name in ("Qa", "Qd", "Qf"))
