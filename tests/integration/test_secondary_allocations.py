"""Secondary allocations with a purpose (children/secondary.py, web/secondary.py, the API): Dorset's CSE and
missing (D-082) and family finding (D-126), Central Bedfordshire's co-working with CWD (C-029); who may start and
end one (a manager of the team holding the case or of the team providing the worker) and who may not, with nothing
written on a refusal; each validation message; the child record's section and My work's list; the API; the audit
rows. The clock is the suite's fixed one (Tuesday 24 November 2026)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from tests.integration.conftest import NOW, TODAY, dated_staff

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, AllocationKind, LegalStatusEpisode
from handover.children.secondary import secondary_allocation_end, secondary_allocation_start
from handover.domain.errors import AccessDenied, ApplicationError
from handover.organisation.models import Role
from handover.organisation.protocol import protocol_for

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 2)


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _written() -> tuple[int, int]:
    return Allocation.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def dorset(world):
    """Dorset's world with an Aspire family finding social worker and manager, and a 16+ personal adviser."""
    w = world
    w.aspire_sw = dated_staff(
        authority=w.authority,
        username="fay_aspire_sw",
        name="Fay Finder",
        roles=[(Role.SOCIAL_WORKER, w.teams["aspire_team"])],
        social_work_england_number="SW200001",
    )
    w.aspire_tm = dated_staff(
        authority=w.authority,
        username="ada_aspire_tm",
        name="Ada Aspire",
        roles=[(Role.TEAM_MANAGER, w.teams["aspire_team"])],
    )
    w.pa = dated_staff(
        authority=w.authority,
        username="pat_pa",
        name="Pat Adviser",
        roles=[(Role.PERSONAL_ADVISER, w.teams["sixteen_plus_team"])],
    )
    w.kid = w.child("sa1", "Sasha")  # held by Assessment Team East (Ava), born 1 March 2016
    return w


def _start(w, actor, **overrides):
    values = dict(
        actor=actor,
        child=w.kid,
        purpose="cse_missing",
        team=w.teams["cin_cp_east"],
        worker=w.cin_sw,
        start=START,
        reason="MANAGE",
        now=NOW,
    )
    values.update(overrides)
    return secondary_allocation_start(**values)


# -- Dorset ---------------------------------------------------------------------------------------------------


def test_a_cse_and_missing_allocation_is_started_and_ended_by_the_case_holding_teams_manager(dorset):
    w = dorset
    allocation = _start(w, w.ast_tm)
    assert (allocation.kind, allocation.purpose, allocation.role) == (
        "secondary",
        "cse_missing",
        "social_worker",
    )
    assert (allocation.team, allocation.worker, allocation.start) == (w.teams["cin_cp_east"], w.cin_sw, START)
    started = AuditEvent.objects.get(verb=Verb.ALLOCATION_STARTED, object_id=str(allocation.pk))
    assert started.child == w.kid and started.actor == w.ast_tm.user
    assert "CSE and missing" in started.detail and "D-082" in started.detail
    # The case holder is unchanged: still Ava's, in Assessment.
    primary = w.kid.allocations.get(kind=AllocationKind.PRIMARY, end__isnull=True)
    assert primary.worker == w.ast_sw

    ended = secondary_allocation_end(
        actor=w.ast_tm, allocation=allocation, end=dt.date(2026, 11, 20), reason="CHCHAN", now=NOW
    )
    assert (ended.end, ended.end_reason) == (dt.date(2026, 11, 20), "CHCHAN")
    row = AuditEvent.objects.get(verb=Verb.ALLOCATION_ENDED, object_id=str(allocation.pk))
    assert row.child == w.kid and row.before["end"] is None and row.after["end"] == "2026-11-20"


def test_family_finding_comes_from_aspire_and_its_manager_may_start_it(dorset):
    w = dorset
    allocation = _start(
        w, w.aspire_tm, purpose="family_finding", team=w.teams["aspire_team"], worker=w.aspire_sw
    )
    assert (allocation.purpose, allocation.team.code) == ("family_finding", "aspire_team")
    # Another team cannot provide it: D-126 names Aspire Adoption.
    before = _written()
    with pytest.raises(ApplicationError) as caught:
        _start(w, w.ast_tm, purpose="family_finding", team=w.teams["cin_cp_east"], worker=w.cin_sw)
    assert caught.value.errors == {
        "team": "CIN and CP Team East does not provide allocations for Family finding: the protocol (D-126) names "
        "Aspire Adoption (Regional Adoption Agency)"
    }
    assert _written() == before


