"""The sweep (`handover sweep`): reminders ahead of each due date, overdue notices, escalation up Dorset's ladder
after the local timings (D-030, D-032: Service Manager after 5 working days, the Director after 10 more), stepping
down when the work is done, the meetings' papers, digests, and idempotence: a second run changes nothing, and a
run that crashed half-way is finished by the next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.integration.conftest import at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.meetings.models import Meeting
from handover.notifications.models import Delivery, Notification, NotificationPreference, OutboundEmail
from handover.sweep import services as sweep_services
from handover.sweep.models import SweepRun
from handover.sweep.services import sweep_run
from handover.transfers import services
from handover.transfers.models import Escalation, RemedialAction, TransferEvent

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)  # listed by the cut-off for Wednesday 25 November's transfer meeting
WEDNESDAY = dt.date(2026, 11, 25)
THURSDAY = dt.date(2026, 11, 26)  # the meeting's step ("agree") is overdue from here
LEVEL_ONE = dt.date(2026, 12, 3)  # 5 working days after it went overdue (Dorset's local setting, D-032)
LEVEL_TWO = dt.date(2026, 12, 17)  # 10 working days after level 1 opened


def _keys(person) -> set[str]:
    return set(Notification.objects.filter(recipient=person).values_list("key", flat=True))


def _counts() -> dict[str, int]:
    return {
        "notifications": Notification.objects.count(),
        "escalations": Escalation.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "events": TransferEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "meetings": Meeting.objects.count(),
    }


@pytest.fixture
def listed(world):
    return listed_on(world, "sweep1", MONDAY)


def test_the_receiving_managers_are_reminded_before_the_meeting_and_told_when_it_is_overdue(world, listed):
    key = f"transfer:{listed.pk}:step:transfer_meeting"
    sweep_run(now=at(dt.date(2026, 11, 24)))
    reminder = Notification.objects.get(recipient=world.cin_tm, key=f"{key}:due_soon:2026-11-25")
    assert (
        reminder.title
        == f"Due Wednesday 25 November: Presented at the weekly transfer meeting, child {listed.child.identifier}"
    )
    assert reminder.url == f"/transfers/{listed.pk}/"
    assert "Sweep1" not in reminder.title  # emails leave Handover: the child is named by the person ID only
    # The agreement is the receiving service's (no team agreed yet: its team managers); not the sender's.
    assert f"{key}:due_soon:2026-11-25" in _keys(world.cin_west_tm)
    assert f"{key}:due_soon:2026-11-25" not in _keys(world.ast_tm)

    sweep_run(now=at(THURSDAY))
    overdue = Notification.objects.get(recipient=world.cin_tm, key=f"{key}:overdue:2026-11-25")
    assert overdue.kind == Notification.Kind.OVERDUE
    assert overdue.title.startswith(
        "Overdue since Wednesday 25 November: Presented at the weekly transfer meeting"
    )
    assert not Escalation.objects.exists()  # not yet: Dorset gives it 5 working days


def test_overdue_work_goes_to_the_service_manager_then_the_director_and_steps_down_when_done(world, listed):
    sweep_run(now=at(THURSDAY))
    sweep_run(now=at(LEVEL_ONE - dt.timedelta(days=1)))
    assert not Escalation.objects.exists()

    sweep_run(now=at(LEVEL_ONE))
    level_one = Escalation.objects.get(transfer=listed, step="transfer_meeting")
    assert (level_one.level, level_one.role, level_one.cites) == (1, "service_manager", ["D-030", "D-032"])
    assert level_one.subject == Escalation.Subject.STEP
    assert level_one.opened_by is None and level_one.opened_by_name.startswith("Handover (automatic")
    assert level_one.due == LEVEL_TWO
    assert level_one.reason.startswith(
        "Presented at the weekly transfer meeting: due 25 November 2026, not done"
    )
    told = Notification.objects.get(recipient=world.service_manager, escalation=level_one)
    assert told.kind == Notification.Kind.ESCALATED and told.url == "/escalations/"
    assert not Notification.objects.filter(recipient=world.director, escalation=level_one).exists()
    raised = AuditEvent.objects.get(verb=Verb.ESCALATION_RAISED, object_id=str(level_one.pk))
    assert raised.actor is None and raised.child == listed.child
    assert listed.__class__.objects.get(pk=listed.pk).state == "listed"  # an overdue step does not block

    sweep_run(now=at(LEVEL_TWO))
    level_two = Escalation.objects.get(transfer=listed, step="transfer_meeting", level=2)
    assert (level_two.role, level_two.due) == ("service_director", None)
    level_one.refresh_from_db()
    assert level_one.resolution == "moved up to level 2 (service director)"
    assert Notification.objects.filter(recipient=world.director, escalation=level_two).exists()

    # The receiving manager agrees the transfer: the step is done, the escalation steps down, and every
    # notification about the step clears itself (the pages hide it at once; the sweep records it).
    services.transfer_act(
        actor=world.cin_tm,
        transfer=listed,
        action="agree",
        expected_version=listed.__class__.objects.get(pk=listed.pk).version,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 21),
        reason="Agreed late, after the escalation: the first date the receiving team can take the case",
        now=at(LEVEL_TWO, 14),
    )
    run = sweep_run(now=at(LEVEL_TWO, 15))
    level_two.refresh_from_db()
    assert level_two.resolved_at is not None and level_two.resolution == "the work was done"
    assert level_two.resolved_by is None
    assert run.done["step_downs"] == 1
    assert not Notification.objects.filter(step="transfer_meeting", cleared_at__isnull=True).exists()
    assert Notification.objects.filter(
        recipient=world.director, key=f"escalation:{level_two.pk}:stepped_down"
    ).exists()


def test_a_blocked_transfer_is_escalated_through_its_workflow_and_resolving_it_ends_the_escalation(world):
    transfer = listed_on(world, "block1", MONDAY)
    transfer = services.transfer_act(
        actor=world.cin_tm,
        transfer=transfer,
        action="block",
        expected_version=transfer.version,
        reason="The receiving team has no capacity this week",
        now=at(MONDAY, 15),
    )
    sweep_run(now=at(dt.date(2026, 11, 27)))  # 4 working days
    transfer.refresh_from_db()
    assert transfer.state == "blocked"

    sweep_run(now=at(dt.date(2026, 11, 30)))  # 5 working days after the block
    transfer.refresh_from_db()
    assert (transfer.state, transfer.escalation_level) == ("escalated", 1)
    event = transfer.events.get(action="escalate")
    assert event.actor is None and event.actor_name.startswith("Handover (automatic")
    escalation = Escalation.objects.get(transfer=transfer, resolved_at__isnull=True)
    assert escalation.subject == Escalation.Subject.BLOCKED and escalation.role == "service_manager"
    # The escalated transfer's steps are not escalated again on their own.
    assert not Escalation.objects.filter(transfer=transfer, subject=Escalation.Subject.STEP).exists()

    services.transfer_act(
        actor=world.service_manager,
        transfer=transfer,
        action="resolve",
        expected_version=transfer.version,
        reason="Capacity agreed with the service manager",
        now=at(dt.date(2026, 12, 1)),
    )
    escalation.refresh_from_db()
    assert escalation.resolved_by == world.service_manager
    assert sweep_run(now=at(dt.date(2026, 12, 1), 12)).done.get("escalations", 0) == 0


def test_an_overdue_remedial_action_reminds_its_owner_and_marking_it_done_clears_it(world, listed):
    action = services.remedial_action_create(
        actor=world.ast_tm,
        transfer=listed,
        description="Update the chronology",
        owner=world.ast_sw,
        due=dt.date(2026, 11, 25),
        now=at(MONDAY),
    )
    sweep_run(now=at(THURSDAY))
    notice = Notification.objects.get(recipient=world.ast_sw, remedial_action=action)
    assert notice.kind == Notification.Kind.OVERDUE
    sweep_run(now=at(LEVEL_ONE))
    assert Escalation.objects.filter(remedial_action=action, level=1).exists()

    services.remedial_action_done(actor=world.ast_sw, action=action, now=at(LEVEL_ONE, 14))
    sweep_run(now=at(LEVEL_ONE, 15))
    assert Escalation.objects.get(remedial_action=action).resolution == "the work was done"
    notice.refresh_from_db()
    assert notice.cleared_at is not None
    assert RemedialAction.objects.get(pk=action.pk).done_by == world.ast_sw


def test_running_the_sweep_twice_changes_nothing_the_second_time(world, listed):
    listed_on(world, "sweep2", MONDAY)
    first = sweep_run(now=at(LEVEL_ONE))
    assert first.done["reminders"] > 0 and first.done["escalations"] > 0
    before = _counts()
    second = sweep_run(now=at(LEVEL_ONE, 11))
    assert _counts() == before
    assert {k: v for k, v in second.done.items() if v} == {}
    assert SweepRun.objects.count() == 2


def test_a_sweep_that_crashes_half_way_loses_nothing_and_the_next_run_finishes_the_job(world, monkeypatch):
    for n in range(3):
        listed_on(world, f"crash{n}", MONDAY)
    real_notify = sweep_services.notify
    calls = {"n": 0}

    def failing_notify(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the database went away")
        return real_notify(**kwargs)

    monkeypatch.setattr(sweep_services, "notify", failing_notify)
    with pytest.raises(RuntimeError):
        sweep_run(now=at(LEVEL_ONE))
    crashed = SweepRun.objects.get()
    assert crashed.finished_at is None and "the database went away" in crashed.error
    kept = set(Notification.objects.values_list("recipient_id", "key"))
    # What was written before the crash is kept, each reminder whole: its key went to both receiving managers
    # (the third call failed, so the second reminder went to no one rather than to one of them).
    assert len(kept) == 2 and {key for _, key in kept} == {next(iter(kept))[1]}

    monkeypatch.setattr(sweep_services, "notify", real_notify)
    finished = sweep_run(now=at(LEVEL_ONE))
    assert finished.finished_at is not None and finished.error == ""
    assert kept < set(Notification.objects.values_list("recipient_id", "key"))
    assert Escalation.objects.filter(level=1, step="transfer_meeting").count() == 3
    before = _counts()
    sweep_run(now=at(LEVEL_ONE, 11))
    assert _counts() == before


def test_people_who_choose_immediate_are_emailed_at_once_and_the_rest_get_one_digest_a_day(world, listed):
    NotificationPreference.objects.create(staff=world.cin_west_tm, delivery=Delivery.IMMEDIATE)
    NotificationPreference.objects.create(staff=world.service_manager, delivery=Delivery.IN_APP)

    def work_emails(person):  # the meeting's papers go when ready, whatever the choice: leave them out here
        return [
            m for m in mail.outbox if m.to == [person.email] and not m.subject.startswith("Early warning")
        ]

    sweep_run(now=at(dt.date(2026, 11, 24), 6))  # before the digest hour (7am)
    (immediate,) = work_emails(world.cin_west_tm)
    assert immediate.subject.startswith("Due Wednesday 25 November: Presented at the weekly transfer meeting")
    assert f"http://localhost:8000/transfers/{listed.pk}/" in immediate.body
    assert "Sweep1" not in immediate.body  # no child's name leaves Handover
    assert work_emails(world.cin_tm) == []  # the digest is not due before 7am

    sweep_run(now=at(dt.date(2026, 11, 24), 8))
    (digest,) = work_emails(world.cin_tm)
    assert digest.subject == "Handover: 1 thing to do"
    sweep_run(now=at(dt.date(2026, 11, 24), 9))  # the same day: no second digest
    assert len(work_emails(world.cin_tm)) == 1
    sweep_run(now=at(THURSDAY, 10))  # a new day: what is new since goes in that day's digest
    assert len(work_emails(world.cin_tm)) == 2
    assert len(work_emails(world.cin_west_tm)) == 2  # the overdue notice, at once
    assert work_emails(world.service_manager) == []  # in Handover only


def test_the_early_warning_sheet_goes_to_the_distribution_list_after_the_cut_off_and_the_minutes_after(
    world, listed
):
    sweep_run(now=at(dt.date(2026, 11, 24)))  # the day after Monday's cut-off: the sheet is compiled
    meeting = Meeting.objects.get(meeting="transfer_meeting", sits_on=WEDNESDAY)
    assert meeting.items.filter(transfer=listed).exists()
    told = set(
        Notification.objects.filter(meeting=meeting, kind="sheet").values_list("recipient_id", flat=True)
    )
    assert {world.ast_tm.pk, world.ast_pm.pk, world.business_support.pk} <= told
    sheet_emails = OutboundEmail.objects.filter(key__startswith=f"meeting:{meeting.pk}:sheet")
    assert sheet_emails.count() == len(told)
    assert "1 case on the sheet" in sheet_emails.first().subject

    from handover.meetings.services import meeting_close

    meeting_close(
        actor=world.business_support,
        meeting=meeting,
        minutes="Agreed as listed.",
        attendees=[world.cin_tm],
        now=at(WEDNESDAY, 12),
    )
    sweep_run(now=at(WEDNESDAY, 13))
    assert Notification.objects.filter(meeting=meeting, kind="minutes", recipient=world.cin_tm).exists()


def test_handover_sweep_command_prints_what_it_found_and_did(world, listed, capsys):
    call_command("sweep")
    out = capsys.readouterr().out
    assert "found: " in out and "due soon" in out
    assert "done: " in out and "reminders" in out
    with pytest.raises(CommandError, match="cannot schedule a sweep: run `handover sweep` from cron"):
        call_command("sweep", "--schedule")  # the tests' task backend runs tasks at once


def test_the_scheduled_task_runs_a_sweep(world, listed):
    from handover.sweep.tasks import sweep_scheduled

    result = sweep_scheduled.call(5)
    run = SweepRun.objects.get(pk=result["sweep"])
    assert run.finished_at is not None and run.done["reminders"] > 0


def test_the_monthly_16_plus_list_goes_out_ahead_of_its_sitting(world):
    """D-137: children of 15 years 8 months are discussed monthly; the sweep sends the list ahead of the
    sitting (the protocol file's reminder window: two working days before the first Tuesday)."""
    from tests.integration.conftest import dated_staff

    from handover.children.models import LegalStatusEpisode, PlanEpisode
    from handover.organisation.models import Role

    leaving_care_tm = dated_staff(
        authority=world.authority,
        username="lena_16plus_tm",
        name="Lena Sixteenplus",
        email="lena@example.invalid",
        roles=[(Role.TEAM_MANAGER, world.teams["sixteen_plus_team"])],
    )
    child = world.child(
        "sp16", "Sixteen", team="lac_team", worker=world.lac_tm, date_of_birth=dt.date(2011, 3, 15)
    )
    LegalStatusEpisode.objects.create(child=child, status="care_order", start=dt.date(2020, 1, 1))
    PlanEpisode.objects.create(child=child, plan="cla", start=dt.date(2020, 1, 1))
    sitting = dt.date(2026, 12, 1)  # the first Tuesday of December
    sweep_run(now=at(dt.date(2026, 11, 24)))
    meeting = Meeting.objects.get(meeting="sixteen_plus_meeting", sits_on=sitting)
    assert not Notification.objects.filter(
        meeting=meeting
    ).exists()  # not yet: more than 2 working days ahead
    sweep_run(now=at(dt.date(2026, 11, 27)))  # Friday: two working days before the sitting
    # The meeting is chaired from the 16+ service (the protocol's chair_from): its team managers get the list.
    notice = Notification.objects.get(meeting=meeting, recipient=leaving_care_tm)
    assert notice.kind == Notification.Kind.AGE_LIST
    assert notice.title == "Cases to list: Monthly 16+ meeting, 1 December 2026 (1 young person to list)"
    before = _counts()
    sweep_run(now=at(dt.date(2026, 11, 27), 12))
    assert _counts() == before


def test_a_step_marked_done_by_mistake_is_reopened_and_the_sweep_sees_it_overdue_again(world, listed):
    """A step closed by an explicit "done" (Dorset's introductions planned before the formal transfer, D-180)
    can be reopened, with the reason; it is due (or overdue) again and the sweep treats it so."""
    from handover.domain.errors import ApplicationError

    step = "introductions_planned"  # due 9 December: by the formal transfer, two weeks after the meeting
    services.transfer_step_done(actor=world.ast_sw, transfer=listed, step=step, now=at(dt.date(2026, 12, 1)))
    assert listed.deadlines.get(step=step).actual == dt.date(2026, 12, 1)
    with pytest.raises(ApplicationError, match="Enter why the step is reopened"):
        services.transfer_step_reopen(
            actor=world.ast_sw, transfer=listed, step=step, now=at(dt.date(2026, 12, 10)), reason=" "
        )
    services.transfer_step_reopen(
        actor=world.ast_sw,
        transfer=listed,
        step=step,
        now=at(dt.date(2026, 12, 10)),
        reason="Marked done by mistake",
    )
    assert listed.deadlines.get(step=step).actual is None
    assert listed.events.filter(action="step_reopened", reason="Marked done by mistake").exists()
    sweep_run(now=at(dt.date(2026, 12, 10)))
    assert Notification.objects.filter(key=f"transfer:{listed.pk}:step:{step}:overdue:2026-12-09").exists()
    with pytest.raises(ApplicationError, match="nothing to reopen"):
        services.transfer_step_reopen(
            actor=world.ast_sw, transfer=listed, step=step, now=at(dt.date(2026, 12, 10)), reason="again"
        )
    services.transfer_step_done(actor=world.ast_sw, transfer=listed, step=step, now=at(dt.date(2026, 12, 11)))
    assert listed.deadlines.get(step=step).actual == dt.date(2026, 12, 11)


def test_a_document_on_the_childs_file_closes_the_step_it_stands_for(world):
    """Dorset D-049: a Personal Education Plan within 10 working days of an emergency placement; the PEP on the
    child's file closes it (the protocol file's `completed_by: document:pep`), dated from the event to today."""
    from handover.children.models import DocumentOnFile

    proposal = services.transfer_propose(
        now=at(MONDAY),
        actor=world.ast_tm,
        child=world.child("pep1", "Pep"),
        event="becomes_looked_after",
        on=MONDAY,
        answers={"facts": {"emergency_placement": True}},  # D-049: ten working days in an emergency
        to_service=world.services["lac"],
    )
    transfer = proposal.transfers[0]
    pep = transfer.deadlines.get(step="pep_initiated")
    assert (pep.closed_by, pep.due, pep.actual) == ("document:pep", dt.date(2026, 12, 7), None)
    DocumentOnFile.objects.create(child=transfer.child, document_type="pep", dated=dt.date(2027, 1, 5))
    sweep_run(now=at(dt.date(2026, 12, 1)))
    assert transfer.deadlines.get(step="pep_initiated").actual is None  # dated in the future: not yet
    DocumentOnFile.objects.create(
        child=transfer.child, document_type="pep", dated=MONDAY - dt.timedelta(days=3)
    )
    assert (
        services.deadlines_close_from_file(now=at(dt.date(2026, 12, 1)), child=transfer.child) == 0
    )  # before the event
    DocumentOnFile.objects.create(child=transfer.child, document_type="pep", dated=dt.date(2026, 12, 2))
    run = sweep_run(now=at(dt.date(2026, 12, 3)))
    assert run.done["closed_from_file"] == 1
    assert transfer.deadlines.get(step="pep_initiated").actual == dt.date(2026, 12, 2)
    assert sweep_run(now=at(dt.date(2026, 12, 3), 11)).done.get("closed_from_file", 0) == 0
