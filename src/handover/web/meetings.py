"""Meeting mode: business support (or the chair) runs the weekly transfer meeting from the agenda, recording each
decision, the remedial actions and the attendance; the papers download as PDF and XLSX. Also the 16+ list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from handover.audit.models import Verb
from handover.audit.services import audit_listing, audit_record
from handover.children.models import Child
from handover.documents import meeting_papers
from handover.documents.rendering import PDF, XLSX
from handover.domain.errors import Refusal
from handover.domain.rulebook import TransferWrite
from handover.domain.workflow import MANAGERS, SENIOR
from handover.meetings import panels, sixteen_plus
from handover.meetings import services as meetings
from handover.meetings.models import Decision, Meeting, MeetingItem
from handover.meetings.selectors import (
    coming_sittings,
    sheet_additions,
    sheet_items,
    sheet_row,
    sheet_rows,
)
from handover.organisation.access import (
    can_read_children,
    may_at_meeting,
    visible_children,
)
from handover.organisation.models import Role, StaffMember, Team
from handover.organisation.protocol import protocol_for
from handover.transfers import services
from handover.transfers.models import Transfer
from handover.web.forms import refusal_errors, typed_date
from handover.web.views import _child_or_404, _staff


def _reader(request) -> StaffMember:
    staff = _staff(request)
    if not can_read_children(staff):
        raise PermissionDenied("your roles do not give access to children's records")
    return staff


def _meeting_or_404(staff, pk) -> Meeting:
    meeting = Meeting.objects.filter(pk=pk, authority=staff.authority).select_related("chair").first()
    if meeting is None:
        raise Http404("no such meeting")
    return meeting


def _runs_meetings(staff, meeting: Meeting) -> bool:
    """Whether to offer running the meeting: the rulebook's answer, as the services enforce it."""
    return may_at_meeting(staff, TransferWrite.MEETING_ORGANISE, meeting)


