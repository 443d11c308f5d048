"""The front door's pages: the contacts awaiting a decision, with the day each is due (Dorset D-077: a working
day), recording a new contact (finding the child by the person ID or adding a new child, checked against
possible duplicates), and closing one as information only. The decision itself is a proposal from the child's
record. Thin: the rules are `children.front_door`'s."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from handover.audit.models import Verb
from handover.audit.services import audit_listing, audit_record
from handover.children.front_door import (
    NewChild,
    child_by_person_id,
    front_door_contact_close,
    front_door_contact_record,
    front_door_events,
    front_door_queue,
    front_door_teams,
    transfer_in_events,
)
from handover.children.front_door import front_door_contact_read as front_door_contact_read_service
from handover.children.models import Child, FrontDoorContact
from handover.domain.errors import AccessDenied, Refusal
from handover.organisation.access import staff_for, visible_children
from handover.web.forms import refusal_errors, sentence, typed_date


def _front_door_staff(request):
    staff = staff_for(request.user, on=request.today)
    if staff is None or not staff.active:
        raise PermissionDenied("sign in as an active member of staff")
    teams = front_door_teams(staff, request.today)
    if not teams:
        raise PermissionDenied("the front door pages are for the staff of a front door team (MASH, the Hub)")
    return staff, teams


@login_required
def front_door(request):
    staff, teams = _front_door_staff(request)
    rows = front_door_queue(staff, request.today)
    audit_listing(
        actor=staff,
        at=request.now,
        children=[row.contact.child_id for row in rows],
        detail="the front door's contacts awaiting a decision",
    )
    return render(request, "web/front_door.html", {"rows": rows, "teams": teams})


DATE_PARTS = ("day", "month", "year")


@login_required
def front_door_new(request):
    staff, teams = _front_door_staff(request)
    team = teams[0]
    events = front_door_events(team)
    fields = (
        "event",
        "identifier",
        "first_name",
        "last_name",
        "address",
        "summary",
        "confirm_new",
        "from_authority",
    )
    values = {name: "" for name in fields}
    for prefix in ("received_on", "date_of_birth", "expected_date_of_birth"):
        values.update({f"{prefix}-{part}": "" for part in DATE_PARTS})
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        received_on = typed_date(values, "received_on")
        if received_on is None:
            errors["received_on"] = "Enter the day the contact was received, as a real date"
        identifier = values["identifier"]
        child = None
        new = None
        try:
            child = child_by_person_id(staff, identifier) if identifier else None
        except Refusal as exc:
            errors.update(refusal_errors(exc, "identifier"))
        if "identifier" in errors:
            pass  # a restricted record: said above
        elif not identifier:
            errors["identifier"] = "Enter the child's person ID from the records system"
        elif child is None:
            born = typed_date(values, "date_of_birth")
            due = typed_date(values, "expected_date_of_birth")
            for prefix, typed in (("date_of_birth", born), ("expected_date_of_birth", due)):
                if typed is None and any(values[f"{prefix}-{part}"] for part in DATE_PARTS):
                    errors[prefix] = "Enter a real date, or leave it blank"
            new = NewChild(
                identifier=identifier,
                first_name=values["first_name"],
                last_name=values["last_name"],
                date_of_birth=born,
                expected_date_of_birth=due,
                address=values["address"],
            )
        if not errors:
            try:
                contact = front_door_contact_record(
                    actor=staff,
                    team=team,
                    event=values["event"],
                    received_on=received_on,
                    now=request.now,
                    child=child,
                    new=new,
                    confirm_new=values["confirm_new"] == "yes",
                    summary=values["summary"],
                    from_authority=values["from_authority"],
                )
                messages.success(
                    request,
                    f"Contact recorded for {contact.child.name} and passed to {contact.passed_to}, which holds "
                    "the case: its worker and managers are told."
                    if contact.passed_to
                    else f"Contact recorded for {contact.child.name}. A manager of {contact.team} decides it: "
                    "propose the transfer the protocol recommends from the child's record, or close it as "
                    "information only from the front door page.",
                )
                return redirect("web:child", pk=contact.child_id)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "event"))
    for prefix in ("received_on", "date_of_birth", "expected_date_of_birth"):
        values[f"{prefix}_typed"] = {part: values[f"{prefix}-{part}"] for part in DATE_PARTS}
    context = {
        "team": team,
        "events": events,
        "transfer_in_events": transfer_in_events(team),
        "values": values,
        "errors": errors,
        "new_fields": [("first_name", "First name"), ("last_name", "Last name"), ("address", "Address")],
    }
    return render(request, "web/front_door_new.html", context, status=400 if errors else 200)


@login_required
def front_door_close(request, pk):
    staff, teams = _front_door_staff(request)
    contact = get_object_or_404(FrontDoorContact.objects.select_related("child"), pk=pk, team__in=teams)
    errors: dict[str, str] = {}
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        try:
            front_door_contact_close(actor=staff, contact=contact, reason=reason, now=request.now)
            messages.success(request, f"The contact for {contact.child.name} is closed as information only.")
            return redirect("web:front_door")
        except Refusal as exc:
            errors.update(refusal_errors(exc, "reason"))
    else:
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=contact.child,
            obj=contact,
            detail="close a front door contact page",
        )
    context = {"contact": contact, "reason": reason, "errors": errors}
    return render(request, "web/front_door_close.html", context, status=400 if errors else 200)


@login_required
@require_POST
def front_door_contact_read(request, pk):
    """Someone in the team holding the case has read a contact the front door passed to it (a POST only)."""
    staff = staff_for(request.user, on=request.today)
    contact = get_object_or_404(
        FrontDoorContact.objects.select_related("child", "passed_to").filter(
            child__in=visible_children(staff, Child.objects.all())
        ),
        pk=pk,
    )
    try:
        front_door_contact_read_service(actor=staff, contact=contact, now=request.now)
        messages.success(request, "The contact is marked as read.")
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except Refusal as exc:
        messages.error(request, sentence(str(next(iter(getattr(exc, "errors", {}).values()), exc))))
    return redirect("web:child", pk=contact.child_id)
