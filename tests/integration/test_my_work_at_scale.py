"""My work for a busy team (issue 14): a case holder's page judges only the transfers they work on, and each need
shows its most pressing rows with a link to all of them, so the page stays short however much the team has open."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.audit.models import AuditEvent, Verb
from handover.transfers import services
from handover.web import next_steps
from handover.web.selectors import ROWS_PER_NEED

pytestmark = pytest.mark.django_db


def propose(world, identifier, worker):
    return services.transfer_propose(
        now=NOW,
        actor=worker,
        child=world.child(identifier, identifier.title(), worker=worker),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]


def page(person, url="/my-work/") -> str:
    client = Client()
    client.force_login(person.user)
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_social_worker_is_asked_about_their_own_transfers_not_their_colleagues(world):
    mine = propose(world, "OWN1", world.ast_sw)
    colleagues = propose(world, "COL1", world.ast_sw2)
    assert {t.pk for t in next_steps.candidate_transfers(world.ast_sw)} == {mine.pk}
    worker_page = page(world.ast_sw)
    assert "Own1 Testfamily" in worker_page and "Col1 Testfamily" not in worker_page
    # Their manager is asked about both (the sending team's managers put them on the sheet).
    manager_page = page(world.ast_tm)
    assert "Own1 Testfamily" in manager_page and "Col1 Testfamily" in manager_page
    assert colleagues.pk in {t.pk for t in next_steps.candidate_transfers(world.ast_tm)}


def test_each_need_shows_its_most_pressing_rows_and_links_to_all_of_them(world):
    count = ROWS_PER_NEED + 2
    for n in range(count):
        propose(world, f"BUSY{n:02}", world.ast_sw)
    short = page(world.ast_tm)
    heading = next_steps.HEADINGS[next_steps.Need.LIST]
    assert f"{heading} ({count})" in short
    section = short.split(f'id="need-{next_steps.Need.LIST}"')[1].split("</table>")[0]
    assert len(set(re.findall(r"Busy\d\d Testfamily", section))) == ROWS_PER_NEED
    assert f"?need={next_steps.Need.LIST}" in short and "Show all" in short and "2 more" in short
    # The audit names the children the page showed, not those a link away.
    listed = AuditEvent.objects.filter(verb=Verb.CHILD_LISTED, detail="My work").latest("pk")
    assert len(listed.after["children"]) < count

    every = page(world.ast_tm, f"/my-work/?need={next_steps.Need.LIST}")
    section = every.split(f'id="need-{next_steps.Need.LIST}"')[1].split("</table>")[0]
    assert len(set(re.findall(r"Busy\d\d Testfamily", section))) == count
    assert "Show all" not in every and "Back to all my work" in every
    assert f'id="need-{next_steps.Need.CONFIRM}"' not in every  # that need alone

    # A need that is not one is the whole page, as without it.
    assert "Show all" in page(world.ast_tm, "/my-work/?need=nonsense")
