"""The demo authority is believable: ages fit the services holding the children and the history they have,
nothing is dated after the demo's today, plans and legal statuses are the holding service's (so the agenda shows
plans), some records are restricted, some work is escalated and overdue, no team has two workers of one name,
and `handover demo --logins` lists every login. Synthetic people only."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Q
from tests.integration.conftest import NOW, TODAY

from handover.children.models import (
    Allocation,
    Child,
    DocumentOnFile,
    FrontDoorContact,
    KeyEvent,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.domain.workflow import FINAL_STATES, State
from handover.meetings.selectors import case_status, coming_sittings, sheet_items
from handover.onboarding.demo import AGE_BANDS, age_band, build_demo, pre_birth_services
from handover.organisation.access import visible_children
from handover.organisation.models import Membership, StaffMember
from handover.organisation.protocol import protocol_named
from handover.transfers.models import Deadline, Escalation, RemedialAction, Transfer, TransferEvent

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-123456"
LOOKED_AFTER = {"s20", "interim_care_order", "care_order", "placement_order"}
# What a child held by each kind of service has, independently of the demo's own tables.
PLANS = {
    "cin_cp": {"cin", "cp"},
    "court": {"cla", "cp"},
    "lac": {"cla"},
    "leaving_care": {"cla", "care_leaver"},
    "separated_children": {"cla"},
    "fostering": {"cla"},
}
LEGAL = {
    "cin_cp": {"none"},
    "court": {"interim_care_order", "none"},
    "lac": {"care_order", "s20"},
    "leaving_care": {"care_order", "s20", "none"},
    "separated_children": {"s20"},
}


@pytest.fixture(scope="module", params=["dorset", "central-bedfordshire"])
def demo(request, django_db_setup, django_db_blocker):
    """The small demo on each protocol, built once for the module's tests and rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = build_demo(now=NOW, protocol_name=request.param, size="small", password=PASSWORD)
        yield request.param, result
        transaction.set_rollback(True)


def years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def current(episodes, child_id, on=TODAY) -> str:
    return next(
        (
            value
            for cid, value, start, end in episodes
            if cid == child_id and start <= on and (end is None or end >= on)
        ),
        "none",
    )


def test_lac_band_is_the_protocols():
    """Dorset's rules into the LAC team ask for 5 to 16 years (D-129): the demo's band for LAC is that one."""
    protocol = protocol_named("dorset")
    bounds = set()
    for rules in protocol.rules_by_event.values():
        for rule in rules:
            if rule.pathway.to.service == "lac":
                for condition in rule.spec.when.get("all", []):
                    if isinstance(condition, dict) and condition.get("fact") == "child.age":
                        bounds |= {(k, v) for k, v in condition.items() if k in ("at_least", "under")}
    assert bounds == {("at_least", "5 years"), ("under", "16 years")}
    assert (AGE_BANDS["lac"].at_least, AGE_BANDS["lac"].under) == ((5, 0), (16, 0))