def _refused(request, exc) -> None:
    for message in refusal_errors(exc, "meeting").values():
        messages.error(request, message)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_list(request):
    """The coming sittings of each of the protocol's meetings (stored, or as they would be scheduled: a GET writes
    nothing), then the recent ones. POST schedules one of the coming sittings (business support, its chair or a
    manager)."""
    staff = _reader(request)
    today = request.today
    upcoming = coming_sittings(authority=staff.authority, today=today)
    if request.method == "POST":
        wanted = (request.POST.get("meeting", ""), request.POST.get("sits_on", ""))
        sitting = next((m for m in upcoming if (m.meeting, m.sits_on.isoformat()) == wanted), None)
        if sitting is None:
            messages.error(request, "Select one of the coming sittings to schedule")
        else:
            try:
                scheduled = meetings.meeting_sitting_schedule(
                    authority=staff.authority,
                    on=sitting.cutoff,  # the sitting whose cut-off that is, even if today is past it
                    meeting_id=sitting.meeting,
                    now=request.now,
                    actor=staff,
                )
                messages.success(request, f"{scheduled} is scheduled.")
                return redirect("web:meeting", pk=scheduled.pk)
            except Refusal as exc:
                _refused(request, exc)
        return redirect("web:meetings")
    recent = Meeting.objects.filter(authority=staff.authority, sits_on__lt=today).order_by("-sits_on")[:12]
    return render(
        request,
        "web/meetings/list.html",
        {
            "upcoming": [(m, _runs_meetings(staff, m)) for m in upcoming],
            "recent": recent,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_page(request, pk):
    """The agenda: the early warning sheet as it holds (and, until compiled, would hold) the cases, each case's
    decision so far, and what to do next. A GET writes nothing but its audit row; POST compiles the sheet
    (business support, the chair or a manager)."""
    staff = _reader(request)
    meeting = _meeting_or_404(staff, pk)
    if request.method == "POST":
        try:
            added = meetings.early_warning_sheet_compile(meeting=meeting, now=request.now, actor=staff)
            messages.success(
                request,
                f"The early warning sheet is compiled: {len(added)} case{'s' if len(added) != 1 else ''} added."
                if added
                else "The early warning sheet already holds every case due on it; nothing was added.",
            )
        except Refusal as exc:
            _refused(request, exc)
        return redirect("web:meeting", pk=meeting.pk)
    protocol = protocol_for(staff.authority)
    spec = protocol.meetings.get(meeting.meeting)
    rows = sheet_rows(meeting, staff)
    age_list = []
    if spec is not None and spec.lists:
        age_list = sixteen_plus.age_list(meeting, staff)
    audit_listing(
        at=request.now,
        actor=staff,
        obj=meeting,
        children=[r.item.transfer.child_id for r in rows] + [e.child.pk for e in age_list],
        detail=f"agenda of {meeting}",
    )
    pending = [r for r in rows if r.on_sheet and r.item.decision == Decision.PENDING]
    return render(
        request,
        "web/meetings/agenda.html",
        {
            "meeting": meeting,
            "name": meeting.name,
            "rows": rows,
            "not_compiled": sum(1 for r in rows if not r.on_sheet),
            "age_list": age_list,
            "next_item": pending[0].item if pending else None,
            "can_run": _runs_meetings(staff, meeting) and meeting.status != Meeting.Status.CLOSED,
        },
    )


def _late_candidates(meeting: Meeting, viewer) -> list[Transfer]:
    """Listed cases the sheet neither holds nor would hold once compiled, of children `viewer` may see."""
    due = [t.pk for t in sheet_additions(meeting)]
    return list(
        Transfer.objects.filter(child__in=visible_children(viewer, Child.objects.all()), state="listed")
        .exclude(pk__in=meeting.items.values("transfer_id"))
        .exclude(pk__in=due)
        .select_related("child", "from_team", "to_service")
    )


def _managers_of(teams) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(
            active=True,
            memberships__team__in=teams,
            memberships__role__in=list(MANAGERS),
            memberships__end__isnull=True,
        )
        .distinct()
        .order_by("name")
    )


@login_required
def meeting_item(request, pk, item_pk):
    """Record what the meeting decided about one case, then go on to the next case on the agenda."""
    staff = _reader(request)
    meeting = _meeting_or_404(staff, pk)
    item = (
        MeetingItem.objects.filter(
            pk=item_pk, meeting=meeting, transfer__child__in=visible_children(staff, Child.objects.all())
        )
        .select_related("transfer__child")
        .first()
    )
    if item is None:
        raise Http404("that case is not on this meeting's sheet")
    transfer = item.transfer
    receiving_teams = list(services.eligible_receiving_teams(transfer))
    deciders = _managers_of([t.pk for t in receiving_teams]) or _managers_of(
        list(transfer.to_service.teams.values_list("pk", flat=True))
    )
    fields = ("decision", "to_team", "alternative_transfer_point", "reason", "decided_by")
    values = {k: "" for k in fields} | {f"transfer_date-{p}": "" for p in ("day", "month", "year")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        decision = values["decision"]
        decided_by = next((p for p in deciders if str(p.pk) == values["decided_by"]), None)
        to_team = next((t for t in receiving_teams if str(t.pk) == values["to_team"]), None)
        transfer_date = typed_date(values, "transfer_date")
        if decision not in {d.value for d in Decision} - {Decision.PENDING}:
            errors["decision"] = "Select what the meeting decided"
        if decided_by is None:
            errors["decided_by"] = "Select the manager who made the decision"
        if decision in (Decision.AGREED, Decision.AGREED_ALTERNATIVE):
            if to_team is None:
                errors["to_team"] = "Select the receiving team"
            if transfer_date is None:
                errors["transfer_date"] = "Enter the agreed transfer date as a real date, like 9 12 2026"
        if not errors:
            try:
                meetings.meeting_record_decision(
                    now=request.now,
                    actor=staff,
                    item=item,
                    decision=decision,
                    decided_by=decided_by,
                    to_team=to_team,
                    transfer_date=transfer_date,
                    alternative_transfer_point=values["alternative_transfer_point"]
                    if decision == Decision.AGREED_ALTERNATIVE
                    else "",
                    reason=values["reason"],
                )
                following = meeting.items.filter(decision=Decision.PENDING).order_by("pk").first()
                if following is not None and "next" in request.POST:
                    return redirect("web:meeting_item", pk=meeting.pk, item_pk=following.pk)
                return redirect("web:meeting", pk=meeting.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "decision"))
    row = sheet_row(item)
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=transfer.child,
            obj=item,
            detail=f"case on the agenda of {meeting}",
        )
    return render(
        request,
        "web/meetings/item.html",
        {
            "meeting": meeting,
            "name": meeting.name,
            "item": item,
            "row": row,
            "transfer": transfer,
            "teams": receiving_teams,
            "deciders": deciders,
            "values": values,
            "errors": errors,
            "decisions": [d for d in Decision if d is not Decision.PENDING],
            "date_typed": {p: values[f"transfer_date-{p}"] for p in ("day", "month", "year")},
            "can_run": _runs_meetings(staff, meeting) and meeting.status != Meeting.Status.CLOSED,
        },
        status=400 if errors else 200,
    )


