"""A small synthetic Dorset world for service tests: teams from the protocol file, staff in each role."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from handover.children.models import Allocation, AllocationKind, Child, Family, PlanEpisode
from handover.config.test_settings import HANDOVER_FIXED_NOW
from handover.documents.transfer_summary import transfer_summary_authorise, transfer_summary_draft
from handover.organisation.models import Role, Service, Team
from handover.organisation.services import authority_sync_from_protocol, staff_create
from handover.transfers import services

# The suite's fixed clock (test settings): Tuesday 24 November 2026, 10:00 in London.
NOW = HANDOVER_FIXED_NOW
TODAY = NOW.date()


def dated_staff(**fields):
    """A member of staff whose roles are read for TODAY, as the boundary does for the signed-in person."""
    staff = staff_create(**fields)
    staff.as_of = TODAY
    return staff


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An instant on `day`, for a service's `now` when a test acts on another day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def world(db):
    authority = authority_sync_from_protocol(protocol_name="dorset")
    teams = {t.code: t for t in Team.objects.filter(service__authority=authority)}
    services = {s.code: s for s in Service.objects.filter(authority=authority)}

    registered = itertools.count(100001)

    def person(username, *roles):
        # Social workers are registered with Social Work England: Dorset names only them for looked after
        # children and children on a child protection plan (D-026).
        social_worker = any(role == Role.SOCIAL_WORKER for role, _ in roles)
        staff = staff_create(
            authority=authority,
            username=username,
            name=username.replace("_", " ").title(),
            roles=list(roles),
            email=f"{username}@example.invalid",
            social_work_england_number=f"SW{next(registered)}" if social_worker else "",
        )
        staff.as_of = TODAY  # as the boundary does for a signed-in person
        return staff

    w = SimpleNamespace(authority=authority, teams=teams, services=services)
    w.ast_sw = person("ava_assessment_sw", (Role.SOCIAL_WORKER, teams["assessment_east"]))
    w.ast_sw2 = person("abe_assessment_sw", (Role.SOCIAL_WORKER, teams["assessment_east"]))
    w.ast_tm = person("tom_assessment_tm", (Role.TEAM_MANAGER, teams["assessment_east"]))
    w.ast_pm = person("pam_assessment_pm", (Role.PRACTICE_MANAGER, teams["assessment_east"]))
    w.cin_tm = person("tia_cin_tm", (Role.TEAM_MANAGER, teams["cin_cp_east"]))
    w.cin_pm = person("pia_cin_pm", (Role.PRACTICE_MANAGER, teams["cin_cp_east"]))
    w.cin_sw = person("sam_cin_sw", (Role.SOCIAL_WORKER, teams["cin_cp_east"]))
    w.cin_west_tm = person("wes_cin_west_tm", (Role.TEAM_MANAGER, teams["cin_cp_west"]))
    w.lac_tm = person("lee_lac_tm", (Role.TEAM_MANAGER, teams["lac_team"]))
    w.business_support = person("bea_business_support", (Role.BUSINESS_SUPPORT, teams["assessment_east"]))
    w.service_manager = person("sid_service_manager", (Role.SERVICE_MANAGER, services["cin_cp"]))
    w.director = person("dee_director", (Role.SERVICE_DIRECTOR, None))
    w.auditor = person("aud_auditor", (Role.AUDITOR, None))
    w.administrator = person("adm_administrator", (Role.ADMINISTRATOR, None))
    w.family = Family.objects.create(authority=authority, name="Testfamily")

    def child(identifier, first, *, team="assessment_east", worker=None, family=None, **fields):
        c = Child.objects.create(
            authority=authority,
            identifier=identifier,
            first_name=first,
            last_name="Testfamily",
            date_of_birth=fields.pop("date_of_birth", dt.date(2016, 3, 1)),
            disability=False,
            family=family,
            **fields,
        )
        Allocation.objects.create(
            child=c,
            kind=AllocationKind.PRIMARY,
            team=teams[team],
            worker=worker or w.ast_sw,
            start=dt.date(2026, 9, 1),
        )
        return c

    w.child = child
    return w


CIN_PLAN = {"facts": {"assessment_outcome": "cin_plan"}, "siblings": {"in_care_proceedings": False}}


def listed_on(world, identifier, day: dt.date):
    """A transfer proposed and put on the early warning sheet on `day`."""
    transfer = services.transfer_propose(
        now=at(day),
        actor=world.ast_sw,
        child=world.child(identifier, identifier.title()),
        event="assessment_concluded",
        on=day,
        answers=CIN_PLAN,
    ).transfers[0]
    return services.transfer_act(
        now=at(day, 12), actor=world.ast_tm, transfer=transfer, action="list", expected_version=1
    )


def authorise_summary(world, transfer):
    """The Case Transfer Summary drafted by the worker and authorised by the sending manager (D-181): the one way
    the summary sign-off is given and the summary goes on the child's file."""
    summary = transfer_summary_draft(
        now=NOW,
        actor=world.ast_sw,
        transfer=transfer,
        work_undertaken="Assessment completed; CIN plan agreed with the family.",
    )
    return transfer_summary_authorise(now=NOW, actor=world.ast_tm, summary=summary)


