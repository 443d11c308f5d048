"""Pages for the Case Transfer Summary and the letters, and downloads of documents on a child's file.
Every download of a child's document is audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children import files
from handover.children.models import Child, DocumentOnFile
from handover.documents import letters as letter_service
from handover.documents import transfer_summary as summaries
from handover.documents.models import Letter, TransferSummary
from handover.documents.rendering import DOCX, PDF
from handover.domain.errors import Refusal
from handover.notifications.letters_by_post import letter_post as letter_post_service
from handover.organisation.access import visible_children
from handover.organisation.protocol import protocol_for
from handover.web.forms import refusal_errors, typed_date
from handover.web.views import _staff, _transfer_or_404


@login_required
def transfer_summary(request, pk):
    """Write the Case Transfer Summary; a manager of the transferring team authorises it."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    draft = transfer.summaries.filter(status=TransferSummary.Status.DRAFT).first()
    authorised = transfer.summaries.filter(status=TransferSummary.Status.AUTHORISED).first()
    on_file_date, on_file_outcome = summaries.last_assessment(transfer)
    source = draft or authorised
    values = {
        "work_undertaken": source.work_undertaken if source else "",
        "last_assessment_outcome": source.last_assessment_outcome if source else on_file_outcome,
    }
    assessed = (source.last_assessment_date if source else None) or on_file_date
    date_typed = (
        {"day": assessed.day, "month": assessed.month, "year": assessed.year}
        if assessed
        else {"day": "", "month": "", "year": ""}
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("authorise") and draft is not None:
                summaries.transfer_summary_authorise(now=request.now, actor=staff, summary=draft)
                messages.success(request, "The Case Transfer Summary is authorised and on the child's file.")
                return redirect("web:transfer", pk=transfer.pk)
            values = {k: request.POST.get(k, "").strip() for k in values}
            date_typed = {
                p: request.POST.get(f"last_assessment_date-{p}", "").strip() for p in ("day", "month", "year")
            }
            assessed = typed_date(request.POST, "last_assessment_date")
            if any(date_typed.values()) and assessed is None:
                errors["last_assessment_date"] = (
                    "Enter the date of the last assessment as a real date, like 30 10 2026"
                )
            if not errors:
                summaries.transfer_summary_draft(
                    now=request.now,
                    actor=staff,
                    transfer=transfer,
                    work_undertaken=values["work_undertaken"],
                    last_assessment_date=assessed,
                    last_assessment_outcome=values["last_assessment_outcome"],
                )
                return redirect("web:transfer_summary", pk=transfer.pk)
        except Refusal as exc:
            errors.update(refusal_errors(exc, "summary"))
    preview = summaries.dates_ahead(transfer, draft.drafted_on if draft else request.today)
    if request.method != "POST":  # a read; a refused POST re-shows the page and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.TRANSFER_VIEWED,
            child=transfer.child,
            obj=transfer,
            detail="Case Transfer Summary page",
        )
    return render(
        request,
        "web/transfer_summary.html",
        {
            "transfer": transfer,
            "draft": draft,
            "authorised": authorised,
            "values": values,
            "date_typed": date_typed,
            "errors": errors,
            "dates_ahead": preview,
            "look_ahead_weeks": summaries.LOOK_AHEAD.days // 7,
        },
        status=400 if errors else 200,
    )