def test_ages_fit_the_services_and_the_history(demo):
    name, result = demo
    protocol = protocol_named(name)
    pre_birth = pre_birth_services(protocol)
    allocations = Allocation.objects.filter(
        child__authority=result.authority, end__isnull=True, kind="primary"
    ).select_related("child", "team__service")
    kinds = Counter()
    for allocation in allocations:
        child, service = allocation.child, allocation.team.service
        kinds[service.kind] += 1
        if child.date_of_birth is None:
            assert service.code in pre_birth, f"unborn {child} held by {service.name}, no pre-birth pathway"
            assert child.expected_date_of_birth > TODAY
            continue
        band = age_band(service.kind)
        assert band.holds(child.date_of_birth, TODAY), f"{child} aged {years(child.date_of_birth, TODAY)}"
        assert band.holds(child.date_of_birth, allocation.start), f"{child} out of band at allocation"
        if service.kind == "leaving_care":
            assert 16 <= years(child.date_of_birth, TODAY) <= 21
        if service.kind == "lac" and name == "dorset":
            assert 5 <= years(child.date_of_birth, TODAY) < 16  # D-129
    assert kinds["leaving_care"] and (kinds["lac"] or name != "dorset")
    assert Child.objects.filter(authority=result.authority, date_of_birth__isnull=True).exists()

    historic = Transfer.objects.filter(
        child__authority=result.authority, protocol_version="demo"
    ).select_related("child", "from_team__service", "to_service")
    assert historic.count() == result.historic_transfers
    for t in historic:
        born = t.child.date_of_birth
        assert born is not None and born <= t.event_date <= t.transfer_date
        assert age_band(t.from_team.service.kind).holds(born, t.event_date), t
        assert age_band(t.to_service.kind).holds(born, t.transfer_date), t
        for kind, day in ((t.from_team.service.kind, t.event_date), (t.to_service.kind, t.transfer_date)):
            if kind == "leaving_care":
                assert 16 <= years(born, day) <= 21, t
        pathway = protocol.pathways[t.pathway]
        assert t.from_team.service.code in pathway.from_
        assert t.to_service.code in ((pathway.to.service,) if pathway.to.service else pathway.to.choose_from)
        # Made before the child came to the team holding them now.
        assert t.transfer_date <= t.child.allocations.get(kind="primary", end__isnull=True).start


def test_nothing_is_dated_after_today(demo):
    _, result = demo
    mine = Q(child__authority=result.authority)
    assert not DocumentOnFile.objects.filter(mine, dated__gt=TODAY).exists()
    assert not DocumentOnFile.objects.filter(mine, dated__lt=F("child__date_of_birth")).exists()
    assert not KeyEvent.objects.filter(mine, date__gt=TODAY).exists()
    assert not Allocation.objects.filter(mine, start__gt=TODAY).exists()
    assert not Allocation.objects.filter(mine, start__lt=F("child__date_of_birth")).exists()
    assert not PlanEpisode.objects.filter(mine, start__gt=TODAY).exists()
    assert not LegalStatusEpisode.objects.filter(mine, start__gt=TODAY).exists()
    assert not Child.objects.filter(authority=result.authority, date_of_birth__gt=TODAY).exists()
    assert not FrontDoorContact.objects.filter(mine, received_on__gt=TODAY).exists()
    transfers = Transfer.objects.filter(mine)
    assert not transfers.filter(
        Q(proposed_at__gt=NOW) | Q(closed_at__gt=NOW) | Q(event_date__gt=TODAY)
    ).exists()
    assert not transfers.filter(protocol_version="demo", transfer_date__gt=TODAY).exists()
    assert not TransferEvent.objects.filter(transfer__child__authority=result.authority, at__gt=NOW).exists()
    assert not Escalation.objects.filter(
        transfer__child__authority=result.authority, opened_at__gt=NOW
    ).exists()
    assert not RemedialAction.objects.filter(
        Q(created_at__gt=NOW) | Q(done_at__gt=NOW), transfer__child__authority=result.authority
    ).exists()


def test_plans_and_legal_statuses_are_the_holding_services(demo):
    name, result = demo
    plans = list(
        PlanEpisode.objects.filter(child__authority=result.authority).values_list(
            "child", "plan", "start", "end"
        )
    )
    legal = list(
        LegalStatusEpisode.objects.filter(child__authority=result.authority).values_list(
            "child", "status", "start", "end"
        )
    )
    allocations = Allocation.objects.filter(
        child__authority=result.authority, end__isnull=True, kind="primary"
    ).select_related("team__service")
    for allocation in allocations:
        kind = allocation.team.service.kind
        plan, status = current(plans, allocation.child_id), current(legal, allocation.child_id)
        if kind in PLANS:
            assert plan in PLANS[kind], (kind, plan)
        if kind in LEGAL:
            assert status in LEGAL[kind], (kind, status)
        assert (plan == "cla") == (status in LOOKED_AFTER), (kind, plan, status)
        if plan == "care_leaver":
            assert years(allocation.child.date_of_birth, TODAY) >= 18

    # The children of the open transfers have the plan their assessment ended with, and so does the agenda.
    live = Transfer.objects.filter(child__authority=result.authority).exclude(
        state__in=[s.value for s in FINAL_STATES]
    )
    assert live.exists()
    for transfer in live.select_related("from_team__service"):
        sending = transfer.from_team.service.kind
        expected = {"cin", "cp"} if sending == "assessment" else PLANS.get(sending, {"none"})
        assert current(plans, transfer.child_id) in expected, transfer
    agenda = [
        (item, meeting)
        for meeting in coming_sittings(authority=result.authority, today=TODAY)
        for item in sheet_items(meeting)
    ]
    if name == "dorset":
        assert agenda
    for item, meeting in agenda:
        assert case_status(item.transfer.child, meeting.sits_on) in {"cin", "cp"}  # never "No plan recorded"


