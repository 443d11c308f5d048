"""Pages that start and end a child's secondary allocations (co-working, personal adviser, family finding, CSE
and missing: the protocol's `secondary_allocations`).

Thin: the forms check what was typed (GOV.UK messages naming the field and the rule); `children.secondary`
decides who may and writes with its audit rows; the child record offers these pages only where the rulebook
allows. A GET shows the form and audits the read; a refused POST shows the form again and writes nothing."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.access import may_take_record_action
from handover.children.models import Allocation, AllocationKind, ChangeReason
from handover.children.secondary import (
    ACTION,
    purpose_in_words,
    secondary_allocation_end,
    secondary_allocation_start,
    services_in_words,
    teams_offered,
    workers_offered,
)
from handover.domain.errors import Refusal
from handover.organisation.models import Role, StaffMember, Team
from handover.organisation.protocol import protocol_for
from handover.web.children import TypedDate, _examples, _typed
from handover.web.forms import choice, form_errors, refusal_errors
from handover.web.views import _child_or_404, _staff

REASONS = [(code, label) for code, label in ChangeReason.choices]


class SecondaryStartForm(forms.Form):
    purpose = forms.ChoiceField(
        error_messages={
            "required": "Select the purpose of the allocation",
            "invalid_choice": "Select the purpose of the allocation from the list",
        }
    )
    team = choice(None, "Select the team providing the worker from the list")
    worker = choice(None, "Select the worker from the list")
    start = TypedDate("start date", example="2 11 2026", required=True)
    reason = forms.ChoiceField(
        choices=REASONS,
        error_messages={
            k: "Select the reason the allocation starts from the list" for k in ("required", "invalid_choice")
        },
    )

    def __init__(self, data, *, purposes, teams, workers, today: dt.date):
        super().__init__(data)
        self.fields["purpose"].choices = [(p, p) for p in purposes]
        self.fields["team"].queryset = teams
        self.fields["worker"].queryset = workers
        self.today = today

    def clean_start(self):
        return self.fields["start"].not_after(self.cleaned_data.get("start"), self.today)

    def clean(self):
        cleaned = super().clean()
        if "team" not in self.errors and cleaned.get("team") is None:
            self.add_error("team", "Select the team providing the worker")
        if "worker" not in self.errors and cleaned.get("worker") is None:
            self.add_error("worker", "Select the worker")
        return cleaned


class SecondaryEndForm(forms.Form):
    end = TypedDate("end date", example="30 11 2026", required=True)
    reason = forms.ChoiceField(
        choices=REASONS,
        error_messages={
            k: "Select the reason the allocation ends from the list" for k in ("required", "invalid_choice")
        },
    )

    def __init__(self, data, *, today: dt.date):
        super().__init__(data)
        self.today = today

    def clean_end(self):
        return self.fields["end"].not_after(self.cleaned_data.get("end"), self.today)


def _read(request, staff, child, detail: str) -> None:
    audit_record(at=request.now, actor=staff, verb=Verb.CHILD_VIEWED, child=child, obj=child, detail=detail)


@login_required
def secondary_allocation_new(request, pk):
    """Start a secondary allocation: the purpose (the protocol's, in words, with the role and services it
    needs), the team providing the worker, the worker, the start date and the SSDA903 reason."""
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    teams = teams_offered(staff, child, request.today)
    if not teams:
        raise PermissionDenied(
            "only a team manager or practice manager of the team holding the child's case, or of a team "
            "providing the worker, can start a secondary allocation"
        )
    protocol = protocol_for(child.authority)
    purposes = [
        {
            "id": item.id,
            "name": item.name,
            "hint": f"A {Role(item.who.value).label.lower()} from {services_in_words(item, protocol)} "
            f"({', '.join(item.cites)})",
        }
        for item in protocol.secondary_allocations.values()
    ]
    workers = workers_offered(teams, request.today)
    errors: dict[str, str] = {}
    values = {"purpose": "", "team": "", "worker": "", "reason": "MANAGE", "start": _typed({}, "start")}
    if request.method == "POST":
        form = SecondaryStartForm(
            request.POST,
            purposes=[p["id"] for p in purposes],
            teams=Team.objects.filter(pk__in=[t.pk for t in teams]),
            workers=StaffMember.objects.filter(pk__in=[w.pk for w, _ in workers]),
            today=request.today,
        )
        errors = form_errors(form, "start")
        values = {k: request.POST.get(k, "") for k in ("purpose", "team", "worker", "reason")}
        values["start"] = _typed(request.POST, "start")
        if not errors:
            v = form.cleaned_data
            try:
                allocation = secondary_allocation_start(
                    now=request.now,
                    actor=staff,
                    child=child,
                    purpose=v["purpose"],
                    team=v["team"],
                    worker=v["worker"],
                    start=v["start"],
                    reason=v["reason"],
                )
            except Refusal as exc:
                errors.update(refusal_errors(exc, "purpose"))
            else:
                messages.success(
                    request,
                    f"{purpose_in_words(protocol, allocation)}: {allocation.worker} of {allocation.team} "
                    "is allocated.",
                )
                return redirect("web:child", pk=child.pk)
    else:  # a read; a refused POST shows the form again and writes nothing
        _read(request, staff, child, "add a secondary allocation page")
    return render(
        request,
        "web/secondary_allocation_new.html",
        {
            "child": child,
            "purposes": purposes,
            "teams": teams,
            "workers": workers,
            "reasons": REASONS,
            "values": values,
            "errors": errors,
            "examples": _examples(SecondaryStartForm),
        },
        status=400 if errors else 200,
    )


@login_required
def secondary_allocation_end_page(request, pk, allocation_id):
    """End an open secondary allocation: the end date (not before it started, not in the future) and the
    SSDA903 reason."""
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    allocation = (
        Allocation.objects.filter(
            pk=allocation_id, child=child, kind=AllocationKind.SECONDARY, end__isnull=True
        )
        .select_related("team__service", "worker", "child__authority")
        .first()
    )
    if allocation is None:
        raise Http404("no such open secondary allocation of this child")
    if not may_take_record_action(staff, child, ACTION, request.today, providing_team=allocation.team):
        raise PermissionDenied(
            "only a team manager or practice manager of the team holding the child's case, or of the team "
            "providing the worker, can end a secondary allocation"
        )
    purpose = purpose_in_words(protocol_for(child.authority), allocation)
    errors: dict[str, str] = {}
    values = {"reason": "MANAGE", "end": _typed({}, "end")}
    if request.method == "POST":
        form = SecondaryEndForm(request.POST, today=request.today)
        errors = form_errors(form, "end")
        values = {"reason": request.POST.get("reason", ""), "end": _typed(request.POST, "end")}
        if not errors:
            try:
                secondary_allocation_end(
                    now=request.now,
                    actor=staff,
                    allocation=allocation,
                    end=form.cleaned_data["end"],
                    reason=form.cleaned_data["reason"],
                )
            except Refusal as exc:
                errors.update(refusal_errors(exc, "end"))
            else:
                messages.success(request, f"{purpose}: {allocation.worker}'s allocation is ended.")
                return redirect("web:child", pk=child.pk)
    else:
        _read(request, staff, child, "end a secondary allocation page")
    return render(
        request,
        "web/secondary_allocation_end.html",
        {
            "child": child,
            "allocation": allocation,
            "purpose": purpose,
            "reasons": REASONS,
            "values": values,
            "errors": errors,
            "examples": _examples(SecondaryEndForm),
        },
        status=400 if errors else 200,
    )