@login_required
def transfer_summary_pdf(request, pk):
    """The draft as it would print (marked DRAFT), or the authorised one from the file."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    summary = transfer.summaries.first()
    if summary is None:
        raise Http404("no summary written yet")
    content = (
        bytes(summary.document.content)
        if summary.status == TransferSummary.Status.AUTHORISED
        else summaries.transfer_summary_pdf(summary)
    )
    audit_record(
        at=request.now,
        actor=staff,
        verb=Verb.DOCUMENT_READ,
        child=transfer.child,
        obj=summary,
        detail="Case Transfer Summary",
    )
    return _file(content, PDF, f"case-transfer-summary-{transfer.child.identifier}.pdf")


def _letters_message(written: int, already: int) -> str:
    def letters(n: int) -> str:
        return f"{n} letter{'s' if n != 1 else ''}"

    if not written:
        return f"The letters were already written ({letters(already)} on file); nothing was written again."
    message = f"{letters(written)} written and kept on file."
    if already:
        message += (
            f" {letters(already)} already written {'were' if already != 1 else 'was'} not written again."
        )
    return message


@login_required
def transfer_letters(request, pk):
    """POST: write the letters to the family and every involved professional."""
    staff = _staff(request)
    transfer = _transfer_or_404(staff, pk)
    if request.method == "POST":
        try:
            sent = letter_service.letters_send(now=request.now, actor=staff, transfer=transfer)
            messages.success(request, _letters_message(len(sent.written), len(sent) - len(sent.written)))
        except Refusal as exc:
            for message in refusal_errors(exc, "letters").values():
                messages.error(request, message)
    return redirect("web:transfer", pk=transfer.pk)


@login_required
def letter_download(request, pk, fmt):
    staff = _staff(request)
    letter = (
        Letter.objects.filter(pk=pk, transfer__child__in=visible_children(staff, Child.objects.all()))
        .select_related("transfer__child")
        .first()
    )
    if letter is None or fmt not in ("docx", "pdf"):
        raise Http404("no such letter")
    audit_record(
        at=request.now,
        actor=staff,
        verb=Verb.DOCUMENT_READ,
        child=letter.transfer.child,
        obj=letter,
        detail=f"letter to {letter.addressee} as {fmt.upper()}",
    )
    content = bytes(letter.docx if fmt == "docx" else letter.pdf)
    return _file(
        content,
        DOCX if fmt == "docx" else PDF,
        f"letter-{letter.transfer.child.identifier}-{letter.pk}.{fmt}",
    )


@login_required
def letter_post(request, pk):
    """POST only: send a written letter by post through GOV.UK Notify (a GET is sent back to the transfer)."""
    staff = _staff(request)
    letter = (
        Letter.objects.filter(pk=pk, transfer__child__in=visible_children(staff, Child.objects.all()))
        .select_related("transfer__child")
        .defer("docx", "pdf")
        .first()
    )
    if letter is None:
        raise Http404("no such letter")
    if request.method == "POST":
        try:
            posted = letter_post_service(
                now=request.now, actor=staff, letter=letter, postage=request.POST.get("postage", "second")
            )
            messages.success(
                request,
                f"The letter to {posted.addressee} was sent by post through GOV.UK Notify "
                f"({posted.postage} class), reference {posted.notify_reference}.",
            )
        except Refusal as exc:
            for message in refusal_errors(exc, "letter").values():
                messages.error(request, message)
    return redirect("web:transfer", pk=letter.transfer_id)


@login_required
def document_download(request, pk):
    staff = _staff(request)
    document = (
        DocumentOnFile.objects.filter(pk=pk, child__in=visible_children(staff, Child.objects.all()))
        .select_related("child")
        .first()
    )
    if document is None or not document.content:
        raise Http404("no such document, or no file kept for it")
    audit_record(
        at=request.now,
        actor=staff,
        verb=Verb.DOCUMENT_READ,
        child=document.child,
        obj=document,
        detail=document.title[:200],
    )
    kind = next((k for k in files.ACCEPTED if k.content_type == document.content_type), None)
    extension = kind.extensions[0].lstrip(".") if kind else "bin"
    return _file(
        bytes(document.content),
        document.content_type or "application/octet-stream",
        # The type in words, as people save and find it ("child-and-family-assessment-…"), not its id.
        f"{slugify(files.type_name(document.document_type, _type_names(document.child)))}"
        f"-{document.child.identifier}-{document.pk}.{extension}",
    )


def _type_names(child) -> dict[str, str]:
    return {type_id: kind.name for type_id, kind in protocol_for(child.authority).document_types.items()}


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # safeguarding documents stay off shared caches
    return response
