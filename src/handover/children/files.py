"""Documents on a child's file: what kind an uploaded file is, the types a person may upload, replacing a
document with a new version, and the file as the child's record shows it.

A file's kind is told by its contents (the first bytes, and for the two word-processor formats the zip's own
table of contents), never by its name or what the browser says: a page refuses a file whose name and contents
disagree, so the download's type is always what is inside it.

Replacing keeps every version: the new one is a row of its own, the old one is marked replaced (when, by whom,
by which) and stays downloadable, and only current versions count (readiness, the referral to another
authority)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.children.access import require_record_action
from handover.children.models import LETTER_DOCUMENT_TYPE, SUMMARY_DOCUMENT_TYPE, Child, DocumentOnFile
from handover.children.services import record_date_problems
from handover.domain import plausible
from handover.domain.errors import ApplicationError, Conflict
from handover.domain.rulebook import RecordAction
from handover.domain.text import text_errors
from handover.organisation.models import Authority, StaffMember
from handover.organisation.protocol import protocol_for


@dataclass(frozen=True)
class FileKind:
    name: str  # as people say it
    content_type: str
    extensions: tuple[str, ...]  # the first is the one a download is named with

    @property
    def a(self) -> str:
        """ "a PDF", "an ODT": the letters are said one by one, so O takes "an"."""
        return f"{'an' if self.name[0] in 'AEFHILMNORSX' else 'a'} {self.name}"


PDF = FileKind("PDF", "application/pdf", (".pdf",))
DOCX = FileKind("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
ODT = FileKind("ODT", "application/vnd.oasis.opendocument.text", (".odt",))
JPEG = FileKind("JPEG", "image/jpeg", (".jpg", ".jpeg"))
PNG = FileKind("PNG", "image/png", (".png",))
ACCEPTED = (PDF, DOCX, ODT, JPEG, PNG)

# "PDF, DOCX, ODT, JPEG or PNG", for messages and hints.
ACCEPTED_IN_WORDS = ", ".join(k.name for k in ACCEPTED[:-1]) + f" or {ACCEPTED[-1].name}"

_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def kind_named(filename: str) -> FileKind | None:
    """The accepted kind a file's name claims (by its extension, in any case), or None."""
    lowered = filename.lower()
    return next((k for k in ACCEPTED if lowered.endswith(k.extensions)), None)


def kind_of(content: BinaryIO) -> FileKind | None:
    """The accepted kind `content` is (a seekable file, left at its start), or None if it is none of them."""
    content.seek(0)
    head = content.read(8)
    content.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _zipped_kind(content)
    return None


def _zipped_kind(content: BinaryIO) -> FileKind | None:
    """DOCX (Office Open XML: a main document part) or ODT (OpenDocument: a `mimetype` entry saying text). Only
    the zip's directory and the few bytes of `mimetype` are read, so a zip bomb expands nothing."""
    try:
        with zipfile.ZipFile(content) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            if "mimetype" in names and "content.xml" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(_ODT_MIMETYPE) + 1).strip() == _ODT_MIMETYPE:
                        return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        return None
    finally:
        content.seek(0)
    return None


def kind_of_bytes(content: bytes) -> FileKind | None:
    return kind_of(io.BytesIO(content))


