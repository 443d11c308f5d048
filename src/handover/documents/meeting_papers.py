"""The weekly meeting's papers: the early warning sheet before it sits, the minutes after. PDF and XLSX."""

from __future__ import annotations

from handover.documents.rendering import Sheet, render_pdf, render_xlsx
from handover.meetings.models import Meeting
from handover.meetings.selectors import decided, sheet_rows

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
    "Key dates",
    "Late addition",
    "On the sheet",
)


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


def early_warning_sheet_pdf(meeting: Meeting, viewer) -> bytes:
    """As `viewer` may see it: restricted children they are not named on are not in it."""
    return render_pdf("documents/early_warning_sheet.html", _context(meeting, viewer))


def _key_dates(row) -> str:
    return "\n".join(f"{k.name}: {k.due:%d/%m/%Y}" for k in row.key_dates)


def early_warning_sheet_xlsx(meeting: Meeting, viewer) -> bytes:
    """As `viewer` may see it: restricted children they are not named on are not in it."""
    rows = [
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
            _key_dates(r),
            "Yes" if r.item.late_addition else "",
            "Yes" if r.on_sheet else "Not yet: joins when the sheet is compiled",
        )
        for r in sheet_rows(meeting, viewer)
    ]
    heading = f"Early warning sheet: {meeting.name}, {meeting.sits_on:%A %d %B %Y}"
    if any(row[-1] != "Yes" for row in rows):
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
            r.item.decided_by.name if r.item.decided_by else "",
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
