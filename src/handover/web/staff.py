"""A member of staff from the pages.

- **The worker's page** (`staff/<pk>/`): who they are (roles and teams, Social Work England registration), the
  children they hold and co-work, and the transfers of a case from or to them, with counts. For the worker, the
  managers of their teams and senior managers (`organisation.access.may_see_worker`); audited as a listing.
- **Their professional registration** (Dorset D-026: only a registered social worker is named for a looked
  after child or one on a child protection plan): a manager of a team they work in, or a senior manager,
  records the Social Work England number and its expiry. The same service as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from handover.audit.services import audit_listing
from handover.domain.errors import AccessDenied, Refusal
from handover.domain.registration import EXPIRES_FIELD, NUMBER_FIELD, Registration, long_date
from handover.domain.rulebook import TeamWrite
from handover.organisation.access import may_see_worker, require_staff_write
from handover.organisation.models import StaffMember
from handover.organisation.selectors import held_on, role_in_words, with_memberships
from handover.organisation.services import staff_registration_set
from handover.transfers.selectors import worker_caseload
from handover.web.forms import refusal_errors, typed_date
from handover.web.search import age_in_words
from handover.web.views import _staff

PARTS = ("day", "month", "year")


def registration_words(staff: StaffMember, on) -> tuple[str, bool]:
    """The person's Social Work England registration in words, and whether it is current on `on`."""
    registration = Registration(staff.social_work_england_number, staff.social_work_england_expires)
    number = registration.number.strip()
    if not number:
        return "Not registered", False
    if registration.expires is not None and registration.expires < on:
        return f"{number}, expired on {long_date(registration.expires)}", False
    if registration.gap(on) is not None:  # a number stored before the format was checked
        return f"{number} is not a Social Work England registration number", False
    if registration.expires is None:
        return f"{number}, no expiry date recorded", True
    return f"{number}, registered until {long_date(registration.expires)}", True


@login_required
def staff_page(request, pk):
    """The worker's page: who they are, their caseload and the transfers from or to them, with counts."""
    staff = _staff(request)
    today = request.today
    subject = get_object_or_404(
        StaffMember.objects.prefetch_related(with_memberships()), pk=pk, authority=staff.authority
    )
    if not may_see_worker(staff, subject, today):
        raise PermissionDenied("a worker's page is for them, the managers of their teams and senior managers")
    caseload = worker_caseload(subject, staff, today)
    audit_listing(
        at=request.now, actor=staff, obj=subject, children=caseload.children, detail=f"Worker: {subject}"
    )
    registration, registered = registration_words(subject, today)
    try:
        require_staff_write(staff, TeamWrite.STAFF_REGISTRATION, subject, today)
        can_register = True
    except AccessDenied:
        can_register = False
    return render(
        request,
        "web/staff.html",
        {
            "subject": subject,
            "roles": [role_in_words(m) for m in held_on(subject, today)],
            "registration": registration,
            "registered": registered,
            "can_register": can_register,
            "caseload": caseload,
            "cases": [(row, age_in_words(row.allocation.child, today)) for row in caseload.cases],
            "co_working": [(row, age_in_words(row.allocation.child, today)) for row in caseload.co_working],
        },
    )


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