def test_restricted_escalated_overdue_and_names(demo):
    _, result = demo
    restricted = Child.objects.filter(authority=result.authority, restricted=True)
    assert restricted.count() >= 3
    for child in restricted:
        named = set(child.restricted_access.values_list("staff", flat=True))
        worker = child.allocations.get(kind="primary", end__isnull=True).worker
        assert worker.pk in named
        assert visible_children(_today(worker), Child.objects.filter(pk=child.pk)).exists()
        other = (
            StaffMember.objects.filter(authority=result.authority, memberships__role="social_worker")
            .exclude(pk__in=named)
            .first()
        )
        assert not visible_children(_today(other), Child.objects.filter(pk=child.pk)).exists()

    open_transfers = Transfer.objects.filter(child__authority=result.authority).exclude(
        state__in=[s.value for s in FINAL_STATES]
    )
    assert open_transfers.filter(state=State.ESCALATED).exists()
    assert open_transfers.filter(state=State.BLOCKED).exists()
    assert Escalation.objects.filter(transfer__in=open_transfers, resolved_at__isnull=True).exists()
    assert Deadline.objects.filter(
        transfer__in=open_transfers, due__lt=TODAY, actual__isnull=True, standing=False
    ).exists(), "some steps are overdue"

    in_teams = Membership.objects.filter(staff__authority=result.authority, team__isnull=False)
    pairs = Counter(in_teams.values_list("team", "staff__name"))
    assert [pair for pair, n in pairs.items() if n > 1] == []


def _today(person):
    person.as_of = TODAY
    return person


def test_logins_lists_every_login(demo, capsys):
    _, result = demo
    call_command("demo", "--logins", "--password", PASSWORD)
    out = capsys.readouterr().out
    usernames = set(
        get_user_model().objects.filter(staff__authority=result.authority).values_list("username", flat=True)
    )
    assert len(usernames) == result.staff
    listed = {line.split()[0] for line in out.splitlines()[3:] if line and not line.startswith("Every login")}
    assert usernames <= listed
    assert out.count(PASSWORD) == 1
    for pattern in (
        r"^tm\.",
        r"^pm\.",
        r"^bs\.",
        r"^sm\.",
        r"^social\.",
        r"^head\.of\.service$",
        r"^director$",
    ):
        assert any(re.match(pattern, u) for u in usernames), pattern
    team_manager = next(u for u in sorted(usernames) if u.startswith("tm."))
    line = next(line for line in out.splitlines() if line.startswith(team_manager + " "))
    assert "Team manager" in line


def test_every_transfer_opens_on_its_page_and_in_the_api(demo, client):
    """The demo's history too: a transfer it made as done long ago opens as one proposed through Handover does
    (its situation says what happened and when, as a proposal's does)."""
    from django.urls import reverse

    client.force_login(StaffMember.objects.get(user__username="director").user)
    historic = Transfer.objects.filter(
        state=State.TRANSFERRED, protocol_version="demo", child__restricted=False
    ).order_by("pk")[:5]
    assert historic
    for transfer in historic:
        assert client.get(reverse("web:transfer", args=[transfer.pk])).status_code == 200
        assert client.get(f"/api/transfers/{transfer.pk}/").status_code == 200
