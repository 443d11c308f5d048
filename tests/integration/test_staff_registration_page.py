"""A team manager records a worker's Social Work England registration from the pages (Dorset D-026): the team
page shows each worker's registration with a Change link, a number in the wrong format is refused naming the
field, and nothing is written until it is right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_team_manager_changes_a_workers_registration(world):
    client = Client()
    client.force_login(world.ast_tm.user)
    page = client.get(f"/team/{world.teams['assessment_east'].pk}/").content.decode()
    world.child("reg1", "Rea")  # so Ava has a case on the team page
    page = client.get(f"/team/{world.teams['assessment_east'].pk}/").content.decode()
    assert world.ast_sw.social_work_england_number in page
    assert f"/staff/{world.ast_sw.pk}/registration/" in page

    refused = client.post(
        f"/staff/{world.ast_sw.pk}/registration/",
        {"number": "12345", "expires-day": "31", "expires-month": "3", "expires-year": "2027"},
    )
    assert refused.status_code == 400
    assert 'href="#number"' in refused.content.decode()
    world.ast_sw.refresh_from_db()
    assert world.ast_sw.social_work_england_expires is None

    saved = client.post(
        f"/staff/{world.ast_sw.pk}/registration/",
        {"number": "SW654321", "expires-day": "31", "expires-month": "3", "expires-year": "2027"},
    )
    assert saved.status_code == 302
    world.ast_sw.refresh_from_db()
    assert (world.ast_sw.social_work_england_number, world.ast_sw.social_work_england_expires) == (
        "SW654321",
        dt.date(2027, 3, 31),
    )


def test_a_worker_cannot_change_registrations(world):
    client = Client()
    client.force_login(world.ast_sw2.user)
    assert client.get(f"/staff/{world.ast_sw.pk}/registration/").status_code == 403
    page = client.get("/team/")
    assert page.status_code == 403
