"""A worker's page (issue 12): who they are, the children they hold and co-work (age, plan and legal status in
words, since when), the transfers of a case from or to them, with counts. For the worker, the managers of their
teams and senior managers only; a restricted record is there only for those named on it; the read is audited.
Linked from the team page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, dated_staff

from handover.audit.models import AuditEvent, Verb
from handover.children.models import (
    Allocation,
    AllocationKind,
    LegalStatusEpisode,
    PlanEpisode,
    RestrictedAccess,
)
from handover.organisation.access import may_see_worker
from handover.organisation.models import Membership, Role
from handover.organisation.services import authority_sync_from_protocol
from handover.transfers import services

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def page_of(viewer, subject):
    return signed_in(viewer).get(f"/staff/{subject.pk}/")


def test_the_team_page_links_each_worker_to_their_page(world):
    world.child("W0", "Wren")  # held by Ava, of Assessment Team East
    team = signed_in(world.ast_tm).get("/team/").content.decode()
    assert f'href="/staff/{world.ast_sw.pk}/">{world.ast_sw.name}</a>' in team


def test_the_page_shows_who_they_are_their_cases_and_counts(world):
    held = world.child("W1", "Wren")
    PlanEpisode.objects.create(child=held, plan="cp", start=dt.date(2026, 9, 10))
    looked_after = world.child("W2", "Wyn", date_of_birth=dt.date(2024, 8, 20))
    PlanEpisode.objects.create(child=looked_after, plan="cla", start=dt.date(2026, 10, 1))
    LegalStatusEpisode.objects.create(
        child=looked_after, status="interim_care_order", start=dt.date(2026, 10, 1)
    )
    co_worked = world.child("W3", "Wilf", team="cin_cp_east", worker=world.cin_sw)
    Allocation.objects.create(
        child=co_worked,
        kind=AllocationKind.SECONDARY,
        team=world.teams["assessment_east"],
        worker=world.ast_sw,
        role=Role.SOCIAL_WORKER,
        start=dt.date(2026, 10, 5),
    )
    world.child("W4", "Wendy", worker=world.ast_sw2)  # someone else's case: not on Ava's page

    response = page_of(world.ast_tm, world.ast_sw)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Ava Assessment Sw</h1>' in page
    assert "Social worker, Assessment Team East" in page
    assert f"{world.ast_sw.social_work_england_number}, no expiry date recorded" in page
    assert f'href="/children/{held.pk}/">Wren Testfamily</a>' in page
    assert "10 years old (born 1 March 2016)" in page and "Child protection plan" in page
    assert "2 years old (born 20 August 2024)" in page
    assert "Care plan (looked after); Interim care order" in page
    assert "1 September 2026" in page  # held since
    assert "Wilf Testfamily" in page and "5 October 2026" in page  # co-worked, since
    assert "Wendy" not in page
    assert '<span class="govuk-!-font-size-48 govuk-!-font-weight-bold">2</span><br>children held' in page
    assert '<span class="govuk-!-font-size-48 govuk-!-font-weight-bold">1</span><br>co-worked' in page


def test_the_transfers_from_and_to_them_are_listed(world):
    outgoing = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("W5", "Wade"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    incoming = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw2,
        child=world.child("W6", "Wes", worker=world.ast_sw2),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    incoming.receiving_worker = world.cin_sw
    incoming.save()

    ava = page_of(world.ast_tm, world.ast_sw).content.decode()
    assert f'href="/transfers/{outgoing.pk}/">Wade Testfamily' in ava
    assert (
        "From Ava Assessment Sw (Assessment Team East) to Children in Need and Child Protection Service"
        in ava
    )
    assert f"/transfers/{incoming.pk}/" not in ava
    sam = page_of(world.cin_tm, world.cin_sw).content.decode()
    assert f'href="/transfers/{incoming.pk}/">Wes Testfamily' in sam
    assert "From Assessment Team East to Sam Cin Sw" in sam
    assert '<span class="govuk-!-font-size-48 govuk-!-font-weight-bold">1</span><br>coming to them' in sam


def test_who_may_see_a_workers_page(world):
    assert page_of(world.ast_sw, world.ast_sw).status_code == 200  # themselves
    for manager in (world.ast_tm, world.ast_pm, world.service_manager, world.director):
        assert page_of(manager, world.ast_sw).status_code == 200, manager
    for other in (world.ast_sw2, world.cin_tm, world.business_support, world.auditor, world.administrator):
        assert page_of(other, world.ast_sw).status_code == 403, other
    elsewhere = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    stranger = dated_staff(
        authority=elsewhere, username="cb_director", name="Cb Director", roles=[(Role.SERVICE_DIRECTOR, None)]
    )
    assert page_of(stranger, world.ast_sw).status_code == 404  # another authority's staff are not there


def test_the_rule_follows_memberships_and_the_cases_a_team_holds(world):
    assert may_see_worker(world.ast_tm, world.ast_sw, TODAY)
    assert not may_see_worker(world.cin_tm, world.ast_sw, TODAY)
    # Ava leaves Assessment East for CIN and CP East but still holds a case in Assessment East: the managers of
    # both teams answer for her work.
    world.child("W7", "Wynn")
    Membership.objects.filter(staff=world.ast_sw).update(end=TODAY - dt.timedelta(days=1))
    Membership.objects.create(
        staff=world.ast_sw, role=Role.SOCIAL_WORKER, team=world.teams["cin_cp_east"], start=TODAY
    )
    world.ast_sw._memberships_cache = None
    assert may_see_worker(world.cin_tm, world.ast_sw, TODAY)
    assert may_see_worker(world.ast_tm, world.ast_sw, TODAY)
    assert not may_see_worker(world.cin_west_tm, world.ast_sw, TODAY)
    assert not may_see_worker(None, world.ast_sw, TODAY)


def test_a_restricted_record_is_there_only_for_those_named_on_it_and_the_read_is_audited(world):
    willa = world.child("W8", "Willa")
    secret = world.child("W9", "Saffron", restricted=True)
    RestrictedAccess.objects.create(child=secret, staff=world.ast_tm)
    named = page_of(world.ast_tm, world.ast_sw).content.decode()
    assert "Willa" in named and "Saffron" in named
    unnamed = page_of(world.service_manager, world.ast_sw).content.decode()
    assert "Willa" in unnamed and "Saffron" not in unnamed
    assert '<span class="govuk-!-font-size-48 govuk-!-font-weight-bold">1</span><br>child held' in unnamed
    listing = AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, actor=world.service_manager.user).get()
    assert listing.detail == f"Worker: {world.ast_sw.name}"
    assert listing.after["children"] == [willa.pk]  # the children shown, and only those
