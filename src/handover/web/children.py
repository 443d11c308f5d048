"""Pages that change a child's record: the child's details, a document added to the child's file, and a new
version of a document replacing the one on file.

Thin: the forms below check what was typed and sent (GOV.UK messages naming the field and the rule), the
services (`children.services`) decide who may and write with their audit rows, and the rulebook says whether the
child record offers these pages at all. A GET shows the form and audits the read; a refused POST shows the form
again and writes nothing."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children import files
from handover.children.access import require_record_action
from handover.children.models import ETHNICITIES, Child, DocumentOnFile
from handover.children.selectors import child_version
from handover.children.services import child_record_add, child_update
from handover.domain import text
from handover.domain.errors import AccessDenied, Conflict, Refusal
from handover.domain.facts import ASYLUM_STATUSES
from handover.domain.rulebook import RecordAction
from handover.transfers.services import deadlines_close_from_file
from handover.web.forms import FreeText, form_errors, refusal_errors, sentence
from handover.web.views import _child_or_404, _staff

DISABILITY = {"yes": True, "no": False, "not_known": None}
DISABILITY_WORDS = {"yes": "Yes", "no": "No", "not_known": "Not known"}
DETAILS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "expected_date_of_birth",
    "gender",
    "ethnicity",
    "disability",
    "asylum_status",
    "address",
    "locality",
    "school",
)


# -- a GOV.UK date input (three boxes: `<name>-day`, `<name>-month`, `<name>-year`) as one form field ----------


class _DayMonthYear(forms.MultiWidget):
    def __init__(self):
        super().__init__([forms.TextInput(), forms.TextInput(), forms.TextInput()])
        self.widgets_names = ["-day", "-month", "-year"]

    def decompress(self, value):
        return [value.day, value.month, value.year] if value else ["", "", ""]


class TypedDate(forms.MultiValueField):
    """A date typed in three boxes; each message names the date (`what`) and the rule, as GOV.UK's do."""

    widget = _DayMonthYear

    def __init__(self, what: str, *, example: str, required: bool = False):
        self.what, self.example = what, example  # the page's hint gives the same example
        message = {
            "required": f"Enter the {what}",
            "incomplete": f"The {what} must include a day, a month and a year",
            "invalid": f"The {what} must be a real date, like {example}",
        }
        parts = [
            forms.CharField(
                error_messages={
                    "incomplete": message["incomplete"],
                    "null_characters_not_allowed": message["invalid"],
                }
            )
            for _ in range(3)
        ]
        super().__init__(
            parts, required=required, require_all_fields=False, error_messages=message, label=what
        )

    def compress(self, data_list):
        if not data_list:
            return None
        day, month, year = (part.strip() for part in data_list)
        try:
            if len(year) != 4:
                raise ValueError(year)
            return dt.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def not_after(self, value: dt.date | None, today: dt.date) -> dt.date | None:
        if value is not None and value > today:
            raise forms.ValidationError(f"The {self.what} must be today or in the past", code="future")
        return value


def _examples(form_class) -> dict[str, str]:
    """Each date's example, for its hint: the same as its message gives."""
    return {name: f.example for name, f in form_class.base_fields.items() if isinstance(f, TypedDate)}


def _shown(typed: str) -> str:
    """What was typed, to show it again: all of it but NUL, which the page's message names instead."""
    return typed.replace(text.NUL, "")


def _typed(data, name: str) -> dict[str, str]:
    """What was typed in a date's three boxes, to show it again."""
    return {part: _shown(data.get(f"{name}-{part}", "")) for part in ("day", "month", "year")}


# -- the child's details ------------------------------------------------------------------------------------


def _length(field: str, model=Child) -> int:
    return model._meta.get_field(field).max_length


