"""The weekly meeting's early warning sheet is usable on paper and in Excel (from a user trial): twenty cases take
two or three landscape pages of table, one compact row a case, with every readiness gap and key date kept in an
appendix; the spreadsheet's next key date is a date cell, so it filters and sorts as a date.

Pages are read with poppler (pdfinfo for each page's MediaBox, pdftotext for the text on each page), which the
suite already needs to read PDFs back (tests/rendered.py)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.integration.conftest import NOW, listed_on

from handover.children.models import RestrictedAccess
from handover.documents import meeting_papers
from handover.documents.meeting_papers import readiness_summary
from handover.meetings.services import early_warning_sheet_compile, meeting_sitting_schedule

MONDAY = dt.date(2026, 11, 23)
WEDNESDAY = dt.date(2026, 11, 25)
CASES = 20
APPENDIX = "Appendix: readiness gaps and key dates"


def _poppler(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is missing: .ci/run installs it (apt-get install poppler-utils)")
    return path


def page_texts(pdf: bytes, folder: Path) -> list[str]:
    """The text of each page in the order it is drawn (-raw: a table cell's lines together), whitespace collapsed
    (pdftotext ends each page with a form feed)."""
    source = folder / "sheet.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        [_poppler("pdftotext"), "-raw", "-enc", "UTF-8", source, "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def media_boxes(pdf: bytes, folder: Path) -> list[tuple[float, float]]:
    """Each page's MediaBox as (width, height) in points."""
    source = folder / "sheet.pdf"
    source.write_bytes(pdf)
    info = subprocess.run(
        [_poppler("pdfinfo"), "-box", "-f", "1", "-l", "9999", source],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    boxes = re.findall(r"^Page\s+\d+\s+MediaBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", info, re.M)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


@pytest.fixture
def twenty(world):
    """Wednesday's sitting with twenty cases on its compiled sheet, and a restricted child the business support
    officer is not named on (the sheet leaves it out for them)."""
    transfers = [listed_on(world, f"ews{i:02d}", MONDAY) for i in range(CASES)]
    secret = listed_on(world, "secret1", MONDAY)
    secret.child.restricted = True
    secret.child.save()
    RestrictedAccess.objects.create(child=secret.child, staff=world.ast_tm)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    early_warning_sheet_compile(meeting=meeting, now=NOW)
    assert meeting.items.count() == CASES + 1
    return meeting, transfers


@pytest.mark.django_db
def test_twenty_cases_fit_on_two_or_three_landscape_pages_and_the_appendix_keeps_the_rest(
    world, twenty, tmp_path
):
    meeting, _ = twenty
    pdf = meeting_papers.early_warning_sheet_pdf(meeting, world.business_support)
    boxes = media_boxes(pdf, tmp_path)
    assert boxes and all(width > height for width, height in boxes), boxes  # landscape, every page
    assert all(round(width) == 842 and round(height) == 595 for width, height in boxes)  # A4

    pages = page_texts(pdf, tmp_path)
    assert len(pages) == len(boxes)
    # The appendix starts on a page of its own: every page before it is the table.
    (first_appendix_page,) = [n for n, text in enumerate(pages) if APPENDIX in text]
    table, appendix = pages[:first_appendix_page], " ".join(pages[first_appendix_page:])
    assert 1 <= len(table) <= 3, f"the table takes {len(table)} pages for {CASES} cases"
    assert not any(APPENDIX in text for text in table)

    table_text = " ".join(table)
    for i in range(CASES):
        # One row a case in the table, its name and ID (with the date of birth) there...
        assert f"Ews{i:02d} Testfamily" in table_text and f"ews{i:02d}, born 1 Mar 2016" in table_text
        # ... and one block in the appendix.
        assert f"Ews{i:02d} Testfamily" in appendix
    assert "secret1" not in (table_text + appendix).lower()  # restricted, not named: not on their sheet

    # The table summarises: the count of gaps and the first two, shortened; the next key date.
    assert table_text.count("11 gaps: File up to date, File audited by the transferring…, +9") == CASES
    assert table_text.count("25 Nov 2026 Presented at the weekly transfer meeting") == CASES
    assert "Ava Assessment Sw" in table_text and "Assessment Team to CIN and CP Team" in table_text
    # Nothing is lost: every gap in full and every key date, for every case, in the appendix.
    for gap in (
        "File up to date, checked and authorised by the practice manager or team manager",
        "Transfer summary authorised for the transfer meeting",
        "The prospective social worker attended the CIN meeting, ICPC or formal pre-proceedings meeting",
    ):
        assert appendix.count(gap) == CASES, gap
    for key_date in (
        "25 Nov 2026 Presented at the weekly transfer meeting",
        "2 Dec 2026 Receiving team and social worker identified",
        "9 Dec 2026 Formal transfer to the new team",
    ):
        assert appendix.count(key_date) == CASES, key_date
    assert len(pages) <= 6  # eleven pages before: two cases a page


@pytest.mark.django_db
def test_the_xlsx_next_key_date_is_a_date_cell_and_the_full_list_is_kept(world, twenty):
    meeting, _ = twenty
    book = load_workbook(io.BytesIO(meeting_papers.early_warning_sheet_xlsx(meeting, world.business_support)))
    sheet = book["Early warning sheet"]
    header = [c.value for c in sheet[3]]
    assert header[:9] == list(meeting_papers.SHEET_HEADER[:9])  # the columns business support know, unmoved
    column = {name: header.index(name) for name in header}
    assert header[-1] == "All key dates"
    rows = list(sheet.iter_rows(min_row=4))
    assert len(rows) == CASES
    assert not any("secret1" in str(c.value).lower() for row in rows for c in row)
    for row in rows:
        due = row[column["Next key date"]]
        assert due.is_date and due.value == dt.datetime(2026, 11, 25), due.value  # a date cell, not text
        assert due.number_format == "dd/mm/yyyy"
        assert row[column["Next key date is"]].value == "Presented at the weekly transfer meeting"
        assert row[column["Date of birth"]].is_date
        assert row[column["All key dates"]].value == (
            "Presented at the weekly transfer meeting: 25/11/2026\n"
            "Receiving team and social worker identified: 02/12/2026\n"
            "Formal transfer to the new team: 09/12/2026"
        )
        assert row[column["On the sheet"]].value == "Yes"
    assert "not compiled yet" not in sheet["A1"].value


@pytest.mark.django_db
def test_a_sheet_not_compiled_yet_marks_its_cases_in_the_pdf_and_xlsx(world, tmp_path):
    listed_on(world, "ews1", MONDAY)
    meeting = meeting_sitting_schedule(authority=world.authority, on=MONDAY, now=NOW)
    pages = page_texts(meeting_papers.early_warning_sheet_pdf(meeting, world.business_support), tmp_path)
    (first_appendix_page,) = [n for n, text in enumerate(pages) if APPENDIX in text]
    assert "Not yet on the sheet" in " ".join(pages[:first_appendix_page])
    sheet = load_workbook(
        io.BytesIO(meeting_papers.early_warning_sheet_xlsx(meeting, world.business_support))
    ).active
    assert "(not compiled yet: the sheet as it would be compiled)" in sheet["A1"].value
    assert not meeting.items.exists()


def test_readiness_is_summarised_for_the_table():
    assert readiness_summary(()) == "Ready"
    assert readiness_summary(("Chronology up to date",)) == "1 gap: Chronology up to date"
    assert (
        readiness_summary(("Chronology", "Genogram", "CSE screening completed (child over 10)"))
        == "3 gaps: Chronology, Genogram, +1"
    )
    # Long names are cut at their first comma or bracket, then at a word within 32 characters.
    assert readiness_summary(
        (
            "File up to date, checked and authorised by the practice manager or team manager",
            "The prospective social worker attended the CIN meeting, ICPC or formal pre-proceedings meeting",
        )
    ) == ("2 gaps: File up to date, The prospective social worker…")
