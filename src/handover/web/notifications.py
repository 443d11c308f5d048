"""The notifications page: what the person is told (still to do, and done recently), and how they choose to be
told. Thin: read with `notifications.selectors`, write with `notifications.services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from handover.audit.services import audit_listing
from handover.domain.errors import Refusal
from handover.notifications.models import Delivery
from handover.notifications.selectors import notifications_for
from handover.notifications.services import notification_preference_set
from handover.web.forms import refusal_errors
from handover.web.views import _staff


@login_required
def notifications(request):
    staff = _staff(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            notification_preference_set(
                actor=staff, delivery=request.POST.get("delivery", ""), now=request.now
            )
            messages.success(request, "Your choice is saved.")
            return redirect("web:notifications")
        except Refusal as exc:
            errors = refusal_errors(exc, "delivery")
    page = notifications_for(staff, now=request.now)
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        shown = page.to_do + page.done_recently
        audit_listing(
            at=request.now,
            actor=staff,
            children=[n.child_id for n in shown],
            detail="Notifications",
        )
    return render(
        request,
        "web/notifications.html",
        {"page": page, "choices": Delivery.choices, "errors": errors},
        status=400 if errors else 200,
    )