class ChildDetailsForm(forms.Form):
    version = forms.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        error_messages={
            k: "The page's version of the child's details is not a whole number: reload the page and try again"
            for k in ("required", "invalid", "min_value", "max_value")
        },
    )
    first_name = FreeText("first_name", _length("first_name"), required="Enter the child's first name")
    last_name = FreeText("last_name", _length("last_name"), required="Enter the child's last name")
    date_of_birth = TypedDate("date of birth", example="27 3 2015")
    expected_date_of_birth = TypedDate("expected date of birth", example="9 2 2027")
    gender = FreeText("gender", _length("gender"))
    ethnicity = forms.ChoiceField(
        required=False, error_messages={"invalid_choice": "Select the child's ethnicity from the list"}
    )
    disability = forms.ChoiceField(
        choices=[(k, k) for k in DISABILITY],
        error_messages={
            k: "Select whether the child has a disability: yes, no or not known"
            for k in ("required", "invalid_choice")
        },
    )
    asylum_status = forms.ChoiceField(
        choices=[(s, s) for s in ASYLUM_STATUSES],
        error_messages={
            k: "Select the child's asylum status from the list" for k in ("required", "invalid_choice")
        },
    )
    address = FreeText("address", text.ADDRESS)
    locality = FreeText("locality", _length("locality"))
    school = FreeText("school", _length("school"))

    def __init__(self, data, *, today: dt.date, recorded_ethnicity: str):
        super().__init__(data)
        self.today = today
        self.fields["ethnicity"].choices = ethnicity_choices(recorded_ethnicity)

    def clean_date_of_birth(self):
        return self.fields["date_of_birth"].not_after(self.cleaned_data.get("date_of_birth"), self.today)

    def clean(self):
        cleaned = super().clean()
        if (
            not {"date_of_birth", "expected_date_of_birth"} & set(self.errors)
            and cleaned.get("date_of_birth") is None
            and cleaned.get("expected_date_of_birth") is None
        ):
            self.add_error(
                "date_of_birth",
                "Enter the date of birth, or the expected date of birth if the child is not born yet",
            )
        return cleaned

    def details(self) -> dict:
        """The cleaned values as the record keeps them."""
        values = {field: self.cleaned_data[field] for field in DETAILS}  # text already stripped
        values["disability"] = DISABILITY[values["disability"]]
        return values


def ethnicity_choices(recorded: str) -> list[tuple[str, str]]:
    """The census's ethnicities in words; a code the record holds that is not one of them (an import's own)
    is kept as a choice, so saving other details never changes it."""
    choices = [("", "Not recorded"), *ETHNICITIES]
    if recorded and recorded not in dict(ETHNICITIES):
        choices.append((recorded, f"{recorded} (as recorded; not a census category)"))
    return choices


def _details_of(child: Child) -> dict[str, str]:
    """The record's details as the form's boxes show them."""
    values = {field: getattr(child, field) or "" for field in DETAILS}
    values["disability"] = {True: "yes", False: "no", None: "not_known"}[child.disability]
    for field in ("date_of_birth", "expected_date_of_birth"):
        day = getattr(child, field)
        values[field] = {"day": day.day, "month": day.month, "year": day.year} if day else _typed({}, field)
    return values


def _may_change(staff, child, today) -> None:
    """A page that changes the record is for those the rulebook lets change it: 403 for anyone else."""
    try:
        require_record_action(staff, child, RecordAction.CHANGE, today)
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc


@login_required
def child_edit(request, pk):
    """Change the child's details: the fields of `child_update`, dates as GOV.UK date inputs, and the version
    the page was loaded at, so a change saved by someone else meanwhile is refused, not overwritten."""
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    _may_change(staff, child, request.today)
    errors: dict[str, str] = {}
    values, version = _details_of(child), child_version(child)
    if request.method == "POST":
        form = ChildDetailsForm(request.POST, today=request.today, recorded_ethnicity=child.ethnicity)
        errors = form_errors(form, "first_name", anchors={"version": "details"})
        values = {field: _shown(request.POST.get(field, "")) for field in DETAILS}
        values |= {
            field: _typed(request.POST, field) for field in ("date_of_birth", "expected_date_of_birth")
        }
        # Shown again, the form keeps the version it was loaded at: what else it shows is what was loaded then.
        version = form.cleaned_data.get("version", version)
        if not errors:
            changed = {f: v for f, v in form.details().items() if getattr(child, f) != v}
            if not changed:
                messages.success(request, "Nothing was changed: the details were already as saved.")
                return redirect("web:child", pk=child.pk)
            try:
                child_update(
                    now=request.now,
                    actor=staff,
                    child=child,
                    values=changed,
                    expected_version=form.cleaned_data["version"],
                )
                messages.success(request, "The child's details are saved.")
                return redirect("web:child", pk=child.pk)
            except Conflict:
                child.refresh_from_db()
                values, version = _details_of(child), child_version(child)
                errors["details"] = (
                    "Someone else changed the child's details since you opened this page. The form now "
                    "shows them as saved: make your changes again"
                )
            except Refusal as exc:
                errors.update(refusal_errors(exc, "details"))
    else:  # a read; a refused POST shows the form again and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail="change the child's details page",
        )
    return render(
        request,
        "web/child_edit.html",
        {
            "child": child,
            "values": values,
            "version": version,
            "errors": errors,
            "ethnicities": ethnicity_choices(child.ethnicity),
            "disability_choices": DISABILITY_WORDS.items(),
            "examples": _examples(ChildDetailsForm),
            "asylum_statuses": [(s, sentence(s.replace("_", " "))) for s in ASYLUM_STATUSES],
        },
        status=400 if errors else 200,
    )