# -- Central Bedfordshire: co-working between Assessment and CWD (C-029) ----------------------------------------


def test_central_bedfordshire_co_works_a_case_between_assessment_and_cwd(beds):
    people, teams, child = beds
    protocol = protocol_for(child.authority)
    # C-029: "a decision will be needed between the Hub Team Manager, the CWD Team Manager and the Assessment
    # Team Manager as to whether the case should be co worked between Assessment and CWD."
    assert "whether the case should be co worked between Assessment and CWD" in protocol.clauses["C-029"]
    cwd_sw = dated_staff(
        authority=child.authority,
        username="cb_cwd_sw",
        name="Cal Cwd",
        roles=[(Role.SOCIAL_WORKER, teams["cwd_team"])],
    )
    cwd_tm = dated_staff(
        authority=child.authority,
        username="cb_cwd_tm",
        name="Cora Cwd",
        roles=[(Role.TEAM_MANAGER, teams["cwd_team"])],
    )
    allocation = secondary_allocation_start(
        actor=cwd_tm,  # the manager of the team providing the co-worker
        child=child,
        purpose="cwd_co_working",
        team=teams["cwd_team"],
        worker=cwd_sw,
        start=START,
        reason="MANAGE",
        now=NOW,
    )
    assert allocation.purpose == "cwd_co_working"
    row = AuditEvent.objects.get(verb=Verb.ALLOCATION_STARTED, object_id=str(allocation.pk))
    assert (
        "Co-working between Assessment and Children with Disabilities" in row.detail and "C-029" in row.detail
    )
    # Fostering does not co-work under C-029.
    with pytest.raises(ApplicationError) as caught:
        secondary_allocation_start(
            actor=people["ast_tm"],
            child=child,
            purpose="cwd_co_working",
            team=teams["fostering_team"],
            worker=cwd_sw,
            start=START,
            reason="MANAGE",
            now=NOW,
        )
    assert "names Assessment Team or Children with Disabilities Team (CWD)" in caught.value.errors["team"]
    # Central Bedfordshire has no personal adviser purpose: its text names none.
    assert "personal_adviser" not in protocol.secondary_allocations


# -- who may ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["ast_sw", "lac_tm", "service_manager", "director", "auditor", "administrator", "business_support"]
)
def test_who_may_not_start_one_and_nothing_is_written(dorset, who):
    """The case holder, another team's manager (for a worker not of her team), senior managers, read-only and
    no-access roles, business support: none is a manager of the team holding the case or providing the worker."""
    w = dorset
    actor = getattr(w, who)
    before = _written()
    with pytest.raises(AccessDenied):
        _start(w, actor)
    assert _written() == before


def test_the_managers_of_either_team_may_and_the_rule_is_named(dorset):
    w = dorset
    first = _start(w, w.ast_pm)  # practice manager of the team holding the case
    secondary_allocation_end(
        actor=w.ast_pm, allocation=first, end=dt.date(2026, 11, 3), reason="MANAGE", now=NOW
    )
    assert (
        _start(w, w.cin_tm, start=dt.date(2026, 11, 4)).team == w.teams["cin_cp_east"]
    )  # the providing team's
    with pytest.raises(AccessDenied) as caught:
        _start(w, w.lac_tm)
    assert caught.value.rule == "record.secondary_allocation.role"
    assert "[" not in str(caught.value)  # people read the words; the rule is kept for support
    assert "team holding the child's case, or of the team providing the worker" in str(caught.value)


def test_ending_follows_the_same_rule(dorset):
    w = dorset
    allocation = _start(w, w.cin_tm)
    before = _written()
    for actor in (w.ast_sw, w.lac_tm, w.auditor):
        with pytest.raises(AccessDenied):
            secondary_allocation_end(actor=actor, allocation=allocation, end=TODAY, reason="MANAGE", now=NOW)
    assert _written() == before
    assert (
        secondary_allocation_end(
            actor=w.cin_tm, allocation=allocation, end=TODAY, reason="MANAGE", now=NOW
        ).end
        == TODAY
    )


