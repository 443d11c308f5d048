"""Adding to a child's record through the API: audited, episodes never overlap, closing instead of deleting."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, LegalStatusEpisode

pytestmark = pytest.mark.django_db


def client_for(staff):
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


def test_legal_status_episodes_do_not_overlap(world):
    child = world.child("K1", "Ola")
    api = client_for(world.ast_sw)
    assert (
        api.post(
            f"/api/children/{child.pk}/legal-statuses/", {"status": "s20", "start": "2026-10-01"}
        ).status_code
        == 201
    )
    response = api.post(
        f"/api/children/{child.pk}/legal-statuses/", {"status": "interim_care_order", "start": "2026-11-02"}
    )
    assert response.status_code == 201
    episodes = {e.status: (e.start, e.end) for e in LegalStatusEpisode.objects.filter(child=child)}
    assert episodes == {
        "s20": (dt.date(2026, 10, 1), dt.date(2026, 11, 2)),
        "interim_care_order": (dt.date(2026, 11, 2), None),
    }
    bad = api.post(f"/api/children/{child.pk}/legal-statuses/", {"status": "s21", "start": "2026-11-03"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    assert AuditEvent.objects.filter(child=child, verb=Verb.CHILD_CHANGED).count() == 3


def test_documents_take_the_protocols_types(world):
    child = world.child("K2", "Pat")
    api = client_for(world.ast_sw)
    ok = api.post(
        f"/api/children/{child.pk}/documents/", {"document_type": "chronology", "dated": "2026-11-20"}
    )
    assert ok.status_code == 201
    bad = api.post(
        f"/api/children/{child.pk}/documents/", {"document_type": "horoscope", "dated": "2026-11-20"}
    )
    assert bad.status_code == 400 and "chronology" in bad.json()["errors"]["document_type"]
    assert (
        client_for(world.auditor)
        .post(f"/api/children/{child.pk}/documents/", {"document_type": "chronology", "dated": "2026-11-20"})
        .status_code
        == 403
    )


def test_key_events_and_professionals(world):
    child = world.child("K3", "Quin")
    api = client_for(world.ast_sw)
    assert (
        api.post(
            f"/api/children/{child.pk}/key-events/", {"event_type": "icpc", "date": "2026-11-10"}
        ).status_code
        == 201
    )
    assert (
        api.post(
            f"/api/children/{child.pk}/professionals/",
            {"name": "Dr Synthetic", "role": "GP", "organisation": "Example Surgery"},
        ).status_code
        == 201
    )
    detail = api.get(f"/api/children/{child.pk}/").json()
    assert detail["key_events"][0]["event_type"] == "icpc"


def test_closing_a_record_ends_allocations_and_never_deletes(world):
    child = world.child("K4", "Rae")
    api = client_for(world.ast_tm)
    assert api.delete(f"/api/children/{child.pk}/").status_code == 405
    assert api.post(f"/api/children/{child.pk}/close/", {}).status_code == 400
    closed = api.post(f"/api/children/{child.pk}/close/", {"reason": "Family moved abroad"})
    assert closed.status_code == 200 and closed.json()["closed_on"]
    assert not Allocation.objects.filter(child=child, end__isnull=True).exists()
    assert AuditEvent.objects.filter(child=child, verb=Verb.CHILD_CLOSED).exists()