# -- a document on the child's file ---------------------------------------------------------------------------


class CappedUpload(FileUploadHandler):
    """First of the request's upload handlers: once a file passes `cap` bytes it is skipped (the rest is read
    off the connection but kept nowhere, not in memory nor in a temporary file) and its field is noted, so the
    page says it is too large instead of storing it first."""

    def __init__(self, request, cap: int):
        super().__init__(request)
        self.cap = cap
        self.too_large: set[str] = set()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.cap:
            self.too_large.add(self.field_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file


class _FiledForm(forms.Form):
    """What every version of a document on file has: an optional title, its date and the file itself."""

    title = FreeText("title", _length("title", DocumentOnFile))
    dated = TypedDate("date of the document", example="20 11 2026", required=True)
    file = forms.FileField(
        required=False,
        error_messages={
            "empty": "The selected file is empty",
            "invalid": "Select the file again: the upload did not arrive whole",
            "missing": "Select the file again: the upload did not arrive whole",
        },
    )

    def __init__(self, data, uploads, *, today: dt.date, cap: int, too_large=()):
        super().__init__(data, uploads)
        self.today, self.cap, self.too_large = today, cap, set(too_large)

    def clean_dated(self):
        return self.fields["dated"].not_after(self.cleaned_data.get("dated"), self.today)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        too_large = f"The selected file must be {files.size_in_words(self.cap)} or smaller"
        if "file" in self.too_large:
            raise forms.ValidationError(too_large, code="too_large")
        if upload is None:
            raise forms.ValidationError("Select the file to upload", code="required")
        if upload.size > self.cap:
            raise forms.ValidationError(too_large, code="too_large")
        rule = f"The selected file must be a {files.ACCEPTED_IN_WORDS}"
        named = files.kind_named(upload.name)
        if named is None:
            raise forms.ValidationError(rule, code="kind")
        found = files.kind_of(upload)
        if found is not named:
            name = upload.name[:100]
            contents = found.a if found else f"not {named.a}"
            raise forms.ValidationError(
                f"{rule}: {name} is named as {named.a} but its contents are {contents}", code="contents"
            )
        self.file_kind = found
        return upload


class DocumentForm(_FiledForm):
    document_type = forms.ChoiceField(
        error_messages={
            "required": "Select the type of document",
            "invalid_choice": "Select the type of document from the list",
        }
    )

    def __init__(self, data, uploads, *, types: dict[str, str], **kwargs):
        super().__init__(data, uploads, **kwargs)
        self.fields["document_type"].choices = [("", "Choose a type of document"), *types.items()]
        self.order_fields(["document_type"])  # the error summary lists the fields in the page's order


class ReplacementForm(_FiledForm):
    """A new version of a document: its type is the one it replaces."""


@csrf_exempt  # only so the size cap is in place before the body is read: `_document_new` checks the token
def document_new(request, pk):
    """Add a document to the child's file: its type from the protocol's list (in words), its date (not in the
    future), an optional title, and the file itself (PDF, DOCX, ODT, JPEG or PNG by its contents, at most
    HANDOVER_DOCUMENT_MAX_BYTES). A step the document closes shows done at once."""
    cap = settings.HANDOVER_DOCUMENT_MAX_BYTES
    handler = CappedUpload(request, cap)
    request.upload_handlers.insert(0, handler)
    return _document_new(request, pk, cap=cap, too_large=handler.too_large)


@csrf_protect
@login_required
def _document_new(request, pk, *, cap: int, too_large: set[str]):
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    _may_change(staff, child, request.today)
    types = files.uploadable_types(child.authority)
    errors: dict[str, str] = {}
    # A link from My work names the type readiness waits for (`?type=chronology`): chosen for the person, if known.
    asked = request.GET.get("type", "")
    chosen = asked if asked in types else ""
    values = {"document_type": chosen, "title": "", "dated": _typed({}, "dated")}
    if request.method == "POST":
        form = DocumentForm(
            request.POST, request.FILES, types=types, today=request.today, cap=cap, too_large=too_large
        )
        errors = form_errors(form, "document_type")
        values = {k: _shown(request.POST.get(k, "")) for k in ("document_type", "title")}
        values["dated"] = _typed(request.POST, "dated")
        if not errors:
            v = form.cleaned_data
            try:
                child_record_add(
                    now=request.now,
                    actor=staff,
                    child=child,
                    kind="documents",
                    values={
                        "document_type": v["document_type"],
                        "title": v["title"],
                        "dated": v["dated"],
                        "content": v["file"].read(),
                        "content_type": form.file_kind.content_type,
                    },
                )
            except Refusal as exc:
                errors.update(refusal_errors(exc, "document_type"))
            else:
                # A step the protocol closes on this document shows done at once, not at the next sweep.
                deadlines_close_from_file(now=request.now, child=child)
                messages.success(request, f"{types[v['document_type']]} added to the child's file.")
                return redirect("web:child", pk=child.pk)
    else:  # a read; a refused POST shows the form again and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail="add a document page",
        )
    return render(
        request,
        "web/document_new.html",
        {
            "child": child,
            "types": types,
            "values": values,
            "errors": errors,
            "examples": _examples(DocumentForm),
            "max_size": files.size_in_words(cap),
            "accepted": files.ACCEPTED_IN_WORDS,
            "accept": ",".join(ext for kind in files.ACCEPTED for ext in kind.extensions),
        },
        status=400 if errors else 200,
    )


