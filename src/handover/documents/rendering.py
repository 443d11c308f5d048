"""Formats: HTML to PDF (WeasyPrint), tables to XLSX (openpyxl), Word templates to DOCX (docxtpl).

Each function takes what to render and returns the file's bytes; nothing here knows about transfers."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_pdf(template_name: str, context: dict) -> bytes:
    """A PDF from a Django template. No URL fetching: the print stylesheet is inline and there are no images,
    so a document never reaches out to the network while it renders."""
    from weasyprint import HTML  # imported late: it loads pango, which only document work needs

    html = render_to_string(template_name, context)
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"documents are rendered without fetching anything ({url})")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, the header row and the rows (cells are str, int, date or None)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]]
    heading: str = ""


# Text in a sheet is data, never a formula. openpyxl makes any string that starts with "=" a formula, so a reason
# typed as "=HYPERLINK(...)" or "=cmd|' /C calc'!A0" would run when the sheet is opened. OWASP's advice for CSV
# is to prefix such text with a quote, but that changes what the reader sees and copies. An XLSX cell has a
# type, so every string is written as a string cell (data_type "s": the file holds it as text and Excel,
# LibreOffice and Sheets never evaluate it), and text that starts like a formula (= + - @ tab, CR) is also
# marked quotePrefix, the spreadsheet's own "this is text" flag, so it stays text when the cell is edited.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _put(ws, row: int, column: int, value: object):
    """Write one cell: strings as text (never a formula), without the control characters XML cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return ws.cell(row=row, column=column, value=value)
    cell = ws.cell(row=row, column=column, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def render_xlsx(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.title[:31])  # Excel's limit on a sheet name
        first = 1
        if sheet.heading:
            _put(ws, 1, 1, sheet.heading).font = Font(bold=True, size=14)
            first = 3
        for col, name in enumerate(sheet.header, start=1):
            _put(ws, first, col, name).font = Font(bold=True)
        for r, row in enumerate(sheet.rows, start=first + 1):
            for col, value in enumerate(row, start=1):
                cell = _put(ws, r, col, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if isinstance(value, dt.date):
                    cell.number_format = "dd/mm/yyyy"
        ws.freeze_panes = ws.cell(row=first + 1, column=1)
        for col, name in enumerate(sheet.header, start=1):
            longest = max([len(str(name))] + [len(str(row[col - 1] or "")) for row in sheet.rows])
            ws.column_dimensions[get_column_letter(col)].width = min(max(longest + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_docx(template: Path, context: dict) -> bytes:
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(template))
    document.render(context, autoescape=True)  # names like "O'Neil & Sons" must not break the XML
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
