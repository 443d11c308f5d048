"""My work says what each transfer needs from me next and links straight to the page where I do it (issue 12, item
4): grouped by that need with overdue work first, siblings proposed together in one row, and only what the rulebook
lets me do, so no link opens a form that then refuses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at
from tests.integration.test_transfer_journey import act, make_ready, propose

from handover.audit.models import AuditEvent, Verb
from handover.documents.transfer_summary import transfer_summary_draft
from handover.transfers import services
from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db

PEOPLE = (
    "ast_sw",
    "ast_sw2",
    "ast_tm",
    "ast_pm",
    "cin_tm",
    "cin_pm",
    "cin_sw",
    "cin_west_tm",
    "lac_tm",
    "business_support",
    "service_manager",
    "director",
    "auditor",
)


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def waiting(staff) -> str:
    """The "Transfers waiting on me" part of the person's My work."""
    page = signed_in(staff).get("/my-work/").content.decode()
    return page.split("Transfers waiting on me</h2>")[1].split(
        '<h2 class="govuk-heading-m">Remedial actions'
    )[0]


def groups(section: str) -> list[str]:
    """The need headings, in the order shown."""
    return [
        re.sub(r" \(\d+\)$", "", h)
        for h in re.findall(r'<h3 class="govuk-heading-s"[^>]*>([^<]+)</h3>', section)
    ]


