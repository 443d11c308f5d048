"""Siblings who already have different social workers are flagged on the child's record where the protocol keeps
one worker per family (Dorset D-033), with the reason recorded when they separated, or "no reason recorded"."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.integration.conftest import NOW, TODAY

from handover.transfers.models import Transfer, TransferEvent
from handover.transfers.selectors import sibling_rows, siblings_of

pytestmark = pytest.mark.django_db


def test_a_sibling_with_another_worker_is_flagged_with_the_recorded_reason(world):
    older = world.child("sa1", "Sam", family=world.family, worker=world.ast_sw)
    younger = world.child("sa2", "Sid", family=world.family, worker=world.ast_sw2)
    same = world.child("sa3", "Sue", family=world.family, worker=world.ast_sw)

    rows = {r.child.identifier: r for r in sibling_rows(older, siblings_of(older, world.ast_tm))}
    assert rows["sa2"].apart and rows["sa2"].reason == ""
    assert not rows["sa3"].apart
    assert rows["sa2"].held_by.worker == world.ast_sw2

    client = Client()
    client.force_login(world.ast_tm.user)
    page = client.get(f"/children/{older.pk}/").content.decode()
    assert "Different social worker" in page and "No reason recorded" in page
    assert "Abe Assessment Sw" in page  # who holds the sibling's case

    # The reason recorded when they separated is shown.
    transfer = Transfer.objects.create(
        child=younger,
        state="withdrawn",
        protocol="dorset",
        protocol_version="x",
        event="assessment_concluded",
        event_date=TODAY,
        situation={},
        route_kind="transfer_meeting",
        from_team=world.teams["assessment_east"],
        to_service=world.services["cin_cp"],
        proposed_by=world.ast_tm,
        proposed_at=NOW,
        closed_at=NOW,
    )
    TransferEvent.objects.create(
        transfer=transfer,
        action="separate_sibling",
        from_state="proposed",
        to_state="proposed",
        actor=world.ast_tm,
        at=NOW,
        reason="Child-on-child abuse within the family home: separate workers agreed",
        data={"sibling": older.pk},
    )
    page = client.get(f"/children/{older.pk}/").content.decode()
    assert "Child-on-child abuse within the family home: separate workers agreed" in page
    assert same.pk  # the sibling with the same worker is not flagged


def _withdrawn(world, child, **fields) -> Transfer:
    return Transfer.objects.create(
        child=child,
        state="withdrawn",
        protocol="dorset",
        protocol_version="x",
        event="assessment_concluded",
        event_date=TODAY,
        situation={},
        route_kind="transfer_meeting",
        from_team=world.teams["assessment_east"],
        to_service=world.services["cin_cp"],
        proposed_by=world.ast_tm,
        proposed_at=NOW,
        closed_at=NOW,
        **fields,
    )


def test_each_sibling_apart_gets_its_own_reason_from_one_read_of_the_family(world):
    """A large family flagged apart costs the same reads as a small one, and each sibling keeps its own reason."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    eldest = world.child("fa1", "Fay", family=world.family, worker=world.ast_sw)
    second = world.child("fa2", "Flo", family=world.family, worker=world.ast_sw2)

    def reads() -> tuple[int, dict[str, str]]:
        siblings = siblings_of(eldest, world.ast_tm)
        with CaptureQueriesContext(connection) as queries:
            rows = sibling_rows(eldest, siblings)
        return len(queries), {r.child.identifier: r.reason for r in rows if r.apart}

    few, _ = reads()
    third = world.child("fa3", "Fin", family=world.family, worker=world.cin_sw, team="cin_cp_east")
    fourth = world.child("fa4", "Fox", family=world.family, worker=world.cin_sw, team="cin_cp_east")
    TransferEvent.objects.create(
        transfer=_withdrawn(world, third),
        action="separate_sibling",
        from_state="proposed",
        to_state="proposed",
        actor=world.ast_tm,
        at=NOW,
        reason="Gang affiliation: separate workers agreed",
        data={"sibling": eldest.pk},
    )
    _withdrawn(world, fourth, exception="child_on_child_abuse")

    many, reasons = reads()
    assert many == few
    assert reasons == {
        "fa2": "",
        "fa3": "Gang affiliation: separate workers agreed",
        "fa4": "Child-on-child abuse within the family home",
    }
    assert second.pk
