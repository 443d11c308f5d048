"""Data protection pages (docs/privacy.md): a child's subject access export, the retention review, and erasing a
record at the end of its retention. Thin: the rules are the rulebook's (PrivacyAction) and privacy/*.py's."""

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
from handover.domain.errors import ApplicationError, Conflict
from handover.domain.rulebook import PrivacyAction, RecordRefused
from handover.organisation.access import may_privacy_action, privacy_refusal_for
from handover.privacy.erasure import child_erase, erasure_refusal, retention_of, retention_review
from handover.privacy.held import everything_held
from handover.privacy.subject_access import ExportKind, exports_of, subject_access_export
from handover.web.views import _child_or_404, _staff


def _allowed(request, action: PrivacyAction):
    staff = _staff(request)
    refusal = privacy_refusal_for(staff, action)
    if refusal is not None:
        raise PermissionDenied(str(refusal))  # the rulebook's words
    return staff


def _child(request, staff, pk, *, viewed: str = "") -> Child:
    """The child, if this person may see them; a page that shows them records the read (`viewed`)."""
    child = _child_or_404(staff, pk)
    if viewed:
        audit_record(
            at=request.now, actor=staff, verb=Verb.CHILD_VIEWED, child=child, obj=child, detail=viewed
        )
    return child


@login_required
def subject_access(request, pk):
    """GET: what the export holds and the three ways to download it, with the exports made before."""
    staff = _allowed(request, PrivacyAction.SUBJECT_ACCESS)
    child = _child(request, staff, pk, viewed="Subject access export page")
    held = everything_held(child)
    return render(
        request,
        "web/subject_access.html",
        {"child": child, "counts": held.counts(), "exports": exports_of(child)},
    )


@login_required
def subject_access_download(request, pk, kind):
    """GET: the export itself, recorded in the child's audit trail as the read it is."""
    staff = _allowed(request, PrivacyAction.SUBJECT_ACCESS)
    child = _child(request, staff, pk)  # the export records its own read
    if kind not in ExportKind.ALL:
        raise Http404("no such export")
    export = subject_access_export(child, kind, prepared_by=staff, now=request.now)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def retention(request):
    """GET: the closed records of the authority whose retention has ended, for review."""
    staff = _allowed(request, PrivacyAction.RETENTION_REVIEW)
    review = retention_review(staff, request.today)
    audit_listing(
        at=request.now,
        actor=staff,
        children=[d.child.pk for d in review.due],
        detail="Retention review",
    )
    return render(
        request,
        "web/retention.html",
        {"review": review, "may_erase": may_privacy_action(staff, PrivacyAction.ERASE)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def erase(request, pk):
    """GET: what erasing this record removes and keeps, and the form; POST: erase it."""
    staff = _allowed(request, PrivacyAction.ERASE)
    child = _child(request, staff, pk, viewed="Erasure page" if request.method == "GET" else "")
    errors: dict[str, str] = {}
    values = {"confirm": "", "reason": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            erased = child_erase(
                child=child, staff=staff, now=request.now, confirm=values["confirm"], reason=values["reason"]
            )
        except ApplicationError as refused:
            errors = refused.errors
        except (Conflict, RecordRefused) as refused:
            errors = {"erase": str(refused)}
        else:
            messages.success(
                request,
                f"Record {erased.identifier} erased: {sum(erased.rows.values())} records removed, and what "
                f"{erased.audit_rows} audit trail entries said about it",
            )
            return redirect("web:retention")
    held = everything_held(child)
    end = retention_of(child)
    return render(
        request,
        "web/erase.html",
        {
            "child": child,
            "counts": held.counts(),
            "refusal": erasure_refusal(child, request.today, end),
            "end": end,
            "errors": errors,
            "values": values,
        },
        status=400 if errors else 200,
    )
