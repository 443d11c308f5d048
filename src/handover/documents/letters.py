"""Letters confirming a transfer to the family and to each involved professional (Dorset D-180, D-188): the new
worker's name, team and contact details, in the authority's own words (a letters file per authority), as DOCX
to edit and PDF to send, each kept on the child's file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, ValidationError

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import LETTER_DOCUMENT_TYPE, DocumentOnFile
from handover.documents.models import Letter
from handover.documents.rendering import PDF, render_docx, render_pdf
from handover.domain.rulebook import TransferWrite
from handover.domain.workflow import State
from handover.organisation.access import (
    require_write,
)
from handover.transfers.models import ReferralOut, Transfer
from handover.transfers.services import ApplicationError, _recompute_deadlines, completion, transferred_on
from handover.transfers.transfer_out import is_outward

PACKAGED = Path(__file__).resolve().parent.parent / "protocols" / "letters"
WORD_TEMPLATE = Path(__file__).resolve().parent / "templates" / "documents" / "letter.docx"
DOCUMENT_TYPE = LETTER_DOCUMENT_TYPE
# From agreement on there is a receiving team; the letters need the new worker too (checked below).
READY_STATES = {State.WORKER_IDENTIFIED, State.HANDOVER_HELD, State.TRANSFERRED}
OUTWARD_READY_STATES = {State.REFERRAL_SENT, State.TRANSFERRED}


class LetterWording(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str = "Yours sincerely"


class LettersFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    service: str = "Children's Services"
    from_lines: tuple[str, ...] = ()
    word_template: str | None = None
    letters: dict[str, LetterWording]
    # A transfer to another local authority (D-188: "letters to go out to partners and family to confirm action
    # taken"): no new worker here to introduce, so the wording names the authority instead.
    to_another_authority: dict[str, LetterWording] = {}


class LettersFileError(ValueError):
    pass


def _letters_dirs() -> list[Path]:
    extra = getattr(settings, "HANDOVER_LETTERS_DIR", None)
    return [Path(extra)] if extra else []


@lru_cache(maxsize=16)
def _load(path: Path) -> LettersFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        letters = LettersFile.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise LettersFileError(f"{path.name}: {exc}") from exc
    missing = {r.value for r in Letter.Recipient} - set(letters.letters)
    if missing:
        raise LettersFileError(f"{path.name}: letters: needs wording for {', '.join(sorted(missing))}")
    missing_out = {r.value for r in Letter.Recipient} - set(letters.to_another_authority)
    if letters.to_another_authority and missing_out:
        raise LettersFileError(
            f"{path.name}: to_another_authority: needs wording for {', '.join(sorted(missing_out))}"
        )
    engine = Engine()
    for kind, wording in [
        *letters.letters.items(),
        *((f"to_another_authority.{k}", w) for k, w in letters.to_another_authority.items()),
    ]:
        for field, text in [("subject", wording.subject), ("salutation", wording.salutation)] + [
            (f"paragraphs[{i}]", p) for i, p in enumerate(wording.paragraphs)
        ]:
            try:
                engine.from_string(text)
            except Exception as exc:  # a template syntax error, named with where it is
                raise LettersFileError(
                    f"{path.name}: {'' if '.' in kind else 'letters.'}{kind}.{field}: {exc}"
                ) from exc
    return letters


def letters_file(authority) -> tuple[Path, LettersFile]:
    """The authority's letters file (<authority id>.yaml), else the default wording."""
    for folder in [*_letters_dirs(), PACKAGED]:
        for name in (f"{authority.code}.yaml", "default.yaml"):
            path = folder / name
            if path.exists():
                return path, _load(path)
    raise LettersFileError(f"no letters file for {authority.code} and no default.yaml")


@dataclass(frozen=True)
class Recipient:
    kind: str
    name: str
    address_lines: tuple[str, ...]
    professional: object | None = None


def recipients(transfer: Transfer) -> list[Recipient]:
    child = transfer.child
    out = [
        Recipient(
            Letter.Recipient.FAMILY,
            f"The parent or carer of {child.name}",
            tuple(line for line in child.address.splitlines() if line.strip()),
        )
    ]
    for p in child.professionals.order_by("name"):
        lines = [f"{p.role}, {p.organisation}" if p.organisation else p.role, *p.address.splitlines()]
        out.append(Recipient(Letter.Recipient.PROFESSIONAL, p.name, tuple(x for x in lines if x.strip()), p))
    return out