def links(section: str) -> dict[str, str]:
    """Each link's text (what a screen reader says) → where it goes."""
    found = {}
    for href, inner in re.findall(r'<a class="govuk-link" href="([^"]+)">(.*?)</a>', section):
        found[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", inner)).strip()] = href
    return found


def test_each_step_of_a_transfer_asks_the_right_person_and_opens_that_steps_page(world):
    transfer = propose(world, world.child("N1", "Nell"))
    pk = transfer.pk

    # Proposed for the weekly meeting: the sending managers and business support put it on the sheet.
    for person in (world.ast_tm, world.business_support):
        section = waiting(person)
        assert "Put on the early warning sheet" in groups(section)
        assert (
            links(section)["Put on the early warning sheet for Nell Testfamily"] == f"/transfers/{pk}/list/"
        )
        assert signed_in(person).get(f"/transfers/{pk}/list/").status_code == 200
    # The worker may not list it (the rulebook says so), so is not offered it; the file is the worker's to prepare.
    worker = waiting(world.ast_sw)
    assert "/list/" not in worker and "early warning sheet" not in worker
    assert links(worker)["Write the transfer summary for Nell Testfamily"] == f"/transfers/{pk}/summary/"
    chronology = links(worker)["Add the chronology: readiness is blocked for Nell Testfamily"]
    assert chronology == f"/children/{transfer.child_id}/documents/new/?type=chronology"
    assert signed_in(world.ast_sw).get(chronology).status_code == 200
    assert "Confirm: Personal information complete" in worker
    assert "No transfers are waiting on you" in waiting(world.cin_tm)  # not yet theirs to agree

    act(world.ast_tm, transfer, "list")
    section = waiting(world.cin_tm)
    assert (
        links(section)["Agree the receiving team and date for Nell Testfamily"] == f"/transfers/{pk}/agree/"
    )
    assert links(section)["decline the transfer for Nell Testfamily"] == f"/transfers/{pk}/decline/"
    assert "/list/" not in waiting(world.ast_tm)  # done: no longer asked

    act(
        world.cin_tm,
        transfer,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    section = waiting(world.cin_tm)
    assert groups(section) == ["Name the receiving worker"]
    assert (
        links(section)["Name the receiving worker for Nell Testfamily"] == f"/transfers/{pk}/identify_worker/"
    )

    act(world.cin_tm, transfer, "identify_worker", worker=world.cin_sw)
    for person in (world.ast_sw, world.cin_sw):  # the two workers in the handover
        section = waiting(person)
        assert (
            links(section)["Record the handover meeting for Nell Testfamily"]
            == f"/transfers/{pk}/record_handover/"
        )
        assert signed_in(person).get(f"/transfers/{pk}/record_handover/").status_code == 200
    assert "record_handover" not in waiting(world.ast_sw2)  # another worker of the team: may not
    assert "record_handover" not in waiting(
        world.cin_tm
    )  # a manager may, from the transfer, but is not asked

    act(world.cin_sw, transfer, "record_handover")
    section = waiting(world.cin_tm)
    # Not ready: no form that would refuse; the row says what it waits for and opens the transfer's checklist.
    assert f"/transfers/{pk}/complete/" not in section
    assert (
        links(section)["Complete the transfer once the file is ready for Nell Testfamily"]
        == f"/transfers/{pk}/"
    )
    assert "Waiting for:" in section and "more on the checklist" in section
    assert (
        links(section)[
            "Sign off: file audited by the receiving team manager, remedial actions agreed for Nell Testfamily"
        ]
        == f"/transfers/{pk}/"
    )

    make_ready(world, transfer)
    section = waiting(world.cin_tm)
    assert links(section)["Complete the transfer for Nell Testfamily"] == f"/transfers/{pk}/complete/"
    assert "Waiting for" not in section and "Sign off" not in section


def test_a_drafted_summary_asks_the_sending_managers_to_authorise_it(world):
    transfer = propose(world, world.child("N2", "Noor"))
    assert "Authorise the transfer summary" not in waiting(world.ast_tm)
    transfer_summary_draft(now=NOW, actor=world.ast_sw, transfer=transfer, work_undertaken="Assessment done.")
    for manager in (world.ast_tm, world.ast_pm):
        section = waiting(manager)
        assert links(section)["Authorise the transfer summary for Noor Testfamily"] == (
            f"/transfers/{transfer.pk}/summary/"
        )
    worker = waiting(world.ast_sw)
    assert (
        "Write the transfer summary" not in worker and "Authorise" not in worker
    )  # drafted; not theirs to authorise


def test_a_block_is_resolved_by_the_teams_then_an_escalation_where_it_sits(world):
    transfer = propose(world, world.child("N3", "Nia"))
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "block", reason="No capacity this month")
    for manager in (world.ast_tm, world.cin_tm):
        section = waiting(manager)
        assert links(section)["Resolve the block for Nia Testfamily"] == f"/transfers/{transfer.pk}/resolve/"
        assert links(section)["escalate for Nia Testfamily"] == f"/transfers/{transfer.pk}/escalate/"
    assert "Nia" not in waiting(world.service_manager)  # the teams' to resolve until it is escalated

    act(
        world.ast_tm, transfer, "escalate", reason="Blocked for a week"
    )  # level 1: the service manager (D-032)
    section = waiting(world.service_manager)
    assert groups(section) == ["Acknowledge the escalation", "Resolve the escalation"]
    assert links(section)["Acknowledge the escalation for Nia Testfamily"] == "/escalations/"
    assert links(section)["Resolve the escalation for Nia Testfamily"] == f"/transfers/{transfer.pk}/resolve/"
    # The team managers may no longer resolve it (workflow.resolve.role): not offered.
    assert "/resolve/" not in waiting(world.cin_tm) and "/resolve/" not in waiting(world.ast_tm)
    # The director is above it on the ladder, but it does not sit with them.
    assert "Nia" not in waiting(world.director)

    signed_in(world.service_manager).post(f"/escalations/{transfer.escalations.get().pk}/acknowledge/")
    assert groups(waiting(world.service_manager)) == ["Resolve the escalation"]


def test_a_dispute_is_for_the_level_it_sits_with_and_the_sending_managers_may_accept_it(world):
    transfer = propose(world, world.child("N4", "Nico"))
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "decline", reason="Threshold for CIN not met")
    section = waiting(world.service_manager)  # Dorset D-030: the service manager decides
    assert "Decide the dispute" in groups(section)
    assert (
        links(section)["Uphold the decline for Nico Testfamily"]
        == f"/transfers/{transfer.pk}/uphold_decline/"
    )
    assert (
        links(section)["Overrule the decline for Nico Testfamily"]
        == f"/transfers/{transfer.pk}/overrule_decline/"
    )
    sending = waiting(world.ast_tm)
    assert (
        links(sending)["Accept the decline for Nico Testfamily"]
        == f"/transfers/{transfer.pk}/accept_decline/"
    )
    assert "Or wait for the service manager to decide." in sending
    assert "uphold_decline" not in sending
    assert "Nico" not in waiting(world.ast_sw)  # while disputed, the file waits


