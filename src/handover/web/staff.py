"""A member of staff's professional registration, from the pages (Dorset D-026: only a registered social worker is
named for a looked after child or one on a child protection plan): a manager of a team they work in, or a
senior manager, records the Social Work England number and its expiry. The same service as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from handover.domain.errors import AccessDenied, Refusal
from handover.domain.registration import EXPIRES_FIELD, NUMBER_FIELD
from handover.domain.rulebook import TeamWrite
from handover.organisation.access import require_staff_write
from handover.organisation.models import StaffMember
from handover.organisation.services import staff_registration_set
from handover.web.forms import refusal_errors, typed_date
from handover.web.views import _staff

PARTS = ("day", "month", "year")


@login_required
def staff_registration(request, pk):
    staff = _staff(request)
    subject = get_object_or_404(StaffMember, pk=pk, authority=staff.authority)
    try:
        require_staff_write(staff, TeamWrite.STAFF_REGISTRATION, subject, request.today)
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    expires = subject.social_work_england_expires
    values = {
        "number": subject.social_work_england_number,
        "expires": {p: getattr(expires, p, "") for p in PARTS} if expires else dict.fromkeys(PARTS, ""),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "number": request.POST.get("number", "").strip(),
            "expires": {p: request.POST.get(f"expires-{p}", "").strip() for p in PARTS},
        }
        typed = typed_date(request.POST, "expires")
        if typed is None and any(values["expires"].values()):
            errors["expires"] = "Enter the expiry date as a real date, like 31 3 2027, or leave it blank"
        if not errors:
            try:
                staff_registration_set(
                    actor=staff, staff=subject, number=values["number"], expires=typed, now=request.now
                )
                messages.success(request, f"{subject.name}'s registration is recorded.")
                return redirect("web:team")
            except Refusal as exc:
                boxes = {
                    NUMBER_FIELD: "number",
                    EXPIRES_FIELD: "expires",
                }  # the service's names, the page's ids
                errors.update({boxes.get(k, k): v for k, v in refusal_errors(exc, "number").items()})
    return render(
        request,
        "web/staff_registration.html",
        {"subject": subject, "values": values, "errors": errors},
        status=400 if errors else 200,
    )
