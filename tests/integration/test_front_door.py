"""The front door (Dorset's MASH): a contact about a child new to the service or closed is recorded with the day
it arrived, the child found or created (checked against possible duplicates), allocated to MASH while the
decision is made within a working day (D-077), and decided by proposing the transfer the protocol routes it to
(a re-referral within 3 months back to the social care team that held the case, D-083) or closed as information
only. A contact about a child open to a team is passed to that team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.integration.conftest import NOW, TODAY, at, dated_staff

from handover.audit.models import AuditEvent, Verb
from handover.children.front_door import (
    NewChild,
    front_door_contact_close,
    front_door_contact_read,
    front_door_contact_record,
    front_door_queue,
)
from handover.children.models import Allocation, AllocationKind, Child, FrontDoorContact
from handover.domain.errors import ApplicationError
from handover.notifications.models import Notification
from handover.notifications.selectors import notifications_to_do_count
from handover.organisation.access import AccessDenied
from handover.organisation.models import Role
from handover.transfers import services

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)
NEW = NewChild(
    identifier="FD100", first_name="Nia", last_name="Newcombe", date_of_birth=dt.date(2019, 4, 2), address=""
)


@pytest.fixture
def mash(world):
    team = world.teams["mash_team"]
    world.mash_sw = dated_staff(
        authority=world.authority,
        username="mae_mash_sw",
        name="Mae Mash Sw",
        email="mae_mash_sw@example.invalid",
        roles=[(Role.SOCIAL_WORKER, team)],
        social_work_england_number="SW300001",
    )
    world.mash_tm = dated_staff(
        authority=world.authority,
        username="max_mash_tm",
        name="Max Mash Tm",
        email="max_mash_tm@example.invalid",
        roles=[(Role.TEAM_MANAGER, team)],
    )
    return team


def _record(world, team, **kwargs):
    options = {"event": "referral", "received_on": MONDAY, "now": NOW} | kwargs
    return front_door_contact_record(actor=world.mash_sw, team=team, **options)


def test_a_referral_for_a_new_child_is_recorded_and_waits_a_working_day_for_its_decision(world, mash):
    contact = _record(world, mash, new=NEW, summary="School worried about bruising")
    child = contact.child
    assert (child.identifier, child.name, child.date_of_birth) == (
        "FD100",
        "Nia Newcombe",
        dt.date(2019, 4, 2),
    )
    held = Allocation.objects.get(child=child, kind=AllocationKind.PRIMARY, end__isnull=True)
    assert (held.team, held.start) == (mash, MONDAY)
    assert contact.outcome == FrontDoorContact.Outcome.OPEN
    [row] = front_door_queue(world.mash_sw, TODAY)
    assert row.contact == contact and row.event_name == "Referral received by MASH"
    assert (row.clock.due, row.clock.cites) == (dt.date(2026, 11, 24), ("D-077", "D-084"))  # D-077
    verbs = set(AuditEvent.objects.filter(child=child).values_list("verb", flat=True))
    assert {Verb.CHILD_CREATED, Verb.ALLOCATION_STARTED, Verb.CHILD_CHANGED} <= verbs


def test_a_possible_duplicate_is_shown_before_a_new_child_is_added(world, mash):
    world.child("FD1", "Nia", date_of_birth=dt.date(2019, 4, 2))  # same first name and date of birth
    with pytest.raises(ApplicationError) as refused:
        _record(world, mash, new=NEW)
    message = refused.value.errors["confirm_new"]
    assert message.startswith(
        "This may be a child already on file: Nia Testfamily (person ID FD1, born 2 April 2019)"
    )
    assert not Child.objects.filter(identifier="FD100").exists()  # nothing written
    contact = _record(world, mash, new=NEW, confirm_new=True)
    assert contact.child.identifier == "FD100"


@pytest.mark.parametrize(
    ("new", "field", "message"),
    [
        (NewChild("", "A", "B", dt.date(2019, 1, 1)), "identifier", "Enter the child's person ID"),
        (NewChild("FD2", "", "B", dt.date(2019, 1, 1)), "first_name", "Enter the child's first name"),
        (
            NewChild("FD2", "A", "B"),
            "date_of_birth",
            "Enter the date of birth, or the expected date of birth",
        ),
        (NewChild("FD2", "A", "B", dt.date(2027, 1, 1)), "date_of_birth", "cannot be in the future"),
    ],
)
def test_a_new_childs_details_are_checked_field_by_field(world, mash, new, field, message):
    with pytest.raises(ApplicationError) as refused:
        _record(world, mash, new=new)
    assert message in refused.value.errors[field]
    assert not FrontDoorContact.objects.exists()


def test_a_contact_about_a_child_open_to_a_team_is_passed_to_that_team(world, mash):
    """A contact about an open case is recorded and passed at once to the team holding it: the case stays where
    it is, its worker and managers are told (by person ID only), until someone there has read it."""
    child = world.child("FD3", "Olu")  # open to Assessment East, worker Ava
    contact = _record(world, mash, child=child, summary="School reports a new concern")
    assert contact.outcome == FrontDoorContact.Outcome.PASSED_ON
    assert contact.passed_to == world.teams["assessment_east"] and contact.decided_by == world.mash_sw
    held = Allocation.objects.get(child=child, kind=AllocationKind.PRIMARY, end__isnull=True)
    assert held.team == world.teams["assessment_east"]  # not moved to MASH
    assert front_door_queue(world.mash_sw, TODAY) == []  # nothing for the front door to decide
    told = Notification.objects.filter(contact=contact)
    assert {n.recipient for n in told} == {world.ast_sw, world.ast_tm, world.ast_pm}
    assert all(n.title == "Contact received at MASH Team about person ID FD3" for n in told)
    assert all("Olu" not in n.title + n.body for n in told)
    assert notifications_to_do_count(world.ast_sw) == 1

    client = Client()
    client.force_login(world.ast_sw.user)
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert "Contacts passed on by the front door" in page and "Not read yet" in page
    assert "School reports a new concern" in page and "I have read it" in page
    # The front door's own staff do not say it was read in the team holding the case.
    with pytest.raises(AccessDenied):
        front_door_contact_read(actor=world.mash_sw, contact=contact, now=NOW)
    response = client.post(f"/front-door/{contact.pk}/read/")
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.read_by, contact.read_at) == (world.ast_sw, NOW)
    assert notifications_to_do_count(world.ast_sw) == 0 and notifications_to_do_count(world.ast_tm) == 0
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert "Read by Ava Assessment Sw" in page and "I have read it" not in page
    # Reading it again changes nothing.
    assert front_door_contact_read(actor=world.ast_tm, contact=contact, now=NOW).read_by == world.ast_sw


def test_a_transfer_in_names_the_authority_it_comes_from_d170(world, mash):
    with pytest.raises(ApplicationError) as refused:
        _record(world, mash, new=NEW, event="transfer_in_request", confirm_new=True)
    assert (
        refused.value.errors["from_authority"] == "Name the local authority the child is transferring in from"
    )
    with pytest.raises(ApplicationError) as refused:
        _record(world, mash, new=NEW, confirm_new=True, from_authority="Somerset Council")
    assert refused.value.errors["from_authority"] == (
        "Only a transfer in from another authority names where it comes from"
    )
    assert not FrontDoorContact.objects.exists() and not Child.objects.filter(identifier="FD100").exists()
    contact = _record(
        world,
        mash,
        new=NEW,
        event="transfer_in_request",
        confirm_new=True,
        from_authority=" Somerset Council ",
    )
    assert contact.from_authority == "Somerset Council"


def test_only_the_front_doors_staff_record_contacts(world, mash):
    with pytest.raises(AccessDenied):
        front_door_contact_record(
            actor=world.cin_sw, team=mash, event="referral", received_on=MONDAY, now=NOW, new=NEW
        )
    client = Client()
    client.force_login(world.cin_sw.user)
    assert client.get("/front-door/").status_code == 403


def test_a_re_referral_of_a_child_closed_ten_weeks_ago_goes_back_to_cin_and_cp_d083(world, mash):
    child = world.child("FD4", "Pip", team="cin_cp_east")
    held = child.allocations.get()
    held.end = MONDAY - dt.timedelta(weeks=10)
    held.save()
    child.closed_on, child.closure_reason = held.end, "Plan ended"
    child.save()
    contact = _record(world, mash, child=child)
    child.refresh_from_db()
    assert child.closed_on is None  # reopened at the front door
    # The decision (D-091: by the team manager), counted from the day the referral arrived.
    transfer = services.transfer_propose(
        now=at(TODAY),
        actor=world.mash_tm,
        child=child,
        event="referral",
        on=MONDAY,
        answers={"facts": {"mash_decision": "assessment", "private_fostering_arrangement": False}},
    ).transfers[0]
    assert (transfer.rule, transfer.to_service.code) == ("re_referral_within_3_months", "cin_cp")
    assert transfer.deadlines.get(step="decision").due == dt.date(2026, 11, 24)
    contact.refresh_from_db()
    assert contact.outcome == FrontDoorContact.Outcome.PROPOSED and contact.decided_by == world.mash_tm
    assert front_door_queue(world.mash_sw, TODAY) == []


def test_information_only_closes_the_contact_and_ends_the_front_door_allocation(world, mash):
    contact = _record(world, mash, new=NEW)
    with pytest.raises(ApplicationError) as refused:
        front_door_contact_close(actor=world.mash_sw, contact=contact, reason=" ", now=NOW)
    assert refused.value.errors == {"reason": "Enter why no further action is needed"}
    closed = front_door_contact_close(
        actor=world.mash_sw, contact=contact, reason="Advice given to the school", now=NOW
    )
    assert closed.outcome == FrontDoorContact.Outcome.INFORMATION_ONLY
    assert closed.decision_reason == "Advice given to the school"
    assert Allocation.objects.get(child=contact.child).end == TODAY


def _rows() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "contacts": FrontDoorContact.objects.count(),
        "allocations": Allocation.objects.count(),
    }


def test_the_pages_record_a_contact_list_it_and_close_it(world, mash):
    client = Client()
    client.force_login(world.mash_sw.user)
    before = _rows()
    assert client.get("/front-door/new/").status_code == 200
    assert client.get("/front-door/").status_code == 200
    assert _rows() == before  # a GET writes nothing (but its audit row)
    bad = client.post("/front-door/new/", {"identifier": "FD200"})
    page = bad.content.decode()
    assert bad.status_code == 400
    assert "Enter the day the contact was received" in page
    done = client.post(
        "/front-door/new/",
        {
            "event": "referral",
            "received_on-day": "23",
            "received_on-month": "11",
            "received_on-year": "2026",
            "identifier": "FD200",
            "first_name": "Rhys",
            "last_name": "Rowe",
            "date_of_birth-day": "5",
            "date_of_birth-month": "6",
            "date_of_birth-year": "2017",
        },
    )
    child = Child.objects.get(identifier="FD200")
    assert done.status_code == 302 and done.url == f"/children/{child.pk}/"
    listing = client.get("/front-door/").content.decode()
    assert "Rhys Rowe" in listing and "Tuesday 24 November 2026" in listing
    assert AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail__contains="front door").exists()
    contact = FrontDoorContact.objects.get(child=child)
    before = _rows()
    form = client.get(f"/front-door/{contact.pk}/close/")
    assert form.status_code == 200 and _rows() == before
    assert AuditEvent.objects.filter(verb=Verb.CHILD_VIEWED, child=child).exists()
    closed = client.post(f"/front-door/{contact.pk}/close/", {"reason": "Information passed to the GP"})
    assert closed.status_code == 302
    assert FrontDoorContact.objects.get(pk=contact.pk).outcome == "information_only"


def test_the_api_records_lists_and_closes_contacts(world, mash):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.mash_sw.user)
    body = {
        "event": "section7_request",
        "received_on": "2026-11-23",
        "identifier": "FD300",
        "first_name": "Sol",
        "last_name": "Stone",
        "date_of_birth": "2016-08-09",
    }
    made = api.post("/api/front-door/contacts/", body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["event_name"] == "Court requests a Section 7 report"
    assert made.json()["outcome_name"] == "Awaiting the decision"
    again = api.post("/api/front-door/contacts/", body, format="json")
    assert again.status_code == 400 and "already has a contact" in str(again.json())
    listing = api.get("/api/front-door/contacts/")
    assert [row["child_name"] for row in listing.json()["results"]] == ["Sol Stone"]
    assert AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail="/api/front-door/contacts/").exists()
    pk = made.json()["id"]
    blank = api.post(f"/api/front-door/contacts/{pk}/close/", {"reason": ""}, format="json")
    assert blank.status_code == 400 and "Enter why no further action is needed" in str(blank.json())
    closed = api.post(
        f"/api/front-door/contacts/{pk}/close/", {"reason": "Report by the court's own team"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["outcome"] == "information_only"
    outsider = APIClient()
    outsider.force_authenticate(world.cin_sw.user)
    assert outsider.get("/api/front-door/contacts/").status_code == 403


def test_a_section_7_request_for_a_never_known_child_is_routed_and_due_when_the_court_wants_it(world, mash):
    # D-087: no prior involvement within 3 months, so the PLO and Court Team writes it (D-119), by the court's date.
    contact = _record(world, mash, new=NEW, event="section7_request")
    transfer = services.transfer_propose(
        now=at(TODAY),
        actor=world.mash_tm,
        child=contact.child,
        event="section7_request",
        on=MONDAY,
        answers={"facts": {"report_due_on": "2027-01-15"}},
    ).transfers[0]
    assert (transfer.rule, transfer.to_service.code) == ("section7_to_court", "court")
    report = transfer.deadlines.get(step="court_report_filed")
    assert (report.due, report.closed_by) == (dt.date(2027, 1, 15), "document:court_report")
    # The report on the child's file closes it.
    from handover.children.models import DocumentOnFile

    DocumentOnFile.objects.create(child=contact.child, document_type="court_report", dated=TODAY)
    services.deadlines_close_from_file(now=NOW, child=contact.child)
    assert transfer.deadlines.get(step="court_report_filed").actual == TODAY
