"""The transfer page says what is true now (issue 12, "Stale statuses"): the letters' status follows the transfer
(not "letters go out once the receiving worker is named" after the worker is named), "family told" is done once
the letters are written, and once the case has moved (or the transfer ended) no step reads as open or overdue.
And naming the receiving worker shows each worker's caseload, read in one query however many workers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import NOW, TODAY, authorise_summary, listed_on, meet_checklist

from handover.children.models import Allocation, AllocationKind, Child
from handover.organisation.models import Role
from handover.organisation.services import staff_create
from handover.transfers import services
from handover.transfers.models import SignOffKind

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)
WAITING = "Letters go out once the receiving worker is named"


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def act(transfer, actor, action, **extra):
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW, actor=actor, transfer=transfer, action=action, expected_version=transfer.version, **extra
    )


def step_cell(page: str, name: str) -> str:
    """The text of the Due cell of the deadline row named `name` on the transfer page."""
    found = re.search(
        rf'<td class="govuk-table__cell">{re.escape(name)}</td>\s*<td class="govuk-table__cell">(.*?)</td>',
        page,
        re.S,
    )
    assert found is not None, name
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.fixture
def agreed(world):
    transfer = listed_on(world, "stat1", MONDAY)
    transfer.child.address = "1 Example Road"
    transfer.child.save()
    return act(
        transfer,
        world.cin_tm,
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )


def test_the_letters_status_follows_the_transfer(world, agreed):
    before = signed_in(world.cin_sw).get(f"/transfers/{agreed.pk}/").content.decode()
    assert f"None written yet. {WAITING}; this transfer is agreed." in before

    world.cin_sw.phone = ""
    world.cin_sw.save()
    act(agreed, world.cin_tm, "identify_worker", worker=world.cin_sw)
    world.cin_sw.email = ""
    world.cin_sw.save()
    no_contact = signed_in(world.cin_sw).get(f"/transfers/{agreed.pk}/").content.decode()
    assert WAITING not in no_contact
    assert "None written yet. Sam Cin Sw has no telephone number or email address on record" in no_contact

    world.cin_sw.phone = "01234 567890"
    world.cin_sw.save()
    named = signed_in(world.cin_sw).get(f"/transfers/{agreed.pk}/").content.decode()
    assert WAITING not in named and "None written yet. They can be written now." in named
    assert not step_cell(named, "Family and professionals told in writing").startswith("Done")

    # Written from the page: listed with the day they were written, and "family told" is done.
    assert signed_in(world.cin_sw).post(f"/transfers/{agreed.pk}/letters/").status_code == 302
    written = signed_in(world.cin_sw).get(f"/transfers/{agreed.pk}/").content.decode()
    assert (
        "None written yet" not in written
        and "The parent or carer of Stat1 Testfamily, 24 November 2026" in written
    )
    assert step_cell(written, "Family and professionals told in writing").startswith("Done 24 November 2026")


def _complete(world, transfer):
    act(transfer, world.cin_tm, "identify_worker", worker=world.cin_sw)
    act(transfer, world.cin_sw, "record_handover", attendees=[world.cin_sw])
    meet_checklist(transfer, confirmer=world.ast_tm, on=TODAY)
    authorise_summary(world, transfer)
    services.transfer_sign_off(now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(
        now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )
    return act(transfer, world.cin_tm, "complete", confirm_early=True, reason="The family asked for it now.")


def test_after_the_case_moved_no_step_reads_as_open_or_overdue(world, agreed):
    _complete(world, agreed)
    page = signed_in(world.cin_tm).get(f"/transfers/{agreed.pk}/").content.decode()
    assert step_cell(page, "Formal transfer to the new team") == "Done 24 November 2026"
    assert step_cell(page, "Handover meeting") == "Done 24 November 2026"
    # Steps nobody recorded before the case moved say so; none is overdue or counting working days.
    assert step_cell(page, "Introductions to the family and professionals planned by both workers") == (
        "Not recorded as done before the case transferred on 24 November 2026 Was due 24 November 2026"
    )
    deadlines = page.split('<h2 class="govuk-heading-m">Deadlines</h2>')[1].split("Readiness checklist")[0]
    assert "Overdue" not in deadlines and "working day" not in deadlines and "Mark done" not in deadlines
    assert "Not recorded as done" in step_cell(page, "Family and professionals told in writing")


def test_after_a_withdrawal_no_step_is_needed(world, agreed):
    act(agreed, world.ast_tm, "withdraw", reason="The family moved out of the county.")
    page = signed_in(world.ast_tm).get(f"/transfers/{agreed.pk}/").content.decode()
    assert step_cell(page, "Handover meeting").startswith(
        "Not needed: the transfer was withdrawn on 24 November 2026"
    )
    deadlines = page.split('<h2 class="govuk-heading-m">Deadlines</h2>')[1].split("Readiness checklist")[0]
    assert "Overdue" not in deadlines and "working day" not in deadlines


def _hold_cases(world, worker, count: int, prefix: str) -> None:
    for n in range(count):
        child = Child.objects.create(
            authority=world.authority,
            identifier=f"{prefix}{n}",
            first_name=f"{prefix}{n}",
            last_name="Caseload",
            date_of_birth=dt.date(2015, 1, 1),
            disability=False,
        )
        Allocation.objects.create(
            child=child,
            kind=AllocationKind.PRIMARY,
            team=world.teams["cin_cp_east"],
            worker=worker,
            start=dt.date(2026, 6, 1),
        )


def test_naming_the_receiving_worker_shows_each_workers_caseload(world, agreed):
    _hold_cases(world, world.cin_sw, 3, "sam")
    ended = Allocation.objects.filter(worker=world.cin_sw).first()
    ended.end = dt.date(2026, 10, 1)  # a case that has moved on is not on the caseload
    ended.save()
    page = signed_in(world.cin_tm).get(f"/transfers/{agreed.pk}/identify_worker/").content.decode()
    assert re.search(r"Sam Cin Sw</label><div[^>]*>Caseload: 2 open cases", page)


def test_the_caseloads_are_read_in_one_query_however_many_workers(world, agreed):
    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            choices = services.receiving_worker_choices(agreed, on=TODAY)
            assert all(isinstance(worker.caseload, int) for worker, _ in choices)
        return len(seen.captured_queries)

    _hold_cases(world, world.cin_sw, 2, "sam")
    queries()  # the transfer's own rows (its outgoing allocation) are read once, then kept
    few = queries()
    for n in range(4):
        worker = staff_create(
            authority=world.authority,
            username=f"extra_sw_{n}",
            name=f"Extra Worker {n}",
            roles=[(Role.SOCIAL_WORKER, world.teams["cin_cp_east"])],
            email=f"extra{n}@example.invalid",
            social_work_england_number=f"SW90000{n}",
        )
        _hold_cases(world, worker, n, f"x{n}_")
    assert queries() == few
    caseloads = {w.name: w.caseload for w, _ in services.receiving_worker_choices(agreed, on=TODAY)}
    assert caseloads == {"Sam Cin Sw": 2, **{f"Extra Worker {n}": n for n in range(4)}}


def test_confirm_is_offered_only_for_the_items_a_person_may_confirm(world):
    """The outgoing social worker confirms the personal information (D-039); only a manager confirms the file
    checked and authorised (D-035): the page offers each the buttons the service would accept, no more."""
    transfer = listed_on(world, "conf1", MONDAY)
    confirm = f"/transfers/{transfer.pk}/sign-off/"
    worker_page = signed_in(world.ast_sw).get(f"/transfers/{transfer.pk}/").content.decode()
    manager_page = signed_in(world.ast_tm).get(f"/transfers/{transfer.pk}/").content.decode()
    assert f"{confirm}personal_information_complete/" in worker_page
    assert f"{confirm}file_checked_and_authorised/" not in worker_page
    assert f"{confirm}file_checked_and_authorised/" in manager_page
    refused = signed_in(world.ast_sw).post(f"{confirm}file_checked_and_authorised/")
    assert refused.status_code in (302, 403)
    assert not transfer.confirmations.filter(item="file_checked_and_authorised").exists()


def test_an_action_taken_says_so_on_the_transfer_page(world):
    from tests.integration.test_transfer_journey import propose

    transfer = propose(world, world.child("said1", "Rae"))
    response = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/list/", {"version": transfer.version}, follow=True
    )
    page = response.content.decode()
    assert "govuk-notification-banner--success" in page
    assert "Put on the early warning sheet: done. The transfer of Rae Testfamily is now listed." in page