def test_overdue_work_comes_first_and_siblings_proposed_together_share_a_row(world):
    # Agreed on a day long past: naming the worker is overdue. Another case listed on Monday: agreeing is due soon.
    late = services.transfer_propose(
        now=at(TODAY - dt.timedelta(days=40)),
        actor=world.ast_sw,
        child=world.child("L1", "Lark"),
        event="assessment_concluded",
        on=TODAY - dt.timedelta(days=40),
        answers=CIN_PLAN,
    ).transfers[0]
    for actor, action, extra in (
        (world.ast_tm, "list", {}),
        (
            world.cin_tm,
            "agree",
            {"to_team": world.teams["cin_cp_east"], "transfer_date": dt.date(2026, 11, 4)},
        ),
    ):
        late.refresh_from_db()
        services.transfer_act(
            now=at(TODAY - dt.timedelta(days=26)),
            actor=actor,
            transfer=late,
            action=action,
            expected_version=late.version,
            on=TODAY - dt.timedelta(days=26),
            **extra,
        )
    older = world.child("S1", "Ivy", family=world.family)
    younger = world.child("S2", "Jo", family=world.family)
    together = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=older,
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
        with_siblings=[younger],
    ).transfers
    for t in together:
        act(world.ast_tm, t, "list")

    section = waiting(world.cin_tm)
    # The natural order is agree, then name the worker; the overdue need comes first.
    assert groups(section) == ["Name the receiving worker", "Agree the receiving team and date"]
    name_worker = section.split("Agree the receiving team and date (")[0]
    assert (
        "Lark Testfamily" in name_worker
        and '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in name_worker
    )

    agree = section.split("Agree the receiving team and date (")[1]
    assert agree.startswith("1)")  # one row for the two siblings
    row = agree.split('<tbody class="govuk-table__body">')[1]
    assert row.count('<tr class="govuk-table__row">') == 1
    assert "Siblings, proposed together" in row and "Ivy Testfamily" in row and "Jo Testfamily" in row
    found = links(row)
    assert found["Ivy Testfamily: Agree the receiving team and date"] == f"/transfers/{together[0].pk}/agree/"
    assert found["Jo Testfamily: Agree the receiving team and date"] == f"/transfers/{together[1].pk}/agree/"


def test_no_row_offers_a_form_the_rulebook_would_refuse(world):
    """Every person, transfers in most states: each workflow link is one of `transfer_available_actions` for that
    person, and every link opens (200), so no row leads to a refusal."""
    proposed = propose(world, world.child("R1", "Rae"))
    listed = propose(world, world.child("R2", "Rex"))
    act(world.ast_tm, listed, "list")
    agreed = propose(world, world.child("R3", "Ria"))
    act(world.ast_tm, agreed, "list")
    act(world.cin_tm, agreed, "agree", to_team=world.teams["cin_cp_east"], transfer_date=dt.date(2026, 12, 9))
    blocked = propose(world, world.child("R4", "Roy"))
    act(world.ast_tm, blocked, "list")
    act(world.cin_tm, blocked, "block", reason="No capacity")
    disputed = propose(world, world.child("R5", "Rob"))
    act(world.ast_tm, disputed, "list")
    act(world.cin_tm, disputed, "decline", reason="Not CIN")
    assert proposed.pk
    workflow = re.compile(r"^/transfers/(\d+)/([a-z_]+)/$")
    checked = 0
    for name in PEOPLE:
        person = getattr(world, name)
        client = signed_in(person)
        for href in set(links(waiting(person)).values()):
            match = workflow.match(href)
            if match and match.group(2) not in ("summary",):
                transfer = Transfer.objects.get(pk=match.group(1))
                allowed = [a.value for a in services.transfer_available_actions(person, transfer)]
                assert match.group(2) in allowed, (name, href, allowed)
                checked += 1
            assert client.get(href).status_code == 200, (name, href)
    assert checked >= 8