@login_required
def meeting_late(request, pk):
    """Add a case identified after the cut-off, with the two managers' agreement (D-177)."""
    staff = _reader(request)
    meeting = _meeting_or_404(staff, pk)
    candidates = _late_candidates(meeting, staff)
    all_teams = list(Team.objects.filter(service__authority=staff.authority).values_list("pk", flat=True))
    managers = _managers_of(all_teams)
    values = {
        "transfer": request.POST.get("transfer", request.GET.get("transfer", "")),
        "sending_manager": "",
        "receiving_manager": "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        transfer = next((t for t in candidates if str(t.pk) == values["transfer"]), None)
        sending = next((m for m in managers if str(m.pk) == values["sending_manager"]), None)
        receiving = next((m for m in managers if str(m.pk) == values["receiving_manager"]), None)
        if transfer is None:
            errors["transfer"] = "Select the case to add"
        if sending is None:
            errors["sending_manager"] = "Select the manager of the transferring team who agreed"
        if receiving is None:
            errors["receiving_manager"] = "Select the manager of the receiving service who agreed"
        if not errors:
            try:
                meetings.meeting_add_late(
                    now=request.now,
                    actor=staff,
                    meeting=meeting,
                    transfer=transfer,
                    sending_manager=sending,
                    receiving_manager=receiving,
                )
                return redirect("web:meeting", pk=meeting.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "transfer"))
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_listing(
            at=request.now,
            actor=staff,
            obj=meeting,
            children=[t.child_id for t in candidates],
            detail=f"cases that could join {meeting} late",
        )
    return render(
        request,
        "web/meetings/late.html",
        {
            "meeting": meeting,
            "candidates": candidates,
            "managers": managers,
            "values": values,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
def meeting_close(request, pk):
    """Attendance and minutes; cases not reached are deferred to the next sitting."""
    staff = _reader(request)
    meeting = _meeting_or_404(staff, pk)
    # Who sits at a transfer meeting: managers, business support and senior managers, not every worker.
    people = list(
        StaffMember.objects.filter(
            authority=staff.authority,
            active=True,
            memberships__end__isnull=True,
            memberships__role__in=[*MANAGERS, Role.BUSINESS_SUPPORT, *SENIOR],
        )
        .distinct()
        .order_by("name")
    )
    values = {"minutes": "", "attendees": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values["minutes"] = request.POST.get("minutes", "").strip()
        values["attendees"] = request.POST.getlist("attendees")
        attendees = [p for p in people if str(p.pk) in values["attendees"]]
        if not attendees:
            errors["attendees"] = "Select everyone who attended"
        if not errors:
            try:
                meetings.meeting_close(
                    now=request.now,
                    actor=staff,
                    meeting=meeting,
                    minutes=values["minutes"],
                    attendees=attendees,
                )
                return redirect("web:meeting", pk=meeting.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "attendees"))
    return render(
        request,
        "web/meetings/close.html",
        {
            "meeting": meeting,
            "name": meeting.name,
            "people": people,
            "values": values,
            "errors": errors,
            "pending": meeting.items.filter(decision=Decision.PENDING).count(),
        },
        status=400 if errors else 200,
    )


PAPERS = {
    ("sheet", "pdf"): (meeting_papers.early_warning_sheet_pdf, PDF, "early-warning-sheet"),
    ("sheet", "xlsx"): (meeting_papers.early_warning_sheet_xlsx, XLSX, "early-warning-sheet"),
    ("minutes", "pdf"): (meeting_papers.minutes_pdf, PDF, "minutes"),
    ("minutes", "xlsx"): (meeting_papers.minutes_xlsx, XLSX, "minutes"),
}


@login_required
def meeting_paper(request, pk, paper, fmt):
    staff = _reader(request)
    meeting = _meeting_or_404(staff, pk)
    if (paper, fmt) not in PAPERS:
        raise Http404("no such paper")
    render_paper, content_type, stem = PAPERS[(paper, fmt)]
    content = render_paper(meeting, staff)
    audit_record(
        at=request.now,
        actor=staff,
        verb=Verb.DOCUMENT_READ,
        obj=meeting,
        # The sheet shows the cases it would hold once compiled, so name those too.
        after={"children": sorted({i.transfer.child_id for i in sheet_items(meeting, staff)})},
        detail=f"downloaded the {stem.replace('-', ' ')} of {meeting} as {fmt.upper()}",
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{meeting.sits_on:%Y-%m-%d}.{fmt}"'
    return response


@login_required
def panel_decision(request, pk):
    """Record a Legal Gateway Panel decision for a child: the route into the court team (D-097, D-110)."""
    staff = _reader(request)
    child = _child_or_404(staff, pk)
    protocol = protocol_for(staff.authority)
    panel = panels.recorded_panel(protocol)
    if panel is None:
        raise Http404("this authority's protocol records no panel decisions")
    fact = protocol.facts[panel.records.outcome]
    # Managers who may agree at the panel: those of the services the panel's outcomes lead to.
    receiving = {
        protocol.pathways[rule.pathway].to.service
        for rule in protocol.file.rules
        if rule.event == panel.records.event and rule.pathway
    } - {None}
    managers = _managers_of(
        list(
            Team.objects.filter(service__authority=staff.authority, service__code__in=receiving).values_list(
                "pk", flat=True
            )
        )
    )
    values = {"outcome": "", "panel_manager": "", "notes": ""}
    values |= {f"decided_on-{p}": "" for p in ("day", "month", "year")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        decided_on = typed_date(values, "decided_on")
        if values["outcome"] not in fact.values:
            errors["outcome"] = "Select what the panel decided"
        if decided_on is None:
            errors["decided_on"] = "Enter the date of the panel as a real date, like 24 11 2026"
        if not errors:
            try:
                result = panels.panel_decision_record(
                    now=request.now,
                    actor=staff,
                    child=child,
                    outcome=values["outcome"],
                    decided_on=decided_on,
                    panel_manager=next((m for m in managers if str(m.pk) == values["panel_manager"]), None),
                    notes=values["notes"],
                )
                if result.transfer is not None:
                    return redirect("web:transfer", pk=result.transfer.pk)
                return redirect("web:child", pk=child.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "outcome"))
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail=f"{panel.name} decision page",
        )
    return render(
        request,
        "web/panel_decision.html",
        {
            "child": child,
            "outcomes": [(v, v.replace("_", " ").capitalize()) for v in fact.values],
            "panel": panel,
            "question": fact.question,
            "managers": managers,
            "values": values,
            "errors": errors,
            "date_typed": {p: values[f"decided_on-{p}"] for p in ("day", "month", "year")},
        },
        status=400 if errors else 200,
    )