def size_in_words(size: int) -> str:
    """10485760 → "10 MB"; 1536 → "1.5 KB" (binary units, as file managers show them)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


# -- the types a person uploads, and replacing a document with a new version -----------------------------------

# Documents Handover writes itself: a Case Transfer Summary goes on file when a manager authorises it, a letter
# as it was sent. Neither is uploaded, nor replaced by an upload.
WRITTEN_BY_HANDOVER = frozenset({SUMMARY_DOCUMENT_TYPE, LETTER_DOCUMENT_TYPE})


def uploadable_types(authority: Authority) -> dict[str, str]:
    """The protocol's document types a person may upload, id → name, in the order people look for them (by
    name)."""
    types = protocol_for(authority).document_types
    return {
        type_id: kind.name
        for type_id, kind in sorted(types.items(), key=lambda item: item[1].name.casefold())
        if type_id not in WRITTEN_BY_HANDOVER
    }


def type_name(type_id: str, names: dict[str, str]) -> str:
    """A document type in words: the protocol's name, or (a type an import or an older protocol brought, a
    letter) its id written out."""
    if type_id in names:
        return names[type_id]
    spelt = type_id.replace("_", " ")
    return spelt[:1].upper() + spelt[1:]


def replaceable(document: DocumentOnFile, uploadable: dict[str, str]) -> bool:
    """Whether `document` may be replaced by an upload: the current version of a type a person uploads."""
    return document.replaced_at is None and document.document_type in uploadable


def document_replace(
    *,
    actor: StaffMember,
    document: DocumentOnFile,
    dated: dt.date,
    title: str = "",
    content: bytes | None = None,
    now: dt.datetime,
) -> DocumentOnFile:
    """Put a new version of `document` on the child's file, of the same type, and mark `document` replaced by
    it. Who may: whoever may add to the child's record (the rulebook's `RecordAction.CHANGE`, as for an upload).
    The new version's date follows the same rule as any document's (domain.plausible: not in the future); its
    file, if any (the API records a document without one), must be an accepted kind by its contents. Both rows
    are written with their audit rows in one transaction; a version someone has replaced meanwhile is refused."""
    today = timezone.localtime(now).date()
    child = document.child
    require_record_action(actor, child, RecordAction.CHANGE, today)
    uploadable = uploadable_types(child.authority)
    name = type_name(document.document_type, uploadable)
    if document.document_type not in uploadable:
        raise ApplicationError(
            {
                "document": f"a {name} is written by Handover, not uploaded, so it cannot be replaced by an "
                "upload"
                if document.document_type in WRITTEN_BY_HANDOVER
                else f"{name} is not one of the protocol's document types, so it cannot be replaced"
            }
        )
    problems = record_date_problems("documents", {"dated": dated}, today=today)
    problems |= text_errors(title=(title, DocumentOnFile._meta.get_field("title").max_length))
    kind = kind_of_bytes(content) if content is not None else None
    if content is not None and kind is None:
        problems["file"] = f"the file must be a {ACCEPTED_IN_WORDS}"
    if problems:
        raise ApplicationError(problems)
    with transaction.atomic():
        # Locked, then read again: two people replacing the same version at once make one new version, not two.
        old = DocumentOnFile.objects.select_for_update().get(pk=document.pk)
        if old.replaced_at is not None:
            by = StaffMember.objects.filter(pk=old.replaced_by_staff_id).first()
            raise Conflict(
                f"this version of the {name} was replaced on {plausible.day(timezone.localtime(old.replaced_at))}"
                f"{f' by {by.name}' if by else ''}: replace the current version from the child's record"
            )
        new = DocumentOnFile.objects.create(
            child=child,
            document_type=old.document_type,
            title=title,
            dated=dated,
            recorded_by=actor,
            recorded_at=now,
            content=content,
            content_type=kind.content_type if kind else "",
        )
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=child,
            obj=new,
            after=snapshot(new),
            detail=f"new version of the {name} dated {plausible.day(old.dated)}",
        )
        before = snapshot(old)
        old.replaced_by, old.replaced_at, old.replaced_by_staff = new, now, actor
        old.save()
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=child,
            obj=old,
            before=before,
            after=snapshot(old),
            detail=f"{name} dated {plausible.day(old.dated)} replaced by a new version",
        )
    return new


# -- the file as the child's record shows it --------------------------------------------------------------------


@dataclass
class FiledDocument:
    """A current document with the versions it replaced (newest first), in words."""

    document: DocumentOnFile
    type_name: str
    replaceable: bool
    earlier: list[DocumentOnFile] = field(default_factory=list)


def documents_on_file(child: Child) -> list[FiledDocument]:
    """The child's documents as the record lists them: each current version (latest date first) with the
    versions it replaced, and who added and replaced each. The files' bytes are not read."""
    uploadable = uploadable_types(child.authority)
    names = {type_id: kind.name for type_id, kind in protocol_for(child.authority).document_types.items()}
    rows = list(
        child.documents.defer("content")
        .select_related("recorded_by", "replaced_by_staff")
        .order_by("-dated", "-pk")
    )
    replaced = {row.replaced_by_id: row for row in rows if row.replaced_by_id is not None}
    filed = []
    for row in rows:
        if row.replaced_at is not None:
            continue
        entry = FiledDocument(row, type_name(row.document_type, names), replaceable(row, uploadable))
        newer = row
        while (older := replaced.get(newer.pk)) is not None:
            entry.earlier.append(older)
            newer = older
        filed.append(entry)
    return filed
