"""The weekly transfer meeting: cut-off (including after a bank holiday weekend), the early warning sheet,
late additions agreed by two managers, decisions that drive the transfer, closing with deferrals."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from tests.integration.conftest import NOW, at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.domain.workflow import TransitionRefused
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.meetings.selectors import sheet_items, sitting_for
from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_add_late,
    meeting_close,
    meeting_record_decision,
    meeting_sitting_schedule,
)
from handover.organisation.access import AccessDenied
from handover.transfers import services

pytestmark = pytest.mark.django_db
MONDAY, WEDNESDAY = dt.date(2026, 11, 23), dt.date(2026, 11, 25)


def meeting_sitting(*, authority, on, meeting_id=None):
    """The sitting, scheduled by the system as `handover manage meetings_prepare` does (pages only read)."""
    return meeting_sitting_schedule(authority=authority, on=on, meeting_id=meeting_id, now=NOW)


def early_warning_sheet(meeting):
    """The sheet once compiled (by the system, as the command does)."""
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    return sheet_items(meeting)


def test_cutoff_is_two_working_days_before_the_wednesday_meeting(world):
    # D-177: cases identified 48 hours before the weekly meeting (Dorset meets on Wednesdays: a local setting).
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    assert (meeting.sits_on, meeting.cutoff) == (dt.date(2026, 11, 25), dt.date(2026, 11, 23))
    later = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 24))
    assert later.sits_on == dt.date(2026, 12, 2)


def test_cutoff_before_a_meeting_after_a_bank_holiday_weekend(world):
    # Wednesday 2 September 2026 follows the late summer bank holiday (Monday 31 August): the cut-off is Friday.
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 8, 28))
    assert (meeting.sits_on, meeting.cutoff) == (dt.date(2026, 9, 2), dt.date(2026, 8, 28))
    assert meeting_sitting(authority=world.authority, on=dt.date(2026, 8, 29)).sits_on == dt.date(2026, 9, 9)


def test_sheet_compiles_itself_and_late_additions_need_two_managers(world):
    on_time = listed_on(world, "m1", dt.date(2026, 11, 23))
    late = listed_on(world, "m2", dt.date(2026, 11, 24))
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    assert [item.transfer for item in early_warning_sheet(meeting)] == [on_time]
    with pytest.raises(services.ApplicationError) as bad:
        meeting_add_late(
            now=NOW,
            actor=world.business_support,
            meeting=meeting,
            transfer=late,
            sending_manager=world.cin_tm,
            receiving_manager=world.ast_tm,
        )
    assert set(bad.value.errors) == {"sending_manager", "receiving_manager"}
    item = meeting_add_late(
        now=NOW,
        actor=world.business_support,
        meeting=meeting,
        transfer=late,
        sending_manager=world.ast_tm,
        receiving_manager=world.cin_tm,
    )
    assert item.late_addition and item.late_agreed_by_receiving == world.cin_tm
    assert [i.transfer for i in early_warning_sheet(meeting)] == [on_time, late]
    with pytest.raises(services.ApplicationError, match="before the cut-off"):
        meeting_add_late(
            now=NOW,
            actor=world.business_support,
            meeting=meeting,
            transfer=on_time,
            sending_manager=world.ast_tm,
            receiving_manager=world.cin_tm,
        )


def test_decisions_drive_the_transfers(world):
    agreed = listed_on(world, "m3", dt.date(2026, 11, 23))
    declined = listed_on(world, "m4", dt.date(2026, 11, 23))
    deferred = listed_on(world, "m5", dt.date(2026, 11, 23))
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    items = {i.transfer.pk: i for i in early_warning_sheet(meeting)}
    meeting_record_decision(
        now=at(items[agreed.pk].meeting.sits_on),
        actor=world.business_support,
        item=items[agreed.pk],
        decision="agreed_alternative",
        decided_by=world.cin_tm,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 16),
        alternative_transfer_point="Second LAC review",
    )
    agreed.refresh_from_db()
    assert agreed.state == "agreed" and agreed.to_team.code == "cin_cp_east"
    assert agreed.events.last().reason.endswith("transfer point: Second LAC review")
    with pytest.raises(
        TransitionRefused
    ):  # the decider must be a receiving manager: the workflow still rules
        meeting_record_decision(
            now=at(items[declined.pk].meeting.sits_on),
            actor=world.business_support,
            item=items[declined.pk],
            decision="declined",
            decided_by=world.ast_tm,
            reason="Threshold not met",
        )
    meeting_record_decision(
        now=at(items[declined.pk].meeting.sits_on),
        actor=world.business_support,
        item=items[declined.pk],
        decision="declined",
        decided_by=world.cin_tm,
        reason="Threshold not met",
    )
    declined.refresh_from_db()
    assert declined.state == "disputed"  # a decline goes to the ladder (D-030), not to an end
    with pytest.raises(AccessDenied):
        meeting_record_decision(
            now=at(items[deferred.pk].meeting.sits_on),
            actor=world.lac_tm,
            item=items[deferred.pk],
            decision="deferred",
            decided_by=world.cin_tm,
            reason="x",
        )
    meeting_close(
        now=NOW,
        actor=world.business_support,
        meeting=meeting,
        minutes="Three cases discussed.",
        attendees=[world.ast_tm, world.cin_tm],
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED and meeting.attendees.count() == 2
    assert meeting.items.get(transfer=deferred).decision == Decision.DEFERRED
    next_meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 26))
    assert [i.transfer for i in early_warning_sheet(next_meeting)] == [deferred]  # rolls on


def test_chair_comes_from_the_rota_of_team_managers(world):
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    assert meeting.chair in {world.ast_tm, world.cin_tm, world.cin_west_tm, world.lac_tm}
    following = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 26))
    assert following.chair != meeting.chair


def test_the_monthly_16_plus_meeting_does_not_hear_the_weekly_meetings_cases(world):
    # The 16+ meeting lists young people by age (D-137); cases put on the weekly sheet are not on its agenda.
    listed_on(world, "m6", dt.date(2026, 11, 23))
    weekly = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    monthly = meeting_sitting(
        authority=world.authority, on=dt.date(2026, 11, 23), meeting_id="sixteen_plus_meeting"
    )
    assert len(early_warning_sheet(weekly)) == 1
    assert early_warning_sheet(monthly) == []


def test_a_meeting_decision_records_who_decided_and_who_recorded_it(world):
    """Business support minute the meeting: the receiving manager present decides, and the record says so."""
    transfer = listed_on(world, "m6", dt.date(2026, 11, 23))
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    item = next(i for i in early_warning_sheet(meeting) if i.transfer.pk == transfer.pk)
    meeting_record_decision(
        now=at(item.meeting.sits_on),
        actor=world.business_support,
        item=item,
        decision="agreed",
        decided_by=world.cin_tm,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 16),
    )
    event = transfer.events.get(action="agree")
    assert event.actor == world.business_support  # who recorded it: nobody acts as the manager
    assert (
        event.data["decided_by"] == world.cin_tm.pk
        and event.data["recorded_by"] == world.business_support.name
    )
    audit = AuditEvent.objects.filter(child=transfer.child, detail__contains="decided by").latest("pk")
    assert audit.actor == world.business_support.user
    assert "decided by Tia Cin Tm" in audit.detail and "recorded by Bea Business Support" in audit.detail
    assert world.cin_tm in meeting.attendees.all()  # present, since they decided there
    item.refresh_from_db()
    assert (item.decided_by, item.recorded_by) == (world.cin_tm, world.business_support)


def test_the_sending_manager_cannot_agree_their_own_transfer_at_the_meeting(world):
    transfer = listed_on(world, "m7", dt.date(2026, 11, 23))
    meeting = meeting_sitting(authority=world.authority, on=dt.date(2026, 11, 23))
    item = next(i for i in early_warning_sheet(meeting) if i.transfer.pk == transfer.pk)
    with pytest.raises(TransitionRefused, match="receiving"):
        meeting_record_decision(
            now=at(item.meeting.sits_on),
            actor=world.ast_tm,
            item=item,
            decision="agreed",
            to_team=world.teams["cin_cp_east"],
            transfer_date=dt.date(2026, 12, 16),
        )
    transfer.refresh_from_db()
    assert transfer.state == "listed"


def test_the_sitting_due_is_read_without_writing_and_scheduled_explicitly(world):
    planned = sitting_for(authority=world.authority, on=MONDAY)
    assert planned.pk is None and (planned.sits_on, planned.cutoff) == (WEDNESDAY, MONDAY)
    assert planned.chair is not None and not Meeting.objects.exists()
    with pytest.raises(AccessDenied, match="business support, the chair or a manager"):
        meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW, actor=world.ast_sw)
    meeting = meeting_sitting_schedule(
        authority=world.authority, on=MONDAY, now=NOW, actor=world.business_support
    )
    assert (meeting.sits_on, meeting.cutoff, meeting.chair) == (WEDNESDAY, MONDAY, planned.chair)
    row = AuditEvent.objects.get(verb=Verb.MEETING_SCHEDULED)
    assert (row.actor, row.at, row.object_id) == (world.business_support.user, NOW, str(meeting.pk))
    assert row.after["sits_on"] == "2026-11-25" and row.detail.startswith("scheduled Weekly transfer meeting")
    # Scheduled already: the same sitting back, nothing written.
    assert meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW) == meeting
    assert AuditEvent.objects.filter(verb=Verb.MEETING_SCHEDULED).count() == 1
    assert sitting_for(authority=world.authority, on=MONDAY) == meeting


def test_the_sheet_is_read_as_it_would_be_and_compiled_explicitly(world):
    transfer = listed_on(world, "c1", MONDAY)
    meeting = meeting_sitting(authority=world.authority, on=MONDAY)
    (would_be,) = sheet_items(meeting)
    assert would_be.pk is None and would_be.transfer == transfer and not MeetingItem.objects.exists()
    with pytest.raises(AccessDenied):
        early_warning_sheet_compile(meeting=meeting, now=NOW, actor=world.ast_sw)
    (item,) = early_warning_sheet_compile(meeting=meeting, now=NOW, actor=world.business_support)
    assert item.transfer == transfer and [i.pk for i in sheet_items(meeting)] == [item.pk]
    rows = AuditEvent.objects.filter(verb=Verb.SHEET_COMPILED).order_by("pk")
    assert [(r.child, r.object_type, r.actor) for r in rows] == [
        (transfer.child, "meetings.MeetingItem", world.business_support.user),
        (None, "meetings.Meeting", world.business_support.user),
    ]
    assert rows[1].after == {"children": [transfer.child_id], "items": [item.pk]}
    # Compiled already: nothing to add, nothing written.
    assert early_warning_sheet_compile(meeting=meeting, now=NOW, actor=world.business_support) == []
    assert AuditEvent.objects.filter(verb=Verb.SHEET_COMPILED).count() == 2
    meeting_close(
        now=NOW, actor=world.business_support, meeting=meeting, minutes="", attendees=[world.ast_tm]
    )
    with pytest.raises(services.ApplicationError, match="closed"):
        early_warning_sheet_compile(meeting=meeting, now=NOW)


def test_decisions_compile_the_sheet_first(world):
    first = listed_on(world, "c2", MONDAY)
    meeting = meeting_sitting(authority=world.authority, on=MONDAY)
    (item,) = early_warning_sheet_compile(meeting=meeting, now=NOW)
    second = listed_on(world, "c3", MONDAY)  # by the cut-off, but after the sheet was compiled
    meeting_record_decision(
        now=at(item.meeting.sits_on),
        actor=world.business_support,
        item=item,
        decision="deferred",
        decided_by=world.cin_tm,
        reason="Genogram first",
    )
    added = meeting.items.get(transfer=second)
    assert added.decision == Decision.PENDING
    assert AuditEvent.objects.filter(
        verb=Verb.SHEET_COMPILED, child=second.child, actor=world.business_support.user
    ).exists()
    third = listed_on(world, "c4", MONDAY)
    meeting_close(
        now=NOW, actor=world.business_support, meeting=meeting, minutes="", attendees=[world.cin_tm]
    )
    # Compiled as it closed, so the case not reached is deferred with the others and rolls on.
    assert meeting.items.get(transfer=third).decision == Decision.DEFERRED
    assert {i.transfer for i in meeting.items.all()} == {first, second, third}


def test_meetings_prepare_schedules_the_coming_sittings_and_compiles_sheets_past_their_cutoff(world):
    listed = listed_on(world, "c5", MONDAY)
    out = io.StringIO()
    call_command("meetings_prepare", stdout=out)
    # Tuesday 24 November: Wednesday's sitting (cut-off Monday, passed) and the next one; the monthly 16+ meeting.
    sittings = list(Meeting.objects.order_by("meeting", "sits_on").values_list("meeting", "sits_on"))
    assert sittings == [
        ("sixteen_plus_meeting", dt.date(2026, 12, 1)),
        ("transfer_meeting", WEDNESDAY),
        ("transfer_meeting", dt.date(2026, 12, 2)),
    ]
    wednesday = Meeting.objects.get(meeting="transfer_meeting", sits_on=WEDNESDAY)
    assert [i.transfer for i in wednesday.items.all()] == [listed]
    assert AuditEvent.objects.filter(verb=Verb.MEETING_SCHEDULED, actor=None).count() == 3
    assert AuditEvent.objects.filter(verb=Verb.SHEET_COMPILED, child=listed.child, actor=None).exists()
    text = out.getvalue()
    assert (
        "Weekly transfer meeting, 25 November 2026 (cut-off 23 November): scheduled, 1 added to the early"
        in text
    )
    # Again: everything is done already, so nothing is written.
    written = AuditEvent.objects.count()
    again = io.StringIO()
    call_command("meetings_prepare", stdout=again)
    assert AuditEvent.objects.count() == written and Meeting.objects.count() == 3
    assert (
        "Weekly transfer meeting, 25 November 2026 (cut-off 23 November): already scheduled"
        in again.getvalue()
    )
