"""A caseload import at scale (issue 14): written in chunks with plain inserts, it must write exactly the records
and history rows that saving each record did, report its progress as lines or counts, and show a bar on a
terminal. The speed itself is measured by bench/import.py, not here."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from tests.integration.conftest import NOW

from handover.audit.models import AuditEvent, Verb
from handover.children.models import (
    Allocation,
    AllocationKind,
    ChangeReason,
    Child,
    Family,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.onboarding import importing
from handover.onboarding.importing import ImportFailed, import_csv

pytestmark = pytest.mark.django_db

HEADER = (
    "identifier,first_name,last_name,date_of_birth,expected_date_of_birth,gender,ethnicity,disability,"
    "asylum_status,locality,family,team,worker,allocation_start,legal_status,plan\n"
)
# Siblings across chunks (two rows a chunk below), a family name already on file (a new family all the same, as
# before), an unborn child, no worker, blanks and defaults, spaces around values.
CASELOAD = HEADER + (
    "P1,Rowan,Rook,2015-04-02,,F,WBRI,yes,,East,Rook,cin_cp_east,sam_cin_sw,2026-01-05,care_order,cla\n"
    "P2,Sky,Rook,2017-09-30,,M,,no,none,,Rook,cin_cp_east,sam_cin_sw,2026-01-05,,\n"
    "P3,Baby,Wren,,2027-03-01,,,,,,,assessment_east,,2026-11-01,,\n"
    "P4,Ada,Testfamily,2012-06-15,,F,MWBC,,,,Testfamily,assessment_east,ava_assessment_sw,2025-12-01,none,cin\n"
    "P5,Kit,Rook,2020-02-29,,,NOBT,,,,Rook,cin_cp_east,,2026-03-01,s20,cp\n"
    "P6,Noor,Quarry,2010-01-01,,F,OOTH,,unaccompanied_seeking_asylum,West,,lac_team,,2025-07-07,s20,cla\n"
    " P7 , Lev , Varley ,2019-05-05,, M , AIND , No ,, East , Varley ,assessment_east, ava_assessment_sw ,2026-02-02,,\n"
)
MODELS = (Child, Allocation, LegalStatusEpisode, PlanEpisode)


def _write_one_by_one(authority, checked, report, *, now) -> int:
    """The caseload writer before issue 14, kept as the specification of what an import writes: each record
    saved on its own (so simple_history adds its row)."""
    families: dict[str, Family] = {}
    for row, dob, expected, start, team, worker, disability, values in checked:
        family = None
        name = (row.get("family") or "").strip()
        if name:
            family = families.get(name) or Family.objects.create(authority=authority, name=name)
            families[name] = family
        child = Child.objects.create(
            authority=authority,
            identifier=row["identifier"].strip(),
            first_name=row["first_name"].strip(),
            last_name=row["last_name"].strip(),
            date_of_birth=dob,
            expected_date_of_birth=expected,
            gender=(row.get("gender") or "").strip(),
            ethnicity=(row.get("ethnicity") or "").strip(),
            disability={"yes": True, "no": False}.get(disability),
            asylum_status=values["asylum_status"],
            locality=(row.get("locality") or "").strip(),
            family=family,
        )
        Allocation.objects.create(
            child=child,
            kind=AllocationKind.PRIMARY,
            team=team,
            worker=worker,
            start=start,
            start_reason=ChangeReason.OTHERS,
        )
        if values["legal_status"] != "none":
            LegalStatusEpisode.objects.create(child=child, status=values["legal_status"], start=start)
        if values["plan"] != "none":
            PlanEpisode.objects.create(child=child, plan=values["plan"], start=start)
    return len(checked)


def _snapshot(families_before: set[int], dated) -> dict:
    """Every record and history row the import can write, keys replaced by what they point at (a child by its
    identifier, a family by its name, or "on file" for one that was there before), history dates checked to be
    the time of writing and then left out."""
    identifier = dict(Child.objects.values_list("pk", "identifier"))
    family = {
        pk: ("on file", pk) if pk in families_before else name
        for pk, name in Family.objects.values_list("pk", "name")
    }
    found = {
        "families": sorted(
            (name, authority) for pk, name, authority in Family.objects.values_list("pk", "name", "authority")
        )
    }
    for model in MODELS:
        for table in (model, model.history.model):
            rows = []
            for row in table.objects.values():
                row.pop("history_id", None)
                if "history_date" in row:
                    assert dated(row.pop("history_date"))
                key = row.pop("id")
                if model is Child:
                    row["id"] = identifier[key]
                    row["family_id"] = family.get(row["family_id"])
                else:
                    row["child_id"] = identifier[row["child_id"]]
                rows.append(sorted(row.items(), key=lambda item: item[0]))
            found[table.__name__] = sorted(rows, key=repr)
    return found


@pytest.fixture
def families_before(world):
    return set(Family.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("by", ["command", "a signed-in user"])
def test_import_writes_what_saving_one_by_one_wrote(world, families_before, monkeypatch, by):
    if by != "command":  # simple_history names the request's user, as the web's middleware sets it
        monkeypatch.setattr(
            HistoricalRecords.context, "request", SimpleNamespace(user=world.director.user), False
        )
    started = timezone.now()
    with transaction.atomic():
        with monkeypatch.context() as patched:
            patched.setattr(importing, "_write_caseload", _write_one_by_one)
            assert import_csv(now=NOW, authority=world.authority, kind="caseload", text=CASELOAD) == 7
        # Saving one by one dates each history row by the clock; the import, by its own time.
        one_by_one = _snapshot(families_before, lambda day: started <= day <= timezone.now())
        transaction.set_rollback(True)
    assert not Child.objects.exists()

    monkeypatch.setattr(importing, "CHUNK", 2)  # siblings and the history rows across chunks
    assert import_csv(now=NOW, authority=world.authority, kind="caseload", text=CASELOAD) == 7
    in_bulk = _snapshot(families_before, lambda day: day == NOW)

    assert in_bulk == one_by_one
    assert len(in_bulk["HistoricalChild"]) == 7 and len(in_bulk["HistoricalPlanEpisode"]) == 4
    users = {h.history_user for model in MODELS for h in model.history.all()}
    assert users == ({None} if by == "command" else {world.director.user})
    rook = Family.objects.exclude(pk__in=families_before).get(name="Rook")
    assert set(rook.children.values_list("identifier", flat=True)) == {"P1", "P2", "P5"}
    assert Child.objects.get(identifier="P4").family.pk not in families_before  # a new Testfamily


def test_progress_as_lines_and_as_counts(world, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 2)
    lines, counts = [], []
    import_csv(
        now=NOW,
        authority=world.authority,
        kind="caseload",
        text=CASELOAD,
        progress=lines.append,
        advance=lambda *count: counts.append(count),
    )
    assert lines == [
        "checked 2 of 7 rows",
        "checked 4 of 7 rows",
        "checked 6 of 7 rows",
        "imported 2 of 7 children",
        "imported 4 of 7 children",
        "imported 6 of 7 children",
    ]
    assert counts[-5:] == [
        ("check", 7, 7),
        ("write", 2, 7),
        ("write", 4, 7),
        ("write", 6, 7),
        ("write", 7, 7),
    ]


def _run_command(tmp_path, stdout) -> str:
    path = tmp_path / "caseload.csv"
    path.write_text(CASELOAD, encoding="utf-8")
    call_command("import_csv", "caseload", str(path), stdout=stdout)
    return stdout.getvalue()


def test_command_prints_plain_lines_when_not_on_a_terminal(world, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 2)
    out = _run_command(tmp_path, io.StringIO())
    assert out.splitlines() == [
        "checked 2 of 7 rows",
        "checked 4 of 7 rows",
        "checked 6 of 7 rows",
        "imported 2 of 7 children",
        "imported 4 of 7 children",
        "imported 6 of 7 children",
        "imported 7 caseload rows",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_command_shows_bars_on_a_terminal(world, tmp_path):
    out = _run_command(tmp_path, Terminal())
    assert "Checking rows" in out and "Writing records" in out and "7/7" in out
    assert "checked 2 of" not in out  # the bars instead of the lines
    assert out.rstrip().endswith("imported 7 caseload rows")
    assert Child.objects.count() == 7


def test_every_problem_of_a_long_file_is_reported(world):
    rows = [f"Q{i},Al,Bee,,,,,,,,,atlantis,,2026-01-01,,\n" for i in range(3000)]
    rows.append("Q3000,Al,Bee,30/09/2017,,,,,,,,cin_cp_east,,2026-01-01,,\n")
    with pytest.raises(ImportFailed) as failed:
        import_csv(now=NOW, authority=world.authority, kind="caseload", text=HEADER + "".join(rows))
    problems = [str(p) for p in failed.value.problems]
    assert len(problems) == 3000 * 2 + 1
    assert problems[-3:] == [
        "row 3001, column date_of_birth: give the date of birth or the expected date of birth",
        "row 3001, column team: no team 'atlantis'",
        # a date of birth given but not readable: that is the problem, not a missing date
        "row 3002, column date_of_birth: '30/09/2017' is not a date written YYYY-MM-DD",
    ]
    assert not Child.objects.exists()


def test_a_failure_while_writing_leaves_nothing_written(world, families_before, monkeypatch):
    """One transaction still: the plain inserts are the import's, and go with it when it fails part way."""
    monkeypatch.setattr(importing, "CHUNK", 2)
    insert, calls = importing._insert_many, []

    def failing_on_the_third_chunk(table, values, *, returning):
        calls.append(table.meta.model_name)
        if calls.count("child") == 3:
            raise RuntimeError("the disk is full")
        return insert(table, values, returning=returning)

    monkeypatch.setattr(importing, "_insert_many", failing_on_the_third_chunk)
    with pytest.raises(RuntimeError, match="disk is full"):
        import_csv(now=NOW, authority=world.authority, kind="caseload", text=CASELOAD)
    assert calls.count("historicalchild") == 2  # two chunks were written before it failed
    assert not Child.objects.exists() and not Allocation.objects.exists()
    assert not any(model.history.exists() for model in MODELS)
    assert set(Family.objects.values_list("pk", flat=True)) == families_before
    assert not AuditEvent.objects.filter(verb=Verb.IMPORT).exists()
