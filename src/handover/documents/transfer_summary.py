"""The Case Transfer Summary (Dorset D-038, D-061, D-181; Central Bedfordshire C-024): the work undertaken, every
meeting and deadline in the next eight weeks, and the last assessment. Drafted by the transferring side, final
only once a team manager or practice manager of the transferring team authorises it; then it is a document on
the child's file, which is what the readiness checklist looks for."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import SUMMARY_DOCUMENT_TYPE, DocumentOnFile
from handover.documents.models import TransferSummary
from handover.documents.rendering import PDF, render_pdf
from handover.domain.deadlines import next_sitting
from handover.domain.facts import ASSESSMENT_DOCUMENT
from handover.domain.rulebook import TransferWrite
from handover.domain.text import SUMMARY, text_errors
from handover.domain.workflow import State
from handover.organisation.access import require_write
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers.models import SignOff, SignOffKind, Transfer
from handover.transfers.services import (
    ApplicationError,
    Completion,
    HandoverMeeting,
    completion,
    handover_meeting,
)

LOOK_AHEAD = dt.timedelta(
    weeks=8
)  # D-038: "all dates for meetings and deadlines over the following eight weeks"
DOCUMENT_TYPE = SUMMARY_DOCUMENT_TYPE
BEFORE_AGREEMENT = {State.PROPOSED, State.LISTED, State.AT_PANEL, State.AWAITING_AGREEMENT}


def last_assessment(transfer: Transfer) -> tuple[dt.date | None, str]:
    """The latest assessment on file and its outcome as the transfer's facts record it (editable in the draft)."""
    latest = (
        DocumentOnFile.objects.filter(child=transfer.child, document_type=ASSESSMENT_DOCUMENT)
        .order_by("-dated")
        .first()
    )
    outcome = (transfer.situation.get("facts") or {}).get("assessment_outcome", "")
    if not outcome and latest is not None:
        outcome = latest.title
    return (latest.dated if latest else None), str(outcome).replace("_", " ").capitalize()


def dates_ahead(transfer: Transfer, on: dt.date) -> list[dict]:
    """Every deadline (the transfer's timeline and the child's standing timescales), booked meeting and transfer
    meeting sitting from `on` to eight weeks later, in date order."""
    until = on + LOOK_AHEAD
    out = [
        {"date": d.due, "what": d.name, "source": "Deadline", "basis": d.basis.replace("_", " ")}
        for d in transfer.deadlines.all()
        if d.due is not None and d.actual is None and on <= d.due <= until
    ]
    out += [
        {
            "date": e.date,
            "what": e.event_type.replace("_", " ").capitalize(),
            "source": "Meeting",
            "basis": e.notes,
        }
        for e in transfer.child.key_events.filter(date__gte=on, date__lte=until)
    ]
    if transfer.state in BEFORE_AGREEMENT:
        protocol = protocol_for_transfer(transfer)
        for spec in protocol.file.meetings:
            if spec.cadence == "weekly":
                sits_on = next_sitting(protocol, spec, on)
                # A timeline step "presented at the meeting" already gives the sitting's date.
                if sits_on <= until and not any(row["date"] == sits_on for row in out):
                    out.append(
                        {"date": sits_on, "what": spec.name, "source": "Meeting", "basis": "next sitting"}
                    )
    return sorted(out, key=lambda row: (row["date"], row["what"]))


def summary_contents(summary: TransferSummary, on: dt.date) -> dict:
    """What the summary says: JSON-ready, kept on the row when it is authorised."""
    transfer = summary.transfer
    worker = transfer.from_allocation.worker if transfer.from_allocation else None
    return {
        "child": {
            "name": transfer.child.name,
            "identifier": transfer.child.identifier,
            "date_of_birth": transfer.child.date_of_birth.isoformat()
            if transfer.child.date_of_birth
            else None,
        },
        "from_team": transfer.from_team.name,
        "from_worker": worker.name if worker else "",
        "to": str(transfer.to_team or transfer.to_service),
        "receiving_worker": transfer.receiving_worker.name if transfer.receiving_worker else "",
        "transfer_date": transfer.transfer_date.isoformat() if transfer.transfer_date else None,
        **_completion_contents(completion(transfer)),
        "handover_meeting": _meeting_contents(handover_meeting(transfer)),
        "work_undertaken": summary.work_undertaken,
        "last_assessment_date": summary.last_assessment_date.isoformat()
        if summary.last_assessment_date
        else None,
        "last_assessment_outcome": summary.last_assessment_outcome,
        "look_ahead_from": on.isoformat(),
        "look_ahead_to": (on + LOOK_AHEAD).isoformat(),
        "dates_ahead": [{**row, "date": row["date"].isoformat()} for row in dates_ahead(transfer, on)],
    }


def _meeting_contents(meeting: HandoverMeeting | None) -> dict | None:
    if meeting is None:
        return None
    return {
        "held_on": meeting.held_on.isoformat(),
        "attended": list(meeting.attended),
        "notes": meeting.notes,
    }


def _completion_contents(done: Completion | None) -> dict:
    """The day the case moved, which is what the summary gives as its transfer date once it has, and whether it
    was before the agreed date (and why)."""
    if done is None:
        return {"transferred_on": None, "completed_early": False, "early_reason": ""}
    return {"transferred_on": done.on.isoformat(), "completed_early": done.early, "early_reason": done.reason}


# What happens after the summary was authorised that it then records, each named as added afterwards.
ADDED_AFTER_AUTHORISATION = {"record_handover": "the handover meeting", "complete": "the day the case moved"}


