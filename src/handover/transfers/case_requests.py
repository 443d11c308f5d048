"""A receiving team asks for a case (a pull); once accepted by the holding team, it becomes a transfer."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import Child
from handover.domain.rulebook import TeamWrite
from handover.domain.text import REASON, text_errors
from handover.organisation.access import require_team_write
from handover.transfers.models import CaseRequest
from handover.transfers.services import ApplicationError, transfer_propose
from handover.transfers.situations import current_primary

ALREADY_REQUESTED = "there is already an open request for this child"


def _open_request_exists(child: Child) -> bool:
    return CaseRequest.objects.filter(child=child, status=CaseRequest.Status.OPEN).exists()


def case_request_create(
    *, actor, child: Child, requesting_team, reason: str, now: dt.datetime
) -> CaseRequest:
    require_team_write(actor, TeamWrite.CASE_REQUEST, requesting_team)
    holding = current_primary(child)
    errors = {}
    if not reason.strip():
        errors["reason"] = "say why your team should hold the case"
    errors.update(text_errors(reason=(reason.strip(), REASON)))
    if holding is None:
        errors["child"] = "the child has no open allocation to ask for"
    elif holding.team_id == requesting_team.pk:
        errors["requesting_team"] = "your team already holds this case"
    with transaction.atomic():
        # Checked inside the transaction and backed by the one-open-request constraint: of two simultaneous
        # requests for one child, the second is refused with the same message as a later one.
        if _open_request_exists(child):
            errors["child"] = ALREADY_REQUESTED
        if errors:
            raise ApplicationError(errors)
        try:  # in a savepoint, so the refusal below leaves the caller's transaction usable
            with transaction.atomic():
                request = CaseRequest.objects.create(
                    child=child,
                    requesting_team=requesting_team,
                    requested_by=actor,
                    requested_at=now,
                    reason=reason.strip(),
                )
        except IntegrityError as exc:
            if not _open_request_exists(child):
                raise
            raise ApplicationError({"child": ALREADY_REQUESTED}) from exc
        audit_record(
            actor=actor, verb=Verb.CASE_REQUESTED, at=now, child=child, obj=request, detail=reason[:300]
        )
    return request


def case_request_decide(
    *,
    actor,
    request: CaseRequest,
    accept: bool,
    reason: str = "",
    event: str = "",
    now: dt.datetime,
    on: dt.date | None = None,
    answers: dict | None = None,
) -> CaseRequest:
    """The holding team's manager accepts (a transfer is proposed to the requesting team) or refuses."""
    holding = current_primary(request.child)
    require_team_write(actor, TeamWrite.CASE_DECIDE, holding.team)
    if request.status != CaseRequest.Status.OPEN:
        raise ApplicationError({"request": f"already {request.status}"})
    if not accept and not reason.strip():
        raise ApplicationError({"reason": "say why the request is refused"})
    if problems := text_errors(reason=(reason, REASON)):
        raise ApplicationError(problems)
    with transaction.atomic():
        # Decided once: the row is locked and its status read again, so two managers deciding at once cannot
        # both accept (or one accept while the other refuses).
        status = CaseRequest.objects.select_for_update().values_list("status", flat=True).get(pk=request.pk)
        if status != CaseRequest.Status.OPEN:
            raise ApplicationError({"request": f"already {status}"})
        if accept:
            if not event:
                raise ApplicationError({"event": "name the event that makes the transfer due"})
            proposal = transfer_propose(
                actor=actor,
                child=request.child,
                event=event,
                on=on or timezone.localtime(now).date(),
                now=now,
                answers=answers,
                to_service=request.requesting_team.service,
                override_reason=f"Requested by {request.requesting_team}: {request.reason}",
            )
            request.transfer = proposal.transfers[0]
        request.status = CaseRequest.Status.ACCEPTED if accept else CaseRequest.Status.REFUSED
        request.decided_by, request.decided_at, request.decision_reason = actor, now, reason
        request.save()
        audit_record(
            actor=actor,
            verb=Verb.CASE_REQUESTED,
            at=now,
            child=request.child,
            obj=request,
            detail=f"{request.status}: {reason}"[:300],
        )
    return request
