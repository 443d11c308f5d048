"""What people see of the sweep (issue 10, items 3 and 4): the notifications page and the header's count, the
choice of delivery, "due soon" and "overdue" on My work and the team page as the sweep judges them, the
escalations page in words with its "Acknowledge" button, and the child's timeline with escalations and reminders.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.children.models import RestrictedAccess
from handover.notifications.models import Delivery, Notification, NotificationPreference
from handover.notifications.services import notify
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers import services
from handover.transfers.escalations import escalation_raise
from handover.transfers.models import Escalation

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)  # listed by Monday's cut-off: the meeting (Wednesday 25th) is due soon today
EARLY = dt.date(2026, 11, 2)  # listed then: the meeting of Wednesday 4 November is long overdue today
RAISED = dt.date(2026, 11, 17)  # 5 working days after it went overdue (D-032): level 1 is raised


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _count(page: str) -> str | None:
    found = re.search(r'id="notifications-count">(\d+)<', page)
    return found.group(1) if found else None


def _remedial_action(world, transfer, owner):
    return services.remedial_action_create(
        now=at(MONDAY, 13),
        actor=world.ast_tm,
        transfer=transfer,
        description="Chronology up to date",
        owner=owner,
        due=MONDAY,
    )


def _tell(person, *, key, title, transfer, **about):
    return notify(
        recipient=person,
        key=key,
        kind=Notification.Kind.OVERDUE,
        title=title,
        url=reverse("web:transfer", args=[transfer.pk]),
        now=NOW,
        child=transfer.child,
        transfer=transfer,
        **about,
    )


# -- notifications ----------------------------------------------------------------------------------------------


def test_the_header_counts_what_is_still_to_do_and_an_item_leaves_once_its_work_is_done(world):
    transfer = listed_on(world, "np1", MONDAY)
    action = _remedial_action(world, transfer, world.ast_sw)
    _tell(
        world.ast_sw,
        key="np1:action",
        title="Overdue since Monday 23 November: Remedial action, child np1",
        transfer=transfer,
        remedial_action=action,
    )
    client = signed_in(world.ast_sw)
    my_work = client.get("/my-work/").content.decode()
    assert _count(my_work) == "1" and 'href="/notifications/"' in my_work

    page = client.get("/notifications/").content.decode()
    to_do, done = page.split("Done recently")
    assert "Overdue since Monday 23 November: Remedial action, child np1" in to_do
    assert "Np1 Testfamily" in to_do  # in Handover the person sees the child's name; emails never carry it
    assert f'href="/transfers/{transfer.pk}/"' in to_do
    assert "Nothing done in the last 14 days" in done
    listed = AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail="Notifications").latest("pk")
    assert listed.after == {"children": [transfer.child_id]}

    services.remedial_action_done(now=NOW, actor=world.ast_sw, action=action)
    notifications_before = list(Notification.objects.values_list("pk", "cleared_at"))
    page = client.get("/notifications/").content.decode()
    to_do, done = page.split("Done recently")
    assert "Remedial action, child np1" not in to_do and "Nothing to do" in to_do
    assert "Remedial action, child np1" in done
    assert _count(page) is None  # zero shows no count
    # The GET hid it; it wrote nothing (the sweep clears it).
    assert list(Notification.objects.values_list("pk", "cleared_at")) == notifications_before


def test_the_header_shows_no_count_when_signed_out(world):
    page = Client().get("/").content.decode()
    assert "notifications-count" not in page and "/notifications/" not in page


def test_a_restricted_childs_notification_is_not_there_for_someone_not_named_on_it(world):
    secret = world.child("NPR", "Siobhan", restricted=True)
    RestrictedAccess.objects.create(child=secret, staff=world.ast_sw)
    transfer = services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=secret, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
    ).transfers[0]
    for person in (world.ast_sw, world.ast_tm):  # ast_tm is not named on the record
        _tell(
            person, key="npr:step", title="Overdue: Decision, child NPR", transfer=transfer, step="decision"
        )
    named = signed_in(world.ast_sw).get("/notifications/").content.decode()
    assert "Siobhan Testfamily" in named and _count(named) == "1"
    other = signed_in(world.ast_tm).get("/notifications/").content.decode()
    assert "child NPR" not in other and "Siobhan" not in other and _count(other) is None


def test_each_person_chooses_how_they_are_told(world):
    client = signed_in(world.cin_tm)
    page = client.get("/notifications/").content.decode()
    assert "Once a day, in a digest" in page and "As soon as it happens" in page
    assert "Only in Handover (no email)" in page
    assert re.search(r'value="digest" checked', page)  # the default

    response = client.post("/notifications/", {"delivery": Delivery.IN_APP})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert NotificationPreference.objects.get(staff=world.cin_tm).delivery == Delivery.IN_APP
    page = client.get("/notifications/").content.decode()
    assert re.search(r'value="in_app" checked', page) and "Your choice is saved" in page
    assert AuditEvent.objects.filter(actor=world.cin_tm.user, verb=Verb.NOTIFICATION_PREFERENCE).exists()

    refused = client.post("/notifications/", {"delivery": "carrier_pigeon"})
    assert refused.status_code == 400 and "There is a problem" in refused.content.decode()
    assert NotificationPreference.objects.get(staff=world.cin_tm).delivery == Delivery.IN_APP


# -- due soon and overdue -----------------------------------------------------------------------------------------


def test_my_work_and_the_team_page_tag_due_soon_and_overdue_as_the_sweep_judges(world):
    soon = listed_on(world, "nds", MONDAY)  # the transfer meeting is on Wednesday: due soon (D-032's window)
    late = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("NOV", "Nova"),
        event="assessment_concluded",
        on=TODAY - dt.timedelta(days=40),
        answers=CIN_PLAN,
    ).transfers[0]
    my_work = signed_in(world.ast_tm).get("/my-work/").content.decode()
    rows = {
        name: row
        for row in my_work.split('<tr class="govuk-table__row">')
        for name in ("Nds Testfamily", "Nova Testfamily")
        if name in row
    }
    assert '<strong class="govuk-tag govuk-tag--yellow">Due soon</strong>' in rows["Nds Testfamily"]
    assert "Overdue" not in rows["Nds Testfamily"]
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in rows["Nova Testfamily"]
    assert "working days late" in rows["Nova Testfamily"]

    team = signed_in(world.ast_tm).get(f"/team/{world.teams['assessment_east'].pk}/").content.decode()
    assert (
        '<span class="govuk-!-font-size-48 govuk-!-font-weight-bold">1</span><br>with an overdue step' in team
    )
    assert (
        '<span class="govuk-!-font-size-36 govuk-!-font-weight-bold">1</span><br>with a step due soon' in team
    )
    outgoing = team.split("Outgoing transfers")[1]
    items = {
        name: li for li in outgoing.split("<li>") for name in ("Nds", "Nova") if f"{name} Testfamily" in li
    }
    assert "govuk-tag--yellow" in items["Nds"] and "Due soon" in items["Nds"]
    assert "govuk-tag--red" in items["Nova"] and "Overdue" in items["Nova"]
    assert soon.pk != late.pk


def test_my_remedial_actions_are_tagged_overdue(world):
    transfer = listed_on(world, "nra", MONDAY)
    _remedial_action(world, transfer, world.ast_sw)  # due Monday 23 November
    page = signed_in(world.ast_sw).get("/my-work/").content.decode()
    actions = page.split("Remedial actions")[1].split("My cases")[0]
    assert "Chronology up to date" in actions and "govuk-tag--red" in actions


# -- escalations --------------------------------------------------------------------------------------------------


@pytest.fixture
def escalated(world):
    """A case listed on 2 November whose meeting step went overdue; level 1 raised on the 17th as the sweep does
    (`escalation_raise`, by nobody), and the overdue reminder sent to two managers under one key."""
    transfer = listed_on(world, "nes", EARLY)
    protocol = protocol_for_transfer(transfer)
    ladder = protocol.file.escalation
    step = transfer.deadlines.get(step="transfer_meeting")
    escalation = escalation_raise(
        transfer=transfer,
        subject=Escalation.Subject.STEP,
        level=ladder[0],
        moves_on=protocol.calendar.add(RAISED, ladder[1].after),
        key=f"transfer:{transfer.pk}:step:transfer_meeting:level1:{step.due.isoformat()}",
        reason=f"{step.name}: due {step.due:%-d %B %Y}, not done; now with the service manager",
        now=at(RAISED),
        step="transfer_meeting",
    )
    for manager in (world.cin_tm, world.cin_west_tm):
        notify(
            recipient=manager,
            key=f"transfer:{transfer.pk}:step:transfer_meeting:overdue:{step.due.isoformat()}",
            kind=Notification.Kind.OVERDUE,
            title=f"Overdue since {step.due:%A %-d %B}: {step.name}, child {transfer.child.identifier}",
            url=reverse("web:transfer", args=[transfer.pk]),
            now=at(EARLY + dt.timedelta(days=3)),
            child=transfer.child,
            transfer=transfer,
            step="transfer_meeting",
        )
    return transfer, escalation


def test_the_escalations_page_says_in_words_who_has_it_why_since_when_and_what_next(world, escalated):
    transfer, escalation = escalated
    assert escalation.level == 1 and escalation.role == "service_manager"
    page = signed_in(world.service_manager).get("/escalations/").content.decode()
    assert "Nes Testfamily" in page
    assert "Level 1: Service manager" in page and "service_manager" not in page
    assert "Overdue step &ldquo;" in page or "Overdue step \u201c" in page
    assert ", ".join(escalation.cites) in page and "D-032" in page
    assert "Handover (automatic, by the protocol&#x27;s timings)" in page
    assert 'Open for</dt><dd class="govuk-summary-list__value">5 working days' in page  # 17 to 24 November
    assert escalation.reason in page.replace("&#x27;", "'")
    assert "Not yet" in page  # not acknowledged
    assert f'href="/transfers/{transfer.pk}/"' in page
    assert f'action="/escalations/{escalation.pk}/acknowledge/"' in page


def test_the_service_manager_acknowledges_and_a_social_worker_may_not(world, escalated):
    _, escalation = escalated
    worker = signed_in(world.ast_sw)
    page = worker.get("/escalations/").content.decode()
    assert "Nes Testfamily" in page  # on the worker's team's transfer
    assert f"/escalations/{escalation.pk}/acknowledge/" not in page  # no button: the rulebook says no
    response = worker.post(f"/escalations/{escalation.pk}/acknowledge/")
    assert response.status_code == 302
    refused = worker.get("/escalations/").content.decode()
    assert "There is a problem" in refused and "acknowledged by the person it sits with" in refused
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None

    manager = signed_in(world.service_manager)
    response = manager.post(f"/escalations/{escalation.pk}/acknowledge/")
    assert response.status_code == 302 and response["Location"] == "/escalations/"
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == world.service_manager and escalation.acknowledged_at == NOW
    page = manager.get("/escalations/").content.decode()
    assert "Escalation acknowledged" in page and (
        "By Sid Service Manager, Service manager, Children in Need and Child Protection Service, 24 November 2026"
        in page
    )
    assert f"/escalations/{escalation.pk}/acknowledge/" not in page  # once is enough


def test_the_acknowledge_address_answers_a_get_with_the_page_and_writes_nothing(world, escalated):
    _, escalation = escalated
    before = AuditEvent.objects.count()
    response = signed_in(world.service_manager).get(f"/escalations/{escalation.pk}/acknowledge/")
    assert response.status_code == 302 and response["Location"] == "/escalations/"
    assert AuditEvent.objects.count() == before
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


# -- the child's timeline -----------------------------------------------------------------------------------------


def test_the_childs_timeline_shows_its_escalations_and_each_reminder_once(world, escalated):
    transfer, escalation = escalated
    page = signed_in(world.ast_tm).get(f"/children/{transfer.child_id}/").content.decode()
    timeline = page.split("Timeline")[1]
    assert f"Escalated to level 1, Service manager ({', '.join(escalation.cites)})" in timeline
    assert "by Handover (automatic, by the protocol&#x27;s timings)" in timeline
    reminders = Notification.objects.filter(child=transfer.child, kind=Notification.Kind.OVERDUE)
    assert reminders.values("recipient").distinct().count() > 1  # sent to several managers ...
    title = reminders.first().title
    assert timeline.count(f"Reminder sent: {title}") == 1  # ... shown once
