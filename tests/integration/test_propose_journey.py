"""Propose a transfer in the browser's order: what happened → missing facts → recommendation → readiness →
siblings → check answers → confirmation. An override needs a reason; errors use the GOV.UK summary."""

from __future__ import annotations

import pytest
from django.test import Client

from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def step(client, child, name):
    return f"/children/{child.pk}/propose/{name}/"


def answer_facts(client, child, answers):
    """Answer each question the protocol asks until it can recommend; return the questions asked."""
    asked = []
    for _ in range(10):
        page = client.get(step(client, child, "facts"))
        if page.status_code == 302:
            return asked
        question = page.context["fact_name"]
        asked.append(question)
        client.post(step(client, child, "facts"), {"value": answers[question]})
    raise AssertionError(f"still asking after {asked}")


def start(client, child, event="assessment_concluded"):
    return client.post(
        f"/children/{child.pk}/propose/",
        {"event": event, "date-day": "24", "date-month": "11", "date-year": "2026"},
    )


def test_full_journey_with_the_recommended_team(world):
    child = world.child("J1", "Juno")
    client = signed_in(world.ast_sw)
    assert start(client, child).status_code == 302
    asked = answer_facts(
        client, child, {"assessment_outcome": "cin_plan", "siblings.in_care_proceedings": "no"}
    )
    assert asked == [
        "assessment_outcome"
    ]  # only what the rules still need: the child is born, so no sibling question
    page = client.get(step(client, child, "recommendation")).content.decode()
    assert "Children in Need and Child Protection Service" in page and "assessment_cin_plan" in page
    assert "D-103" in page  # the clause, quoted
    assert client.post(step(client, child, "recommendation"), {"to_service": "cin_cp"}).status_code == 302
    readiness = client.get(step(client, child, "readiness")).content.decode()
    assert "Blocks transfer" in readiness and "Transfer summary" in readiness
    client.post(step(client, child, "readiness"))
    assert client.get(step(client, child, "siblings")).status_code == 302  # no siblings with the same worker
    done = client.post(step(client, child, "check"))
    assert "Transfer proposed" in done.content.decode()
    transfer = Transfer.objects.get(child=child)
    assert transfer.to_service.code == "cin_cp" and transfer.rule == "assessment_cin_plan"


def test_override_needs_a_reason(world):
    child = world.child("J2", "Kai")
    client = signed_in(world.ast_sw)
    start(client, child)
    answer_facts(client, child, {"assessment_outcome": "cin_plan", "siblings.in_care_proceedings": "no"})
    refused = client.post(step(client, child, "recommendation"), {"to_service": "lac"})
    text = refused.content.decode()
    assert refused.status_code == 400 and "There is a problem" in text
    assert "Enter why the child should go to a different service" in text
    client.post(
        step(client, child, "recommendation"),
        {"to_service": "lac", "override_reason": "Accommodated under s20"},
    )
    client.post(step(client, child, "readiness"))
    client.post(step(client, child, "check"))
    transfer = Transfer.objects.get(child=child)
    assert transfer.to_service.code == "lac" and transfer.override_reason == "Accommodated under s20"


def test_siblings_prompt_and_errors(world):
    older = world.child("J3", "Lex", family=world.family)
    younger = world.child("J4", "Mo", family=world.family)
    client = signed_in(world.ast_sw)
    bad = client.post(f"/children/{older.pk}/propose/", {"event": "", "date-day": "31", "date-month": "2"})
    assert bad.status_code == 400 and "Select what has happened" in bad.content.decode()
    start(client, older)
    answer_facts(client, older, {"assessment_outcome": "cin_plan", "siblings.in_care_proceedings": "no"})
    client.post(step(client, older, "recommendation"), {"to_service": "cin_cp"})
    client.post(step(client, older, "readiness"))
    page = client.get(step(client, older, "siblings")).content.decode()
    assert "Mo Testfamily" in page
    missing = client.post(step(client, older, "siblings"), {})
    assert (
        missing.status_code == 400 and f"Enter why {younger.name} should not move" in missing.content.decode()
    )
    client.post(step(client, older, "siblings"), {"with_siblings": [str(younger.pk)]})
    client.post(step(client, older, "check"))
    assert Transfer.objects.filter(child__in=[older, younger]).count() == 2