# -- each validation message, nothing written -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"purpose": "befriending"},
            "purpose",
            "'befriending' is not a purpose of a secondary allocation in the Dorset County Council protocol (its "
            "purposes: CSE and missing, Family finding, Personal adviser)",
        ),
        (
            {"purpose": "personal_adviser", "team": "sixteen_plus_team", "worker": "ast_sw"},
            "worker",
            "Ava Assessment Sw is not an active personal adviser in 16+ and Care Leavers Team: an allocation for "
            "Personal adviser needs a personal adviser",
        ),
        (
            {"worker": "ast_sw"},
            "worker",
            "Ava Assessment Sw is not an active social worker in CIN and CP Team East: an allocation for CSE and "
            "missing needs a social worker",
        ),
        ({"start": TODAY + dt.timedelta(days=1)}, "start", "the start date must be today or in the past"),
        (
            {"start": dt.date(2016, 2, 29)},
            "start",
            "the start date cannot be before the child's date of birth (1 March 2016)",
        ),
        (
            {"reason": "BECAUSE"},
            "reason",
            "select the reason the allocation starts from the list (the SSDA903 reasons)",
        ),
    ],
)
def test_each_refusal_names_the_field_and_the_rule(dorset, overrides, field, message):
    w = dorset
    if "team" in overrides:
        overrides["team"] = w.teams[overrides["team"]]
    if "worker" in overrides:
        overrides["worker"] = getattr(w, overrides["worker"])
    before = _written()
    with pytest.raises(ApplicationError) as caught:
        _start(w, w.ast_tm, **overrides)
    assert caught.value.errors[field] == message
    assert _written() == before


def test_a_personal_adviser_from_the_16_plus_team(dorset):
    w = dorset
    allocation = _start(
        w, w.ast_tm, purpose="personal_adviser", team=w.teams["sixteen_plus_team"], worker=w.pa
    )
    assert allocation.role == "personal_adviser"


def test_the_same_purpose_and_worker_twice_is_refused(dorset):
    w = dorset
    first = _start(w, w.ast_tm)
    before = _written()
    with pytest.raises(ApplicationError) as caught:
        _start(w, w.ast_tm, start=dt.date(2026, 11, 10))
    assert caught.value.errors == {
        "worker": "Sam Cin Sw already has an open allocation for CSE and missing with this child (since 2 November "
        "2026)"
    }
    assert _written() == before
    secondary_allocation_end(
        actor=w.ast_tm, allocation=first, end=dt.date(2026, 11, 9), reason="MANAGE", now=NOW
    )
    assert _start(w, w.ast_tm, start=dt.date(2026, 11, 10)).pk  # once ended, it can start again


def test_a_looked_after_child_gets_only_a_registered_social_worker_d026(dorset):
    w = dorset
    LegalStatusEpisode.objects.create(child=w.kid, status="care_order", start=dt.date(2026, 10, 1))
    unregistered = dated_staff(
        authority=w.authority,
        username="uma_unregistered",
        name="Uma Unregistered",
        roles=[(Role.SOCIAL_WORKER, w.teams["cin_cp_east"])],
    )
    before = _written()
    with pytest.raises(ApplicationError) as caught:
        _start(w, w.ast_tm, worker=unregistered)
    assert caught.value.errors == {
        "worker": "Uma Unregistered is not a registered social worker (no Social Work England registration "
        "number on their staff record) — D-026 requires a qualified social worker"
    }
    assert _written() == before


def test_ending_refusals(dorset):
    w = dorset
    allocation = _start(w, w.ast_tm)
    primary = w.kid.allocations.get(kind=AllocationKind.PRIMARY)
    cases = [
        (
            allocation,
            dt.date(2026, 11, 1),
            "MANAGE",
            "end",
            "the end date cannot be before the allocation started (2 November 2026)",
        ),
        (
            allocation,
            TODAY + dt.timedelta(days=1),
            "MANAGE",
            "end",
            "the end date must be today or in the past",
        ),
        (
            allocation,
            TODAY,
            "NOPE",
            "reason",
            "select the reason the allocation ends from the list (the SSDA903 reasons)",
        ),
        (
            primary,
            TODAY,
            "MANAGE",
            "allocation",
            "only a secondary allocation ends here: the case holder changes by a transfer or a reassignment",
        ),
    ]
    before = _written()
    for target, end, reason, field, message in cases:
        with pytest.raises(ApplicationError) as caught:
            secondary_allocation_end(actor=w.ast_tm, allocation=target, end=end, reason=reason, now=NOW)
        assert caught.value.errors[field] == message
    assert _written() == before
    secondary_allocation_end(actor=w.ast_tm, allocation=allocation, end=TODAY, reason="MANAGE", now=NOW)
    with pytest.raises(ApplicationError) as caught:
        secondary_allocation_end(actor=w.ast_tm, allocation=allocation, end=TODAY, reason="MANAGE", now=NOW)
    assert caught.value.errors == {"allocation": "this allocation already ended on 24 November 2026"}


