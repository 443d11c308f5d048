"""Legal Gateway Panel decisions as the route into the PLO and Court Team (Dorset D-097: "the transfer to PLO
And Court Team will be considered and agreed at LGP"; D-101, D-110, D-115: the transfer point is the PLO
meeting, "normally 10 days after the decision"; D-111, D-136: the panel decides the owning team)."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import NOW, TODAY, dated_staff

from handover.audit.models import AuditEvent
from handover.children.models import KeyEvent
from handover.domain.workflow import State
from handover.meetings.panels import panel_decision_record
from handover.organisation.access import AccessDenied
from handover.organisation.models import Role
from handover.transfers import services
from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def court_tm(world):
    return dated_staff(
        authority=world.authority,
        username="cat_court_tm",
        name="Cat Court Tm",
        roles=[(Role.TEAM_MANAGER, world.teams["plo_court_team"])],
    )


def test_initiating_plo_from_cin_is_agreed_at_the_panel(world, court_tm):
    child = world.child("lgp1", "Lena", team="cin_cp_east", worker=world.cin_sw)
    result = panel_decision_record(
        now=NOW,
        actor=world.cin_tm,
        child=child,
        outcome="initiate_plo",
        decided_on=TODAY,
        panel_manager=court_tm,
        notes="Threshold met; PLO letter to parents.",
    )
    transfer = result.transfer
    assert (
        transfer.to_service == world.services["court"] and transfer.to_team == world.teams["plo_court_team"]
    )
    assert (transfer.state, transfer.route_kind, transfer.pathway) == (
        State.AGREED,
        "panel",
        "to_court_after_lgp",
    )
    # The transfer point is the PLO meeting, 10 days after the decision (D-115).
    assert transfer.transfer_date == dt.date(2026, 12, 4)
    events = list(transfer.events.order_by("at", "pk"))
    assert [(e.action, e.actor) for e in events] == [
        ("propose", world.cin_tm),
        ("refer_to_panel", world.cin_tm),
        ("agree", world.cin_tm),
    ]
    # Agreed at the panel by the receiving manager, recorded by the presenting one: the record says both.
    assert events[2].data["decided_by"] == court_tm.pk and events[2].data["recorded_by"] == world.cin_tm.name
    assert "Legal Gateway Panel" in events[1].reason
    assert "agreed at the Legal Gateway Panel on 24 November 2026" in events[2].reason
    assert "transfer point: the PLO meeting" in events[2].reason
    key_event = KeyEvent.objects.get(child=child)
    assert key_event == result.key_event
    assert (key_event.event_type, key_event.date) == ("lgp_decision", TODAY)
    assert "initiate_plo" in key_event.notes and "PLO letter" in key_event.notes
    assert AuditEvent.objects.filter(child=child, object_type="children.KeyEvent").exists()


def test_looked_after_without_plo_goes_to_lac_by_the_weekly_meeting(world):
    # The panel decides the owning team (D-111, D-136); Dorset's file sends the LAC transfer to the weekly
    # transfer meeting (D-109, D-112), so it is proposed there, not agreed at the panel.
    child = world.child("lgp2", "Lola")
    result = panel_decision_record(
        now=NOW, actor=world.ast_tm, child=child, outcome="looked_after_without_plo", decided_on=TODAY
    )
    transfer = result.transfer
    assert transfer.to_service == world.services["lac"] and transfer.pathway == "to_lac_after_lgp"
    assert (transfer.state, transfer.route_kind) == (State.PROPOSED, "transfer_meeting")
    assert KeyEvent.objects.filter(child=child, event_type="lgp_decision").count() == 1


def test_no_legal_action_records_only_the_key_event(world):
    child = world.child("lgp3", "Liam", team="cin_cp_east", worker=world.cin_sw)
    result = panel_decision_record(
        now=NOW, actor=world.cin_pm, child=child, outcome="no_legal_action", decided_on=TODAY
    )
    assert result.transfer is None and result.decision.outcome == "no_rule"
    assert KeyEvent.objects.get(child=child).notes == "Outcome: no_legal_action"
    assert not Transfer.objects.filter(child=child).exists()


def test_an_outcome_the_protocol_does_not_know(world, court_tm):
    child = world.child("lgp4", "Lars", team="cin_cp_east", worker=world.cin_sw)
    with pytest.raises(services.ApplicationError) as bad:
        panel_decision_record(
            now=NOW,
            actor=world.cin_tm,
            child=child,
            outcome="care_order",
            decided_on=TODAY,
            panel_manager=court_tm,
        )
    assert set(bad.value.errors) == {"outcome"}
    assert "initiate_plo, looked_after_without_plo, no_legal_action" in bad.value.errors["outcome"]
    assert not KeyEvent.objects.filter(child=child).exists()


def test_a_panel_manager_who_is_not_a_court_manager_writes_nothing(world):
    child = world.child("lgp5", "Lucy", team="cin_cp_east", worker=world.cin_sw)
    with pytest.raises(services.ApplicationError) as bad:
        panel_decision_record(
            now=NOW,
            actor=world.cin_tm,
            child=child,
            outcome="initiate_plo",
            decided_on=TODAY,
            panel_manager=world.lac_tm,
        )
    assert set(bad.value.errors) == {"panel_manager"}
    assert "PLO and Court" in bad.value.errors["panel_manager"]
    with pytest.raises(services.ApplicationError) as missing:
        panel_decision_record(
            now=NOW, actor=world.cin_tm, child=child, outcome="initiate_plo", decided_on=TODAY
        )
    assert set(missing.value.errors) == {"panel_manager"}
    assert not KeyEvent.objects.filter(child=child).exists()
    assert not Transfer.objects.filter(child=child).exists()


def test_a_failure_after_the_key_event_leaves_nothing_half_written(world, court_tm):
    child = world.child("lgp6", "Lily", team="cin_cp_east", worker=world.cin_sw)
    services.transfer_propose(
        now=NOW,
        actor=world.cin_tm,
        child=child,
        event="lgp_decision",
        on=TODAY,
        answers={"facts": {"lgp_outcome": "initiate_plo"}},
    )
    with pytest.raises(services.ApplicationError) as bad:
        panel_decision_record(
            now=NOW,
            actor=world.cin_tm,
            child=child,
            outcome="initiate_plo",
            decided_on=TODAY,
            panel_manager=court_tm,
        )
    assert "already has an open transfer" in bad.value.errors["child"]
    assert not KeyEvent.objects.filter(child=child).exists()
    assert Transfer.objects.filter(child=child).count() == 1


def test_who_records_the_panel_decision(world, court_tm):
    # The case is presented to the panel by a manager of the child's team; the workflow gives only them
    # "refer to panel". The allocated worker and business support cannot record it.
    child = world.child("lgp7", "Luke")
    for actor in (world.ast_sw, world.business_support, world.cin_tm):
        with pytest.raises(AccessDenied):
            panel_decision_record(
                now=NOW,
                actor=actor,
                child=child,
                outcome="initiate_plo",
                decided_on=TODAY,
                panel_manager=court_tm,
            )
    assert not KeyEvent.objects.filter(child=child).exists()
    result = panel_decision_record(
        now=NOW,
        actor=world.ast_pm,
        child=child,
        outcome="initiate_plo",
        decided_on=TODAY,
        panel_manager=court_tm,
    )
    assert result.transfer.state == State.AGREED
