"""Central Bedfordshire transfers carried end to end through the services, on its own protocol file: the Hub's
decision sending a referral to the Assessment Team (C-029, C-038; the one working day is the authority's local
setting), and the Child in Need meeting handing a case from the Assessment Team to Family Support, reallocated
within 72 hours, 3 working days (C-043), with Central Bedfordshire's own checklist before it completes."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import at, dated_staff, meet_checklist
from tests.integration.test_sweep_central_bedfordshire import MONDAY

from handover.children.models import Allocation, AllocationKind, Child, DocumentOnFile, LegalStatusEpisode
from handover.documents.transfer_summary import transfer_summary_authorise, transfer_summary_draft
from handover.domain.workflow import TransitionRefused
from handover.organisation.models import Role
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer
from handover.transfers.situations import looked_after_since

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + dt.timedelta(days=1)


def _act(actor, transfer, action, *, on=MONDAY, **kwargs) -> Transfer:
    transfer.refresh_from_db()
    return services.transfer_act(
        now=at(on, 12),
        actor=actor,
        transfer=transfer,
        action=action,
        expected_version=transfer.version,
        on=on,
        **kwargs,
    )


def _make_ready(transfer: Transfer, *, writer, sending_manager, receiving_manager, on) -> None:
    """Meet every blocking item of the transfer's own checklist the way a team would: the documents on file,
    the confirmations by a manager, the summary authorised, both audits signed off."""
    meet_checklist(transfer, confirmer=sending_manager, on=on)
    summary = transfer_summary_draft(
        now=at(on), actor=writer, transfer=transfer, work_undertaken="Assessment completed with the family."
    )
    transfer_summary_authorise(now=at(on), actor=sending_manager, summary=summary)
    services.transfer_sign_off(
        now=at(on), actor=sending_manager, transfer=transfer, kind=SignOffKind.SENDING_AUDIT
    )
    services.transfer_sign_off(
        now=at(on), actor=receiving_manager, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )


def test_the_hub_sends_a_referral_to_the_assessment_team_within_a_working_day(beds):
    people, teams, _ = beds
    hub_tm = dated_staff(
        authority=teams["hub_team"].service.authority,
        username="cb_hub_tm",
        name="Cb Hub Tm",
        email="cb_hub_tm@example.invalid",
        roles=[(Role.TEAM_MANAGER, teams["hub_team"])],
    )
    child = Child.objects.create(
        authority=teams["hub_team"].service.authority,
        identifier="cbh1",
        first_name="Hana",
        last_name="Bedford",
        date_of_birth=dt.date(2018, 2, 1),
        disability=False,
        asylum_status="none",
    )
    Allocation.objects.create(
        child=child, kind=AllocationKind.PRIMARY, team=teams["hub_team"], worker=hub_tm, start=MONDAY
    )
    transfer = services.transfer_propose(
        now=at(MONDAY),
        actor=hub_tm,
        child=child,
        event="referral",
        on=MONDAY,
        answers={
            "history": {"previously_known": False},
            "facts": {"hub_outcome": "assessment", "private_fostering_arrangement": False},
        },
    ).transfers[0]
    assert (transfer.pathway, transfer.to_service.code) == ("hub_to_assessment", "assessment")
    decision = transfer.deadlines.get(step="decision")
    assert decision.due == TUESDAY  # the Hub's one working day, Central Bedfordshire's local setting
    agreed = _act(
        people["ast_tm"], transfer, "agree", to_team=teams["assessment_team"], transfer_date=TUESDAY
    )
    assert agreed.state == "agreed" and agreed.to_team == teams["assessment_team"]


def test_a_child_in_need_meeting_hands_the_case_to_family_support_end_to_end(beds):
    people, teams, child = beds
    fs_sw = dated_staff(
        authority=child.authority,
        username="cb_fs_sw",
        name="Cb Fs Sw",
        email="cb_fs_sw@example.invalid",
        roles=[(Role.SOCIAL_WORKER, teams["family_support_north"])],
    )
    transfer = services.transfer_propose(
        now=at(MONDAY), actor=people["sw"], child=child, event="cin_meeting_held", on=MONDAY
    ).transfers[0]
    assert transfer.pathway == "assessment_to_family_support_cin"
    steps = {d.step: d for d in transfer.deadlines.all()}
    # C-043: "within 72 hours (3 working days) of the CiN meeting": Thursday for Monday's meeting.
    assert steps["reallocated"].due == dt.date(2026, 11, 26) and steps["reallocated"].transfer_by

    _act(people["fs_tm"], transfer, "agree", to_team=teams["family_support_north"], transfer_date=TUESDAY)
    _act(people["fs_tm"], transfer, "identify_worker", worker=fs_sw)
    _act(fs_sw, transfer, "record_handover")
    with pytest.raises(TransitionRefused) as refused:
        _act(people["fs_tm"], transfer, "complete")
    assert refused.value.rule == "workflow.complete.readiness"

    _make_ready(
        transfer,
        writer=people["sw"],
        sending_manager=people["ast_tm"],
        receiving_manager=people["fs_tm"],
        on=MONDAY,
    )
    # Completed on the Monday, a day before the agreed date: confirmed, with the reason (issue 12).
    done = _act(
        people["fs_tm"], transfer, "complete", confirm_early=True, reason="The family asked for it now"
    )
    assert done.state == "transferred"
    new = done.to_allocation
    assert (new.team, new.worker, new.start) == (teams["family_support_north"], fs_sw, MONDAY)
    assert Allocation.objects.get(pk=transfer.from_allocation_id).end == MONDAY
    assert done.deadlines.get(step="reallocated").actual == MONDAY


def test_the_looked_after_timescales_are_stored_on_the_care_proceedings_transfer_c017_c020(beds):
    """C-009 with C-017 to C-020: a child accommodated under section 20 on 2 November 2026, then on an interim
    care order (the same time in care), is transferred when care proceedings are issued (C-053): the transfer
    carries the four timescales, counted from the day care began, and a placement plan on file from that week
    closes its timescale although it predates the proceedings."""
    people, _, child = beds
    began = dt.date(2026, 11, 2)
    LegalStatusEpisode.objects.create(child=child, status="s20", start=began, end=dt.date(2026, 11, 12))
    LegalStatusEpisode.objects.create(child=child, status="interim_care_order", start=dt.date(2026, 11, 13))
    assert looked_after_since(child, MONDAY) == began
    DocumentOnFile.objects.create(child=child, document_type="placement_plan", dated=dt.date(2026, 11, 5))
    transfer = services.transfer_propose(
        now=at(MONDAY), actor=people["sw"], child=child, event="care_proceedings_issued", on=MONDAY
    ).transfers[0]
    rows = {d.step: d for d in transfer.deadlines.all()}
    assert rows["placement_planning_meeting"].due == dt.date(2026, 11, 5)  # 72 hours
    assert rows["health_assessment_referral"].due == dt.date(2026, 11, 7)  # 5 days
    assert rows["pep_requested"].due == dt.date(2026, 11, 16)  # 10 working days
    assert (rows["placement_plan"].due, rows["placement_plan"].actual) == (
        dt.date(2026, 11, 9),
        dt.date(2026, 11, 5),
    )


def test_a_break_in_care_starts_the_time_in_care_again(beds):
    _, _, child = beds
    LegalStatusEpisode.objects.create(
        child=child, status="s20", start=dt.date(2026, 1, 5), end=dt.date(2026, 3, 1)
    )
    LegalStatusEpisode.objects.create(child=child, status="s20", start=dt.date(2026, 10, 1))
    assert looked_after_since(child, MONDAY) == dt.date(2026, 10, 1)
    assert looked_after_since(child, dt.date(2026, 2, 1)) == dt.date(2026, 1, 5)
    assert looked_after_since(child, dt.date(2026, 6, 1)) is None