# Central Bedfordshire's world: its Assessment and Family Support teams, a head of service and one child.
@pytest.fixture
def beds(db):
    authority = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    teams = {t.code: t for t in Team.objects.filter(service__authority=authority)}

    def person(username, role, team=None):
        return dated_staff(
            authority=authority,
            username=username,
            name=username.replace("_", " ").title(),
            email=f"{username}@example.invalid",
            roles=[(role, teams[team] if team else None)],
        )

    people = {
        "sw": person("cb_sw", Role.SOCIAL_WORKER, "assessment_team"),
        "ast_tm": person("cb_ast_tm", Role.TEAM_MANAGER, "assessment_team"),
        "ast_pm": person("cb_ast_pm", Role.PRACTICE_MANAGER, "assessment_team"),
        "fs_tm": person("cb_fs_tm", Role.TEAM_MANAGER, "family_support_north"),
        "fs_pm": person("cb_fs_pm", Role.PRACTICE_MANAGER, "family_support_north"),
        "head": person("cb_head", Role.HEAD_OF_SERVICE),
    }
    child = Child.objects.create(
        authority=authority,
        identifier="cb1",
        first_name="Bea",
        last_name="Bedford",
        date_of_birth=dt.date(2015, 5, 1),
        disability=False,
    )
    PlanEpisode.objects.create(child=child, plan="cin", start=dt.date(2026, 10, 1))
    Allocation.objects.create(
        child=child,
        kind=AllocationKind.PRIMARY,
        team=teams["assessment_team"],
        worker=people["sw"],
        start=dt.date(2026, 9, 1),
    )
    return people, teams, child


def meet_checklist(transfer, *, confirmer, on: dt.date) -> None:
    """Meet every blocking item of the transfer's own protocol checklist the way a team would: each document on
    the child's file dated `on`, each confirmation by `confirmer` (a manager). The transfer summary is left to
    the caller (drafted and authorised through its own service)."""
    from handover.children.models import DocumentOnFile
    from handover.organisation.protocol import protocol_for_transfer

    specs = {c.spec.id: c.spec for c in protocol_for_transfer(transfer).readiness}
    for item in services.transfer_readiness(transfer, on=on).blocking:
        requires = specs[item.id].requires
        if requires.confirmed_by is not None:
            services.transfer_confirm_item(now=at(on), actor=confirmer, transfer=transfer, item=item.id)
        elif requires.document == "transfer_summary":
            continue
        elif requires.document or requires.any_document:
            kind = requires.document or requires.any_document[0]
            DocumentOnFile.objects.create(child=transfer.child, document_type=kind, dated=on)
