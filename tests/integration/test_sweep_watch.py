"""The sweep judges each transfer once a day, and again on any run after its records change (`sweep.watch`):
a sweep every few minutes reads only what changed, and never misses a change, even one saved while it runs.
The meetings' papers likewise: prepared on the day's first run, and again when a meeting, its attendees, the
staff or a transfer changes."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import at, listed_on

from handover.children.models import DocumentOnFile
from handover.meetings.models import Meeting
from handover.notifications.models import Notification
from handover.sweep import services as sweep_services
from handover.sweep.models import SweepWatch
from handover.sweep.services import sweep_run
from handover.transfers import services
from handover.transfers.models import Escalation

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)
TUESDAY = dt.date(2026, 11, 24)
THURSDAY = dt.date(2026, 11, 26)
LEVEL_ONE = dt.date(2026, 12, 3)  # Dorset D-032: 5 working days after the step went overdue


def _judged(run) -> int:
    return run.done.get("transfers_judged", 0)


def test_later_runs_the_same_day_judge_only_the_transfers_whose_records_changed(world):
    first, second = listed_on(world, "watch1", MONDAY), listed_on(world, "watch2", MONDAY)
    assert _judged(sweep_run(now=at(THURSDAY))) == 2
    assert _judged(sweep_run(now=at(THURSDAY, 11))) == 0  # nothing changed: nothing read

    action = services.remedial_action_create(
        actor=world.ast_tm,
        transfer=first,
        description="Update the chronology",
        owner=world.ast_sw,
        due=THURSDAY,
        now=at(THURSDAY, 11),
    )
    run = sweep_run(now=at(THURSDAY, 12))
    assert _judged(run) == 1
    reminder = Notification.objects.get(recipient=world.ast_sw, remedial_action=action)
    assert reminder.kind == Notification.Kind.DUE_SOON  # due today: told at once, not tomorrow
    assert _judged(sweep_run(now=at(THURSDAY, 13))) == 0

    # The next day every open transfer is judged again: standings move with the date.
    friday = sweep_run(now=at(THURSDAY + dt.timedelta(days=1)))
    assert _judged(friday) == 2
    assert Notification.objects.get(
        recipient=world.ast_sw, remedial_action=action, kind=Notification.Kind.OVERDUE
    )
    assert second.pk in set(SweepWatch.objects.values_list("pk", flat=True))


def test_a_document_put_on_file_puts_the_childs_open_transfers_back_for_the_next_run(world):
    transfer = listed_on(world, "watch3", MONDAY)
    sweep_run(now=at(TUESDAY))
    assert SweepWatch.objects.get(pk=transfer.pk).looked_on == TUESDAY
    DocumentOnFile.objects.create(child=transfer.child, document_type="chronology", dated=TUESDAY)
    assert SweepWatch.objects.get(pk=transfer.pk).looked_on is None
    assert _judged(sweep_run(now=at(TUESDAY, 11))) == 1


def test_a_change_saved_while_the_sweep_is_judging_is_judged_on_the_next_run(world, monkeypatch):
    """Someone saves a remedial action after the sweep read the transfer but before it finished: that run
    cannot have seen it, so the transfer is not marked looked at, and the next run tells the owner."""
    transfer = listed_on(world, "watch4", MONDAY)
    judge = sweep_services.judge
    made = []

    def judge_while_someone_saves(**kwargs):
        judged = judge(**kwargs)
        if not made:
            made.append(
                services.remedial_action_create(
                    actor=world.ast_tm,
                    transfer=transfer,
                    description="Add the genogram",
                    owner=world.ast_sw,
                    due=THURSDAY,
                    now=at(THURSDAY, 9),
                )
            )
        return judged

    monkeypatch.setattr(sweep_services, "judge", judge_while_someone_saves)
    run = sweep_run(now=at(THURSDAY))
    assert run.done["judged_again_next_run"] == 1
    assert not Notification.objects.filter(remedial_action=made[0]).exists()  # judged before it was saved

    run = sweep_run(now=at(THURSDAY, 10))
    assert _judged(run) == 1
    assert Notification.objects.filter(recipient=world.ast_sw, remedial_action=made[0]).exists()
    assert _judged(sweep_run(now=at(THURSDAY, 11))) == 0


def test_a_transfer_closed_with_an_escalation_open_steps_it_down_and_is_then_forgotten(world):
    transfer = listed_on(world, "watch5", MONDAY)
    sweep_run(now=at(THURSDAY))
    sweep_run(now=at(LEVEL_ONE))
    escalation = Escalation.objects.get(transfer=transfer, resolved_at__isnull=True)
    transfer.refresh_from_db()
    services.transfer_act(
        actor=world.ast_tm,
        transfer=transfer,
        action="withdraw",
        expected_version=transfer.version,
        reason="The family moved out of the area",
        now=at(LEVEL_ONE, 12),
    )
    run = sweep_run(now=at(LEVEL_ONE, 13))
    assert _judged(run) == 1 and run.done["step_downs"] == 1
    escalation.refresh_from_db()
    assert escalation.resolution == "the transfer was withdrawn"
    assert not SweepWatch.objects.filter(pk=transfer.pk).exists()  # nothing more to judge on it
    assert _judged(sweep_run(now=at(LEVEL_ONE + dt.timedelta(days=1)))) == 0


def test_someone_added_to_a_sittings_attendees_gets_the_sheet_on_the_next_run_the_same_day(world):
    listed_on(world, "watch6", MONDAY)
    sweep_run(now=at(TUESDAY))  # after Monday's cut-off: the sheet is compiled and sent
    meeting = Meeting.objects.get(meeting="transfer_meeting", sits_on=dt.date(2026, 11, 25))
    assert not Notification.objects.filter(meeting=meeting, recipient=world.cin_sw).exists()
    again = sweep_run(now=at(TUESDAY, 11))
    assert again.done.get("sheets_sent") is None  # nothing changed: the meetings were not looked at again

    meeting.attendees.add(world.cin_sw)
    run = sweep_run(now=at(TUESDAY, 12))
    assert run.done["sheets_sent"] == 1
    assert Notification.objects.filter(meeting=meeting, recipient=world.cin_sw, kind="sheet").exists()
