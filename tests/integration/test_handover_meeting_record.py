"""Recording the handover meeting (issue 12): the day it was held (a GOV.UK date input; not in the future, not
before the receiving worker was named), who attended and its notes, from the page and the API. The handover step
is done on the day the meeting was held, not the day it was recorded, and the meeting shows in the transfer's
history and on the Case Transfer Summary."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient
from tests.integration.conftest import NOW, TODAY, at, authorise_summary, listed_on
from tests.rendered import visible_text

from handover.documents.models import TransferSummary
from handover.documents.transfer_summary import summary_contents, transfer_summary_draft
from handover.transfers import services
from handover.transfers.models import TransferEvent

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)  # the receiving worker is named on the Monday; TODAY is the Tuesday
FRIDAY = dt.date(2026, 11, 20)
NOTES = "Went through the plan and the chronology; Sam visits the family with Ava on 1 December."


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def named(world):
    """Agreed and the receiving worker named on Monday 23 November."""
    transfer = listed_on(world, "hand1", MONDAY)
    for action, extra in (
        ("agree", {"to_team": world.teams["cin_cp_east"], "transfer_date": dt.date(2026, 12, 9)}),
        ("identify_worker", {"worker": world.cin_sw}),
    ):
        transfer = services.transfer_act(
            now=at(MONDAY, 14),
            actor=world.cin_tm,
            transfer=transfer,
            action=action,
            expected_version=transfer.version,
            **extra,
        )
    return transfer


def _post(staff, transfer, **data):
    transfer.refresh_from_db()
    return signed_in(staff).post(
        f"/transfers/{transfer.pk}/record_handover/", {"version": transfer.version, **data}
    )


def _held(day: dt.date) -> dict:
    return {"held_on-day": day.day, "held_on-month": day.month, "held_on-year": day.year}


def test_the_page_asks_when_it_was_held_who_attended_and_the_notes(world, named):
    form = signed_in(world.cin_sw).get(f"/transfers/{named.pk}/record_handover/").content.decode()
    assert "When was the handover meeting held?" in form and 'name="held_on-day"' in form
    for words in (
        "Ava Assessment Sw, the outgoing worker",
        "Sam Cin Sw, the receiving worker",
        "Tom Assessment Tm, team manager, Assessment Team East",
        "Pam Assessment Pm, practice manager, Assessment Team East",
        "Tia Cin Tm, team manager, CIN and CP Team East",
    ):
        assert words in form
    assert "Wes Cin West Tm" not in form  # a manager of another team was not part of it
    assert "Anyone else who attended" in form and 'name="notes"' in form

    empty = _post(world.cin_sw, named)
    page = empty.content.decode()
    assert empty.status_code == 400
    assert '<a href="#held_on">Enter the date the handover meeting was held as a real date' in page
    assert (
        '<a href="#attendees">Select who attended the handover meeting, or say who else attended</a>' in page
    )

    future = _post(world.cin_sw, named, attendees=[world.cin_sw.pk], **_held(TODAY + dt.timedelta(days=1)))
    assert future.status_code == 400
    assert (
        "The date the handover meeting was held cannot be in the future (today is 24 November 2026)"
        in future.content.decode()
    )
    before = _post(world.cin_sw, named, attendees=[world.cin_sw.pk], **_held(FRIDAY))
    assert before.status_code == 400
    assert (
        "The date the handover meeting was held cannot be before the receiving worker was named (23 November 2026)"
        in before.content.decode()
    )
    assert not TransferEvent.objects.filter(transfer=named, action="record_handover").exists()


def test_the_meeting_as_recorded_closes_the_step_on_the_day_held_and_shows_in_the_history(world, named):
    response = _post(
        world.cin_sw,
        named,
        attendees=[world.ast_sw.pk, world.cin_sw.pk, world.cin_tm.pk],
        others_attending="Hana (the child) and her mother",
        notes=NOTES,
        **_held(MONDAY),
    )
    assert response.status_code == 302
    named.refresh_from_db()
    assert named.state == "handover_held"
    event = named.events.get(action="record_handover")
    assert event.data["held_on"] == "2026-11-23"
    assert event.data["attended"] == [
        "Ava Assessment Sw, the outgoing worker",
        "Sam Cin Sw, the receiving worker",
        "Tia Cin Tm, team manager, CIN and CP Team East",
    ]
    assert event.data["others_attending"] == "Hana (the child) and her mother"
    assert event.data["notes"] == NOTES
    # Recorded on the Tuesday, held on the Monday: the step is done on the day the meeting was held.
    assert event.at.date() == TODAY
    assert named.deadlines.get(step="handover_meeting").actual == MONDAY

    page = signed_in(world.ast_tm).get(f"/transfers/{named.pk}/").content.decode()
    assert "Held on 23 November 2026." in page
    assert (
        "Attended: Ava Assessment Sw, the outgoing worker; Sam Cin Sw, the receiving worker; Tia Cin Tm, team "
        "manager, CIN and CP Team East; Hana (the child) and her mother." in page
    )
    assert NOTES in page
    step = re.search(r"<td class=\"govuk-table__cell\">Handover meeting</td>\s*<td[^>]*>([^<]*)", page)
    assert step is not None and step.group(1).strip() == "Done 23 November 2026"


def test_the_summary_gives_the_meeting_drafted_after_it_or_added_to_the_one_authorised_before(
    world, named, tmp_path
):
    authorise_summary(world, named)  # authorised before the meeting was held
    services.transfer_act(
        now=NOW,
        actor=world.cin_sw,
        transfer=named,
        action="record_handover",
        expected_version=named.version,
        held_on=MONDAY,
        attendees=[world.ast_sw, world.cin_sw],
        notes=NOTES,
    )
    summary = TransferSummary.objects.get(transfer=named, status="authorised")
    assert summary.contents["handover_meeting"] == {
        "held_on": "2026-11-23",
        "attended": ["Ava Assessment Sw, the outgoing worker", "Sam Cin Sw, the receiving worker"],
        "notes": NOTES,
    }
    assert summary.contents["added_after_authorisation"] == ["the handover meeting"]
    text = visible_text(bytes(summary.document.content), tmp_path)
    assert "Handover meeting" in text and "Held on 23 November 2026" in text
    assert "Sam visits the family" in text
    assert "Added from the transfer's record after it was authorised: the handover meeting" in text

    # A summary drafted once the meeting is recorded gives it too.
    draft = transfer_summary_draft(now=NOW, actor=world.ast_sw, transfer=named, work_undertaken="Assessment.")
    assert summary_contents(draft, TODAY)["handover_meeting"]["held_on"] == "2026-11-23"


def test_the_api_records_the_meeting_with_the_same_rules(world, named):
    client = APIClient()
    client.force_authenticate(world.cin_sw.user)
    url = f"/api/transfers/{named.pk}/actions/"
    base = {"action": "record_handover", "version": named.version}
    future = client.post(url, {**base, "held_on": "2026-11-25"}, format="json")
    assert future.status_code == 400
    assert "cannot be in the future" in future.json()["errors"]["held_on"]
    stranger = client.post(
        url, {**base, "held_on": "2026-11-23", "attendees": [world.lac_tm.pk]}, format="json"
    )
    assert stranger.status_code == 400
    assert (
        "choose who attended from the outgoing and receiving workers"
        in stranger.json()["errors"]["attendees"]
    )
    ok = client.post(
        url,
        {
            **base,
            "held_on": "2026-11-23",
            "attendees": [world.cin_sw.pk, world.ast_sw.pk],
            "others_attending": "Hana's mother",
            "notes": NOTES,
        },
        format="json",
    )
    assert ok.status_code == 200, ok.content
    event = named.events.get(action="record_handover")
    # In the order the page offers them, whatever order they were sent in.
    assert event.data["attended"] == [
        "Ava Assessment Sw, the outgoing worker",
        "Sam Cin Sw, the receiving worker",
    ]
    assert named.deadlines.get(step="handover_meeting").actual == MONDAY


def test_without_a_date_the_api_records_it_held_on_the_day_it_is_recorded(world, named):
    client = APIClient()
    client.force_authenticate(world.cin_sw.user)
    ok = client.post(
        f"/api/transfers/{named.pk}/actions/",
        {"action": "record_handover", "version": named.version},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert named.events.get(action="record_handover").data["held_on"] == TODAY.isoformat()
    assert named.deadlines.get(step="handover_meeting").actual == TODAY


def test_a_colleague_in_either_team_sees_the_transfer_without_being_offered_the_handover(world, named):
    """Ava's teammate Abe is not one of the two workers: the page opens for him (it once failed with a server
    error once a worker was named) and does not offer him the handover to record."""
    response = signed_in(world.ast_sw2).get(f"/transfers/{named.pk}/")
    assert response.status_code == 200
    assert f"/transfers/{named.pk}/record_handover/" not in response.content.decode()
    assert "record_handover" not in services.transfer_available_actions(world.ast_sw2, named)


def test_a_worker_named_at_a_meeting_recorded_later_counts_from_the_meeting_day(world):
    """Named at Friday's meeting, recorded on Tuesday: a handover held on the Monday between is accepted (it is
    after the worker was named), and the naming says so in its record."""
    transfer = listed_on(world, "hand9", FRIDAY)
    transfer = services.transfer_act(
        now=at(FRIDAY, 11),
        actor=world.cin_tm,
        transfer=transfer,
        action="agree",
        expected_version=transfer.version,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    transfer = services.transfer_act(
        now=NOW,
        on=FRIDAY,
        actor=world.cin_tm,
        transfer=transfer,
        action="identify_worker",
        expected_version=transfer.version,
        worker=world.cin_sw,
    )
    assert transfer.events.get(action="identify_worker").data["on"] == FRIDAY.isoformat()
    services.transfer_act(
        now=NOW,
        actor=world.cin_sw,
        transfer=transfer,
        action="record_handover",
        expected_version=transfer.version,
        held_on=MONDAY,
        attendees=[world.ast_sw, world.cin_sw],
        notes=NOTES,
    )
    assert transfer.events.get(action="record_handover").data["held_on"] == MONDAY.isoformat()
