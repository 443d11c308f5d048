"""Screenshots of the main pages, as each role sees them in an ordinary week: full pages at 1280 px wide, and the
pages most used on a phone at 320 px. `scripts/screenshots` runs this module with HANDOVER_SCREENSHOTS set to
refresh docs/screenshots/ (the README lists them); in the suite they go to test-output/browser/screenshots/.

The week is made through the services, on the suite's fixed clock (Tuesday 24 November 2026), so the pictures
change only when the pages do."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import OUTPUT
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at

from handover.children.models import DocumentOnFile
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule
from handover.transfers import services

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(os.environ.get("HANDOVER_SCREENSHOTS") or OUTPUT / "screenshots")
NARROW = 320


def proposed(world, identifier: str, first: str, day: dt.date = TODAY, *, worker=None, **child_fields):
    """A transfer to the CIN and CP service proposed on `day` by the child's worker (Ava unless said)."""
    worker = worker or world.ast_sw
    return services.transfer_propose(
        now=at(day),
        actor=worker,
        child=world.child(identifier, first, worker=worker, **child_fields),
        event="assessment_concluded",
        on=day,
        answers=CIN_PLAN,
    ).transfers[0]


def act(transfer, actor, action, *, day: dt.date = TODAY, **inputs):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=at(day, 12),
        actor=actor,
        transfer=transfer,
        action=action,
        expected_version=transfer.version,
        **inputs,
    )


def an_ordinary_week(world) -> dict[str, object]:
    """Transfers at each stage, of two workers' cases: one proposed this morning, two on the sheet of this
    week's meeting, one blocked and escalated, one overdue since October, and one agreed with its receiving worker
    named; and a child with none."""
    yesterday = TODAY - dt.timedelta(days=1)
    abe = world.ast_sw2
    new = proposed(world, "SC1", "Lyra", date_of_birth=dt.date(2014, 6, 12))
    on_sheet = [
        act(proposed(world, identifier, first, yesterday, **more), world.ast_tm, "list", day=yesterday)
        for identifier, first, more in (
            ("SC2", "Jonah", {"worker": abe}),
            ("SC3", "Maya", {"date_of_birth": dt.date(2019, 2, 7)}),
        )
    ]
    for kind in ("chronology", "genogram"):
        DocumentOnFile.objects.create(child=on_sheet[1].child, document_type=kind, dated=yesterday)
    meeting = meeting_sitting_schedule(authority=world.authority, on=yesterday, now=NOW)
    assert len(early_warning_sheet_compile(meeting=meeting, now=NOW)) == 2

    blocked = act(
        proposed(world, "SC4", "Bram", TODAY - dt.timedelta(days=9), worker=abe), world.ast_tm, "list"
    )
    act(blocked, world.cin_tm, "block", reason="No capacity in the team this month")
    act(blocked, world.ast_tm, "escalate", reason="Blocked for a week; the family is waiting")
    proposed(
        world, "SC5", "Oona", TODAY - dt.timedelta(days=40), worker=abe, date_of_birth=dt.date(2020, 8, 30)
    )

    agreed = act(
        proposed(world, "SC6", "Theo", dt.date(2026, 11, 16), date_of_birth=dt.date(2018, 4, 3)),
        world.ast_tm,
        "list",
    )
    act(
        agreed,
        world.cin_tm,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=TODAY + dt.timedelta(days=7),
    )
    act(agreed, world.cin_tm, "identify_worker", worker=world.cin_sw)
    for kind in ("chronology", "genogram", "child_plan"):
        DocumentOnFile.objects.create(child=agreed.child, document_type=kind, dated=TODAY)
    return {
        "new": new,
        "meeting": meeting,
        "first_case": meeting.items.order_by("pk").first(),
        "agreed": agreed,
        "no_transfer": world.child("SC7", "Wren"),
    }


def shoot(page, name: str, url: str, heading: str) -> None:
    """Open `url`, check it is the page meant (its main heading) and, on a narrow screen, that it does not scroll
    sideways; save the whole page as `name`.png."""
    response = page.goto(url)
    assert response is not None and response.ok, url
    expect(page.locator("h1")).to_contain_text(heading)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, url
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_screenshots_of_the_main_pages(world, open_as, browser, live_server):
    week = an_ordinary_week(world)
    agreed, meeting, child = week["agreed"], week["meeting"], week["agreed"].child
    site = live_server.url

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    shoot(visitor, "start", f"{site}/", "Move a child's case to the right team")
    visitor.context.close()

    worker = open_as("ast_sw")
    shoot(worker, "my-work-social-worker", f"{site}/my-work/", "My work")
    shoot(worker, "child-record", f"{site}/children/{child.pk}/", child.name)
    shoot(
        worker, "add-a-document", f"{site}/children/{week['new'].child_id}/documents/new/", "Add a document"
    )
    shoot(
        worker,
        "propose-a-transfer",
        f"{site}/children/{week['no_transfer'].pk}/propose/",
        "What has happened",
    )

    manager = open_as("ast_tm")
    shoot(manager, "my-work-team-manager", f"{site}/my-work/", "My work")
    shoot(manager, "team", f"{site}/team/", "Assessment Team East")
    shoot(manager, "worker", f"{site}/staff/{world.ast_sw.pk}/", world.ast_sw.name)

    receiving = open_as("cin_tm")
    shoot(receiving, "my-work-receiving-manager", f"{site}/my-work/", "My work")
    shoot(receiving, "transfer", f"{site}/transfers/{agreed.pk}/", "Transfer from Assessment Team East")

    support = open_as("business_support")
    shoot(support, "my-work-business-support", f"{site}/my-work/", "My work")
    shoot(support, "meeting-agenda", f"{site}/meetings/{meeting.pk}/", "Weekly transfer meeting")
    shoot(
        support, "meeting-case", f"{site}/meetings/{meeting.pk}/cases/{week['first_case'].pk}/", "Testfamily"
    )

    director = open_as("director")
    shoot(director, "my-work-director", f"{site}/my-work/", "My work")
    shoot(director, "overview", f"{site}/overview/", "Overview")

    service_manager = open_as("service_manager")  # the first level of the ladder: Bram's escalation is theirs
    shoot(service_manager, "escalations", f"{site}/escalations/", "Escalations")

    phone = open_as("ast_sw", width=NARROW)
    shoot(phone, f"my-work-{NARROW}", f"{site}/my-work/", "My work")
    shoot(phone, f"transfer-{NARROW}", f"{site}/transfers/{agreed.pk}/", "Transfer from Assessment Team East")
    shoot(phone, f"meeting-agenda-{NARROW}", f"{site}/meetings/{meeting.pk}/", "Weekly transfer meeting")
