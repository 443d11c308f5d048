"""What kind of file an upload to a child's file is, told by its contents (the first bytes, and for the two
word-processor formats the zip's own table of contents), never by its name or what the browser says: a page
refuses a file whose name and contents disagree, so the download's type is always what is inside it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import BinaryIO


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