def _render_wording(wording: LetterWording, context: dict) -> dict:
    # Plain text out; each format escapes for itself (HTML autoescape, docxtpl's XML escaping).
    engine = Engine(autoescape=False)
    ctx = Context(context, autoescape=False)

    def render(text: str) -> str:
        return " ".join(engine.from_string(text).render(ctx).split())

    return {
        "subject": render(wording.subject),
        "salutation": render(wording.salutation),
        "paragraphs": [render(p) for p in wording.paragraphs],
        "closing": wording.closing,
    }


def letters_ready(transfer: Transfer) -> bool:
    """Whether the letters can be written now (what the transfer page offers; letters_send says why not)."""
    return not letters_not_ready(transfer)


def letters_not_ready(transfer: Transfer) -> list[str]:
    """Why the letters cannot be written yet, in words (none: they can be written now)."""
    try:
        _check_ready(transfer)
    except ApplicationError as exc:
        return list(exc.errors.values())
    return []


def letters_status(transfer: Transfer, letters) -> str:
    """What the transfer page says of the letters besides listing them, true to where the transfer is: none
    written and why not yet (or that they can be written now), or, after a completion before the agreed date,
    that the letters written before it give the agreed date rather than the day the case moved."""
    letters = list(letters)
    if not letters:
        waiting = letters_not_ready(transfer)
        if waiting:  # the first thing to happen first is enough to say
            return f"None written yet. {waiting[0][:1].upper()}{waiting[0][1:]}."
        return "None written yet. They can be written now."
    done = completion(transfer)
    if done is not None and done.early and done.agreed is not None:
        moved_at = max(e.at for e in transfer.events.all() if e.action == "complete")
        if all(letter.generated_at < moved_at for letter in letters):
            return (
                f"These letters give the agreed date of formal transfer, {done.agreed:%-d %B %Y}, but the case "
                f"moved on {done.on:%-d %B %Y}: write them again so that they give the day it moved."
            )
    return ""


def _check_ready(transfer: Transfer) -> None:
    errors = {}
    if is_outward(transfer):
        if transfer.state not in OUTWARD_READY_STATES:
            errors["transfer"] = (
                "letters go out once the referral to the other authority is recorded as sent; this transfer is "
                f"{transfer.get_state_display()}"
            )
        if errors:
            raise ApplicationError(errors)
        return
    if transfer.state not in READY_STATES:
        errors["transfer"] = (
            f"letters go out once the receiving worker is named; this transfer is {transfer.state.replace('_', ' ')}"
        )
    worker = transfer.receiving_worker
    if worker is not None and not (worker.phone or worker.email):
        errors["receiving_worker"] = (
            f"{worker.name} has no telephone number or email address on record; letters must give contact details"
        )
    if transfer.transfer_date is None and transfer.state != State.TRANSFERRED:
        errors["transfer_date"] = (
            "agree the transfer date first: the letters tell people when the change happens"
        )
    if errors:
        raise ApplicationError(errors)


def _require_writer(actor, transfer: Transfer) -> None:
    require_write(actor, TransferWrite.LETTERS, transfer)


def letter_context(transfer: Transfer, recipient: Recipient, on: dt.date) -> dict:
    old = transfer.from_allocation.worker if transfer.from_allocation else None
    authority = transfer.child.authority
    # Once the case has moved, the day it moved: a transfer completed early moves before the agreed date. (A
    # transfer to another authority gives the day its referral was sent, as its wording says.)
    moved = None if is_outward(transfer) else transferred_on(transfer)
    return {
        "authority": authority,
        "child": transfer.child,
        "new_worker": transfer.receiving_worker,
        "new_team": transfer.to_team,
        "old_worker": old,
        "old_team": transfer.from_team,
        "transfer_date": moved or transfer.transfer_date or on,
        "transferred": moved is not None,
        "new_authority": referral.receiving_authority if (referral := _referral(transfer)) else "",
        "recipient": {"name": recipient.name, "address_lines": recipient.address_lines},
    }


def _referral(transfer: Transfer) -> ReferralOut | None:
    return ReferralOut.objects.filter(transfer=transfer).first() if is_outward(transfer) else None