def summary_record_after_authorisation(*, transfer: Transfer, event, actor, now: dt.datetime) -> None:
    """The handover meeting, or the completion, recorded after the summary was authorised: the summary on the
    child's file adds it (marked as added afterwards), so the file gives the day the case really moved, not
    the agreed one, and the meeting that was held. Runs in the action's transaction (`transfer_acted`)."""
    added = ADDED_AFTER_AUTHORISATION.get(event.action)
    summary = transfer.summaries.filter(status=TransferSummary.Status.AUTHORISED).first()
    if added is None or summary is None or summary.document is None:
        return
    contents = dict(summary.contents)
    if event.action == "record_handover":
        contents["handover_meeting"] = _meeting_contents(handover_meeting(transfer))
    else:
        contents.update(_completion_contents(completion(transfer)))
    contents["added_after_authorisation"] = [
        *(a for a in contents.get("added_after_authorisation", []) if a != added),
        added,
    ]
    summary.contents = contents
    summary.save()
    document = summary.document
    document.content = transfer_summary_pdf(summary)
    document.save()
    audit_record(
        actor=actor,
        verb=Verb.DOCUMENT_WRITTEN,
        at=now,
        child=transfer.child,
        obj=document,
        detail=f"Case Transfer Summary: {added} added after it was authorised",
    )


def on_transfer_acted(sender, *, transfer, event, actor, now, **kwargs) -> None:
    summary_record_after_authorisation(transfer=transfer, event=event, actor=actor, now=now)


def _require_sending_side(actor, transfer: Transfer, *, managers_only: bool) -> None:
    require_write(
        actor, TransferWrite.SUMMARY_AUTHORISE if managers_only else TransferWrite.SUMMARY_DRAFT, transfer
    )


def transfer_summary_draft(
    *,
    actor,
    transfer: Transfer,
    work_undertaken: str,
    last_assessment_date: dt.date | None = None,
    last_assessment_outcome: str | None = None,
    now: dt.datetime,
) -> TransferSummary:
    """Write (or rewrite) the draft. The last assessment defaults to what is on file."""
    on = timezone.localtime(now).date()
    _require_sending_side(actor, transfer, managers_only=False)
    errors = {}
    if not transfer.is_open:
        errors["transfer"] = f"the transfer is {transfer.state}"
    if not work_undertaken.strip():
        errors["work_undertaken"] = "summarise the work undertaken with the child and family"
    if last_assessment_date is not None and last_assessment_date > on:
        errors["last_assessment_date"] = "the last assessment cannot be dated in the future"
    errors.update(
        text_errors(
            work_undertaken=(work_undertaken.strip(), SUMMARY),
            last_assessment_outcome=(
                (last_assessment_outcome or "").strip(),
                TransferSummary._meta.get_field("last_assessment_outcome").max_length,
            ),
        )
    )
    if errors:
        raise ApplicationError(errors)
    on_file_date, on_file_outcome = last_assessment(transfer)
    with transaction.atomic():
        summary = transfer.summaries.filter(status=TransferSummary.Status.DRAFT).first() or TransferSummary(
            transfer=transfer
        )
        summary.work_undertaken = work_undertaken.strip()
        summary.last_assessment_date = last_assessment_date or on_file_date
        summary.last_assessment_outcome = (
            on_file_outcome if last_assessment_outcome is None else last_assessment_outcome.strip()
        )
        summary.drafted_by, summary.drafted_on = actor, on
        summary.save()
        audit_record(
            actor=actor,
            verb=Verb.DOCUMENT_WRITTEN,
            at=now,
            child=transfer.child,
            obj=summary,
            detail="summary drafted",
        )
    return summary


def transfer_summary_authorise(*, actor, summary: TransferSummary, now: dt.datetime) -> TransferSummary:
    """A manager of the transferring team authorises the draft (D-181): it becomes final and goes on file."""
    on = timezone.localtime(now).date()
    transfer = summary.transfer
    _require_sending_side(actor, transfer, managers_only=True)
    if summary.status != TransferSummary.Status.DRAFT:
        raise ApplicationError({"summary": f"already authorised by {summary.authorised_by}"})
    if not transfer.is_open:
        raise ApplicationError({"transfer": f"the transfer is {transfer.state}"})
    with transaction.atomic():
        summary.contents = summary_contents(summary, on)
        summary.status, summary.authorised_by, summary.authorised_at = (
            TransferSummary.Status.AUTHORISED,
            actor,
            now,
        )
        pdf = transfer_summary_pdf(summary)
        summary.document = DocumentOnFile.objects.create(
            child=transfer.child,
            document_type=DOCUMENT_TYPE,
            title=f"Case Transfer Summary to {summary.contents['to']}",
            dated=on,
            recorded_by=actor,
            content=pdf,
            content_type=PDF,
        )
        summary.save()
        SignOff.objects.get_or_create(
            transfer=transfer,
            kind=SignOffKind.SUMMARY_AUTHORISED,
            defaults={"by": actor, "at": summary.authorised_at},
        )
        audit_record(
            actor=actor,
            verb=Verb.DOCUMENT_WRITTEN,
            at=now,
            child=transfer.child,
            obj=summary.document,
            detail="Case Transfer Summary authorised and put on file",
        )
    return summary


def _dates(value):
    """ISO dates in the stored contents back to dates, so the document prints them as people write them."""
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def transfer_summary_pdf(summary: TransferSummary) -> bytes:
    contents = summary.contents or summary_contents(summary, summary.drafted_on)
    return render_pdf(
        "documents/transfer_summary.html",
        {"summary": summary, "c": _dates(contents), "authority": summary.transfer.child.authority},
    )
