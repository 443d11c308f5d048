"""A decline is a dispute, not an end: it goes to the protocol's ladder, at the level above the managers who
disagree (Dorset D-030/D-032: the service manager; Central Bedfordshire C-008: between team managers, first the
practice managers), and is decided there, with the decision recorded at the level that made it. The sending
managers may accept it instead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.integration.conftest import NOW, TODAY, at, listed_on
from tests.integration.test_sweep_central_bedfordshire import MONDAY as CB_MONDAY

from handover.domain.workflow import TransitionRefused, dispute_level
from handover.sweep.services import sweep_run
from handover.transfers import services
from handover.transfers.models import Escalation, Transfer, TransferEvent

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)
REASON = "Threshold for CIN not met: step down to Early Help"


def _act(actor, transfer, action, **kwargs) -> Transfer:
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **kwargs
    )


@pytest.fixture
def disputed(world):
    transfer = listed_on(world, "dis1", MONDAY)
    return _act(world.cin_tm, transfer, "decline", reason=REASON)


def test_a_declined_transfer_goes_to_the_service_manager_d030(world, disputed):
    assert disputed.state == "disputed" and disputed.is_open
    dispute = Escalation.objects.get(transfer=disputed, resolved_at__isnull=True)
    assert (dispute.subject, dispute.level, dispute.role, dispute.cites) == (
        "dispute",
        1,
        "service_manager",
        ["D-030", "D-032"],
    )
    assert dispute.reason == f"Declined by {world.cin_tm.name}: {REASON}"
    assert dispute.opened_by == world.cin_tm
    # The receiving manager who declined cannot also decide the dispute.
    with pytest.raises(TransitionRefused) as refused:
        _act(world.cin_tm, disputed, "uphold_decline", reason="Agree with myself")
    assert refused.value.rule == "workflow.uphold_decline.role"
    # The escalations page of the service manager lists it in words.
    client = Client()
    client.force_login(world.service_manager.user)
    page = client.get("/escalations/").content.decode()
    assert "Declined transfer in dispute" in page


def test_the_service_manager_overrules_and_the_transfer_carries_on_where_it_was(world, disputed):
    decided = _act(world.service_manager, disputed, "overrule_decline", reason="CIN threshold is met")
    assert decided.state == "listed" and decided.escalation_level == 0 and decided.blocked_from == ""
    dispute = Escalation.objects.get(transfer=decided)
    assert dispute.resolved_by == world.service_manager
    assert dispute.resolution == (
        f"decline overruled: the transfer goes ahead by {world.service_manager.name}: CIN threshold is met"
    )
    event = TransferEvent.objects.get(transfer=decided, action="overrule_decline")
    assert event.data == {"decided_at_level": 1, "decision": "decline overruled: the transfer goes ahead"}
    # Then the receiving managers agree it as usual.
    agreed = _act(
        world.cin_tm,
        decided,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=TODAY + dt.timedelta(days=14),
    )
    assert agreed.state == "agreed"


def test_a_level_above_may_uphold_the_decline_and_the_transfer_closes(world, disputed):
    decided = _act(world.director, disputed, "uphold_decline", reason="Early Help is the right service")
    assert decided.state == "declined" and not decided.is_open
    assert decided.closed_reason == "Early Help is the right service"
    assert Escalation.objects.get(transfer=decided).resolution.startswith("decline upheld by ")


def test_the_sending_managers_may_accept_the_decline(world, disputed):
    with pytest.raises(TransitionRefused):
        _act(world.cin_tm, disputed, "accept_decline")  # not the receiving side's to accept
    accepted = _act(world.ast_tm, disputed, "accept_decline")
    assert accepted.state == "declined"
    assert Escalation.objects.get(transfer=accepted).resolution == (
        f"decline accepted by the sending team by {world.ast_tm.name}"
    )


def test_the_sweep_leaves_a_dispute_with_the_level_that_decides_it(world, disputed):
    sweep_run(now=at(MONDAY + dt.timedelta(days=30)))
    dispute = Escalation.objects.get(transfer=disputed, subject="dispute")
    assert dispute.resolved_at is None
    # Its overdue steps are reminded, not escalated on their own while the dispute stands.
    assert not Escalation.objects.filter(transfer=disputed, subject="step").exists()


def test_a_dispute_between_team_managers_goes_first_to_the_practice_managers_c008(beds):
    people, _, child = beds
    transfer = services.transfer_propose(
        now=at(CB_MONDAY), actor=people["sw"], child=child, event="cin_meeting_held", on=CB_MONDAY
    ).transfers[0]
    disputed = services.transfer_act(
        now=at(CB_MONDAY, 11),
        actor=people["fs_tm"],
        transfer=transfer,
        action="decline",
        expected_version=transfer.version,
        reason="The family's needs are for the Assessment Team to finish",
    )
    dispute = Escalation.objects.get(transfer=disputed, subject="dispute")
    assert (dispute.level, dispute.role, dispute.cites) == (2, "practice_manager", ["C-008"])
    with pytest.raises(TransitionRefused):  # a team manager is not the level that decides
        services.transfer_act(
            now=at(CB_MONDAY, 12),
            actor=people["ast_tm"],
            transfer=disputed,
            action="overrule_decline",
            expected_version=disputed.version,
            reason="We disagree",
        )
    decided = services.transfer_act(
        now=at(CB_MONDAY, 12),
        actor=people["fs_pm"],
        transfer=disputed,
        action="uphold_decline",
        expected_version=disputed.version,
        reason="The assessment is not finished",
    )
    assert decided.state == "declined"
    assert TransferEvent.objects.get(transfer=decided, action="uphold_decline").data["decided_at_level"] == 2


def test_practice_managers_who_cannot_agree_refer_the_dispute_to_the_heads_of_service_c008(beds):
    """C-008: "If the Practice Managers are unable to secure agreement, the matter will be escalated to the
    respective Heads of Service for final decision"."""
    people, _, child = beds
    transfer = services.transfer_propose(
        now=at(CB_MONDAY), actor=people["sw"], child=child, event="cin_meeting_held", on=CB_MONDAY
    ).transfers[0]
    disputed = services.transfer_act(
        now=at(CB_MONDAY, 11),
        actor=people["fs_tm"],
        transfer=transfer,
        action="decline",
        expected_version=transfer.version,
        reason="The family's needs are for the Assessment Team to finish",
    )
    assert "refer_dispute_up" in services.transfer_available_actions(people["fs_pm"], disputed)
    with pytest.raises(TransitionRefused) as refused:  # the team manager who declined is not that level
        services.transfer_act(
            now=at(CB_MONDAY, 12),
            actor=people["fs_tm"],
            transfer=disputed,
            action="refer_dispute_up",
            expected_version=disputed.version,
            reason="We cannot agree",
        )
    assert refused.value.rule == "workflow.refer_dispute_up.role"
    referred = services.transfer_act(
        now=at(CB_MONDAY, 12),
        actor=people["fs_pm"],
        transfer=disputed,
        action="refer_dispute_up",
        expected_version=disputed.version,
        reason="The practice managers could not agree",
    )
    assert (referred.state, referred.escalation_level) == ("disputed", 3)
    lower, upper = Escalation.objects.filter(transfer=referred, subject="dispute").order_by("level")
    assert lower.resolved_by == people["fs_pm"]
    assert lower.resolution == "moved up to level 3 (head of service): The practice managers could not agree"
    assert (upper.level, upper.role, upper.resolved_at) == (3, "head_of_service", None)
    assert "referred up by Cb Fs Pm: The practice managers could not agree" in upper.reason
    # The top of the ladder decides; nothing is above it to refer to.
    assert "refer_dispute_up" not in services.transfer_available_actions(people["head"], referred)
    decided = services.transfer_act(
        now=at(CB_MONDAY, 15),
        actor=people["head"],
        transfer=referred,
        action="overrule_decline",
        expected_version=referred.version,
        reason="Family Support takes the case",
    )
    assert decided.state == "proposed"
    assert (
        TransferEvent.objects.get(transfer=decided, action="overrule_decline").data["decided_at_level"] == 3
    )


@pytest.mark.parametrize(
    ("ladder", "disagreeing", "level"),
    [
        (["service_manager", "service_director"], {"team_manager"}, 1),  # Dorset D-030
        (["service_manager", "service_director"], {"practice_manager"}, 1),
        (["team_manager", "practice_manager", "head_of_service"], {"team_manager"}, 2),  # C-008
        (["team_manager", "practice_manager", "head_of_service"], {"practice_manager"}, 3),
        (["team_manager", "practice_manager", "head_of_service"], {"head_of_service"}, 3),  # the top
    ],
)
def test_a_dispute_goes_to_the_first_level_above_the_managers_who_disagree(ladder, disagreeing, level):
    assert dispute_level(ladder, disagreeing) == level
