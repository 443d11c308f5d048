"""The weekly meeting's papers: the early warning sheet before it sits, the minutes after. PDF and XLSX."""

from __future__ import annotations

from dataclasses import dataclass

from handover.documents.rendering import Sheet, render_pdf, render_xlsx
from handover.meetings.models import Meeting
from handover.meetings.selectors import KeyDate, SheetRow, decided, sheet_rows
from handover.organisation.selectors import name_with_role

# The spreadsheet business support keep, one row a case. The key dates are filtered and sorted on, so the next
# one is a real date cell in a column of its own ("Next key date", with what it is beside it): "what is due this
# week?" is one date filter on one column (a case with no key date left is blank there, under "(Blanks)"), and
# sorting on it puts the most pressing first. One column per key date would be sparse (each
# pathway's timeline names its own steps, and only the next few are on the sheet) and a filter on one of them
# would quietly leave out the cases whose date has another name. The full list stays readable as text in the
# last column.
SHEET_HEADER = (
    "Child",
    "ID",
    "Date of birth",
    "Current team",
    "Current worker",
    "Proposed team",
    "Pathway",
    "Case status",
    "Readiness gaps",
    "Next key date",
    "Next key date is",
    "Late addition",
    "On the sheet",
    "All key dates",
)
ON_THE_SHEET = SHEET_HEADER.index("On the sheet")


def _context(meeting: Meeting, viewer) -> dict:
    rows = sheet_rows(meeting, viewer)
    return {
        "meeting": meeting,
        "meeting_name": meeting.name,
        "authority": meeting.authority,
        "rows": rows,
        "pending": sum(1 for r in rows if not r.on_sheet),
        "attendees": list(meeting.attendees.order_by("name")),
        "decided": decided(meeting),
    }


@dataclass(frozen=True)
class SheetLine:
    """One case as the PDF's table shows it, in one compact row; the appendix has the rest of `row`."""

    row: SheetRow
    readiness: str  # "Ready", or how many gaps and the first two, e.g. "3 gaps: Chronology, Genogram, +1"
    next_key_date: KeyDate | None


def _short(gap: str, limit: int = 32) -> str:
    """A readiness item's name, short enough for the table: up to its first comma or bracket, then a word
    boundary within `limit` characters ("File up to date, checked and ..." is "File up to date")."""
    text = gap.split(",")[0].split(" (")[0].strip()
    if len(text) <= limit:
        return text
    return text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "\u2026"  # whole words only


def readiness_summary(gaps: tuple[str, ...], named: int = 2) -> str:
    """'Ready', or e.g. '3 gaps: Chronology up to date, Genogram up to date, +1' (the full list is in the
    appendix)."""
    if not gaps:
        return "Ready"
    shown = [_short(g) for g in gaps[:named]]
    if len(gaps) > named:
        shown.append(f"+{len(gaps) - named}")
    return f"{len(gaps)} gap{'s' if len(gaps) != 1 else ''}: {', '.join(shown)}"


def early_warning_sheet_pdf(meeting: Meeting, viewer) -> bytes:
    """As `viewer` may see it: restricted children they are not named on are not in it.

    A4 landscape: a table of one compact row a case (twenty cases take two pages), then an appendix, from a new
    page, with each case's readiness gaps and key dates in full."""
    context = _context(meeting, viewer)
    context["lines"] = [
        SheetLine(
            row=r,
            readiness=readiness_summary(r.readiness_gaps),
            next_key_date=r.key_dates[0] if r.key_dates else None,
        )
        for r in context["rows"]
    ]
    return render_pdf("documents/early_warning_sheet.html", context)


def _key_dates(row) -> str:
    return "\n".join(f"{k.name}: {k.due:%d/%m/%Y}" for k in row.key_dates)


def early_warning_sheet_xlsx(meeting: Meeting, viewer) -> bytes:
    """As `viewer` may see it: restricted children they are not named on are not in it."""
    rows = []
    for r in sheet_rows(meeting, viewer):
        following = r.key_dates[0] if r.key_dates else None
        rows.append(
            (
                r.child_name,
                r.child_identifier,
                r.date_of_birth,
                r.current_team,
                r.current_worker,
                r.proposed_team,
                r.pathway,
                r.case_status,
                "\n".join(r.readiness_gaps) or "Ready",
                following.due if following else None,  # a date: render_xlsx writes it as a date cell
                following.name if following else "",
                "Yes" if r.item.late_addition else "",
                "Yes" if r.on_sheet else "Not yet: joins when the sheet is compiled",
                _key_dates(r) or "None",
            )
        )
    heading = f"Early warning sheet: {meeting.name}, {meeting.sits_on:%A %d %B %Y}"
    if any(row[ON_THE_SHEET] != "Yes" for row in rows):
        heading += " (not compiled yet: the sheet as it would be compiled)"
    return render_xlsx([Sheet("Early warning sheet", SHEET_HEADER, rows, heading=heading)])


def minutes_pdf(meeting: Meeting, viewer) -> bytes:
    """As `viewer` may see it: restricted children they are not named on are not in it."""
    return render_pdf("documents/minutes.html", _context(meeting, viewer))


def minutes_xlsx(meeting: Meeting, viewer) -> bytes:
    """As `viewer` may see it: restricted children they are not named on are not in it."""
    context = _context(meeting, viewer)
    decisions = [
        (
            r.child_name,
            r.child_identifier,
            r.current_team,
            r.proposed_team,
            r.decision,
            r.item.transfer.to_team.name if r.item.transfer.to_team else "",
            r.item.transfer.transfer_date,
            r.item.alternative_transfer_point,
            r.item.reason,
            name_with_role(r.item.decided_by, meeting.sits_on),
        )
        for r in context["rows"]
    ]
    actions = [
        (r.child_name, a.description, a.owner.name, a.due, "Done" if a.done_at else "Open")
        for r in context["rows"]
        for a in r.remedial_actions
    ]
    heading = f"Minutes: {context['meeting_name']}, {meeting.sits_on:%A %d %B %Y}"
    chair = meeting.chair.name if meeting.chair else "No chair recorded"
    return render_xlsx(
        [
            Sheet(
                "Decisions",
                (
                    "Child",
                    "ID",
                    "Current team",
                    "Proposed team",
                    "Decision",
                    "Receiving team",
                    "Transfer date",
                    "Alternative transfer point",
                    "Reason",
                    "Decided by",
                ),
                decisions,
                heading=heading,
            ),
            Sheet("Remedial actions", ("Child", "Action", "Owner", "Due", "Status"), actions),
            Sheet(
                "Attendance and notes",
                ("", ""),
                [("Chair", chair)]
                + [("Attended", a.name) for a in context["attendees"]]
                + [("Minutes", meeting.minutes)],
            ),
        ]
    )
