"""Reassignment within a team, case requests (pulls) and bulk transfer of a caseload."""

from __future__ import annotations

import pytest
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, dated_staff

from handover.children.models import Allocation
from handover.children.services import allocation_reassign
from handover.organisation.access import AccessDenied
from handover.organisation.models import Role
from handover.transfers import services
from handover.transfers.bulk import bulk_transfer_request
from handover.transfers.case_requests import case_request_create, case_request_decide
from handover.transfers.models import BulkTransfer

pytestmark = pytest.mark.django_db


def test_manager_reassigns_within_the_team(world):
    child = world.child("R1", "Una")
    new = allocation_reassign(actor=world.ast_tm, child=child, worker=world.ast_sw2, now=NOW)
    old = Allocation.objects.get(child=child, end=TODAY)
    assert old.worker == world.ast_sw and old.end_reason == "MANAGE"
    assert new.worker == world.ast_sw2 and new.start == TODAY and new.team == old.team
    with pytest.raises(match="already allocated to this worker"):
        allocation_reassign(actor=world.ast_tm, child=child, worker=world.ast_sw2, now=NOW)
    with pytest.raises(match="not an active case-holding worker"):
        allocation_reassign(actor=world.ast_tm, child=child, worker=world.cin_sw, now=NOW)
    with pytest.raises(AccessDenied):
        allocation_reassign(actor=world.ast_sw, child=child, worker=world.ast_sw, now=NOW)


def test_receiving_team_asks_for_a_case_and_it_becomes_a_transfer(world):
    child = world.child("R2", "Vi")
    request = case_request_create(
        now=NOW,
        actor=world.cin_tm,
        child=child,
        requesting_team=world.teams["cin_cp_east"],
        reason="We hold the siblings' CIN plans",
    )
    with pytest.raises(AccessDenied):
        case_request_decide(
            now=NOW, actor=world.cin_tm, request=request, accept=True, event="assessment_concluded"
        )
    decided = case_request_decide(
        now=NOW,
        actor=world.ast_tm,
        request=request,
        accept=True,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    )
    assert decided.status == "accepted"
    assert decided.transfer.to_service.code == "cin_cp" and decided.transfer.state == "proposed"


def test_refusing_a_request_needs_a_reason(world):
    child = world.child("R3", "Wyn")
    request = case_request_create(
        now=NOW,
        actor=world.cin_tm,
        child=child,
        requesting_team=world.teams["cin_cp_east"],
        reason="Known to us",
    )
    with pytest.raises(services.ApplicationError):
        case_request_decide(now=NOW, actor=world.ast_tm, request=request, accept=False)
    assert (
        case_request_decide(
            now=NOW, actor=world.ast_tm, request=request, accept=False, reason="Assessment not finished"
        ).status
        == "refused"
    )


def test_bulk_transfer_when_a_worker_leaves_keeps_siblings_together(
    world, django_capture_on_commit_callbacks
):
    a = world.child("B1", "Al", family=world.family)
    b = world.child("B2", "Bo", family=world.family)
    c = world.child("B3", "Cy")
    d = world.child("B4", "Di")
    services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=d, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_transfer_request(
            now=NOW,
            actor=world.ast_tm,
            from_team=world.teams["assessment_east"],
            from_worker=world.ast_sw,
            to_team=world.teams["assessment_east"],
            to_worker=world.ast_sw2,
            reason_code="LEFTRL",
            reason="Ava has left the authority",
        )
    job.refresh_from_db()  # queued on commit; the tests' immediate task backend ran it
    assert job.status == BulkTransfer.Status.DONE and job.total == job.done == 4
    outcomes = {r["identifier"]: r["outcome"] for r in job.results}
    assert outcomes == {"B1": "moved", "B2": "moved", "B3": "moved", "B4": "skipped"}
    assert "has open transfer" in next(r["message"] for r in job.results if r["identifier"] == "B4")
    for child in (a, b, c):
        current = Allocation.objects.get(child=child, end__isnull=True)
        assert current.worker == world.ast_sw2 and current.start_reason == "LEFTRL"


def test_bulk_transfer_to_another_service_needs_a_senior_manager(world):
    with pytest.raises(AccessDenied, match="service manager or above"):
        bulk_transfer_request(
            now=NOW,
            actor=world.ast_tm,
            from_team=world.teams["assessment_east"],
            to_team=world.teams["cin_cp_east"],
            reason="Restructure",
        )
    head = dated_staff(
        authority=world.authority,
        username="hos",
        name="Head",
        roles=[(Role.TEAM_MANAGER, world.teams["assessment_east"]), (Role.HEAD_OF_SERVICE, None)],
    )
    job = bulk_transfer_request(
        now=NOW,
        actor=head,
        from_team=world.teams["assessment_east"],
        to_team=world.teams["assessment_west"],
        reason="Teams merge",
    )
    assert job.pk