# -- a new version of a document on file ------------------------------------------------------------------------


@csrf_exempt  # only so the size cap is in place before the body is read: `_document_replace` checks the token
def document_replace(request, pk, document_pk):
    """Replace a document on the child's file with a new version of the same type: its date, an optional title
    and the file, checked as an upload is. The version replaced stays on the file, shown as replaced and still
    downloadable; readiness counts only the new one. Offered for the current version of a type people upload."""
    cap = settings.HANDOVER_DOCUMENT_MAX_BYTES
    handler = CappedUpload(request, cap)
    request.upload_handlers.insert(0, handler)
    return _document_replace(request, pk, document_pk, cap=cap, too_large=handler.too_large)


@csrf_protect
@login_required
def _document_replace(request, pk, document_pk, *, cap: int, too_large: set[str]):
    staff = _staff(request)
    child = _child_or_404(staff, pk)
    _may_change(staff, child, request.today)
    uploadable = files.uploadable_types(child.authority)
    document = (
        DocumentOnFile.objects.defer("content")
        .select_related("recorded_by", "replaced_by_staff")
        .filter(child=child, pk=document_pk)
        .first()
    )
    if document is None or document.document_type not in uploadable:
        raise Http404("no such document on the child's file, or one Handover writes itself")
    type_name = uploadable[document.document_type]
    if document.replaced_at is not None and request.method != "POST":
        # A link from before someone else replaced it: the record shows the version now current.
        messages.error(
            request,
            f"That version of the {type_name} was already replaced on {timezone.localtime(document.replaced_at):%-d %B %Y}. The "
            "list of documents shows the current version.",
        )
        return redirect(f"{reverse('web:child', args=[child.pk])}#documents")
    errors: dict[str, str] = {}
    values = {"title": document.title, "dated": _typed({}, "dated")}
    if request.method == "POST":
        form = ReplacementForm(request.POST, request.FILES, today=request.today, cap=cap, too_large=too_large)
        errors = form_errors(form, "dated")
        values = {"title": _shown(request.POST.get("title", "")), "dated": _typed(request.POST, "dated")}
        if not errors:
            v = form.cleaned_data
            try:
                files.document_replace(
                    now=request.now,
                    actor=staff,
                    document=document,
                    title=v["title"],
                    dated=v["dated"],
                    content=v["file"].read(),
                )
            except Refusal as exc:
                errors.update(refusal_errors(exc, "document"))
            else:
                # A step the protocol closes on this document shows done at once, not at the next sweep.
                deadlines_close_from_file(now=request.now, child=child)
                messages.success(request, f"New version of the {type_name} added to the child's file.")
                return redirect(f"{reverse('web:child', args=[child.pk])}#documents")
    else:  # a read; a refused POST shows the form again and writes nothing
        audit_record(
            at=request.now,
            actor=staff,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=document,
            detail="replace a document page",
        )
    return render(
        request,
        "web/document_replace.html",
        {
            "child": child,
            "document": document,
            "type_name": type_name,
            "values": values,
            "errors": errors,
            "examples": _examples(ReplacementForm),
            "max_size": files.size_in_words(cap),
            "accepted": files.ACCEPTED_IN_WORDS,
            "accept": ",".join(ext for kind in files.ACCEPTED for ext in kind.extensions),
        },
        status=400 if errors else 200,
    )
