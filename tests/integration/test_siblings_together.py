"""Siblings held together at every step (Dorset D-033: one social worker per family, save the exceptions it
names): not only when they are proposed, but when the receiving team is agreed and when the worker is named. A
sibling whose transfer already went another way is refused, unless the reason they separate is given, and the
reason is on the record."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.organisation.models import Role
from handover.organisation.services import staff_create
from handover.transfers import services
from handover.transfers.models import Transfer, TransferEvent

pytestmark = pytest.mark.django_db


def _act(world, transfer, actor, action, **kwargs) -> Transfer:
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **kwargs
    )


@pytest.fixture
def siblings(world):
    older = world.child("S1", "Ivy", family=world.family)
    younger = world.child("S2", "Jo", family=world.family)
    both = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=older,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        with_siblings=[younger],
    ).transfers
    return [_act(world, t, world.ast_tm, "list") for t in both]


def _agree(world, transfer, team, **kwargs):
    return _act(
        world,
        transfer,
        world.cin_tm,
        "agree",
        to_team=world.teams[team],
        transfer_date=TODAY + dt.timedelta(days=21),
        **kwargs,
    )


def test_the_receiving_team_is_agreed_for_the_siblings_together(world, siblings):
    older, younger = siblings
    _agree(world, older, "cin_cp_east")
    with pytest.raises(services.ApplicationError) as apart:
        _agree(world, younger, "cin_cp_west")
    assert apart.value.errors == {
        "to_team": "siblings keep one social worker (D-033): Ivy Testfamily's is CIN and CP Team East. Choose "
        "the same team, or give the reason they separate"
    }
    younger.refresh_from_db()
    assert (younger.state, younger.to_team) == ("listed", None)  # nothing written
    assert _agree(world, younger, "cin_cp_east").to_team == world.teams["cin_cp_east"]


def test_siblings_may_separate_with_the_reason_on_the_record(world, siblings):
    older, younger = siblings
    _agree(world, older, "cin_cp_east")
    reason = "Jo is moving to her father's in the west of the county"
    agreed = _agree(world, younger, "cin_cp_west", reason=reason)
    event = TransferEvent.objects.get(transfer=agreed, action="agree")
    assert event.reason == reason
    assert event.data["siblings_apart"] == [
        {"transfer": older.pk, "child": "Ivy Testfamily", "to_team": "CIN and CP Team East"}
    ]


def test_the_siblings_worker_is_named_for_both(world, siblings):
    older, younger = siblings
    second = staff_create(
        authority=world.authority,
        username="sol_cin_sw",
        name="Sol Cin Sw",
        roles=[(Role.SOCIAL_WORKER, world.teams["cin_cp_east"])],
        email="sol_cin_sw@example.invalid",
        social_work_england_number="SW200001",
    )
    for transfer in (older, younger):
        _agree(world, transfer, "cin_cp_east")
    _act(world, older, world.cin_tm, "identify_worker", worker=world.cin_sw)
    with pytest.raises(services.ApplicationError) as apart:
        _act(world, younger, world.cin_tm, "identify_worker", worker=second)
    assert apart.value.errors["worker"].startswith(
        f"siblings keep one social worker (D-033): Ivy Testfamily's is {world.cin_sw}."
    )
    named = _act(world, younger, world.cin_tm, "identify_worker", worker=world.cin_sw)
    assert named.receiving_worker == world.cin_sw


def test_a_sibling_whose_transfer_closed_no_longer_holds_the_other_back(world, siblings):
    older, younger = siblings
    _agree(world, older, "cin_cp_east")
    _act(world, older, world.ast_tm, "withdraw", reason="Ivy's needs are met by the Assessment Team")
    assert _agree(world, younger, "cin_cp_west").to_team == world.teams["cin_cp_west"]