# -- the pages ------------------------------------------------------------------------------------------------


def test_the_child_record_lists_them_in_words_and_offers_links_by_the_rulebook(dorset):
    w = dorset
    open_one = _start(w, w.ast_tm)
    ended = _start(w, w.aspire_tm, purpose="family_finding", team=w.teams["aspire_team"], worker=w.aspire_sw)
    secondary_allocation_end(
        actor=w.aspire_tm, allocation=ended, end=dt.date(2026, 11, 20), reason="CHCHAN", now=NOW
    )
    url = reverse("web:child", args=[w.kid.pk])
    new_url = reverse("web:secondary_allocation_new", args=[w.kid.pk])
    end_url = reverse("web:secondary_allocation_end", args=[w.kid.pk, open_one.pk])

    page = signed_in(w.ast_tm).get(url).content.decode()
    assert "Co-working and secondary allocations" in page
    assert "CSE and missing" in page and "Sam Cin Sw" in page and "2 November 2026" in page
    assert "Family finding" in page and "20 November 2026 (Child&#x27;s circumstances changed)" in page
    assert "cse_missing" not in page and "family_finding" not in page  # words, never ids
    assert new_url in page and end_url in page

    for actor in (w.ast_sw, w.auditor):
        page = signed_in(actor).get(url).content.decode()
        assert "CSE and missing" in page
        assert new_url not in page and end_url not in page
    # The manager of the providing team may end it, and add one with their own team.
    page = signed_in(w.cin_tm).get(url).content.decode()
    assert end_url in page and new_url in page


