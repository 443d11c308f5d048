"""The qualified-worker check and the counting of reassignments.

Dorset D-026: "Looked After Children and Children subject to a Child Protection Plan will always have an
appropriately qualified worker allocated to them." Dorset's protocol file says so (`workers`), so a worker
named as such a child's social worker — the receiving worker of a transfer, or a worker the case is reassigned
to — must be registered with Social Work England on the day. Central Bedfordshire's text does not require it.

Central Bedfordshire C-003: "Children and their families should experience the minimum number of transitions";
C-004: "Wherever possible cases should not be reallocated between workers within a team": every reassignment
is recorded (who, when, from and to whom, why) and counted.

Staff records carry the registration; its number's format is checked wherever a record is made or changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, authorise_summary, dated_staff

from handover.audit.models import AuditEvent, Verb
from handover.children.models import (
    Allocation,
    AllocationKind,
    Child,
    DocumentOnFile,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.children.services import allocation_reassign
from handover.children.workers import social_workers_had, team_reassignments
from handover.domain.errors import AccessDenied, ApplicationError
from handover.domain.registration import NUMBER_RULE
from handover.domain.workflow import TransitionRefused
from handover.onboarding.importing import ImportFailed, import_csv
from handover.organisation.models import Role, StaffMember, Team
from handover.organisation.services import authority_sync_from_protocol, staff_registration_set
from handover.transfers import services
from handover.transfers.models import SignOffKind, TransferEvent

pytestmark = pytest.mark.django_db

EXPIRED = dt.date(2026, 3, 3)  # before the suite's fixed day, Tuesday 24 November 2026
RENEWED = dt.date(2027, 11, 30)
NOT_REGISTERED = "no Social Work England registration number on their staff record"


def social_worker(world, username, team="cin_cp_east", **registration) -> StaffMember:
    return dated_staff(
        authority=world.authority,
        username=username,
        name=username.replace("_", " ").title(),
        roles=[(Role.SOCIAL_WORKER, world.teams[team])],
        **registration,
    )


def act(actor, transfer, action, on=TODAY, **kwargs):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=at(on),
        actor=actor,
        transfer=transfer,
        action=action,
        expected_version=transfer.version,
        on=on,
        **kwargs,
    )


def agreed(world, identifier):
    """A child of Assessment East with a CIN plan proposed, listed, and agreed by CIN and CP East."""
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child(identifier, identifier.title()),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    act(world.ast_tm, transfer, "list")
    return act(
        world.cin_tm,
        transfer,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )


def written() -> tuple[int, int, int]:
    return AuditEvent.objects.count(), TransferEvent.objects.count(), Allocation.objects.count()


def refusal(name: str, gap: str) -> str:
    return f"{name} is not a registered social worker ({gap}) — D-026 requires a qualified social worker"


# -- naming the receiving worker (identify_worker) ---------------------------------------------------------------


def test_receiving_worker_for_a_child_on_a_cp_plan_must_be_registered(world):
    transfer = agreed(world, "qw1")
    PlanEpisode.objects.create(child=transfer.child, plan="cp", start=TODAY)  # the ICPC decided it today
    unregistered = social_worker(world, "una_unregistered")
    lapsed = social_worker(
        world, "lex_lapsed", social_work_england_number="SW200001", social_work_england_expires=EXPIRED
    )
    before = written()
    for worker, gap in (
        (unregistered, NOT_REGISTERED),
        (lapsed, "Social Work England registration expired on 3 March 2026"),
    ):
        with pytest.raises(ApplicationError) as refused:
            act(world.cin_tm, transfer, "identify_worker", worker=worker)
        assert refused.value.errors == {"worker": refusal(worker.name, gap)}
    assert written() == before  # nothing half-written: no event, no audit row
    transfer.refresh_from_db()
    assert (transfer.state, transfer.receiving_worker) == ("agreed", None)

    named = act(world.cin_tm, transfer, "identify_worker", worker=world.cin_sw)  # registered (the fixture's)
    assert (named.state, named.receiving_worker) == ("worker_identified", world.cin_sw)


def test_looked_after_by_the_record_is_enough(world):
    transfer = agreed(world, "qw2")
    LegalStatusEpisode.objects.create(child=transfer.child, status="s20", start=TODAY)
    with pytest.raises(ApplicationError, match="D-026 requires a qualified social worker"):
        act(world.cin_tm, transfer, "identify_worker", worker=social_worker(world, "una_unregistered"))


def test_an_unregistered_worker_may_be_named_where_dorset_does_not_require_one(world):
    # A child in need: D-026 speaks of looked after children and children on a child protection plan only.
    transfer = agreed(world, "qw3")
    named = act(world.cin_tm, transfer, "identify_worker", worker=social_worker(world, "una_unregistered"))
    assert named.state == "worker_identified"


def make_ready(world, transfer, on):
    for doc in ("chronology", "genogram", "child_plan", "cse_screening"):
        DocumentOnFile.objects.create(child=transfer.child, document_type=doc, dated=on)
    authorise_summary(world, transfer)
    for item in ("file_checked_and_authorised", "files_audited_by_both_managers"):
        services.transfer_confirm_item(now=NOW, actor=world.ast_tm, transfer=transfer, item=item)
    services.transfer_confirm_item(
        now=NOW, actor=world.ast_sw, transfer=transfer, item="personal_information_complete"
    )
    services.transfer_sign_off(now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(
        now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )


def test_a_registration_that_lapses_before_completion_blocks_it_until_renewed(world):
    transfer = agreed(world, "qw4")
    PlanEpisode.objects.create(child=transfer.child, plan="cp", start=TODAY)
    # Current up to and including its expiry day: named today, the day it expires.
    worker = social_worker(
        world, "eve_expiring", social_work_england_number="SW300001", social_work_england_expires=TODAY
    )
    act(world.cin_tm, transfer, "identify_worker", worker=worker)
    act(world.cin_tm, transfer, "record_handover")
    make_ready(world, transfer, TODAY)
    thursday = TODAY + dt.timedelta(days=2)
    with pytest.raises(TransitionRefused) as refused:
        act(world.cin_tm, transfer, "complete", on=thursday)
    assert refused.value.rule == "workflow.complete.readiness"
    assert refusal(worker.name, "Social Work England registration expired on 24 November 2026") in str(
        refused.value
    )
    assert not Allocation.objects.filter(child=transfer.child, team=world.teams["cin_cp_east"]).exists()

    staff_registration_set(
        actor=world.cin_tm, staff=worker, number="SW300001", expires=RENEWED, now=at(thursday)
    )
    done = act(  # before the agreed date: confirmed, with the reason (issue 12)
        world.cin_tm, transfer, "complete", on=thursday, confirm_early=True, reason="Ready early"
    )
    assert done.state == "transferred" and done.to_allocation.worker == worker


# -- reassigning within a team (allocation_move) -----------------------------------------------------------------


def test_reassigning_a_looked_after_child_needs_a_registered_social_worker(world):
    child = world.child("qw5", "Lou")
    LegalStatusEpisode.objects.create(child=child, status="care_order", start=dt.date(2026, 6, 1))
    unregistered = social_worker(world, "una_unregistered", team="assessment_east")
    lapsed = social_worker(
        world,
        "lex_lapsed",
        team="assessment_east",
        social_work_england_number="sw200001",
        social_work_england_expires=EXPIRED,
    )
    before = written()
    for worker, gap in (
        (unregistered, NOT_REGISTERED),
        (lapsed, "Social Work England registration expired on 3 March 2026"),
    ):
        with pytest.raises(ApplicationError) as refused:
            allocation_reassign(actor=world.ast_tm, child=child, worker=worker, now=NOW)
        assert refused.value.errors == {"worker": refusal(worker.name, gap)}
    assert written() == before
    assert Allocation.objects.get(child=child, end__isnull=True).worker == world.ast_sw

    moved = allocation_reassign(actor=world.ast_tm, child=child, worker=world.ast_sw2, now=NOW)
    assert moved.worker == world.ast_sw2


def test_reassigning_a_child_in_need_needs_no_registration_in_dorset(world):
    child = world.child("qw6", "Kit")
    PlanEpisode.objects.create(child=child, plan="cin", start=dt.date(2026, 9, 1))
    worker = social_worker(world, "una_unregistered", team="assessment_east")
    assert allocation_reassign(actor=world.ast_tm, child=child, worker=worker, now=NOW).worker == worker


def test_central_bedfordshire_does_not_require_registration(db):
    authority = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    teams = {t.code: t for t in Team.objects.filter(service__authority=authority)}

    def person(username, role, team):
        return dated_staff(
            authority=authority, username=username, name=username.title(), roles=[(role, teams[team])]
        )

    sw, tm = (
        person("cb_sw", Role.SOCIAL_WORKER, "assessment_team"),
        person("cb_tm", Role.TEAM_MANAGER, "assessment_team"),
    )
    fs_tm, fs_sw = (
        person("cb_fs_tm", Role.TEAM_MANAGER, "family_support_north"),
        person("cb_fs_sw", Role.SOCIAL_WORKER, "family_support_north"),
    )
    other = person("cb_other_sw", Role.SOCIAL_WORKER, "assessment_team")
    child = Child.objects.create(
        authority=authority,
        identifier="cbq1",
        first_name="Cy",
        last_name="Bedford",
        date_of_birth=dt.date(2015, 5, 1),
        disability=False,
    )
    PlanEpisode.objects.create(child=child, plan="cin", start=dt.date(2026, 10, 1))
    Allocation.objects.create(
        child=child,
        kind=AllocationKind.PRIMARY,
        team=teams["assessment_team"],
        worker=sw,
        start=dt.date(2026, 9, 1),
    )
    transfer = services.transfer_propose(
        now=NOW, actor=sw, child=child, event="cin_meeting_held", on=TODAY
    ).transfers[0]
    act(fs_tm, transfer, "agree", to_team=teams["family_support_north"], transfer_date=dt.date(2026, 11, 27))
    PlanEpisode.objects.create(child=child, plan="cp", start=TODAY)  # now on a child protection plan
    assert not fs_sw.social_work_england_number and not other.social_work_england_number
    assert act(fs_tm, transfer, "identify_worker", worker=fs_sw).receiving_worker == fs_sw
    assert allocation_reassign(actor=tm, child=child, worker=other, now=NOW).worker == other


# -- what pages and the API offer --------------------------------------------------------------------------------


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def api(staff) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=staff.user)
    return client


def test_pages_and_the_api_offer_only_workers_who_may_be_named(world):
    transfer = agreed(world, "qw7")
    PlanEpisode.objects.create(child=transfer.child, plan="cp", start=TODAY)
    unregistered = social_worker(world, "una_unregistered")
    url = f"/transfers/{transfer.pk}/identify_worker/"

    page = signed_in(world.cin_tm).get(url).content.decode()
    assert f'value="{unregistered.pk}" disabled' in page
    assert f"Cannot be named: {refusal(unregistered.name, NOT_REGISTERED)}" in page
    assert f'value="{world.cin_sw.pk}" aria-describedby' in page  # offered (not disabled)

    transfer.refresh_from_db()
    before = written()
    response = signed_in(world.cin_tm).post(url, {"version": transfer.version, "worker": unregistered.pk})
    assert response.status_code == 400
    assert refusal(unregistered.name, NOT_REGISTERED) in response.content.decode()
    assert written() == before

    offered = api(world.cin_tm).get(f"/api/transfers/{transfer.pk}/eligible-workers/").data
    assert [row["id"] for row in offered] == [world.cin_sw.pk]
    response = api(world.cin_tm).post(
        f"/api/transfers/{transfer.pk}/actions/",
        {"action": "identify_worker", "version": transfer.version, "worker": unregistered.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.data == {"errors": {"worker": refusal(unregistered.name, NOT_REGISTERED)}}
    assert written() == before


# -- staff records carry the registration ------------------------------------------------------------------------


def test_a_staff_record_refuses_a_malformed_number_naming_the_field(world):
    users = get_user_model().objects.count()
    with pytest.raises(ApplicationError) as refused:
        social_worker(world, "bad_number", social_work_england_number="SW 1234567")
    assert refused.value.errors == {
        "social_work_england_number": f"'SW 1234567' is not one: {NUMBER_RULE}",
    }
    with pytest.raises(
        ApplicationError, match="social_work_england_expires: an expiry date needs the registration"
    ):
        social_worker(world, "no_number", social_work_england_expires=RENEWED)
    assert get_user_model().objects.count() == users
    kept = social_worker(
        world, "good_number", social_work_england_number=" sw012345 ", social_work_england_expires=RENEWED
    )
    assert (kept.social_work_england_number, kept.social_work_england_expires) == ("SW12345", RENEWED)


def test_a_manager_records_a_registration_through_the_api_audited(world):
    url = f"/api/staff/{world.ast_sw2.pk}/registration/"
    before = written()
    response = api(world.ast_tm).post(url, {"social_work_england_number": "SW12 345"}, format="json")
    assert response.status_code == 400
    assert response.data == {
        "errors": {"social_work_england_number": f"'SW12 345' is not one: {NUMBER_RULE}"}
    }
    response = api(world.ast_tm).post(
        url, {"social_work_england_number": "", "social_work_england_expires": "2027-11-30"}, format="json"
    )
    assert response.status_code == 400 and "social_work_england_expires" in response.data["errors"]
    for outsider in (world.ast_sw, world.cin_tm):  # a worker; a manager of another team
        assert (
            api(outsider).post(url, {"social_work_england_number": "SW999"}, format="json").status_code == 403
        )
    assert written() == before
    world.ast_sw2.refresh_from_db()
    number = world.ast_sw2.social_work_england_number

    response = api(world.ast_tm).post(
        url,
        {"social_work_england_number": "sw654321", "social_work_england_expires": "2027-11-30"},
        format="json",
    )
    assert response.status_code == 200, response.data
    assert (response.data["social_work_england_number"], response.data["social_work_england_expires"]) == (
        "SW654321",
        "2027-11-30",
    )
    row = AuditEvent.objects.get(verb=Verb.STAFF_CHANGED)
    assert row.actor == world.ast_tm.user and row.object_id == str(world.ast_sw2.pk)
    assert row.before == {"social_work_england_number": number, "social_work_england_expires": None}
    assert row.after == {
        "social_work_england_number": "SW654321",
        "social_work_england_expires": "2027-11-30",
    }
    # A senior manager may too, whatever their team.
    assert (
        api(world.director).post(url, {"social_work_england_number": "SW7"}, format="json").status_code == 200
    )


STAFF = """username,name,role,team,start,social_work_england_number,social_work_england_expires
ro.reg,Ro Reg,social_worker,cin_cp_east,2024-01-01,sw012345,2027-11-30
ro.reg,Ro Reg,practice_manager,cin_cp_west,2025-06-01,SW12345,2027-11-30
no.reg,No Reg,social_worker,cin_cp_east,2024-01-01,SW 1234567,
ex.only,Ex Only,social_worker,cin_cp_east,2024-01-01,,2027-11-30
"""


def test_the_import_refuses_a_bad_number_naming_the_row_and_column(world):
    with pytest.raises(ImportFailed) as failed:
        import_csv(now=NOW, authority=world.authority, kind="staff", text=STAFF)
    assert [str(p) for p in failed.value.problems] == [
        f"row 4, column social_work_england_number: 'SW 1234567' is not one: {NUMBER_RULE}",
        "row 5, column social_work_england_expires: an expiry date needs the registration number it belongs to",
    ]
    assert not StaffMember.objects.filter(user__username__in=["ro.reg", "no.reg", "ex.only"]).exists()

    good = "\n".join(STAFF.splitlines()[:3]) + "\n"
    assert import_csv(now=NOW, authority=world.authority, kind="staff", text=good) == 2
    ro = StaffMember.objects.get(user__username="ro.reg")
    assert (ro.social_work_england_number, ro.social_work_england_expires) == ("SW12345", RENEWED)


def test_the_import_refuses_two_registrations_for_one_person(world):
    text = (
        STAFF.splitlines()[0]
        + "\n"
        + STAFF.splitlines()[1]
        + "\n"
        + STAFF.splitlines()[2].replace("SW12345", "SW54321")
        + "\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_csv(now=NOW, authority=world.authority, kind="staff", text=text)
    assert [str(p) for p in failed.value.problems] == [
        "row 3, column social_work_england_number: ro.reg's registration differs from row 2: give the same number "
        "and expiry on each of their rows"
    ]


# -- reassignments within a team recorded and counted (C-003, C-004) ---------------------------------------------


def test_reassignments_within_a_team_are_recorded_and_counted(world):
    child = world.child("qw8", "Ren")
    settled = world.child("qw9", "Sol")  # never reassigned: not listed
    team = world.teams["assessment_east"]
    allocation_reassign(actor=world.ast_tm, child=child, worker=world.ast_sw2, now=NOW)
    wednesday = TODAY + dt.timedelta(days=1)
    allocation_reassign(
        actor=world.ast_pm, child=child, worker=world.ast_sw, reason_code="FCONTA", now=at(wednesday)
    )

    # Recorded: who, when, from whom to whom, and why.
    rows = AuditEvent.objects.filter(child=child, verb=Verb.ALLOCATION_STARTED).order_by("at")
    assert [(r.actor, r.at, r.detail) for r in rows] == [
        (
            world.ast_tm.user,
            NOW,
            "Reassigned within Assessment Team East: Ava Assessment Sw to Abe Assessment Sw (MANAGE: Management decision)",
        ),
        (
            world.ast_pm.user,
            at(wednesday),
            "Reassigned within Assessment Team East: Abe Assessment Sw to Ava Assessment Sw (FCONTA: Family request)",
        ),
    ]
    # Counted: two social workers so far; two reassignments within the team.
    assert social_workers_had(child) == 2 and social_workers_had(settled) == 1
    assert team_reassignments(team, world.ast_tm) == [(child, 2)]

    page = signed_in(world.ast_tm).get(f"/children/{child.pk}/").content.decode()
    assert "2 social workers so far" in page
    assert api(world.ast_tm).get(f"/api/children/{child.pk}/").data["social_workers_had"] == 2

    team_page = signed_in(world.ast_tm).get(f"/team/{team.pk}/").content.decode()
    section = team_page.split("Reassigned within the team", 1)[1].split("Incoming transfers")[0]
    assert f'href="/children/{child.pk}/">Ren Testfamily</a>' in section and "Sol Testfamily" not in section
    listing = AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail=f"Team: {team}").latest("pk")
    assert child.pk in listing.after["children"]  # the page shows the child, so the read names it


def test_a_restricted_child_is_not_counted_for_someone_not_named(world):
    child = world.child("qw10", "Ida", restricted=True)
    allocation_reassign(actor=world.ast_tm, child=child, worker=world.ast_sw2, now=NOW)
    assert team_reassignments(world.teams["assessment_east"], world.ast_pm) == []


def test_an_outsider_cannot_record_a_registration(world):
    with pytest.raises(AccessDenied, match="only a team manager or practice manager of CIN and CP Team East"):
        staff_registration_set(actor=world.ast_tm, staff=world.cin_sw, number="SW1", expires=None, now=NOW)
