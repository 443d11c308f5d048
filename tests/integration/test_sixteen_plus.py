"""The monthly 16+ list (Dorset D-137: "all children aged 15 years and 8 months old will be discussed and a
Pathways Worker will be allocated"; the personal adviser is allocated at 15 years 9 months, D-133, D-140)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import NOW, TODAY, dated_staff, meet_checklist

from handover.children.models import Allocation, AllocationKind, LegalStatusEpisode, PlanEpisode
from handover.domain.workflow import State
from handover.meetings.selectors import sitting_for
from handover.meetings.sixteen_plus import age_list, age_list_for
from handover.organisation.models import Role
from handover.transfers import services

pytestmark = pytest.mark.django_db

# The sitting a case identified on TODAY (Tuesday 24 November 2026) can make: the first Tuesday of December.
SITTING = dt.date(2026, 12, 1)


@pytest.fixture
def lac(world):
    """A LAC social worker, and a way to make looked after children in the LAC team."""
    worker = dated_staff(
        authority=world.authority,
        username="lou_lac_sw",
        name="Lou Lac Sw",
        roles=[(Role.SOCIAL_WORKER, world.teams["lac_team"])],
    )

    def looked_after(identifier, born: dt.date, *, plan="cla", team="lac_team"):
        child = world.child(identifier, identifier.title(), team=team, worker=worker, date_of_birth=born)
        LegalStatusEpisode.objects.create(child=child, status="care_order", start=dt.date(2020, 1, 1))
        if plan:
            PlanEpisode.objects.create(child=child, plan=plan, start=dt.date(2020, 1, 1))
        return child

    return looked_after


def test_monthly_sitting_is_the_first_tuesday(world):
    # D-137 says monthly; the first Tuesday is the protocol file's local setting (weekday, week_of_month).
    meeting = sitting_for(authority=world.authority, on=TODAY, meeting_id="sixteen_plus_meeting")
    assert meeting.sits_on == SITTING
    later = sitting_for(
        authority=world.authority, on=SITTING + dt.timedelta(days=1), meeting_id="sixteen_plus_meeting"
    )
    assert later.sits_on == dt.date(2027, 1, 5)


def test_a_looked_after_child_of_15_years_8_months_is_listed_with_the_personal_adviser_due(world, lac):
    child = lac("sp1", dt.date(2011, 3, 15))  # 15y8m on 15 November 2026, 15y9m on 15 December 2026
    meeting, entries = age_list_for(authority=world.authority, on=TODAY)
    assert meeting.meeting == "sixteen_plus_meeting" and meeting.sits_on == SITTING
    [entry] = entries
    assert entry.child == child and entry.pathway == "lac_to_leaving_care"
    assert (entry.listed_from, entry.due, entry.overdue) == (
        dt.date(2026, 11, 15),
        dt.date(2026, 12, 15),
        False,
    )
    assert entry.team == world.teams["lac_team"] and entry.worker.name == "Lou Lac Sw"
    assert entry.transfer is None


def test_who_is_not_listed(world, lac):
    lac("young", dt.date(2011, 4, 20))  # 15y7m at the sitting: 15y8m only on 20 December
    lac("not_looked_after", dt.date(2011, 3, 10), plan="cin")  # in the LAC team, but no CLA plan
    lac("no_plan", dt.date(2011, 3, 11), plan=None)
    lac("adult", dt.date(2008, 3, 1))  # 18: the protocol's rule stops at 18
    lac(
        "elsewhere", dt.date(2011, 3, 12), team="cin_cp_east"
    )  # not held by a service the pathway starts from
    with_pa = lac("has_pa", dt.date(2011, 3, 13))
    Allocation.objects.create(
        child=with_pa,
        kind=AllocationKind.SECONDARY,
        team=world.teams["sixteen_plus_team"],
        start=dt.date(2026, 11, 16),
    )
    closed = lac("closed", dt.date(2011, 3, 14))
    closed.closed_on = dt.date(2026, 11, 1)
    closed.save()
    assert age_list(sitting_for(authority=world.authority, on=TODAY, meeting_id="sixteen_plus_meeting")) == []


def test_overdue_and_proposed_cases_are_shown_in_order(world, lac):
    late = lac("late", dt.date(2011, 1, 10))  # 15y9m on 10 October 2026: past at the sitting
    proposed = lac("proposed", dt.date(2011, 3, 5))  # 15y9m on 5 December 2026
    transfer = services.transfer_propose(
        now=NOW, actor=world.lac_tm, child=proposed, event="age_reached", on=TODAY
    ).transfers[0]
    meeting = sitting_for(authority=world.authority, on=TODAY, meeting_id="sixteen_plus_meeting")
    first, second = age_list(meeting)
    assert (first.child, first.listed_from, first.due, first.overdue) == (
        late,
        dt.date(2026, 9, 10),
        dt.date(2026, 10, 10),
        True,
    )
    assert (second.child, second.due, second.overdue) == (proposed, dt.date(2026, 12, 5), False)
    assert second.transfer == transfer and second.transfer.state == State.PROPOSED
    assert transfer.kind == AllocationKind.SECONDARY  # a personal adviser alongside the social worker (D-141)


def test_younger_children_are_left_out_by_the_query_not_by_routing(world, lac, django_assert_num_queries):
    lac("listed", dt.date(2011, 3, 15))
    meeting = sitting_for(authority=world.authority, on=TODAY, meeting_id="sixteen_plus_meeting")
    with CaptureQueriesContext(connection) as one:
        assert len(age_list(meeting)) == 1
    for i in range(1, 4):
        lac(f"younger{i}", dt.date(2014, i, 1))
    # Only a child old enough is routed (one routing call each); the younger ones cost no query.
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(age_list(meeting)) == 1


def test_the_personal_advisers_allocation_records_its_purpose_d140(world, lac):
    """D-140/D-141: the personal adviser's secondary allocation, once the transfer completes, says what it is for
    (the pathway's `purpose`), beside the LAC social worker's."""
    from handover.documents.transfer_summary import transfer_summary_authorise, transfer_summary_draft
    from handover.transfers.models import SignOffKind

    team = world.teams["sixteen_plus_team"]
    manager = dated_staff(
        authority=world.authority, username="pam_16_tm", name="Pam 16 Tm", roles=[(Role.TEAM_MANAGER, team)]
    )
    adviser = dated_staff(
        authority=world.authority,
        username="pat_16_pa",
        name="Pat 16 Pa",
        roles=[(Role.PERSONAL_ADVISER, team)],
    )
    child = lac("sp9", dt.date(2011, 3, 1))
    held = child.allocations.get()
    transfer = services.transfer_propose(
        now=NOW, actor=world.lac_tm, child=child, event="age_reached", on=TODAY
    ).transfers[0]

    def act(actor, action, **kwargs):
        transfer.refresh_from_db()
        return services.transfer_act(
            now=NOW,
            actor=actor,
            transfer=transfer,
            action=action,
            expected_version=transfer.version,
            **kwargs,
        )

    act(world.lac_tm, "list")
    act(manager, "agree", to_team=team, transfer_date=TODAY + dt.timedelta(days=7))
    act(manager, "identify_worker", worker=adviser)
    act(adviser, "record_handover")
    meet_checklist(transfer, confirmer=world.lac_tm, on=TODAY)
    writer = held.worker
    writer.as_of = TODAY  # as the boundary loads the signed-in person
    summary = transfer_summary_draft(now=NOW, actor=writer, transfer=transfer, work_undertaken="Pathway plan")
    transfer_summary_authorise(now=NOW, actor=world.lac_tm, summary=summary)
    services.transfer_sign_off(now=NOW, actor=world.lac_tm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(now=NOW, actor=manager, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT)
    done = act(manager, "complete", confirm_early=True, reason="The handover is done; no need to wait")
    new = done.to_allocation
    assert (new.kind, new.worker, new.purpose) == (AllocationKind.SECONDARY, adviser, "personal_adviser")
    held.refresh_from_db()
    assert held.end is None  # the LAC social worker keeps the case (D-141: jointly allocated)