def test_the_pages_start_and_end_one_and_show_errors_without_writing(dorset):
    w = dorset
    client = signed_in(w.ast_tm)
    new_url = reverse("web:secondary_allocation_new", args=[w.kid.pk])
    reads = AuditEvent.objects.filter(verb=Verb.CHILD_VIEWED, child=w.kid).count()
    page = client.get(new_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "CSE and missing" in body and "A social worker from any team (D-082)" in body
    assert "A social worker from Aspire Adoption (Regional Adoption Agency) (D-126)" in body
    assert AuditEvent.objects.filter(verb=Verb.CHILD_VIEWED, child=w.kid).count() == reads + 1

    before = _written()
    refused = client.post(
        new_url,
        {
            "team": w.teams["cin_cp_east"].pk,
            "worker": w.cin_sw.pk,
            "reason": "MANAGE",
            "start-day": "31",
            "start-month": "2",
            "start-year": "2026",
        },
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "There is a problem" in body
    assert "Select the purpose of the allocation" in body
    assert "The start date must be a real date, like 2 11 2026" in body
    assert _written() == before

    refused = client.post(
        new_url,
        {
            "purpose": "family_finding",
            "team": w.teams["cin_cp_east"].pk,
            "worker": w.cin_sw.pk,
            "reason": "MANAGE",
            "start-day": "2",
            "start-month": "11",
            "start-year": "2026",
        },
    )
    assert refused.status_code == 400
    assert "CIN and CP Team East does not provide allocations for Family finding" in refused.content.decode()
    assert _written() == before

    done = client.post(
        new_url,
        {
            "purpose": "cse_missing",
            "team": w.teams["cin_cp_east"].pk,
            "worker": w.cin_sw.pk,
            "reason": "MANAGE",
            "start-day": "2",
            "start-month": "11",
            "start-year": "2026",
        },
    )
    assert done.status_code == 302
    allocation = Allocation.objects.get(child=w.kid, kind=AllocationKind.SECONDARY)
    assert (allocation.purpose, allocation.worker, allocation.start) == ("cse_missing", w.cin_sw, START)

    end_url = reverse("web:secondary_allocation_end", args=[w.kid.pk, allocation.pk])
    assert client.get(end_url).status_code == 200
    before = _written()
    refused = client.post(
        end_url, {"reason": "MANAGE", "end-day": "1", "end-month": "11", "end-year": "2026"}
    )
    assert refused.status_code == 400
    assert (
        "The end date cannot be before the allocation started (2 November 2026)" in refused.content.decode()
    )
    assert _written() == before
    done = client.post(end_url, {"reason": "MANAGE", "end-day": "24", "end-month": "11", "end-year": "2026"})
    assert done.status_code == 302
    allocation.refresh_from_db()
    assert allocation.end == TODAY
    assert client.get(end_url).status_code == 404  # ended: nothing to end


def test_the_pages_are_403_for_those_the_rulebook_refuses(dorset):
    w = dorset
    allocation = _start(w, w.ast_tm)
    end_url = reverse("web:secondary_allocation_end", args=[w.kid.pk, allocation.pk])
    for actor in (w.ast_sw, w.lac_tm, w.auditor):
        client = signed_in(actor)
        assert client.get(end_url).status_code == 403
        # The LAC Team's manager may add a CSE and missing worker of her own team (any team may provide one):
        # the page offers only that team.
        new = client.get(reverse("web:secondary_allocation_new", args=[w.kid.pk]))
        if actor is w.lac_tm:
            assert new.status_code == 200
            assert "LAC Team (LAC / Children in Care Service)" in new.content.decode()
            assert "CIN and CP Team East" not in new.content.decode()
        else:
            assert new.status_code == 403


def test_my_work_lists_the_children_i_co_work_with_the_purpose(dorset):
    w = dorset
    _start(w, w.ast_tm)
    page = signed_in(w.cin_sw).get(reverse("web:my_work")).content.decode()
    section = page.split("Co-working and secondary allocations", 1)[1]
    assert w.kid.name in section and "CSE and missing" in section and "CIN and CP Team East" in section
    assert "cse_missing" not in page
    # The case holder does not co-work it: it is among her cases.
    page = signed_in(w.ast_sw).get(reverse("web:my_work")).content.decode()
    assert "You co-work no children." in page


# -- the API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_creates_and_ends_them_audited(dorset):
    w = dorset
    client = signed_in(w.ast_tm)
    url = f"/api/children/{w.kid.pk}/secondary-allocations/"
    created = client.post(
        url,
        {
            "purpose": "cse_missing",
            "team": w.teams["cin_cp_east"].pk,
            "worker": w.cin_sw.pk,
            "start": "2026-11-02",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["purpose"], body["purpose_name"], body["worker_name"], body["child"]) == (
        "cse_missing",
        "CSE and missing",
        "Sam Cin Sw",
        w.kid.pk,
    )

    reads = AuditEvent.objects.filter(verb=Verb.CHILD_VIEWED, child=w.kid).count()
    listed = client.get(url)
    assert listed.status_code == 200
    assert [row["purpose_name"] for row in listed.json()] == ["CSE and missing"]
    assert AuditEvent.objects.filter(verb=Verb.CHILD_VIEWED, child=w.kid).count() == reads + 1

    before = _written()
    refused = client.post(
        url,
        {
            "purpose": "cse_missing",
            "team": w.teams["cin_cp_east"].pk,
            "worker": w.cin_sw.pk,
            "start": "2026-11-30",
        },
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"start": "the start date must be today or in the past"}}
    forbidden = signed_in(w.ast_sw).post(
        url,
        {
            "purpose": "cse_missing",
            "team": w.teams["cin_cp_east"].pk,
            "worker": w.cin_sw.pk,
            "start": "2026-11-03",
        },
        content_type="application/json",
    )
    assert forbidden.status_code == 403
    assert _written() == before

    end_url = f"{url}{body['id']}/end/"
    refused = client.post(end_url, {"end": "2026-11-01"}, content_type="application/json")
    assert refused.status_code == 400 and "end" in refused.json()["errors"]
    ended = client.post(end_url, {"end": "2026-11-20", "reason": "CHCHAN"}, content_type="application/json")
    assert ended.status_code == 200
    assert (ended.json()["end"], ended.json()["end_reason_name"]) == (
        "2026-11-20",
        "Child's circumstances changed",
    )
    assert AuditEvent.objects.filter(verb=Verb.ALLOCATION_ENDED, object_id=str(body["id"])).count() == 1
    assert (
        client.post(f"{url}999999/end/", {"end": "2026-11-20"}, content_type="application/json").status_code
        == 404
    )