def test_the_director_and_service_managers_see_the_overview_in_brief(world):
    transfer = propose(world, world.child("D1", "Dora"))
    act(world.ast_tm, transfer, "list")
    act(world.cin_tm, transfer, "block", reason="No capacity")
    page = signed_in(world.director).get("/my-work/").content.decode()
    summary = page.split('id="overview-summary"')[1].split("</div>")[0]
    assert "Open transfers needing attention across the authority" in summary
    assert '<a class="govuk-link" href="/overview/?show=blocked#listed">1 blocked</a>' in summary
    assert "0 overdue" in summary and 'href="/overview/"' in summary
    manager = signed_in(world.service_manager).get("/my-work/").content.decode()
    assert "to or from Children in Need and Child Protection Service" in manager and "1 blocked" in manager
    for person in (world.ast_sw, world.ast_tm, world.auditor):
        assert "overview-summary" not in signed_in(person).get("/my-work/").content.decode()


def test_my_work_records_that_it_showed_the_children_of_its_rows(world):
    transfer = propose(world, world.child("A1", "Ada"))
    signed_in(world.ast_tm).get("/my-work/")
    listed = AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail="My work").latest("pk")
    assert transfer.child_id in listed.after["children"]


def test_the_add_a_document_link_chooses_the_type_readiness_waits_for(world):
    child = world.child("doc9", "Pip")
    page = signed_in_page(world.ast_sw, f"/children/{child.pk}/documents/new/?type=chronology")
    assert '<option value="chronology" selected>' in page
    unknown = signed_in_page(world.ast_sw, f"/children/{child.pk}/documents/new/?type=nonsense")
    assert " selected>" not in unknown


def signed_in_page(staff, path: str) -> str:
    client = Client()
    client.force_login(staff.user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_business_support_see_the_weeks_meeting_to_run_and_a_social_worker_does_not(world):
    from handover.meetings.services import meeting_sitting_schedule

    page = signed_in_page(world.business_support, "/my-work/")
    assert "Meetings this week" in page and "not scheduled yet" in page
    # Wednesday's weekly meeting, scheduled (as the meetings page does it, from its cut-off).
    meeting = meeting_sitting_schedule(
        authority=world.authority, on=dt.date(2026, 11, 23), meeting_id="transfer_meeting", now=NOW
    )
    assert meeting.sits_on == dt.date(2026, 11, 25)
    page = signed_in_page(world.business_support, "/my-work/")
    assert f'href="/meetings/{meeting.pk}/"' in page
    assert "Meetings this week" not in signed_in_page(world.ast_sw, "/my-work/")


def test_several_items_to_confirm_on_one_transfer_are_one_row_naming_them(world):
    transfer = propose(world, world.child("conf7", "Ines"))
    act(world.ast_tm, transfer, "list")
    page = signed_in_page(world.ast_tm, "/my-work/")
    section = page.split("Transfers waiting on me", 1)[1].split("Remedial actions", 1)[0]
    assert "Confirm: " not in section
    found = re.search(r"Confirm (\d+) checklist items", section)
    assert found and int(found.group(1)) >= 2
    assert "File up to date, checked and authorised" in section
