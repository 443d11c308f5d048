"""The large demo's open work, built the large demo's way on a small authority (issue 14): transfers sent by every
service the protocol passes children on from, no team more than about 15% of them, spread over the workflow; the
past weeks' transfer meetings held through the meetings' services, with their decisions, and the next one's
agenda; the records believable. The large demo itself is too slow to build here; `sending_shares` is tested on
both protocols in tests/unit/test_demo_large_shares.py."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Q
from tests.integration.conftest import NOW, TODAY

from handover.children.models import LegalStatusEpisode, PlanEpisode
from handover.domain.workflow import FINAL_STATES, MANAGERS, State
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.meetings.selectors import coming_sittings, sheet_items
from handover.onboarding import demo
from handover.organisation.models import Membership
from handover.transfers.models import Transfer, TransferEvent

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-123456"
LOOKED_AFTER = {"s20", "interim_care_order", "care_order", "placement_order"}
OPEN = 90


@pytest.fixture(scope="module")
def spread(django_db_setup, django_db_blocker):
    """The small Dorset demo with the large demo's open work (90 transfers), built once and rolled back."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(demo.SPREAD_OPEN_WORK, "small", True)
        patch.setitem(demo.OPEN_TRANSFERS, "small", OPEN)
        with django_db_blocker.unblock(), transaction.atomic():
            result = demo.build_demo(now=NOW, protocol_name="dorset", size="small", password=PASSWORD)
            yield result
            transaction.set_rollback(True)


def live(result):
    return Transfer.objects.filter(child__authority=result.authority).exclude(
        state__in=[s.value for s in FINAL_STATES]
    )


def test_every_sending_service_sends_and_no_team_much_more_than_15_percent(spread):
    transfers = live(spread).select_related("from_team__service")
    assert transfers.count() == spread.open_transfers >= OPEN
    teams = Counter(t.from_team.name for t in transfers)
    services = Counter(t.from_team.service.code for t in transfers)
    assert {"assessment", "cin_cp", "court", "lac"} <= set(services)
    assert len(services) >= 5
    assert max(teams.values()) <= 0.17 * spread.open_transfers  # 15%, and the 16+ team's two advisers
    assert services["assessment"] >= max(services.values()) - 2
    most = max(teams.values())
    assert "the largest sending team: " in spread.senders
    assert f", {most} of {spread.open_transfers} (" in spread.senders
    assert "Open transfers by sending service: " in spread.senders
    # Where the protocol takes them: more than the assessment team's two pathways.
    assert len(set(transfers.values_list("pathway", flat=True))) >= 6


def test_the_open_work_is_spread_over_the_workflow(spread):
    states = Counter(live(spread).values_list("state", flat=True))
    for state in (State.PROPOSED, State.LISTED, State.AGREED, State.BLOCKED, State.ESCALATED):
        assert states[state], (state, states)
    assert states[State.WORKER_IDENTIFIED] + states[State.HANDOVER_HELD]
    assert states[State.PROPOSED] < 0.4 * spread.open_transfers


def test_past_meetings_were_held_with_their_decisions(spread):
    past = Meeting.objects.filter(authority=spread.authority, sits_on__lt=TODAY)
    assert past.count() >= 3
    assert not past.exclude(status=Meeting.Status.CLOSED).exists()
    agreed = MeetingItem.objects.filter(meeting__in=past, decision=Decision.AGREED).select_related(
        "meeting", "transfer", "decided_by"
    )
    assert agreed.count() >= 5
    assert (
        MeetingItem.objects.filter(meeting__in=past, decision=Decision.DEFERRED).exclude(reason="").exists()
    )
    for item in agreed:
        transfer, sits_on = item.transfer, item.meeting.sits_on
        # Agreed on the day the meeting sat, by a manager of the receiving team who was there.
        agree = transfer.events.get(action="agree")
        assert agree.at.date() == sits_on and agree.at <= NOW
        assert Membership.objects.filter(
            staff=item.decided_by, team=transfer.to_team, role__in=list(MANAGERS), end__isnull=True
        ).exists()
        assert item.meeting.attendees.filter(pk=item.decided_by.pk).exists()
        # It was listed by the sitting's cut-off.
        assert transfer.events.get(action="list").at.date() <= item.meeting.cutoff
    for meeting in past:
        assert meeting.minutes and meeting.attendees.exists()
        assert not meeting.items.filter(decision=Decision.PENDING).exists()


def test_the_next_meeting_has_its_agenda(spread):
    agenda = [
        item
        for meeting in coming_sittings(authority=spread.authority, today=TODAY)
        for item in sheet_items(meeting)
    ]
    assert agenda
    assert all(item.transfer.state == State.LISTED for item in agenda)


def test_records_stay_believable(spread):
    """The event that moved each child on left the plan and legal status it would (a care order made, looked
    after children ceasing to be): one of each open at a time, and a child is in care exactly when their legal
    status says so. Nothing is dated after the demo's now."""
    children = list(live(spread).values_list("child", flat=True))
    for child in children:
        plans = PlanEpisode.objects.filter(child=child).filter(
            Q(end__isnull=True) | Q(end__gte=TODAY), start__lte=TODAY
        )
        legal = LegalStatusEpisode.objects.filter(child=child).filter(
            Q(end__isnull=True) | Q(end__gte=TODAY), start__lte=TODAY
        )
        assert plans.count() <= 1 and legal.count() <= 1, child
        plan = plans.values_list("plan", flat=True).first() or "none"
        status = legal.values_list("status", flat=True).first() or "none"
        assert (plan == "cla") == (status in LOOKED_AFTER), (child, plan, status)
    mine = Q(transfer__child__authority=spread.authority)
    assert not TransferEvent.objects.filter(mine, at__gt=NOW).exists()
    assert not MeetingItem.objects.filter(mine, recorded_at__gt=NOW).exists()
    assert not PlanEpisode.objects.filter(child__in=children, start__gt=TODAY).exists()
