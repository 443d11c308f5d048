"""The propose journey starts from what can happen to a child in the service that holds them (issue 12): a child
held by Assessment is offered what the protocol routes from Assessment, never "Referral received by MASH" (a
referral starts at the front door); the protocol's other events are under "Something else", where the
managers decide."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DAY = {"date-day": "24", "date-month": "11", "date-year": "2026"}


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def radios(page: str) -> list[str]:
    return re.findall(r'name="event" type="radio" value="([a-z0-9_]+)"', page)


def listed(page: str) -> list[str]:
    return re.findall(r'<option value="([a-z0-9_]+)"', page)


def test_a_child_held_by_assessment_is_offered_what_happens_there_first(world):
    child = world.child("E1", "Esme")  # held by Assessment Team East
    page = signed_in(world.ast_sw).get(f"/children/{child.pk}/propose/").content.decode()
    assert radios(page)[:3] == ["assessment_concluded", "icpc_held", "becomes_looked_after"]
    assert radios(page)[-1] == "something_else"
    assert "Esme Testfamily is with the Assessment Service" in page
    assert "Care proceedings end with a care order" in page and "care_order_made" in listed(page)
    assert "Referral received by MASH" not in page and "referral" not in radios(page) + listed(page)
    assert "{#" not in page and "{%" not in page


def test_a_child_held_by_cin_and_cp_is_offered_other_events(world):
    child = world.child("E2", "Ezra", team="cin_cp_east", worker=world.cin_sw)
    page = signed_in(world.cin_sw).get(f"/children/{child.pk}/propose/").content.decode()
    assert "becomes_looked_after" in radios(page) and "icpc_held" not in radios(page)
    assert "icpc_held" in listed(page)  # under "Something else": the managers decide
    assert "Referral received by MASH" not in page


def test_a_referral_cannot_be_posted_for_a_child_held_by_assessment(world):
    child = world.child("E3", "Elle")
    refused = signed_in(world.ast_sw).post(f"/children/{child.pk}/propose/", {"event": "referral", **DAY})
    assert refused.status_code == 400
    assert (
        'href="#event"' in refused.content.decode() and "Select what has happened" in refused.content.decode()
    )
    also = signed_in(world.ast_sw).post(
        f"/children/{child.pk}/propose/", {"event": "something_else", "other_event": "referral", **DAY}
    )
    assert also.status_code == 400 and 'href="#other_event"' in also.content.decode()


def test_something_else_needs_an_event_from_the_list_then_the_managers_decide(world):
    child = world.child("E4", "Emil")
    client = signed_in(world.ast_sw)
    empty = client.post(f"/children/{child.pk}/propose/", {"event": "something_else", **DAY})
    text = empty.content.decode()
    assert empty.status_code == 400 and "Select what has happened from the list" in text
    assert 'id="event-something_else" name="event" type="radio" value="something_else" checked' in text

    chosen = client.post(
        f"/children/{child.pk}/propose/", {"event": "something_else", "other_event": "care_order_made", **DAY}
    )
    assert chosen.status_code == 302
    assert client.session[f"propose:{child.pk}"]["event"] == "care_order_made"
    back = client.get(
        f"/children/{child.pk}/propose/"
    ).content.decode()  # the answer shown where it was given
    assert '<option value="care_order_made" selected>' in back
    recommendation = client.get(f"/children/{child.pk}/propose/recommendation/", follow=True).content.decode()
    assert "Choose the service and say why" in recommendation  # no rule from Assessment: the managers decide


def test_central_bedfordshire_assessment_is_offered_its_own_events(beds):
    people, _, child = beds
    page = signed_in(people["sw"]).get(f"/children/{child.pk}/propose/").content.decode()
    assert radios(page)[:2] == ["cin_meeting_held", "icpc_held"]
    assert "private_fostering_assessment_completed" in listed(page)
    assert "referral" not in radios(page) + listed(page) and "received by the Hub" not in page


def test_choosing_from_the_list_alone_is_enough(world):
    child = world.child("E5", "Ezri")
    client = signed_in(world.ast_sw)
    chosen = client.post(f"/children/{child.pk}/propose/", {"other_event": "ceases_looked_after", **DAY})
    assert chosen.status_code == 302
    assert client.session[f"propose:{child.pk}"]["event"] == "ceases_looked_after"
