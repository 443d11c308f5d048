"""A transfer to another local authority (Dorset D-185 to D-188). No one there signs in to Handover, so the
sending managers record each thing the protocol asks: the manager at the other authority the transfer was
discussed with (D-186), the referral sent in writing with its documents (D-187: their manifest is kept as sent),
and the other authority's confirmation of receipt, which is the protocol's point of transfer: the child's
allocations end and the record closes, with the reason in words."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from handover.children.models import LETTER_DOCUMENT_TYPE, DocumentOnFile
from handover.children.services import close_child_record
from handover.domain.errors import ApplicationError
from handover.domain.text import text_errors
from handover.domain.workflow import FINAL_STATES
from handover.organisation.models import StaffMember
from handover.transfers.models import ReferralOut, Transfer

ROUTE_KIND = "another_authority"
NAME = 150  # the other authority's name and its manager's: short enough to quote in the closure reason


def is_outward(transfer: Transfer) -> bool:
    return transfer.route_kind == ROUTE_KIND


def documents_to_send(transfer: Transfer) -> list[DocumentOnFile]:
    """The latest document of each type on the child's file (D-185: records, assessments and chronology brought
    up to date first), letters aside: they were written to the family, not for the other authority. Current
    versions only: a replaced version is not sent."""
    latest: dict[str, DocumentOnFile] = {}
    for document in (
        DocumentOnFile.objects.current()
        .filter(child=transfer.child)
        .exclude(document_type=LETTER_DOCUMENT_TYPE)
        .order_by("document_type", "-dated", "-pk")
    ):
        latest.setdefault(document.document_type, document)
    return sorted(latest.values(), key=lambda d: (d.dated, d.pk))


def manifest_of(documents: list[DocumentOnFile], type_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """What the referral carries, one entry per document: enough to prove later exactly what was sent."""
    return [
        {
            "document": d.pk,
            "type": d.document_type,
            "type_name": type_names.get(d.document_type, d.document_type.replace("_", " ").capitalize()),
            "title": d.title,
            "dated": d.dated.isoformat(),
            "copy_held": d.content is not None,
            "content_type": d.content_type if d.content is not None else "",
            "bytes": len(d.content) if d.content is not None else 0,
            "sha256": hashlib.sha256(bytes(d.content)).hexdigest() if d.content is not None else "",
        }
        for d in documents
    ]


def _date(errors: dict, values: Mapping, field: str, words: str, *, on: dt.date) -> dt.date | None:
    value = values.get(field)
    if not isinstance(value, dt.date):
        errors[field] = f"give the date {words}"
        return None
    if value > on:
        errors[field] = f"the date {words} cannot be in the future"
    return value


def _name(errors: dict, values: Mapping, field: str, words: str) -> str:
    value = str(values.get(field) or "").strip()
    if not value:
        errors[field] = f"name {words}"
    errors.update(text_errors(**{field: (value, NAME)}))
    return value


def record_sent(
    transfer: Transfer,
    values: Mapping[str, Any] | None,
    *,
    actor: StaffMember,
    on: dt.date,
    type_names: Mapping[str, str],
    data: dict,
) -> ReferralOut:
    """Record the referral sent (inside the transfer's transaction, its row locked by the caller)."""
    values = values or {}
    errors: dict[str, str] = {}
    authority = _name(errors, values, "receiving_authority", "the local authority the child is moving to")
    if authority and authority.casefold() == transfer.child.authority.name.casefold():
        errors["receiving_authority"] = f"{authority} is this authority: name the one the child is moving to"
    contact = _name(
        errors, values, "contact_name", "the manager at the other authority you discussed it with"
    )
    email = str(values.get("contact_email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact_email"] = (
                "enter the manager's email address in the right format, like name@council.gov.uk"
            )
    discussed = _date(errors, values, "discussed_on", "the managers discussed the transfer", on=on)
    sent = _date(errors, values, "sent_on", "the referral was sent", on=on)
    if discussed and sent and sent < discussed:
        errors["sent_on"] = "the referral cannot be sent before the managers discussed the transfer (D-186)"
    if sent and sent < transfer.event_date:
        errors["sent_on"] = "the referral cannot be sent before the event that started the transfer"
    if errors:
        raise ApplicationError(errors)
    manifest = manifest_of(documents_to_send(transfer), type_names)
    referral = ReferralOut.objects.create(
        transfer=transfer,
        receiving_authority=authority,
        contact_name=contact,
        contact_email=email,
        discussed_on=discussed,
        sent_on=sent,
        sent_by=actor,
        manifest=manifest,
    )
    transfer.transfer_date = sent
    data.update({"receiving_authority": authority, "sent_on": sent.isoformat(), "documents": len(manifest)})
    return referral


def record_receipt(
    transfer: Transfer,
    values: Mapping[str, Any] | None,
    *,
    actor: StaffMember,
    on: dt.date,
    now: dt.datetime,
    data: dict,
) -> dt.date:
    """Record the other authority's confirmation of receipt and close the child's record here: the protocol's
    point of transfer. Returns the day it counts from."""
    values = values or {}
    referral = ReferralOut.objects.select_for_update().get(transfer=transfer)
    errors: dict[str, str] = {}
    confirmed = _date(errors, values, "receipt_confirmed_on", "the other authority confirmed receipt", on=on)
    if confirmed and confirmed < referral.sent_on:
        errors["receipt_confirmed_on"] = (
            f"receipt cannot be confirmed before the referral was sent on {referral.sent_on:%-d %B %Y}"
        )
    who = _name(errors, values, "receipt_confirmed_by", "who at the other authority confirmed receipt")
    others = (
        Transfer.objects.filter(child=transfer.child)
        .exclude(pk=transfer.pk)
        .exclude(state__in=[s.value for s in FINAL_STATES])
    )
    if others.exists():
        errors["transfer"] = (
            "the child has another open transfer here: withdraw it first, as the record closes with this one"
        )
    if errors:
        raise ApplicationError(errors)
    referral.receipt_confirmed_on, referral.receipt_confirmed_by = confirmed, who
    referral.receipt_recorded_by = actor
    referral.save()
    close_child_record(
        actor=actor,
        child=transfer.child,
        on=confirmed,
        reason=f"Transferred to {referral.receiving_authority}",
        now=now,
    )
    data.update({"receipt_confirmed_on": confirmed.isoformat(), "receipt_confirmed_by": who})
    return confirmed
