"""A transfer from Assessment to CIN and CP through the weekly meeting, as the people involved would do it."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, authorise_summary

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, DocumentOnFile
from handover.domain.workflow import TransitionRefused
from handover.organisation.access import AccessDenied
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer

pytestmark = pytest.mark.django_db


def propose(world, child, actor=None, **kwargs):
    return services.transfer_propose(
        now=NOW,
        actor=actor or world.ast_sw,
        child=child,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        **kwargs,
    ).transfers[0]


def act(actor, transfer, action, **kwargs):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW,
        actor=actor,
        transfer=transfer,
        action=action,
        expected_version=transfer.version,
        on=TODAY,
        **kwargs,
    )


def make_ready(world, transfer):
    for doc in ("chronology", "genogram", "child_plan", "cse_screening"):
        DocumentOnFile.objects.create(child=transfer.child, document_type=doc, dated=TODAY)
    authorise_summary(world, transfer)
    for item in ("file_checked_and_authorised", "files_audited_by_both_managers"):
        services.transfer_confirm_item(now=NOW, actor=world.ast_tm, transfer=transfer, item=item)
    services.transfer_confirm_item(
        now=NOW, actor=world.ast_sw, transfer=transfer, item="personal_information_complete"
    )
    services.transfer_sign_off(now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(
        now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )


def test_full_journey_ends_one_allocation_and_starts_the_next(world):
    child = world.child("C1", "Ada")
    transfer = propose(world, child)
    assert transfer.state == "proposed"
    assert transfer.rule == "assessment_cin_plan" and transfer.to_service.code == "cin_cp"
    assert transfer.protocol == "dorset" and transfer.protocol_version.startswith("2017-07+")
    assert transfer.route_kind == "transfer_meeting"
    steps = {d.step: d.due for d in transfer.deadlines.all()}
    assert steps["transfer_meeting"] == dt.date(2026, 12, 2)  # Tuesday: too late for Wednesday's meeting

    act(world.business_support, transfer, "list")
    act(
        world.cin_tm,
        transfer,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    act(world.cin_tm, transfer, "identify_worker", worker=world.cin_sw)
    # The protocol file marks the step done by identify_worker; the handover counts from the actual date (D-025).
    steps = {d.step: d for d in transfer.deadlines.all()}
    assert steps["receiving_worker_identified"].actual == TODAY
    assert steps["handover_meeting"].due == dt.date(2026, 12, 1)  # 5 working days after Tue 24 Nov
    act(world.cin_sw, transfer, "record_handover")
    with pytest.raises(TransitionRefused) as refused:
        act(world.cin_tm, transfer, "complete")
    assert refused.value.rule == "workflow.complete.readiness"
    assert "Transfer summary authorised" in str(refused.value) and "Chronology up to date" in str(
        refused.value
    )

    make_ready(world, transfer)
    # Today, before the agreed 9 December: confirmed, with the reason (issue 12).
    done = act(world.cin_tm, transfer, "complete", confirm_early=True, reason="Everything was ready early")
    assert done.state == "transferred"
    old = Allocation.objects.get(pk=transfer.from_allocation_id)
    new = done.to_allocation
    assert old.end == TODAY and old.end_reason == "TSPROC"
    assert new.start == TODAY and new.team.code == "cin_cp_east" and new.worker == world.cin_sw
    assert [e.action for e in done.events.all()] == [
        "propose",
        "list",
        "agree",
        "identify_worker",
        "record_handover",
        "complete",
    ]
    verbs = set(AuditEvent.objects.filter(child=child).values_list("verb", flat=True))
    assert {
        Verb.TRANSFER_PROPOSED,
        Verb.TRANSFER_ACTION,
        Verb.ALLOCATION_ENDED,
        Verb.ALLOCATION_STARTED,
    } <= verbs


def test_declined_with_reason_and_refused_without(world):
    transfer = propose(world, world.child("C2", "Bo"))
    act(world.ast_tm, transfer, "list")
    with pytest.raises(TransitionRefused) as refused:
        act(world.cin_tm, transfer, "decline")
    assert refused.value.rule == "workflow.decline.reason"
    declined = act(world.cin_tm, transfer, "decline", reason="Threshold for CIN not met; step down")
    # A decline is a dispute (D-030): it waits for the ladder, or for the sending managers to accept it.
    assert declined.state == "disputed" and declined.is_open
    accepted = act(world.ast_tm, declined, "accept_decline")
    assert accepted.state == "declined" and accepted.closed_at is not None


def test_sending_team_cannot_agree_its_own_transfer(world):
    transfer = propose(world, world.child("C3", "Cy"))
    act(world.ast_tm, transfer, "list")
    with pytest.raises(TransitionRefused) as refused:
        act(world.ast_tm, transfer, "agree", to_team=world.teams["cin_cp_east"], transfer_date=TODAY)
    assert refused.value.rule == "workflow.agree.role"
    assert "only a practice manager, team manager in the receiving service" in str(refused.value)


def test_agree_needs_a_team_of_the_receiving_service(world):
    transfer = propose(world, world.child("C4", "Di"))
    act(world.ast_tm, transfer, "list")
    with pytest.raises(services.ApplicationError) as bad:
        act(world.cin_tm, transfer, "agree", to_team=world.teams["lac_team"], transfer_date=None)
    assert set(bad.value.errors) == {"to_team", "transfer_date"}
    transfer.refresh_from_db()
    assert transfer.state == "listed" and transfer.version == 2  # nothing half-written


def test_stale_version_is_a_conflict(world):
    transfer = propose(world, world.child("C5", "Ed"))
    services.transfer_act(
        now=NOW, actor=world.ast_tm, transfer=transfer, action="list", expected_version=1, on=TODAY
    )
    with pytest.raises(services.Conflict, match="changed by someone else"):
        services.transfer_act(
            now=NOW,
            actor=world.ast_pm,
            transfer=transfer,
            action="withdraw",
            expected_version=1,
            reason="duplicate",
            on=TODAY,
        )


def test_block_escalate_resolve_follows_the_protocol_ladder(world):
    transfer = propose(world, world.child("C6", "Fi"))
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "block", reason="Receiving team has no capacity")
    escalated = act(world.ast_tm, transfer, "escalate", reason="Blocked for a week")
    assert escalated.state == "escalated" and escalated.escalation_level == 1
    assert escalated.escalations.get().role == "service_manager"  # Dorset D-032, level 1
    with pytest.raises(TransitionRefused) as refused:
        act(world.cin_tm, transfer, "resolve", reason="sorted")
    assert refused.value.rule == "workflow.resolve.role"
    act(world.service_manager, transfer, "escalate", reason="Needs the director")
    with pytest.raises(TransitionRefused, match="last level"):
        act(world.director, transfer, "escalate", reason="again")
    resolved = act(world.director, transfer, "resolve", reason="CIN and CP East to take the case")
    assert resolved.state == "listed" and resolved.escalation_level == 0
    assert resolved.escalations.filter(resolved_at__isnull=True).count() == 0


def test_override_needs_a_reason(world):
    child = world.child("C7", "Gus")
    lac = world.services["lac"]
    with pytest.raises(services.ApplicationError) as bad:
        propose(world, child, to_service=lac)
    # People read words, never codes: the services are named as the protocol names them.
    message = bad.value.errors["override_reason"]
    assert "Children in Need and Child Protection Service, not LAC / Children in Care Service" in message
    assert "cin_cp" not in message
    transfer = propose(
        world, child, to_service=lac, override_reason="Child accommodated last night under s20"
    )
    assert transfer.to_service == lac and transfer.recommended_service.code == "cin_cp"


def test_only_the_allocated_worker_or_a_manager_proposes(world):
    child = world.child("C8", "Hal")
    with pytest.raises(AccessDenied):
        propose(world, child, actor=world.ast_sw2)
    with pytest.raises(AccessDenied):
        propose(world, child, actor=world.cin_tm)
    with pytest.raises(AccessDenied):
        propose(world, child, actor=world.auditor)
    assert propose(world, child, actor=world.ast_pm).state == "proposed"


def test_siblings_with_one_worker_move_together_or_with_a_reason(world):
    older = world.child("C9", "Ivy", family=world.family)
    younger = world.child("C10", "Jo", family=world.family)
    with pytest.raises(services.ApplicationError) as bad:
        propose(world, older)
    assert f"separation_reasons.{younger.pk}" in bad.value.errors
    proposal = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=older,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        with_siblings=[younger],
    )
    assert [t.child for t in proposal.transfers] == [older, younger]
    assert proposal.transfers[0].sibling_group == proposal.transfers[1].sibling_group is not None


def test_sibling_separated_with_a_recorded_reason(world):
    older = world.child("C11", "Kit", family=world.family)
    younger = world.child("C12", "Lu", family=world.family)
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=older,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        separation_reasons={younger.pk: "Younger sibling's assessment continues"},
    ).transfers[0]
    assert transfer.separation_reason == "Younger sibling's assessment continues"
    assert transfer.events.filter(action="separate_sibling").exists()


def test_missing_facts_are_asked_for(world):
    child = world.child("C13", "Mo")
    with pytest.raises(services.ApplicationError) as bad:
        services.transfer_propose(
            now=NOW, actor=world.ast_sw, child=child, event="assessment_concluded", on=TODAY
        )
    assert "assessment_outcome" in bad.value.errors["answers"]


def test_transfer_records_protocol_version_and_situation(world):
    transfer = propose(world, world.child("C14", "Ned"))
    stored = Transfer.objects.get(pk=transfer.pk)
    assert stored.situation["facts"]["assessment_outcome"] == "cin_plan"
    assert stored.situation["history"]["current_service"] == "assessment"
