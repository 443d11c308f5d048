"""What to do next (issue 12): a worker who may not propose a transfer for a child is told so before the first
question, with the reason and who can, instead of answering four steps to be refused at the end; the child's
record offers the journey only to those who may take it."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_worker_of_another_team_is_refused_before_the_questions(world):
    child = world.child("pr1", "Pat")  # held by Assessment East, worker Ava
    client = Client()
    client.force_login(world.cin_sw.user)
    page = client.get(f"/children/{child.pk}/propose/")
    assert page.status_code == 403
    body = page.content.decode()
    assert "You cannot propose a transfer for this child" in body
    assert "Only the allocated worker or a manager of the child" in body
    assert "Propose a transfer" not in client.get(f"/children/{child.pk}/").content.decode()


def test_the_allocated_worker_starts_the_journey(world):
    child = world.child("pr2", "Pam")
    client = Client()
    client.force_login(world.ast_sw.user)
    assert client.get(f"/children/{child.pk}/propose/").status_code == 200
    assert "Propose a transfer" in client.get(f"/children/{child.pk}/").content.decode()
