"""A receiving team asks for a case (a pull); once accepted by the holding team, it becomes a transfer."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import Child
from handover.children.services import require_team_manager
from handover.transfers.models import CaseRequest
from handover.transfers.services import ApplicationError, transfer_propose
from handover.transfers.situations import current_primary


def case_request_create(*, actor, child: Child, requesting_team, reason: str) -> CaseRequest:
    require_team_manager(actor, requesting_team)
    holding = current_primary(child)
    errors = {}
    if not reason.strip():
        errors["reason"] = "say why your team should hold the case"
    if holding is None:
        errors["child"] = "the child has no open allocation to ask for"
    elif holding.team_id == requesting_team.pk:
        errors["requesting_team"] = "your team already holds this case"
    if CaseRequest.objects.filter(child=child, status=CaseRequest.Status.OPEN).exists():
        errors["child"] = "there is already an open request for this child"
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        request = CaseRequest.objects.create(
            child=child,
            requesting_team=requesting_team,
            requested_by=actor,
            requested_at=timezone.now(),
            reason=reason.strip(),
        )
        audit_record(actor=actor, verb=Verb.CASE_REQUESTED, child=child, obj=request, detail=reason[:300])
    return request


def case_request_decide(
    *,
    actor,
    request: CaseRequest,
    accept: bool,
    reason: str = "",
    event: str = "",
    on: dt.date | None = None,
    answers: dict | None = None,
) -> CaseRequest:
    """The holding team's manager accepts (a transfer is proposed to the requesting team) or refuses."""
    holding = current_primary(request.child)
    require_team_manager(actor, holding.team)
    if request.status != CaseRequest.Status.OPEN:
        raise ApplicationError({"request": f"already {request.status}"})
    if not accept and not reason.strip():
        raise ApplicationError({"reason": "say why the request is refused"})
    with transaction.atomic():
        if accept:
            if not event:
                raise ApplicationError({"event": "name the event that makes the transfer due"})
            proposal = transfer_propose(
                actor=actor,
                child=request.child,
                event=event,
                on=on or timezone.localdate(),
                answers=answers,
                to_service=request.requesting_team.service,
                override_reason=f"Requested by {request.requesting_team}: {request.reason}",
            )
            request.transfer = proposal.transfers[0]
        request.status = CaseRequest.Status.ACCEPTED if accept else CaseRequest.Status.REFUSED
        request.decided_by, request.decided_at, request.decision_reason = actor, timezone.now(), reason
        request.save()
        audit_record(
            actor=actor,
            verb=Verb.CASE_REQUESTED,
            child=request.child,
            obj=request,
            detail=f"{request.status}: {reason}"[:300],
        )
    return request
