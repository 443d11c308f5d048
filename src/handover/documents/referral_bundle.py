"""The bundle a transfer to another authority sends (Dorset D-187: "referral to be sent in writing with relevant
documents"): one ZIP holding a covering referral (PDF), a copy of each document on the child's file that the
referral carries, and manifest.json listing every document with its SHA-256 digest. Before the referral is
recorded as sent it is a draft built from what is on file now; afterwards it is rebuilt from the manifest kept
when it was sent, so it always shows what went."""

from __future__ import annotations

import datetime as dt
import io
import json
import mimetypes
import zipfile
from dataclasses import dataclass

from handover.children.models import DocumentOnFile
from handover.documents.rendering import render_pdf
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers.models import ReferralOut, Transfer
from handover.transfers.transfer_out import documents_to_send, manifest_of

ZIP = "application/zip"
_EXTENSIONS = {"application/pdf": ".pdf", "text/plain": ".txt"}


@dataclass(frozen=True)
class Bundle:
    filename: str
    content: bytes
    manifest: list[dict]
    sent: bool


def _extension(content_type: str) -> str:
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type or "") or ".bin"


def referral_bundle(transfer: Transfer, *, on: dt.date) -> Bundle:
    referral = ReferralOut.objects.filter(transfer=transfer).select_related("sent_by").first()
    protocol = protocol_for_transfer(transfer)
    if referral is not None:
        manifest = [dict(row) for row in referral.manifest]
        by_pk = DocumentOnFile.objects.in_bulk([row["document"] for row in manifest])
    else:
        documents = documents_to_send(transfer)
        manifest = manifest_of(documents, {d.id: d.name for d in protocol.file.document_types})
        by_pk = {d.pk: d for d in documents}
    # The day in each entry's ZIP header is the day sent (or built), so the same referral gives the same files.
    stamp = referral.sent_on if referral else on
    files: list[tuple[str, bytes]] = []
    for n, row in enumerate(manifest, start=1):
        document = by_pk.get(row["document"])
        row["dated_on"] = dt.date.fromisoformat(row["dated"])
        if row["copy_held"] and document is not None and document.content is not None:
            row["file"] = f"documents/{n:02d}-{row['type']}-{row['dated']}{_extension(row['content_type'])}"
            files.append((row["file"], bytes(document.content)))
    event = protocol.events.get(transfer.event)
    cover = render_pdf(
        "documents/referral_out.html",
        {
            "authority": transfer.child.authority,
            "child": transfer.child,
            "transfer": transfer,
            "referral": referral,
            "receiving_authority": referral.receiving_authority if referral else "",
            "old_worker": transfer.from_allocation.worker if transfer.from_allocation else None,
            "event_name": event.name if event else transfer.event.replace("_", " "),
            "manifest": manifest,
        },
    )
    listed = [{k: v for k, v in row.items() if k != "dated_on"} for row in manifest]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in [
            ("00-referral.pdf", cover),
            *files,
            (
                "manifest.json",
                json.dumps({"child": transfer.child.identifier, "documents": listed}, indent=2).encode(),
            ),
        ]:
            info = zipfile.ZipInfo(name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, content)
    return Bundle(
        filename=f"referral-{transfer.child.identifier}-T{transfer.pk}{'' if referral else '-draft'}.zip",
        content=buffer.getvalue(),
        manifest=listed,
        sent=referral is not None,
    )
