"""A subject access export of one child's record (UK GDPR Article 15): everything held (privacy/held.py), with
the record's audit trail, as a PDF to read, as JSON for a machine, and as a ZIP of both with every document on
file. Each export is itself audited. The authority's information governance officer reviews it before it is
disclosed: it holds third parties' data (staff, family members, professionals), which the Act lets them redact.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from handover.audit.models import AuditEvent, Verb
from handover.audit.services import audit_record
from handover.children.audit_trail import record_audit_trail
from handover.children.models import Child, DocumentOnFile
from handover.documents.rendering import render_pdf
from handover.organisation.models import StaffMember
from handover.privacy.held import Held, as_data, everything_held, fields_in_words

FORMAT = "handover-subject-access/1"


class ExportKind:
    PDF = "pdf"
    JSON = "json"
    ZIP = "zip"
    ALL = (PDF, JSON, ZIP)


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes


def _audit_rows(child: Child) -> list[dict]:
    rows = []
    for row in record_audit_trail(child, limit=None):
        event = row.event
        rows.append(
            {
                "at": timezone.localtime(event.at),
                "who": row.who,
                "role": row.role,
                "what": event.get_verb_display(),
                "record": event.object_type,
                "record_id": event.object_id,
                "detail": event.detail,
                "before": event.before,
                "after": event.after,
                "erased": bool(event.erased_payload_digest),
            }
        )
    rows.reverse()  # oldest first, as a record is read
    return rows


def _documents(held: Held) -> list[DocumentOnFile]:
    for kind in held.kinds:
        if kind.model is DocumentOnFile:
            return kind.rows
    return []


def _document_filename(document: DocumentOnFile) -> str:
    stem = re.sub(
        r"[^A-Za-z0-9]+", "-", f"{document.dated:%Y-%m-%d} {document.title or document.document_type}"
    )
    extension = {
        "application/pdf": "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
        "application/vnd.oasis.opendocument.text": "odt",
        "image/png": "png",
        "image/jpeg": "jpg",
    }.get(document.content_type, "bin")
    return f"documents/{document.pk}-{stem.strip('-').lower()}.{extension}"


def subject_access_data(
    child: Child,
    *,
    prepared_by: StaffMember,
    now: dt.datetime,
    held: Held | None = None,
    audit_rows: list[dict] | None = None,
) -> dict:
    """The JSON export's content: the child's row, every row held by kind (the model's label), the audit trail
    and where each document's file is in the ZIP."""
    held = held or everything_held(child)
    return {
        "format": FORMAT,
        "prepared_at": now,
        "prepared_by": prepared_by.name,
        "authority": child.authority.name,
        "child": as_data(child),
        "records": {kind.model._meta.label: [as_data(row) for row in kind.rows] for kind in held.kinds},
        "audit_trail": _audit_rows(child) if audit_rows is None else audit_rows,
        "documents": [
            {"id": d.pk, "file": _document_filename(d)} for d in _documents(held) if d.content is not None
        ],
    }


def _pdf(
    child: Child, held: Held, audit_rows: list[dict], *, prepared_by: StaffMember, now: dt.datetime
) -> bytes:
    return render_pdf(
        "privacy/subject_access.html",
        {
            "child": child,
            "child_fields": fields_in_words(child),
            "kinds": [(kind.name, [fields_in_words(row) for row in kind.rows]) for kind in held.kinds],
            "audit_rows": [
                {
                    **row,
                    "after": json.dumps(row["after"], ensure_ascii=False, default=str)
                    if row["after"]
                    else "",
                }
                for row in audit_rows
            ],
            "prepared_by": prepared_by,
            "prepared_at": timezone.localtime(now),
            "authority": child.authority,
        },
    )


def subject_access_export(child: Child, kind: str, *, prepared_by: StaffMember, now: dt.datetime) -> Export:
    """The export of `kind` (pdf, json or zip), audited as read by `prepared_by` at `now`. The caller has checked
    the rulebook (PrivacyAction.SUBJECT_ACCESS) and that they may see the child."""
    if kind not in ExportKind.ALL:
        raise ValueError(f"kind: there is no subject access export {kind!r}; choose pdf, json or zip")
    held = everything_held(child)
    audit_rows = _audit_rows(child)
    stem = f"subject-access-{child.identifier}-{timezone.localtime(now):%Y-%m-%d}"
    with transaction.atomic():
        data = json.dumps(
            subject_access_data(child, prepared_by=prepared_by, now=now, held=held, audit_rows=audit_rows),
            cls=DjangoJSONEncoder,
            indent=1,
            ensure_ascii=False,
        ).encode()
        if kind == ExportKind.JSON:
            export = Export(f"{stem}.json", "application/json", data)
        else:
            pdf = _pdf(child, held, audit_rows, prepared_by=prepared_by, now=now)
            if kind == ExportKind.PDF:
                export = Export(f"{stem}.pdf", "application/pdf", pdf)
            else:
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    archive.writestr(f"{stem}.pdf", pdf)
                    archive.writestr(f"{stem}.json", data)
                    for document in _documents(held):
                        if document.content is not None:
                            archive.writestr(_document_filename(document), bytes(document.content))
                export = Export(f"{stem}.zip", "application/zip", buffer.getvalue())
        audit_record(
            actor=prepared_by,
            verb=Verb.SUBJECT_ACCESS,
            at=now,
            child=child,
            obj=child,
            after={"kind": kind, "rows": held.rows, "bytes": len(export.content)},
            detail=f"Subject access export ({kind.upper()})",
        )
    return export


def exports_of(child: Child) -> list[AuditEvent]:
    """The subject access exports already made of this record, newest first."""
    return list(AuditEvent.objects.filter(child=child, verb=Verb.SUBJECT_ACCESS).select_related("actor"))
