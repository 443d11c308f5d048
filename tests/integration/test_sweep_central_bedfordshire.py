"""One engine, another authority's ladder: Central Bedfordshire's blocked transfer goes to the two Team Managers
(C-028) after 2 working days, their Practice Managers (C-008) 5 working days later, and the Heads of Service
(C-008) after 10 more, all from the protocol file's timings; none of it is Dorset's."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import at

from handover.notifications.models import Notification
from handover.sweep.services import sweep_run
from handover.transfers import services
from handover.transfers.models import Escalation

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)


def test_a_blocked_transfer_climbs_central_bedfordshires_own_ladder(beds):
    people, teams, child = beds
    transfer = services.transfer_propose(
        now=at(MONDAY), actor=people["sw"], child=child, event="cin_meeting_held", on=MONDAY
    ).transfers[0]
    assert transfer.pathway == "assessment_to_family_support_cin"
    transfer = services.transfer_act(
        now=at(MONDAY, 11),
        actor=people["fs_tm"],
        transfer=transfer,
        action="agree",
        expected_version=transfer.version,
        to_team=teams["family_support_north"],
        transfer_date=dt.date(2026, 11, 26),
    )
    transfer = services.transfer_act(
        now=at(MONDAY, 12),
        actor=people["fs_tm"],
        transfer=transfer,
        action="block",
        expected_version=transfer.version,
        reason="Disagreement about the plan",
    )

    sweep_run(now=at(dt.date(2026, 11, 24)))
    assert not Escalation.objects.filter(subject="blocked").exists()
    sweep_run(now=at(dt.date(2026, 11, 25)))  # 2 working days after Monday's block
    level_one = Escalation.objects.get(subject="blocked", resolved_at__isnull=True)
    assert (level_one.level, level_one.role, level_one.cites) == (1, "team_manager", ["C-028"])
    told = set(
        Notification.objects.filter(escalation=level_one).values_list("recipient__user__username", flat=True)
    )
    assert {"cb_ast_tm", "cb_fs_tm"} <= told and "cb_ast_pm" not in told

    sweep_run(now=at(dt.date(2026, 12, 2)))  # 5 working days after level 1 opened on Wednesday 25th
    level_two = Escalation.objects.get(subject="blocked", resolved_at__isnull=True)
    assert (level_two.level, level_two.role, level_two.cites) == (2, "practice_manager", ["C-008"])
    told = set(
        Notification.objects.filter(escalation=level_two).values_list("recipient__user__username", flat=True)
    )
    assert told == {"cb_ast_pm", "cb_fs_pm"}

    sweep_run(now=at(dt.date(2026, 12, 16)))  # 10 working days later
    level_three = Escalation.objects.get(subject="blocked", resolved_at__isnull=True)
    assert (level_three.level, level_three.role, level_three.due) == (3, "head_of_service", None)
    assert Notification.objects.filter(escalation=level_three, recipient=people["head"]).exists()
    transfer.refresh_from_db()
    assert (transfer.state, transfer.escalation_level) == ("escalated", 3)
    sweep_run(now=at(dt.date(2027, 3, 1)))  # the top of the ladder: it stays with the Heads of Service
    assert Escalation.objects.filter(subject="blocked").count() == 3
