"""Bad input gets a field error, never a 500 (issue 9): ids that are not numbers, integers too large for the
database, impossible dates, JSON nested 50,000 deep, NUL characters, text longer than its cap, CSV files that
are not UTF-8, --help without production settings, and record text that looks like a spreadsheet formula.
Each refusal names the field and the rule, and nothing is written. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, listed_on

from handover.audit.models import AuditEvent
from handover.children.models import Child
from handover.documents import meeting_papers
from handover.documents.models import TransferSummary
from handover.documents.transfer_summary import transfer_summary_draft
from handover.meetings.models import Meeting
from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_record_decision,
    meeting_sitting_schedule,
)
from handover.organisation.models import Team
from handover.transfers import services
from handover.transfers.case_requests import case_request_create
from handover.transfers.models import RemedialAction, Transfer, TransferEvent

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)
TOO_BIG = str(10**23)  # more than any database integer
TWO_MB = "x" * 2_000_000


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def api(staff) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=staff.user)
    return client


def written() -> dict:
    return {
        "transfers": Transfer.objects.count(),
        "events": TransferEvent.objects.count(),
        "remedial_actions": RemedialAction.objects.count(),
        "summaries": TransferSummary.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def transfer(world):
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("B1", "Bea"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]


def page_errors(response) -> str:
    assert response.status_code == 400, response.status_code
    text = response.content.decode()
    assert "There is a problem" in text
    return text


# -- 1. ids that are not numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", TOO_BIG, "-1", "1.5", "²"])
def test_transfer_action_with_a_bad_team_worker_or_version_is_a_field_error(world, transfer, bad):
    url = f"/transfers/{transfer.pk}"
    before = written()
    agree = signed_in(world.cin_tm).post(
        f"{url}/agree/", {"version": 1, "to_team": bad, "day": "9", "month": "12", "year": "2026"}
    )
    assert "Select the receiving team from the list" in page_errors(agree)
    worker = signed_in(world.cin_tm).post(f"{url}/identify_worker/", {"version": 1, "worker": bad})
    assert "Select the receiving worker from the list" in page_errors(worker)
    version = signed_in(world.ast_tm).post(f"{url}/withdraw/", {"version": bad, "reason": "duplicate"})
    text = page_errors(version)
    assert "version of the transfer is not a whole number" in text and 'href="#action"' in text
    assert written() == before
    transfer.refresh_from_db()
    assert transfer.version == 1 and transfer.state == "proposed"


def test_a_year_of_twenty_digits_is_not_a_real_date(world, transfer):
    signed_in(world.business_support).post(f"/transfers/{transfer.pk}/list/", {"version": 1})
    response = signed_in(world.cin_tm).post(
        f"/transfers/{transfer.pk}/agree/",
        {"version": 2, "to_team": world.teams["cin_cp_east"].pk, "day": "9", "month": "12", "year": TOO_BIG},
    )
    assert "Enter the agreed transfer date as a real date" in page_errors(response)


@pytest.mark.parametrize("bad", ["abc", TOO_BIG])
def test_remedial_action_with_a_bad_owner_is_a_field_error(world, transfer, bad):
    due = TODAY + dt.timedelta(days=7)
    response = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/remedial-actions/new/",
        {"description": "Update the chronology", "owner": bad, "due-day": due.day, "due-month": due.month}
        | {"due-year": due.year},
    )
    text = page_errors(response)
    assert 'href="#owner"' in text and "Select who will do it" in text
    assert not RemedialAction.objects.exists()


@pytest.fixture
def sitting(world):
    first = listed_on(world, "bm1", MONDAY)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    (item,) = [i for i in early_warning_sheet_compile(meeting=meeting, now=NOW) if i.transfer_id == first.pk]
    return meeting, item


def test_meeting_pages_with_bad_ids_are_field_errors(world, sitting):
    meeting, item = sitting
    client = signed_in(world.business_support)
    decision = client.post(
        f"/meetings/{meeting.pk}/cases/{item.pk}/",
        {"decision": "agreed", "to_team": "abc", "decided_by": TOO_BIG}
        | {"transfer_date-day": "9", "transfer_date-month": "12", "transfer_date-year": "2026"},
    )
    text = page_errors(decision)
    assert "Select the receiving team" in text and "Select the manager who made the decision" in text
    late = client.post(
        f"/meetings/{meeting.pk}/late/",
        {"transfer": "abc", "sending_manager": TOO_BIG, "receiving_manager": "x"},
    )
    assert "Select the case to add" in page_errors(late)
    close = client.post(f"/meetings/{meeting.pk}/close/", {"minutes": "", "attendees": ["abc", TOO_BIG]})
    assert "Select everyone who attended" in page_errors(close)
    item.refresh_from_db()
    assert item.decision == "pending"


# -- 2. Find a child ------------------------------------------------------------------------------------------


def test_search_with_a_huge_team_or_an_impossible_date_is_not_an_error_page(world):
    world.child("S1", "Saffron")
    client = signed_in(world.ast_tm)
    huge = client.get("/children/", {"q": "saffron", "team": TOO_BIG})
    assert huge.status_code == 200
    assert "Choose the team holding the case from the list" in huge.content.decode()
    for team in ("abc", "²", "-1"):
        assert client.get("/children/", {"q": "saffron", "team": team}).status_code == 200
    impossible = client.get("/children/", {"q": "2020-99-99"})
    assert impossible.status_code == 200  # searched as text: no child is called that
    assert "Saffron" not in impossible.content.decode()
    found = client.get("/children/", {"q": "2016-03-01"})  # a real date of birth still finds the child
    assert "Saffron Testfamily" in found.content.decode()


def test_search_refuses_nul_and_very_long_text_with_a_message(world):
    client = signed_in(world.ast_tm)
    nul = client.get("/children/", {"q": "saf\x00fron"})
    assert nul.status_code == 200
    assert "Search must not contain the null character" in nul.content.decode()
    long = client.get("/children/", {"q": "a" * 201})
    assert "Search must be 200 characters or less" in long.content.decode()


def test_api_filters_with_huge_or_non_numeric_ids_are_400_or_empty(world, transfer):
    client = api(world.ast_tm)
    for query in (
        f"/api/children/?team={TOO_BIG}",
        "/api/children/?team=abc",
        f"/api/transfers/?child={TOO_BIG}",
        f"/api/transfers/?from_team={TOO_BIG}",
        f"/api/staff/?team={TOO_BIG}",
        "/api/children/?date_of_birth=2020-99-99",
    ):
        response = client.get(query)
        assert response.status_code in (200, 400), (query, response.status_code)
        if response.status_code == 200:
            assert response.json()["results"] == [], query


def test_a_unicode_digit_is_not_a_child_id(world):
    child = world.child("U1", "Uma")
    response = api(world.ast_tm).post(
        "/api/transfers/",
        {"child": child.pk, "event": "assessment_concluded", "date": "2026-11-24", "answers": CIN_PLAN}
        | {"separation_reasons": {"²": "lives apart"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"separation_reasons": "'²' is not a child id"}}
    assert not Transfer.objects.filter(child=child).exists()


# -- 3. JSON nested too deep ----------------------------------------------------------------------------------


def test_json_nested_50000_deep_is_a_400(world, transfer):
    before = written()
    body = '{"action": "withdraw", "version": 1, "reason": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = api(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/actions/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested more than 20 levels deep" in response.json()["detail"]
    deep = {"action": "withdraw", "version": 1, "reason": "x", "extra": {}}
    node = deep["extra"]
    for _ in range(30):  # within Python's limits, beyond any real request
        node["x"] = {}
        node = node["x"]
    response = api(world.ast_tm).post(f"/api/transfers/{transfer.pk}/actions/", deep, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"extra": ["nested more than 20 levels deep"]}}
    assert written() == before


def test_a_request_body_over_the_upload_limit_is_413(world, transfer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/actions/",
        {"action": "withdraw", "version": 1, "reason": "x" * 2_000},
        format="json",
    )
    assert response.status_code == 413


# -- 4. NUL ---------------------------------------------------------------------------------------------------


def test_nul_in_page_text_is_a_field_error(world, transfer, sitting):
    before = written()
    withdraw = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/withdraw/", {"version": 1, "reason": "dup\x00licate"}
    )
    assert "Reason must not contain the null character (U+0000)" in page_errors(withdraw)
    due = TODAY + dt.timedelta(days=7)
    remedial = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/remedial-actions/new/",
        {"description": "chrono\x00logy", "owner": world.ast_sw.pk}
        | {"due-day": due.day, "due-month": due.month, "due-year": due.year},
    )
    assert "Description must not contain the null character" in page_errors(remedial)
    summary = signed_in(world.ast_sw).post(
        f"/transfers/{transfer.pk}/summary/", {"work_undertaken": "visits\x00", "last_assessment_outcome": ""}
    )
    assert "Work undertaken must not contain the null character" in page_errors(summary)
    meeting, _ = sitting
    close = signed_in(world.business_support).post(
        f"/meetings/{meeting.pk}/close/", {"minutes": "noted\x00", "attendees": [world.ast_tm.pk]}
    )
    assert "Minutes must not contain the null character" in page_errors(close)
    assert written() == before
    assert Meeting.objects.get(pk=meeting.pk).status != Meeting.Status.CLOSED


def test_nul_in_api_text_is_a_400_naming_the_field(world, transfer):
    before = written()
    client = api(world.ast_tm)
    url = f"/api/transfers/{transfer.pk}"
    reason = client.post(
        f"{url}/actions/", {"action": "withdraw", "version": 1, "reason": "dup\x00"}, format="json"
    )
    assert reason.status_code == 400
    assert reason.json() == {"errors": {"reason": ["reason must not contain the null character (U+0000)"]}}
    form = client.post(f"{url}/actions/", {"action": "withdraw", "version": 1, "reason": "dup\x00"})
    assert (
        form.status_code == 400 and "reason" in form.json()["errors"]
    )  # form-encoded: the serializer's check
    answers = dict(CIN_PLAN, facts={"assessment_outcome": "cin_plan", "note": "a\x00b"})
    nested = client.post(
        "/api/transfers/recommend/",
        {
            "child": transfer.child.pk,
            "event": "assessment_concluded",
            "date": "2026-11-24",
            "answers": answers,
        },
        format="json",
    )
    assert nested.status_code == 400 and "answers.facts.note" in nested.json()["errors"]
    key = client.post(f"{url}/facts/", {"version": 1, "answers": {"facts": {"x\x00": "y"}}}, format="json")
    assert key.status_code == 400 and "answers.facts" in key.json()["errors"]
    assert written() == before


def test_nul_in_a_text_fact_is_refused_by_the_situation_check(world):
    child = world.child("N1", "Nia")
    with pytest.raises(services.ApplicationError) as refused:
        services.transfer_recommend(
            child=child,
            event="assessment_concluded",
            on=TODAY,
            answers={"facts": {"assessment_outcome": "cin_plan\x00"}},
        )
    assert "situation.facts.assessment_outcome" in refused.value.errors


# -- 5. length caps -------------------------------------------------------------------------------------------


def test_two_megabytes_of_remedial_action_text_is_refused_on_the_page_and_in_the_api(world, transfer):
    due = TODAY + dt.timedelta(days=7)
    page = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/remedial-actions/new/",
        {"description": TWO_MB, "owner": world.ast_sw.pk}
        | {"due-day": due.day, "due-month": due.month, "due-year": due.year},
    )
    assert "Description must be 2,000 characters or less" in page_errors(page)
    response = api(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/remedial-actions/",
        {"description": TWO_MB, "owner": world.ast_sw.pk, "due": due.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"description": ["description must be 2,000 characters or less"]}}
    with pytest.raises(services.ApplicationError) as refused:
        services.remedial_action_create(
            now=NOW, actor=world.ast_tm, transfer=transfer, description=TWO_MB, owner=world.ast_sw, due=due
        )
    assert refused.value.errors == {"description": "description must be 2,000 characters or less"}
    assert not RemedialAction.objects.exists()


def test_a_reason_over_2000_characters_is_refused_and_2000_is_kept_whole(world, transfer):
    long = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/withdraw/", {"version": 1, "reason": "r" * 2_001}
    )
    assert "Reason must be 2,000 characters or less" in page_errors(long)
    api_long = api(world.ast_tm).post(
        f"/api/transfers/{transfer.pk}/actions/",
        {"action": "withdraw", "version": 1, "reason": "r" * 2_001},
        format="json",
    )
    assert api_long.status_code == 400 and "reason" in api_long.json()["errors"]
    transfer.refresh_from_db()
    assert transfer.state == "proposed"
    # A typed line break counts once, as the person sees it.
    ok = signed_in(world.ast_tm).post(
        f"/transfers/{transfer.pk}/withdraw/", {"version": 1, "reason": "r\r\n" * 666 + "rr"}
    )
    assert ok.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).closed_reason == "r\n" * 666 + "rr"


def test_minutes_summary_panel_notes_and_case_request_are_capped_by_their_services(world, transfer, sitting):
    before = written()
    meeting, item = sitting
    close = signed_in(world.business_support).post(
        f"/meetings/{meeting.pk}/close/", {"minutes": "m" * 10_001, "attendees": [world.ast_tm.pk]}
    )
    assert "Minutes must be 10,000 characters or less" in page_errors(close)
    with pytest.raises(services.ApplicationError) as summary:
        transfer_summary_draft(now=NOW, actor=world.ast_sw, transfer=transfer, work_undertaken="w" * 10_001)
    assert summary.value.errors == {"work_undertaken": "work undertaken must be 10,000 characters or less"}
    with pytest.raises(services.ApplicationError) as decision:
        meeting_record_decision(
            now=at(dt.date(2026, 11, 25)),
            actor=world.business_support,
            item=item,
            decision="agreed_alternative",
            decided_by=world.cin_tm,
            to_team=world.teams["cin_cp_east"],
            transfer_date=dt.date(2026, 12, 9),
            alternative_transfer_point="p" * 201,
        )
    assert decision.value.errors == {
        "alternative_transfer_point": "alternative transfer point must be 200 characters or less"
    }
    with pytest.raises(services.ApplicationError) as request:
        case_request_create(
            now=NOW,
            actor=world.cin_tm,
            child=transfer.child,
            requesting_team=world.teams["cin_cp_east"],
            reason="q" * 2_001,
        )
    assert request.value.errors["reason"] == "reason must be 2,000 characters or less"
    panel = signed_in(world.cin_pm).post(
        f"/children/{world.child('P1', 'Pip', team='cin_cp_east', worker=world.cin_sw).pk}/panel-decision/",
        {"outcome": "no_legal_action", "notes": "n" * 10_001}
        | {"decided_on-day": TODAY.day, "decided_on-month": TODAY.month, "decided_on-year": TODAY.year},
    )
    assert "Notes must be 10,000 characters or less" in page_errors(panel)
    assert written() == before


def test_closing_a_record_with_a_long_reason_is_refused_not_cut_short(world):
    child = world.child("C1", "Cai")
    response = api(world.ast_tm).post(
        f"/api/children/{child.pk}/close/", {"reason": "c" * 201}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"reason": ["reason must be 200 characters or less"]}}
    assert Child.objects.get(pk=child.pk).closed_on is None


# -- 6. CSV files that are not UTF-8 --------------------------------------------------------------------------

TEAMS = "service,team_code,team_name,locality\ncin_cp,cin_cp_rené,Équipe René,Weymouth\n"


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_import_of_a_file_that_is_not_utf8_fails_in_one_line_writing_nothing(world, tmp_path, encoding):
    path = tmp_path / f"teams-{encoding}.csv"
    path.write_text(TEAMS, encoding=encoding)
    teams = Team.objects.count()
    with pytest.raises(CommandError) as failed:
        call_command("import_csv", "teams", str(path))
    assert failed.value.returncode == 2
    message = str(failed.value)
    assert str(path) in message and "expected UTF-8" in message and "\n" not in message
    assert Team.objects.count() == teams


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_import_accepts_utf8_with_or_without_the_excel_byte_order_mark(world, tmp_path, encoding):
    path = tmp_path / "teams.csv"
    path.write_text(TEAMS, encoding=encoding)
    call_command("import_csv", "teams", str(path))
    assert Team.objects.get(code="cin_cp_rené").name == "Équipe René"


def test_import_command_line_on_latin1_exits_2_without_a_traceback(world, tmp_path, capsys):
    from handover.cli import main

    path = tmp_path / "teams.csv"
    path.write_text(TEAMS, encoding="latin-1")
    with pytest.raises(SystemExit) as exited:
        main(["import", "teams", str(path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "expected UTF-8" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


# -- 7. --help without production settings --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["demo", "import", "serve", "manage"])
def test_help_works_without_production_settings(command):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("HANDOVER_DEBUG", "HANDOVER_SECRET_KEY", "HANDOVER_ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "handover.cli", command, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout.lower() or "subcommands" in done.stdout.lower()
    assert "Traceback" not in done.stderr
    if command == "manage":
        assert "demo" in done.stdout and "import_csv" in done.stdout  # Handover's own commands listed too


def test_a_django_command_without_production_settings_is_one_line_exit_2():
    env = {k: v for k, v in os.environ.items() if k not in ("HANDOVER_DEBUG", "HANDOVER_SECRET_KEY")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "handover.cli", "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: HANDOVER_SECRET_KEY must be set") and "Traceback" not in done.stderr


# -- 8. spreadsheet text is never a formula -------------------------------------------------------------------


def test_record_text_that_looks_like_a_formula_is_a_text_cell_in_the_xlsx(world, sitting):
    meeting, item = sitting
    formula = '=HYPERLINK("http://example.invalid/","click")'
    dde = "=cmd|' /C calc'!A0"
    services.remedial_action_create(
        now=NOW,
        actor=world.business_support,
        transfer=item.transfer,
        description=formula,
        owner=world.ast_sw,
        due=TODAY + dt.timedelta(days=7),
    )
    meeting_record_decision(
        now=at(dt.date(2026, 11, 25)),
        actor=world.business_support,
        item=item,
        decision="deferred",
        decided_by=world.cin_tm,
        reason=dde,
    )
    Child.objects.filter(pk=item.transfer.child_id).update(first_name="+SUM(1,1)")
    minutes = load_workbook(io.BytesIO(meeting_papers.minutes_xlsx(meeting, world.business_support)))
    cells = {
        c.value: c
        for sheet in minutes.worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    for text in (formula, dde, "+SUM(1,1) Testfamily"):
        assert cells[text].data_type == "s", text  # a string cell, never "f" (a formula)
        assert cells[text].quotePrefix, text  # and marked as text, so editing it in Excel keeps it text
    sheet = load_workbook(
        io.BytesIO(meeting_papers.early_warning_sheet_xlsx(meeting, world.business_support))
    ).active
    names = [c for row in sheet.iter_rows() for c in row if c.value == "+SUM(1,1) Testfamily"]
    assert names and all(c.data_type == "s" for c in names)


def test_json_guard_handles_the_api_schema_and_plain_requests(world):
    # The guarded parser must not get in the way of ordinary JSON.
    client = api(world.ast_tm)
    child = client.post(
        "/api/children/",
        json.dumps(
            {"identifier": "J1", "first_name": "Jo", "last_name": "Testley", "date_of_birth": "2016-01-01"}
        ),
        content_type="application/json",
    )
    assert child.status_code == 201, child.content
