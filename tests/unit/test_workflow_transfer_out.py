"""The workflow of a transfer to another authority (Dorset D-185 to D-188): the sending managers record the
referral sent once the file is ready, then the other authority's confirmation of receipt, which transfers."""

from __future__ import annotations

import pytest

from handover.domain.workflow import Action, Actor, State, TransitionRefused, available_actions, check

MANAGER = Actor(sending_roles=frozenset({"team_manager"}))
WORKER = Actor(sending_roles=frozenset({"social_worker"}))
OUT = "another_authority"


def test_the_sending_manager_sends_the_referral_then_records_receipt():
    assert (
        check(Action.SEND_REFERRAL, state=State.PROPOSED, actor=MANAGER, route_kind=OUT)
        is State.REFERRAL_SENT
    )
    assert (
        check(Action.CONFIRM_RECEIPT, state=State.REFERRAL_SENT, actor=MANAGER, route_kind=OUT)
        is State.TRANSFERRED
    )


def test_no_one_here_agrees_or_names_a_worker_for_another_authority():
    offered = available_actions(state=State.PROPOSED, actor=MANAGER, route_kind=OUT)
    assert Action.SEND_REFERRAL in offered
    assert not {Action.AGREE, Action.REQUEST_AGREEMENT, Action.LIST, Action.COMPLETE} & set(offered)
    with pytest.raises(TransitionRefused) as refused:
        check(Action.REQUEST_AGREEMENT, state=State.PROPOSED, actor=MANAGER, route_kind=OUT)
    assert refused.value.rule == "workflow.request_agreement.route"


@pytest.mark.parametrize(
    ("route_kind", "rule"),
    [
        ("manager_agreement", "workflow.send_referral.route"),
        ("transfer_meeting", "workflow.send_referral.route"),
    ],
)
def test_a_referral_out_is_only_for_a_transfer_to_another_authority(route_kind, rule):
    with pytest.raises(TransitionRefused) as refused:
        check(Action.SEND_REFERRAL, state=State.PROPOSED, actor=MANAGER, route_kind=route_kind)
    assert refused.value.rule == rule


def test_a_social_worker_cannot_send_the_referral_alone():
    with pytest.raises(TransitionRefused) as refused:
        check(Action.SEND_REFERRAL, state=State.PROPOSED, actor=WORKER, route_kind=OUT)
    assert "only a practice manager, team manager in the sending team" in str(refused.value)


def test_the_referral_waits_for_a_ready_file_d185():
    blockers = {"records_updated_for_other_authority": "Records, assessments and chronology updated"}
    for action, state in (
        (Action.SEND_REFERRAL, State.PROPOSED),
        (Action.CONFIRM_RECEIPT, State.REFERRAL_SENT),
    ):
        with pytest.raises(TransitionRefused) as refused:
            check(action, state=state, actor=MANAGER, route_kind=OUT, blockers=blockers)
        assert refused.value.rule == f"workflow.{action.value}.readiness"
        assert "Records, assessments and chronology updated" in str(refused.value)


def test_a_referral_waiting_for_receipt_can_be_blocked_and_escalated():
    assert check(
        Action.BLOCK, state=State.REFERRAL_SENT, actor=MANAGER, route_kind=OUT, reason="No reply"
    ) is (State.BLOCKED)
