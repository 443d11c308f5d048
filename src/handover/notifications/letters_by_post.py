"""Letters sent by post through GOV.UK Notify's precompiled-letter API: the PDF as written (documents/letters.py)
is printed and posted by Notify; the letter records when, by whom, the postage and Notify's id."""

from __future__ import annotations

import datetime as dt
import io

import requests
from django.db import transaction
from django.utils import timezone
from notifications_python_client.errors import APIError

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.documents.models import Letter
from handover.domain.errors import ApplicationError
from handover.domain.rulebook import TransferWrite
from handover.notifications.notify import notify_client, notify_configured, notify_error_message
from handover.organisation.access import require_write

POSTAGES = ("first", "second", "economy")
# Notify prints the address from the PDF and needs at least three lines with the name: two under it here.
ADDRESS_LINES = 2


def letter_reference(letter: Letter) -> str:
    """Our reference for the letter at Notify: it shows in Notify's admin beside the letter."""
    return f"handover-letter-{letter.pk}"


def letter_post(*, actor, letter: Letter, now: dt.datetime, postage: str = "second") -> Letter:
    """Send a written letter by post through Notify, once. Refused (ApplicationError naming the field) for a
    postage Notify does not offer, a letter already posted, a letter with too little address to post, or when
    Notify refuses it (its message is given; nothing is recorded as posted). The letter's row is locked while
    Notify is asked, so two clicks post it once."""
    require_write(actor, TransferWrite.LETTERS, letter.transfer)
    if postage not in POSTAGES:
        raise ApplicationError({"postage": "choose first, second or economy postage"})
    if not notify_configured():
        raise ApplicationError(
            {"letter": "sending letters by post is not set up: GOV.UK Notify's API key is not configured"}
        )
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("transfer__child").get(pk=letter.pk)
        if letter.posted_at is not None:
            on = timezone.localtime(letter.posted_at).strftime("%-d %B %Y")
            raise ApplicationError(
                {
                    "letter": f"this letter was already sent by post on {on} (GOV.UK Notify reference "
                    f"{letter.notify_reference}); a letter is posted once"
                }
            )
        lines = [line for line in letter.address.splitlines() if line.strip()]
        if len(lines) < ADDRESS_LINES:
            raise ApplicationError(
                {
                    "address": f"the letter to {letter.addressee} has no postal address to send it to "
                    f"(it needs at least {ADDRESS_LINES} lines under the name): add the address to the "
                    "record and write the letters again"
                }
            )
        reference = letter_reference(letter)
        try:
            response = notify_client().send_precompiled_letter_notification(
                reference=reference, pdf_file=io.BytesIO(bytes(letter.pdf)), postage=postage
            )
        except APIError as exc:
            raise ApplicationError(
                {"letter": f"GOV.UK Notify did not accept the letter ({notify_error_message(exc)})"}
            ) from exc
        except requests.RequestException as exc:
            raise ApplicationError(
                {"letter": f"GOV.UK Notify could not be reached ({type(exc).__name__}); try again later"}
            ) from exc
        letter.posted_at = now
        letter.posted_by = actor
        letter.postage = postage
        letter.notify_id = str(response.get("id", ""))[:100]
        letter.notify_reference = reference
        letter.save(update_fields=["posted_at", "posted_by", "postage", "notify_id", "notify_reference"])
        audit_record(
            actor=actor,
            verb=Verb.LETTER_POSTED,
            at=now,
            child=letter.transfer.child,
            obj=letter,
            after={"postage": postage, "notify_id": letter.notify_id, "notify_reference": reference},
            detail=f"letter to {letter.addressee} sent by post through GOV.UK Notify, reference {reference}, "
            f"postage {postage}",
        )
    return letter
