"""The faithful readings (issue 11) through the records: the child's history as the records layer builds it
(Dorset D-083: Early Help is not social care history) and a repeating duty marked done again and again (D-163)."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import at

from handover.children.models import Allocation, AllocationKind
from handover.domain import routing
from handover.domain.situation import situation_facts
from handover.organisation.protocol import protocol_for
from handover.transfers import services
from handover.transfers.services import ApplicationError
from handover.transfers.situations import record_situation

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 24)
ASSESSMENT = {"facts": {"mash_decision": "assessment", "private_fostering_arrangement": False}}


def _held(world, child, team: str, start: dt.date, end: dt.date) -> None:
    Allocation.objects.create(
        child=child, kind=AllocationKind.PRIMARY, team=world.teams[team], start=start, end=end
    )


def _route(world, child):
    protocol = protocol_for(world.authority)
    return routing.route(
        protocol,
        situation_facts(protocol, record_situation(child, event="referral", on=ON, answers=ASSESSMENT)),
    )


def _closed_child(world, identifier):
    child = world.child(identifier, identifier.title())
    allocation = child.allocations.get()
    allocation.delete()
    return child


def test_d083_a_child_closed_to_early_help_seven_weeks_ago_is_not_sent_back_to_early_help(world):
    # The case the review found: closed to Early Help seven weeks ago, never known to social care.
    child = _closed_child(world, "eh1")
    _held(world, child, "early_help_team", dt.date(2026, 6, 1), ON - dt.timedelta(weeks=7))
    decision = _route(world, child)
    assert (decision.outcome, decision.receiving_service) == ("route", "assessment")
    assert decision.rule.id == "referral_to_assessment"


def test_d083_the_re_referral_goes_back_to_the_social_care_team_behind_the_early_help_case(world):
    # CIN and CP closed ten weeks ago (within 3 months), then Early Help until three weeks ago: back to CIN and CP.
    child = _closed_child(world, "eh2")
    _held(world, child, "cin_cp_east", dt.date(2026, 3, 1), ON - dt.timedelta(weeks=10))
    _held(world, child, "early_help_team", ON - dt.timedelta(weeks=10), ON - dt.timedelta(weeks=3))
    decision = _route(world, child)
    assert (decision.outcome, decision.receiving_service) == ("route", "cin_cp")
    assert decision.rule.id == "re_referral_within_3_months"


def test_d163_the_nrpf_visit_is_marked_done_each_time_and_falls_due_six_months_later(world):
    # D-163 "visited not less than every six months"
    transfer = services.transfer_propose(
        now=at(ON),
        actor=world.ast_sw,
        child=world.child("nrpf1", "Nrpf"),
        event="assessment_concluded",
        on=ON,
        answers={
            "facts": {"assessment_outcome": "no_intervention", "nrpf": True},
            "siblings": {"in_care_proceedings": False},
        },
    ).transfers[0]
    visit = transfer.deadlines.get(step="nrpf_monitoring_visit")
    assert (visit.due, visit.actual) == (dt.date(2027, 5, 24), None)
    assert "nrpf_monitoring_visit" in services.transfer_manual_steps(transfer)

    first = dt.date(2026, 12, 1)
    services.transfer_step_done(
        actor=world.ast_sw, transfer=transfer, step="nrpf_monitoring_visit", now=at(first)
    )
    visit = transfer.deadlines.get(step="nrpf_monitoring_visit")
    assert (visit.due, visit.actual) == (dt.date(2027, 6, 1), None)  # due again, six months on
    with pytest.raises(ApplicationError) as refused:
        services.transfer_step_done(
            actor=world.ast_sw, transfer=transfer, step="nrpf_monitoring_visit", now=at(first, 15)
        )
    assert refused.value.errors == {
        "step": "NRPF family visited (at least every six months) is already recorded as done today"
    }

    second = dt.date(2026, 12, 8)
    services.transfer_step_done(
        actor=world.ast_sw, transfer=transfer, step="nrpf_monitoring_visit", now=at(second)
    )
    assert transfer.deadlines.get(step="nrpf_monitoring_visit").due == dt.date(2027, 6, 8)
    # The second visit recorded by mistake: reopening undoes it, and the first counts again.
    services.transfer_step_reopen(
        actor=world.ast_sw,
        transfer=transfer,
        step="nrpf_monitoring_visit",
        now=at(second, 12),
        reason="Recorded on the wrong child",
    )
    assert transfer.deadlines.get(step="nrpf_monitoring_visit").due == dt.date(2027, 6, 1)
