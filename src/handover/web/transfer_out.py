"""Pages for a transfer to another local authority (Dorset D-185 to D-188): record the referral sent, with the
manager it was discussed with, record the other authority's confirmation of receipt, and download the referral
bundle (a ZIP with a covering PDF, the documents and their manifest)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.documents.referral_bundle import ZIP, referral_bundle
from handover.domain.errors import AccessDenied, Refusal
from handover.domain.rulebook import TransferWrite
from handover.domain.workflow import TRANSITIONS, Action
from handover.organisation import access
from handover.transfers import services
from handover.transfers.models import ReferralOut
from handover.transfers.transfer_out import is_outward
from handover.web.documents import _file
from handover.web.forms import refusal_errors, sentence, typed_date
from handover.web.views import _staff, _transfer_or_404

ACTIONS = {Action.SEND_REFERRAL.value, Action.CONFIRM_RECEIPT.value}
TEXT_FIELDS = {
    Action.SEND_REFERRAL.value: ("receiving_authority", "contact_name", "contact_email"),
    Action.CONFIRM_RECEIPT.value: ("receipt_confirmed_by",),
}
DATE_FIELDS = {
    Action.SEND_REFERRAL.value: {
        "discussed_on": "the date the managers discussed the transfer",
        "sent_on": "the date the referral was sent",
    },
    Action.CONFIRM_RECEIPT.value: {"receipt_confirmed_on": "the date the other authority confirmed receipt"},
}


@login_required
def action_page(request, pk, action: str):
    """Record the referral sent, or its receipt: the inputs each needs, then the workflow decides."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    if not is_outward(transfer):
        raise Http404("this transfer is not to another authority")
    transition = TRANSITIONS[Action(action)]
    dates = DATE_FIELDS[action]
    values = {f: "" for f in TEXT_FIELDS[action]}
    typed = {f: {"day": "", "month": "", "year": ""} for f in dates}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f: request.POST.get(f, "").strip() for f in values}
        typed = {
            f: {p: request.POST.get(f"{f}-{p}", "").strip() for p in ("day", "month", "year")} for f in dates
        }
        referral: dict = dict(values)
        for field, words in dates.items():
            referral[field] = typed_date(request.POST, field)
            if referral[field] is None and any(typed[field].values()):
                errors[field] = f"Enter {words} as a real date, like 3 12 2026"
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            errors["action"] = (
                "The page's version of the transfer is not a whole number: reload it and try again"
            )
        if not errors:
            try:
                services.transfer_act(
                    now=request.now,
                    actor=staff,
                    transfer=transfer,
                    action=action,
                    expected_version=version,
                    referral=referral,
                )
                return redirect("web:transfer", pk=transfer.pk)
            except Refusal as exc:
                errors.update(refusal_errors(exc, "action"))
    else:  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.TRANSFER_VIEWED,
            child=transfer.child,
            obj=transfer,
            detail=f"{transition.label} page",
        )
    context = {
        "transfer": transfer,
        "action": action,
        "label": transition.label,
        "errors": {f: sentence(m) for f, m in errors.items()},
        "values": values,
        "typed": typed,
        "referral": ReferralOut.objects.filter(transfer=transfer).first(),
        "may_bundle": access.may(staff, TransferWrite.REFERRAL_BUNDLE, transfer),
    }
    return render(request, "web/transfer_out.html", context, status=400 if errors else 200)


@login_required
def bundle(request, pk):
    """The referral bundle as a ZIP: a draft from what is on file until the referral is sent, then what was sent."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    if not is_outward(transfer):
        raise Http404("this transfer is not to another authority")
    try:
        access.require_write(staff, TransferWrite.REFERRAL_BUNDLE, transfer)
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    built = referral_bundle(transfer, on=request.today)
    audit_record(
        at=request.now,
        actor=staff,
        verb=Verb.DOCUMENT_READ,
        child=transfer.child,
        obj=transfer,
        detail=f"referral bundle ({'as sent' if built.sent else 'draft'}), {len(built.manifest)} documents",
    )
    return _file(built.content, ZIP, built.filename)