def _wording(wording_file: LettersFile, path: Path, transfer: Transfer, kind: str) -> LetterWording:
    if not is_outward(transfer):
        return wording_file.letters[kind]
    if not wording_file.to_another_authority:
        raise ApplicationError(
            {"letters": f"the letters file {path.name} has no wording for a transfer to another authority"}
        )
    return wording_file.to_another_authority[kind]


class LettersSent(list):
    """The transfer's letters as they stand (family first, then each professional); `written` holds those this
    call wrote. Asking again for the same letters writes nothing and returns the ones already written."""

    def __init__(self, letters: list[Letter], written: list[Letter]):
        super().__init__(letters)
        self.written = written


def letter_digest(fields: dict) -> str:
    """A letter's version: the digest of everything it says but the date it was written on."""
    said = {key: value for key, value in fields.items() if key != "date"}
    return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()


def letters_send(*, actor, transfer: Transfer, now: dt.datetime) -> LettersSent:
    """Write the letters for the family and every involved professional, all or none, each on the child's file.

    Idempotent per transfer, recipient and version of the letter (what it says): a letter already written
    with the same content is returned, not written again, so a double click or two people at once never make
    duplicates. The transfer's row is locked while the letters are written (PostgreSQL; SQLite serialises
    writers), and a unique constraint backs the rule."""
    on = timezone.localtime(now).date()
    transfer.refresh_from_db()
    _require_writer(actor, transfer)
    _check_ready(transfer)
    path, wording_file = letters_file(transfer.child.authority)
    word_template = path.parent / wording_file.word_template if wording_file.word_template else WORD_TEMPLATE
    letters: list[Letter] = []
    written: list[Letter] = []
    with transaction.atomic():
        Transfer.objects.select_for_update().values_list("pk", flat=True).get(pk=transfer.pk)
        for recipient in recipients(transfer):
            context = letter_context(transfer, recipient, on)
            text = _render_wording(_wording(wording_file, path, transfer, recipient.kind), context)
            old = context["old_worker"]
            fields = {
                **text,
                "authority": transfer.child.authority.name,
                "service": wording_file.service,
                "from_lines": list(wording_file.from_lines),
                "to_lines": [recipient.name, *recipient.address_lines],
                "date": f"{on:%-d %B %Y}",
                "reference": f"{transfer.child.identifier}/T{transfer.pk}",
                "signatories": [
                    s
                    for s in (
                        f"{old.name}, {transfer.from_team.name}" if old else "",
                        f"{transfer.receiving_worker.name}, {transfer.to_team.name}"
                        if transfer.receiving_worker
                        else "",
                    )
                    if s
                ],
            }
            digest = letter_digest(fields)
            same = Letter.objects.filter(
                transfer=transfer,
                recipient=recipient.kind,
                professional=recipient.professional,
                content_digest=digest,
            )
            letter = same.first()
            if letter is None:
                docx = render_docx(word_template, fields)
                pdf = render_pdf("documents/letter.html", fields)
                try:
                    with transaction.atomic():  # a savepoint: a refused duplicate leaves the rest usable
                        document = DocumentOnFile.objects.create(
                            child=transfer.child,
                            document_type=DOCUMENT_TYPE,
                            title=f"Letter to {recipient.name}: {text['subject']}"[:200],
                            dated=on,
                            recorded_by=actor,
                            content=pdf,
                            content_type=PDF,
                        )
                        letter = Letter.objects.create(
                            transfer=transfer,
                            recipient=recipient.kind,
                            professional=recipient.professional,
                            addressee=recipient.name,
                            address="\n".join(recipient.address_lines),
                            docx=docx,
                            pdf=pdf,
                            document=document,
                            generated_by=actor,
                            generated_at=now,
                            content_digest=digest,
                        )
                except IntegrityError:
                    letter = same.first()  # the same letter, written a moment ago by someone else
                    if letter is None:
                        raise
                else:
                    audit_record(
                        actor=actor,
                        verb=Verb.DOCUMENT_WRITTEN,
                        at=now,
                        child=transfer.child,
                        obj=letter,
                        detail=f"letter to {recipient.name}",
                    )
                    written.append(letter)
            letters.append(letter)
        if written:  # the letters close the protocol's "family told" step (completed_by: letters_send)
            _recompute_deadlines(transfer, today=on)
    return LettersSent(letters, written)
