"""Use cases for transfers: one function per action, atomic, audited in the same transaction.

Every function takes keyword-only arguments and raises:
- `ApplicationError` for bad input (with field-level messages),
- `AccessDenied` when the actor's roles do not allow it,
- `TransitionRefused` (from the workflow table) naming the rule that refused a transition,
- `Conflict` when someone else changed the transfer first (optimistic version).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, Min, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.children.front_door import FRONT_DOOR as FRONT_DOOR_KIND
from handover.children.front_door import front_door_contact_decided
from handover.children.models import (
    Allocation,
    AllocationKind,
    ChangeReason,
    Child,
    DocumentOnFile,
    KeyEvent,
)
from handover.children.workers import worker_choices
from handover.domain import deadlines as deadline_engine
from handover.domain import plausible, routing, text
from handover.domain import readiness as readiness_engine
from handover.domain.errors import ApplicationError, Conflict, SituationError
from handover.domain.protocol.model import Protocol
from handover.domain.readiness import Readiness
from handover.domain.rulebook import TransferWrite
from handover.domain.situation import situation_facts
from handover.domain.text import text_errors
from handover.domain.workflow import (
    MANAGERS,
    OPEN_STATES,
    TRANSITIONS,
    Action,
    State,
    TransitionRefused,
    available_actions,
    check,
    dispute_level,
)
from handover.organisation.access import (
    AccessDenied,
    actor_on_transfer,
    can_write,
    may_confirm_item,
    require_write,
)
from handover.organisation.models import CASE_HOLDING_ROLES, Membership, Role, Service, StaffMember, Team
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.organisation.selectors import eligible_workers
from handover.transfers import transfer_out
from handover.transfers.models import (
    Deadline,
    Escalation,
    ReadinessConfirmation,
    RemedialAction,
    SignOff,
    SignOffKind,
    Transfer,
    TransferEvent,
)
from handover.transfers.signals import transfer_acted, work_changed
from handover.transfers.situations import current_primary, record_situation


@dataclass(frozen=True)
class Proposal:
    transfers: list[Transfer]
    decision: routing.Decision


# -- proposing ------------------------------------------------------------------------------------------------


def transfer_recommend(
    *, child: Child, event: str, on: dt.date, answers: dict | None = None
) -> tuple[dict, routing.Decision]:
    """Route a child's situation: the recommendation a proposal starts from (nothing is written)."""
    protocol = protocol_for(child.authority)
    situation = record_situation(child, event=event, on=on, answers=answers)
    try:
        facts = situation_facts(protocol, situation)
    except SituationError as exc:
        raise ApplicationError({f"situation.{exc.field}": exc.problem}) from exc
    return situation, routing.route(protocol, facts)


def transfer_questions(child: Child, situation: dict, decision: routing.Decision) -> list[str]:
    """The facts a proposal still needs asked, from the recommendation already made (`transfer_recommend`): those
    the protocol needs to recommend a team, then those its deadlines need to count (the day a transfer in's
    documents arrived, the court's date for a report)."""
    if decision.outcome == "undetermined":
        return list(decision.missing_facts)
    protocol = protocol_for(child.authority)
    pathway = protocol.pathways.get(decision.pathway.id) if decision.pathway else None
    facts = situation_facts(protocol, situation)
    return deadline_engine.facts_to_ask(protocol, facts, pathway, today=facts["event.date"])


def event_date_problem(child: Child, on: dt.date, *, today: dt.date) -> str | None:
    """What is wrong with the date of the event a transfer starts from: in the future, or before the child was
    born (an unborn child's events, such as a pre-birth assessment, come before the birth and are not checked)."""
    return plausible.past_date(on, "the date of the event", today=today, born=child.date_of_birth)


def transfer_propose(
    *,
    actor: StaffMember,
    child: Child,
    event: str,
    on: dt.date,
    now: dt.datetime,
    answers: dict | None = None,
    to_service: Service | None = None,
    override_reason: str = "",
    kind: str = AllocationKind.PRIMARY,
    with_siblings: list[Child] | None = None,
    separation_reasons: dict[int, str] | None = None,
    exception: str = "",
) -> Proposal:
    """Propose moving a child (and siblings held by the same worker) to the service the protocol recommends.

    A different receiving service needs `override_reason`. A sibling held by the same worker who is not
    proposed too needs a separation reason (protocol sibling policy) or a permitted `exception`.
    """
    protocol = protocol_for(child.authority)
    if problem := event_date_problem(child, on, today=timezone.localtime(now).date()):
        raise ApplicationError({"date": problem})
    situation, decision = transfer_recommend(child=child, event=event, on=on, answers=answers)
    errors: dict[str, str] = {}
    if decision.outcome == "undetermined":
        missing = ", ".join(decision.missing_facts)
        raise ApplicationError({"answers": f"the protocol needs more facts to recommend a team: {missing}"})
    candidates = set(decision.candidate_services)
    chosen = to_service
    if chosen is None:
        if decision.outcome != "route":
            errors["to_service"] = (
                "choose the receiving service: " + decision.reason
                if decision.outcome == "decide"
                else "no rule covers this situation; choose the receiving service and give the reason"
            )
        else:
            chosen = Service.objects.get(authority=child.authority, code=decision.receiving_service)
    else:
        errors.update(override_errors(protocol, candidates, chosen.code, override_reason))
    if chosen is not None and chosen.authority_id != child.authority_id:
        errors["to_service"] = "that service belongs to another authority"
    if exception and exception not in {e.id for e in protocol.file.exceptions}:
        errors["exception"] = f"{exception!r} is not a permitted exception in the {protocol.name} protocol"
    errors.update(text_errors(override_reason=(override_reason, text.REASON)))
    for sibling_id, separation in (separation_reasons or {}).items():
        if problem := text.text_problem("separation_reason", separation, text.REASON):
            errors[f"separation_reasons.{sibling_id}"] = problem
    if errors:
        raise ApplicationError(errors)

    if decision.pathway is not None and decision.pathway.secondary:
        kind = AllocationKind.SECONDARY  # e.g. a personal adviser alongside the social worker
    from_allocation = current_primary(child)
    if from_allocation is None:
        raise ApplicationError({"child": "the child has no open primary allocation to transfer from"})
    from_team = from_allocation.team
    if chosen.pk == from_team.service_id:
        raise ApplicationError(
            {"to_service": "the child is already held by this service; reassign within it"}
        )
    _require_can_propose(actor, from_team, from_allocation, chosen)

    created: list[Transfer] = []
    with transaction.atomic():
        # "Already open" is checked inside the transaction, and the database's one-open-transfer constraint
        # settles a race: of two simultaneous proposals, the second gets the same refusal as if it came later.
        _refuse_if_open(child, kind)
        siblings = _siblings_to_move(
            child, from_allocation, protocol, with_siblings or [], separation_reasons or {}, exception
        )
        group = uuid.uuid4() if siblings else None
        for member in [child, *siblings]:
            member_allocation = from_allocation if member is child else current_primary(member)
            transfer = _create_unless_open(
                field="child" if member is child else "with_siblings",
                child=member,
                kind=kind,
                state=State.PROPOSED,
                protocol=protocol.name,
                protocol_version=protocol.version,
                event=event,
                event_date=on,
                situation=situation
                if member is child
                else record_situation(member, event=event, on=on, answers=answers),
                rule=decision.rule.id if decision.rule else "",
                pathway=decision.pathway.id if decision.pathway else "",
                route_kind=protocol.routes[decision.pathway.route].kind.value
                if decision.pathway
                else "manager_agreement",
                recommended_service=Service.objects.filter(
                    authority=child.authority, code=decision.receiving_service
                ).first(),
                override_reason=override_reason.strip(),
                from_allocation=member_allocation,
                from_team=member_allocation.team,
                to_service=chosen,
                family=member.family,
                sibling_group=group,
                separation_reason="",
                exception=exception,
                proposed_by=actor,
                proposed_at=now,
            )
            TransferEvent.objects.create(
                transfer=transfer,
                action="propose",
                from_state="",
                to_state=State.PROPOSED,
                actor=actor,
                at=now,
                reason=override_reason,
                data={"rule": transfer.rule, "recommended": decision.receiving_service},
            )
            _recompute_deadlines(transfer, today=timezone.localtime(now).date())
            audit_record(
                actor=actor,
                verb=Verb.TRANSFER_PROPOSED,
                at=now,
                child=member,
                obj=transfer,
                after=snapshot(transfer),
            )
            created.append(transfer)
        for sibling_id, reason in (separation_reasons or {}).items():
            created[0].events.create(
                action="separate_sibling",
                from_state=State.PROPOSED,
                to_state=State.PROPOSED,
                actor=actor,
                at=now,
                reason=reason,
                data={"sibling": sibling_id},
            )
        created[0].separation_reason = "; ".join((separation_reasons or {}).values())
        created[0].save(update_fields=["separation_reason"])
        if from_team.service.kind == FRONT_DOOR_KIND:
            # The contact the front door was deciding is decided: this proposal is its decision.
            front_door_contact_decided(child=child, actor=actor, now=now)
    return Proposal(created, decision)


def _open_transfer(child: Child, kind: str) -> Transfer | None:
    return Transfer.objects.filter(child=child, kind=kind, state__in=[s.value for s in OPEN_STATES]).first()


def _already_open(child: Child, already: Transfer | None, field: str) -> ApplicationError:
    if field == "with_siblings":
        return ApplicationError({"with_siblings": "a sibling already has an open transfer"})
    which = f" ({already.pk}, {already.state})" if already is not None else ""
    return ApplicationError({"child": f"{child.name} already has an open transfer{which}"})


def _refuse_if_open(child: Child, kind: str) -> None:
    already = _open_transfer(child, kind)
    if already is not None:
        raise _already_open(child, already, "child")


def _create_unless_open(*, field: str, **fields) -> Transfer:
    """Create the transfer; if the one-open-transfer constraint refuses it (someone proposed the same child a
    moment ago), say so as `ApplicationError` on `field`. The savepoint keeps the caller's transaction usable;
    the caller's own transaction then rolls back, so a sibling group is proposed whole or not at all."""
    try:
        with transaction.atomic():
            return Transfer.objects.create(**fields)
    except IntegrityError as exc:
        already = _open_transfer(fields["child"], fields["kind"])
        if already is None:
            raise  # some other integrity problem: not ours to reword
        raise _already_open(fields["child"], already, field) from exc


def propose_refusal(actor: StaffMember, child: Child) -> str | None:
    """Why this person cannot propose a transfer for the child (None if they can): asked before the propose
    journey starts, so nobody answers its questions only to be refused at the end."""
    allocation = current_primary(child)
    if allocation is None:
        return f"{child.name} has no open case to transfer: a contact or referral starts at the front door"
    try:
        _require_can_propose(actor, allocation.team, allocation, allocation.team.service)
    except AccessDenied as exc:
        return str(exc)
    return None


def _require_can_propose(actor: StaffMember, from_team: Team, allocation: Allocation, to_service) -> None:
    proposal = SimpleNamespace(
        from_team=from_team, to_service=to_service, to_team=None, from_allocation=allocation
    )
    require_write(actor, TransferWrite.PROPOSE, proposal)


def _siblings_to_move(
    child: Child,
    allocation: Allocation,
    protocol,
    requested: list[Child],
    separation_reasons: dict[int, str],
    exception: str,
) -> list[Child]:
    """Siblings proposed together; siblings held by the same worker who stay behind need a recorded reason."""
    held_together = siblings_with_same_worker(child, allocation)
    errors = sibling_errors(protocol, child, held_together, requested, separation_reasons, exception)
    if errors:
        raise ApplicationError(errors)
    open_transfers = Transfer.objects.filter(child__in=requested, state__in=[s.value for s in OPEN_STATES])
    if open_transfers.exists():
        raise ApplicationError({"with_siblings": "a sibling already has an open transfer"})
    return requested


def override_errors(protocol, candidates, chosen: str, override_reason: str) -> dict[str, str]:
    """A receiving service other than the protocol's needs the reason why. One home for the rule: the propose
    journey asks it on its recommendation page, and transfer_propose enforces it."""
    if chosen in candidates or override_reason.strip():
        return {}
    names = [protocol.services[c].name for c in sorted(candidates) if c in protocol.services]
    recommended = " or ".join(names) or "no service"
    wanted = protocol.services[chosen].name if chosen in protocol.services else chosen
    return {
        "override_reason": f"Enter why the child should go to a different service than the protocol says: "
        f"it recommends {recommended}, not {wanted}"
    }


def sibling_errors(
    protocol,
    child: Child,
    held_together: list[Child],
    requested: list[Child],
    separation_reasons: dict[int, str],
    exception: str = "",
) -> dict[str, str]:
    """Siblings held by the same worker move together or each has a recorded reason to stay (the protocol's
    sibling policy), unless a permitted exception applies. Asked by the journey, enforced by transfer_propose."""
    errors = {}
    held_ids = {c.pk for c in held_together}
    for sibling in requested:
        if sibling.pk not in held_ids:
            errors[f"with_siblings.{sibling.pk}"] = f"{sibling.name} is not a sibling held by the same worker"
    for sibling_id in separation_reasons:
        if sibling_id not in held_ids:
            errors[f"separation_reasons.{sibling_id}"] = "not a sibling held by the same worker"
    same_worker = protocol.file.siblings is not None and protocol.file.siblings.same_worker
    if same_worker and not exception:
        requested_ids = {c.pk for c in requested}
        for sibling in held_together:
            if sibling.pk not in requested_ids and not separation_reasons.get(sibling.pk, "").strip():
                cites = ", ".join(protocol.file.siblings.cites)
                errors[f"separation_reasons.{sibling.pk}"] = (
                    f"Enter why {sibling.name} should not move with {child.name}: the same worker holds them "
                    f"both, so they move together unless there is a reason ({cites})"
                )
    return errors


def siblings_with_same_worker(child: Child, allocation: Allocation | None = None) -> list[Child]:
    """Siblings of `child` whose open primary allocation is with the same worker."""
    allocation = allocation or current_primary(child)
    if child.family_id is None or allocation is None or allocation.worker_id is None:
        return []
    return list(
        Child.objects.filter(
            family_id=child.family_id,
            allocations__kind=AllocationKind.PRIMARY,
            allocations__end__isnull=True,
            allocations__worker_id=allocation.worker_id,
        )
        .exclude(pk=child.pk)
        .distinct()
        .order_by("pk")
    )


# -- transitions ----------------------------------------------------------------------------------------------


def transfer_act(
    *,
    actor: StaffMember,
    transfer: Transfer,
    action: str,
    expected_version: int,
    reason: str = "",
    to_team: Team | None = None,
    transfer_date: dt.date | None = None,
    worker: StaffMember | None = None,
    now: dt.datetime,
    on: dt.date | None = None,
    decided_by: StaffMember | None = None,
    referral: Mapping[str, Any] | None = None,
    confirm_early: bool = False,
    held_on: dt.date | None = None,
    attendees: Sequence[StaffMember] = (),
    others_attending: str = "",
    notes: str = "",
) -> Transfer:
    """Take one workflow action on a transfer, if the workflow table allows this actor to take it now.

    `now` is when it is recorded; `on` the day it counts for (a meeting's decision counts on the day the meeting
    sat), by default the day of `now`. `decided_by` is for a meeting's decision recorded by someone else
    (business support, the chair): the workflow asks whether *that* person, present at the meeting, may take
    the action, and the record names both, truthfully: who decided and who recorded it. `referral` holds what a
    transfer to another authority records when its referral is sent or its receipt confirmed (transfer_out).

    `complete` before the agreed date of formal transfer needs `confirm_early` and the reason (the family were
    told the agreed date). `record_handover` records the meeting: the day it was `held_on` (by default the day
    it counts for), who of the two workers and the two teams' managers attended (`attendees`), anyone else
    (`others_attending`, in words) and its `notes`.
    """
    decider = decided_by or actor
    on = on or timezone.localtime(now).date()
    if problems := text_errors(reason=(reason, text.REASON)):
        raise ApplicationError(problems)
    with transaction.atomic():
        locked = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("child__authority", "from_team__service", "to_service", "to_team")
            .get(pk=transfer.pk)
        )
        if locked.version != expected_version:
            raise Conflict(
                f"transfer {locked.pk} was changed by someone else (now version {locked.version}, you had "
                f"{expected_version}); reload it and try again"
            )
        if not can_write(actor) or not can_write(decider, on):
            raise AccessDenied("your roles are read-only")
        protocol = protocol_for_transfer(locked)
        ladder = protocol.file.escalation
        actor_roles = actor_on_transfer(decider, locked, on)
        blockers = (
            completion_blockers(locked, on)
            if getattr(TRANSITIONS.get(action), "needs_ready", False)
            else None
        )
        target = check(
            action,
            state=locked.state,
            actor=actor_roles,
            route_kind=locked.route_kind,
            reason=reason,
            blockers=blockers,
            **_ladder(protocol, locked),
        )
        if action == Action.RECORD_HANDOVER:
            _require_one_of_the_workers(decider, actor_roles, locked)
        before = snapshot(locked)
        previous_state = locked.state
        data: dict[str, Any] = {}
        if decider != actor:
            data.update(
                {"decided_by": decider.pk, "decided_by_name": decider.name, "recorded_by": actor.name}
            )
        if (
            on != timezone.localtime(now).date()
        ):  # a meeting's decision recorded later counts on the sitting's day
            data["on"] = on.isoformat()
        action = Action(action)
        if action is Action.AGREE:
            _agree(locked, to_team, transfer_date, data, today=on, reason=reason)
            _siblings_together(locked, protocol, "to_team", to_team, reason, data)
        elif action is Action.IDENTIFY_WORKER:
            _identify_worker(locked, worker, data, on)
            _siblings_together(locked, protocol, "worker", worker, reason, data)
        elif action is Action.BLOCK:
            locked.blocked_from = locked.state
        elif action is Action.ESCALATE:
            _escalate(locked, ladder, reason, protocol, on, now, decider)
            data["level"] = locked.escalation_level
        elif action is Action.RESOLVE:
            target = State(locked.blocked_from)
            for escalation in Escalation.objects.filter(
                transfer=locked, subject=Escalation.Subject.BLOCKED, resolved_at__isnull=True
            ):
                escalation.resolved_at, escalation.resolved_by, escalation.resolution = now, decider, reason
                escalation.save()  # not queryset.update(): the row history must see it
            locked.blocked_from = ""
            locked.escalation_level = 0
        elif action is Action.RECORD_HANDOVER:
            _record_handover(
                locked,
                held_on=held_on or on,
                attendees=attendees,
                others_attending=others_attending,
                notes=notes,
                today=timezone.localtime(now).date(),
                data=data,
            )
        elif action is Action.COMPLETE:
            if problems := plausible.early_completion(
                on, agreed=locked.transfer_date, confirmed=confirm_early, reason=reason
            ):
                raise ApplicationError(problems)
            _complete(locked, actor, on, now, data)
            data["completed_on"] = on.isoformat()
            if locked.transfer_date is not None and on < locked.transfer_date:
                data.update({"early": True, "agreed_date": locked.transfer_date.isoformat()})
        elif action is Action.SEND_REFERRAL:
            type_names = {d.id: d.name for d in protocol.file.document_types}
            transfer_out.record_sent(locked, referral, actor=decider, on=on, type_names=type_names, data=data)
        elif action is Action.CONFIRM_RECEIPT:
            transfer_out.record_receipt(locked, referral, actor=decider, on=on, now=now, data=data)
        elif action is Action.DECLINE:
            _dispute_open(locked, ladder, reason, protocol, on, now, decider, actor_roles, data)
        elif action is Action.REFER_DISPUTE_UP:
            _dispute_refer_up(locked, ladder, reason, protocol, on, now, decider, data)
        elif action in (Action.ACCEPT_DECLINE, Action.UPHOLD_DECLINE, Action.OVERRULE_DECLINE):
            target = _dispute_decide(locked, action, target, reason, now, decider, data)
        elif action is Action.WITHDRAW and locked.state == State.DISPUTED:
            _dispute_decide(locked, action, target, reason, now, decider, data)
        if target in (State.TRANSFERRED, State.DECLINED, State.WITHDRAWN):
            locked.closed_at = now
            locked.closed_reason = reason
        locked.state = target
        locked.version += 1
        locked.save()
        event = TransferEvent.objects.create(
            transfer=locked,
            action=action.value,
            from_state=previous_state,
            to_state=target,
            actor=actor,
            at=now,
            reason=reason,
            data=data,
        )
        _recompute_deadlines(locked, today=on)
        # In the same transaction: the Case Transfer Summary on file adds the handover meeting and the day the
        # case moved (documents listen; this app may not import them).
        transfer_acted.send(sender=Transfer, transfer=locked, event=event, actor=actor, now=now)
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_ACTION,
            at=now,
            child=locked.child,
            obj=locked,
            before=before,
            after=snapshot(locked),
            detail=f"{action.value}: {previous_state} -> {target}"
            + (
                f"; decided by {decider.name} at the meeting, recorded by {actor.name}"
                if decider != actor
                else ""
            ),
        )
    return locked


def _ladder(protocol, transfer: Transfer) -> dict:
    """Who may resolve at the transfer's current escalation level: that level's role and those above it."""
    ladder = protocol.file.escalation
    level = ladder[transfer.escalation_level - 1] if transfer.escalation_level else None
    return {
        "ladder_role": level.who.value if level else None,
        "ladder_roles_above": [lv.who.value for lv in ladder[transfer.escalation_level :]],
    }


def transfer_available_actions(actor: StaffMember, transfer: Transfer) -> list[Action]:
    """The actions this person could take on the transfer now (reasons and readiness aside)."""
    if not can_write(actor) or not transfer.is_open:
        return []
    protocol = protocol_for_transfer(transfer)
    roles = actor_on_transfer(actor, transfer)
    actions = available_actions(
        state=transfer.state, actor=roles, route_kind=transfer.route_kind, **_ladder(protocol, transfer)
    )
    if transfer.escalation_level >= len(protocol.file.escalation):
        actions = [a for a in actions if a not in (Action.ESCALATE, Action.REFER_DISPUTE_UP)]
    if Action.RECORD_HANDOVER in actions:
        try:
            _require_one_of_the_workers(actor, roles, transfer)
        except (AccessDenied, TransitionRefused):
            actions.remove(Action.RECORD_HANDOVER)
    return actions


def _require_one_of_the_workers(actor: StaffMember, roles, transfer: Transfer) -> None:
    """A handover is recorded by one of the two workers in it, or a manager of either team."""
    if (roles.sending_roles | roles.receiving_roles) & MANAGERS:
        return
    workers = {
        transfer.receiving_worker_id,
        transfer.from_allocation.worker_id if transfer.from_allocation else None,
    }
    if actor.pk not in workers:
        raise TransitionRefused(
            "workflow.record_handover.role",
            "only the outgoing or receiving worker, or a manager of either team, can record the handover",
        )


def _agree(
    transfer: Transfer,
    to_team: Team | None,
    transfer_date: dt.date | None,
    data: dict,
    *,
    today: dt.date,
    reason: str,
) -> None:
    errors = {}
    if to_team is None:
        errors["to_team"] = "name the receiving team"
    elif to_team.service_id != transfer.to_service_id or not to_team.active:
        errors["to_team"] = f"{to_team} is not an active team of {transfer.to_service}"
    if transfer_date is None:
        errors["transfer_date"] = "give the agreed date of formal transfer"
    else:
        deadline = transfer.deadlines.filter(transfer_by=True).values_list("due", flat=True).first()
        if problem := plausible.agreed_transfer_date(
            transfer_date, event_date=transfer.event_date, today=today, window_ends=deadline, reason=reason
        ):
            errors["transfer_date"] = problem
    if errors:
        raise ApplicationError(errors)
    transfer.to_team = to_team
    transfer.transfer_date = transfer_date
    data.update({"to_team": to_team.code, "transfer_date": transfer_date.isoformat()})


def _siblings_together(transfer: Transfer, protocol, field: str, chosen, reason: str, data: dict) -> None:
    """Siblings proposed together stay together at every step where the protocol keeps one worker per family
    (Dorset D-033): when the receiving team is agreed and when the worker is named, a sibling whose transfer
    already went another way is refused unless the reason they separate is given (recorded on the event)."""
    policy = protocol.file.siblings
    if transfer.sibling_group is None or policy is None or not policy.same_worker:
        return
    attribute = "to_team" if field == "to_team" else "receiving_worker"
    others = (
        Transfer.objects.filter(
            sibling_group=transfer.sibling_group, state__in=[s.value for s in OPEN_STATES]
        )
        .exclude(pk=transfer.pk)
        .select_related("child", attribute)
    )
    apart = [o for o in others if getattr(o, f"{attribute}_id") not in (None, chosen.pk)]
    if not apart:
        return
    if not reason.strip():
        what = "team" if field == "to_team" else "worker"
        names = "; ".join(f"{o.child.name}'s is {getattr(o, attribute)}" for o in apart)
        raise ApplicationError(
            {
                field: f"siblings keep one social worker ({', '.join(policy.cites)}): {names}. Choose the same "
                f"{what}, or give the reason they separate"
            }
        )
    data["siblings_apart"] = [
        {"transfer": o.pk, "child": o.child.name, attribute: str(getattr(o, attribute))} for o in apart
    ]


def receiving_worker_candidates(transfer: Transfer, *, on: dt.date):
    """Who may be named the receiving worker: active case holders of the agreed receiving team, never the
    outgoing worker (a transfer is a change of worker). Pages, the API and the service ask this one question."""
    if transfer.to_team is None:
        return StaffMember.objects.none()
    workers = eligible_workers(transfer.to_team, on=on)
    if transfer.from_allocation_id and transfer.from_allocation.worker_id:
        workers = workers.exclude(pk=transfer.from_allocation.worker_id)
    return workers


def _qualified_check(transfer: Transfer, on: dt.date) -> dict[str, Any]:
    """What the qualified-worker check (children/workers.py) needs to judge a receiving worker: the transfer's
    protocol version and facts, besides the child's record on the day."""
    protocol = protocol_for_transfer(transfer)
    return {
        "child": transfer.child,
        "on": on,
        "protocol": protocol,
        "kind": transfer.kind,
        "facts": (transfer_facts(transfer, protocol),),
    }


def receiving_worker_refusal(transfer: Transfer, worker: StaffMember, *, on: dt.date) -> str | None:
    """Why `worker` may not be the receiving worker on `on` because the protocol requires a registered social
    worker for this child and they are not one (D-026), or None. Asked when the worker is named and again when
    the transfer completes (a registration can expire in between)."""
    ((_, refusal),) = worker_choices(
        [worker], role_of=lambda w: _worker_role(w, transfer.to_team), **_qualified_check(transfer, on)
    )
    return refusal


def receiving_worker_choices(transfer: Transfer, *, on: dt.date) -> list[tuple[StaffMember, str | None]]:
    """The receiving worker candidates, each with why they may not be named (None: they may). Pages offer only
    those without a reason, showing the others' reasons; the API lists only those. Each worker carries
    `caseload`: how many children's cases (open primary allocations) they hold now, so a manager naming one
    sees who has room; read in the same query as the workers, and their roles in one more, however many."""
    if transfer.to_team is None:
        return []
    open_cases = (
        Allocation.objects.filter(worker=OuterRef("pk"), kind=AllocationKind.PRIMARY, end__isnull=True)
        .order_by()
        .values("worker")
        .annotate(n=Count("pk"))
        .values("n")
    )
    workers = list(
        receiving_worker_candidates(transfer, on=on)
        .annotate(caseload=Coalesce(Subquery(open_cases, output_field=IntegerField()), 0))
        .order_by("name", "pk")
    )
    roles = dict(
        Membership.objects.filter(
            team=transfer.to_team,
            staff__in=[w.pk for w in workers],
            role__in=[r.value for r in CASE_HOLDING_ROLES],
        )
        .order_by("-pk")  # the first membership wins, as `_worker_role` reads it
        .values_list("staff_id", "role")
    )
    return worker_choices(
        workers,
        role_of=lambda w: roles.get(w.pk, Role.SOCIAL_WORKER),
        **_qualified_check(transfer, on),
    )


def _identify_worker(transfer: Transfer, worker: StaffMember | None, data: dict, on: dt.date) -> None:
    if worker is None:
        raise ApplicationError({"worker": "name the receiving worker"})
    if transfer.from_allocation_id and worker.pk == transfer.from_allocation.worker_id:
        raise ApplicationError(
            {
                "worker": f"{worker} is the outgoing worker; name a worker of {transfer.to_team} to take the case on"
            }
        )
    if not receiving_worker_candidates(transfer, on=on).filter(pk=worker.pk).exists():
        raise ApplicationError(
            {"worker": f"{worker} is not an active case-holding worker in {transfer.to_team}"}
        )
    if refusal := receiving_worker_refusal(transfer, worker, on=on):
        raise ApplicationError({"worker": refusal})
    transfer.receiving_worker = worker
    data["worker"] = worker.pk


# -- the handover meeting and the day the case moved -------------------------------------------------------------


def handover_attendee_choices(transfer: Transfer, *, on: dt.date) -> list[tuple[StaffMember, str]]:
    """Whom a handover meeting is between, for the person recording it to tick: the outgoing worker, the
    receiving worker and the managers of the two teams on `on` (D-139, D-148: it "may involve both Team
    Managers"), each with who they are in words. Anyone else (the child, a parent or carer, another
    professional) is written in words."""
    out: list[tuple[StaffMember, str]] = []
    outgoing = transfer.from_allocation.worker if transfer.from_allocation_id else None
    if outgoing is not None:
        out.append((outgoing, f"{outgoing.name}, the outgoing worker"))
    if transfer.receiving_worker is not None:
        out.append((transfer.receiving_worker, f"{transfer.receiving_worker.name}, the receiving worker"))
    teams = [t for t in (transfer.from_team_id, transfer.to_team_id) if t]
    managers = (
        Membership.objects.filter(
            team_id__in=teams, role__in=[r.value for r in MANAGERS], start__lte=on, staff__active=True
        )
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .select_related("staff", "team")
        .order_by("staff__name", "pk")
    )
    for membership in managers:
        if all(staff.pk != membership.staff_id for staff, _ in out):
            role = Role(membership.role).label.lower()
            out.append((membership.staff, f"{membership.staff.name}, {role}, {membership.team.name}"))
    return out


def _worker_named_on(transfer: Transfer) -> dt.date:
    """The day the receiving worker was named (the latest naming), else the day the transfer was proposed."""
    named = [event_day(e) for e in transfer.events.all() if e.action == Action.IDENTIFY_WORKER]
    return named[-1] if named else timezone.localtime(transfer.proposed_at).date()


def event_day(event: TransferEvent) -> dt.date:
    """The day an action counts for: the meeting's sitting for a decision recorded after it, else the day it
    was recorded."""
    if on := (event.data or {}).get("on"):
        return dt.date.fromisoformat(on)
    return timezone.localtime(event.at).date()


def _record_handover(
    transfer: Transfer,
    *,
    held_on: dt.date,
    attendees: Sequence[StaffMember],
    others_attending: str,
    notes: str,
    today: dt.date,
    data: dict,
) -> None:
    """The handover meeting as it was: the day it was held (it has happened, after the worker was named), who
    attended, in words, and its notes. Kept on the event; the handover step counts as done on the day held."""
    errors = text_errors(others_attending=(others_attending, text.REASON), notes=(notes, text.NOTES))
    if problem := plausible.handover_held_date(held_on, today=today, worker_named=_worker_named_on(transfer)):
        errors["held_on"] = problem
    offered = handover_attendee_choices(transfer, on=held_on)
    chosen = {staff.pk for staff in attendees}
    if chosen - {staff.pk for staff, _ in offered}:
        errors["attendees"] = (
            "choose who attended from the outgoing and receiving workers and the managers of the two teams; "
            "write anyone else under others who attended"
        )
    if errors:
        raise ApplicationError(errors)
    data.update(
        {
            "held_on": held_on.isoformat(),
            "attendees": [staff.pk for staff, _ in offered if staff.pk in chosen],
            "attended": [words for staff, words in offered if staff.pk in chosen],
            "others_attending": others_attending.strip(),
            "notes": notes.strip(),
        }
    )


@dataclass(frozen=True)
class HandoverMeeting:
    """The handover meeting as recorded: when it was held, who attended (in words) and its notes."""

    held_on: dt.date
    attended: tuple[str, ...]
    notes: str
    recorded_by: str
    recorded_on: dt.date

    @property
    def attended_words(self) -> str:
        return "; ".join(self.attended) or "not recorded"


@dataclass(frozen=True)
class Completion:
    """The day the case moved, and whether it was before the agreed date of formal transfer (and why)."""

    on: dt.date
    agreed: dt.date | None
    early: bool
    reason: str
    by: str


def _last_event(transfer: Transfer, action: str) -> TransferEvent | None:
    found = [e for e in transfer.events.all() if e.action == action]
    return found[-1] if found else None


def handover_meeting(transfer: Transfer) -> HandoverMeeting | None:
    """The handover meeting recorded on the transfer (the latest record), or None."""
    event = _last_event(transfer, Action.RECORD_HANDOVER)
    return _handover_meeting(event) if event is not None else None


def _handover_meeting(event: TransferEvent) -> HandoverMeeting:
    data = event.data if isinstance(event.data, dict) else {}
    recorded_on = timezone.localtime(event.at).date()
    others = data.get("others_attending", "")
    return HandoverMeeting(
        held_on=dt.date.fromisoformat(data["held_on"]) if data.get("held_on") else recorded_on,
        attended=tuple(data.get("attended", [])) + ((others,) if others else ()),
        notes=data.get("notes", ""),
        recorded_by=event.actor_name,
        recorded_on=recorded_on,
    )


def completion(transfer: Transfer) -> Completion | None:
    """How the transfer completed here (`complete`), or None if it has not."""
    event = _last_event(transfer, Action.COMPLETE)
    if event is None or transfer.state != State.TRANSFERRED:
        return None
    return _completion(event, transfer)


def _completion(event: TransferEvent, transfer: Transfer) -> Completion:
    data = event.data if isinstance(event.data, dict) else {}
    on = _transferred_on(event)
    agreed = dt.date.fromisoformat(data["agreed_date"]) if data.get("agreed_date") else transfer.transfer_date
    return Completion(
        on=on,
        agreed=agreed,
        early=bool(data.get("early")),
        reason=event.reason,
        by=event.actor_name,
    )


def event_details(event: TransferEvent, transfer: Transfer) -> list[str]:
    """What an event of the transfer's history says beyond its name and reason, in words: the handover meeting
    (when held, who attended, notes) and a completion before the agreed date."""
    if event.action == Action.RECORD_HANDOVER:
        meeting = _handover_meeting(event)
        lines = [f"Held on {plausible.day(meeting.held_on)}.", f"Attended: {meeting.attended_words}."]
        return lines + ([f"Notes: {meeting.notes}"] if meeting.notes else [])
    if event.action == Action.COMPLETE:
        done = _completion(event, transfer)
        if done.early and done.agreed is not None:
            return [
                f"Completed on {plausible.day(done.on)}, before the agreed date of formal transfer "
                f"({plausible.day(done.agreed)})."
            ]
    return []


def _escalate(
    transfer: Transfer, ladder, reason: str, protocol, on: dt.date, now: dt.datetime, by: StaffMember
) -> None:
    """A manager escalates a blocked transfer to the next level; the level below is resolved ("moved up"), so
    one escalation is open at a time, and the sweep moves it on when the next level's time is up."""
    if transfer.escalation_level >= len(ladder):
        raise TransitionRefused(
            "protocol.escalation.final",
            f"the transfer is already at the last level of the {protocol.name} escalation ladder",
        )
    level = ladder[transfer.escalation_level]
    transfer.escalation_level += 1
    for lower in Escalation.objects.filter(
        transfer=transfer, subject=Escalation.Subject.BLOCKED, resolved_at__isnull=True
    ):
        lower.resolved_at, lower.resolved_by = now, by
        lower.resolution = f"moved up to level {level.level} ({level.who.value.replace('_', ' ')})"
        lower.save()  # not queryset.update(): the row history must see it
    _escalation_open(transfer, Escalation.Subject.BLOCKED, level, ladder, protocol, on, now, by, reason)


def _escalation_open(transfer: Transfer, subject, level, ladder, protocol, on, now, by, reason: str) -> None:
    """Open `level` of the ladder on the transfer, due to move on after the next level's time (none at the top)."""
    Escalation.objects.create(
        transfer=transfer,
        subject=subject,
        level=level.level,
        role=level.who.value,
        cites=list(level.cites),
        opened_at=now,
        opened_by=by,
        due=None if level.level >= len(ladder) else protocol.calendar.add(on, ladder[level.level].after),
        reason=reason,
    )


def _dispute_open(
    transfer: Transfer, ladder, reason: str, protocol, on, now, by: StaffMember, roles, data: dict
) -> None:
    """A decline is a dispute: it goes to the level of the ladder above the managers who disagree (Dorset
    D-030/D-032: the service manager; Central Bedfordshire C-008: between team managers, first the practice
    managers). The transfer waits there, where it was, until that level (or one above) decides, or the sending
    managers accept the decline."""
    transfer.blocked_from = data["declined_from"] = transfer.state
    if not ladder:
        return  # no ladder: only the sending managers' acceptance ends it
    level_no = dispute_level([lv.who.value for lv in ladder], roles.receiving_roles & MANAGERS)
    level = ladder[level_no - 1]
    transfer.escalation_level = level_no
    reason = f"Declined by {by.name}: {reason.strip()}"
    _escalation_open(transfer, Escalation.Subject.DISPUTE, level, ladder, protocol, on, now, by, reason)
    data["dispute_level"] = level.level


def _dispute_refer_up(
    transfer: Transfer, ladder, reason: str, protocol, on, now, by: StaffMember, data: dict
) -> None:
    """The level holding a dispute cannot decide it: it goes to the next level of the ladder (Central
    Bedfordshire C-008: from the practice managers to the heads of service), the level below resolved as moved
    up, so one dispute is open at a time."""
    if transfer.escalation_level >= len(ladder):
        raise TransitionRefused(
            "protocol.escalation.final",
            f"the dispute is already at the last level of the {protocol.name} escalation ladder, which decides it",
        )
    level = ladder[transfer.escalation_level]
    for lower in Escalation.objects.filter(
        transfer=transfer, subject=Escalation.Subject.DISPUTE, resolved_at__isnull=True
    ):
        lower.resolved_at, lower.resolved_by = now, by
        lower.resolution = (
            f"moved up to level {level.level} ({level.who.value.replace('_', ' ')}): {reason.strip()}"
        )
        lower.save()  # not queryset.update(): the row history must see it
        reason = f"{lower.reason}; referred up by {by.name}: {reason.strip()}"
    transfer.escalation_level = level.level
    _escalation_open(transfer, Escalation.Subject.DISPUTE, level, ladder, protocol, on, now, by, reason)
    data["dispute_level"] = level.level


def _dispute_decide(
    transfer: Transfer, action: Action, target, reason: str, now, by: StaffMember, data: dict
) -> State:
    """The dispute decided, recorded at the level that decided it: upheld (the transfer is declined), overruled
    (it carries on where it was declined), or the decline accepted by the sending managers."""
    decided = {
        Action.ACCEPT_DECLINE: "decline accepted by the sending team",
        Action.UPHOLD_DECLINE: "decline upheld",
        Action.OVERRULE_DECLINE: "decline overruled: the transfer goes ahead",
        Action.WITHDRAW: "the transfer was withdrawn",
    }[action]
    level = transfer.escalation_level
    for dispute in Escalation.objects.filter(
        transfer=transfer, subject=Escalation.Subject.DISPUTE, resolved_at__isnull=True
    ):
        dispute.resolved_at, dispute.resolved_by = now, by
        dispute.resolution = f"{decided} by {by.name}" + (f": {reason.strip()}" if reason.strip() else "")
        dispute.save()  # not queryset.update(): the row history must see it
    data.update({"decided_at_level": level, "decision": decided})
    if target is None:  # overruled: back to where it was declined
        target = State(transfer.blocked_from)
    transfer.blocked_from = ""
    transfer.escalation_level = 0
    return target


def _complete(transfer: Transfer, actor: StaffMember, on: dt.date, now: dt.datetime, data: dict) -> None:
    """End the old allocation and start the new one at the same moment (SSDA903 reason TSPROC)."""
    old = transfer.from_allocation
    if transfer.kind == AllocationKind.PRIMARY:
        old = Allocation.objects.select_for_update().get(pk=old.pk)
        if old.end is not None:
            raise Conflict("the child's allocation was already ended by someone else")
        before = snapshot(old)
        old.end = on
        old.end_reason = ChangeReason.TSPROC
        old.save()
        audit_record(
            actor=actor,
            verb=Verb.ALLOCATION_ENDED,
            at=now,
            child=transfer.child,
            obj=old,
            before=before,
            after=snapshot(old),
        )
    pathway = protocol_for_transfer(transfer).pathways.get(transfer.pathway)
    new = Allocation.objects.create(
        child=transfer.child,
        kind=transfer.kind,
        team=transfer.to_team,
        worker=transfer.receiving_worker,
        role=_worker_role(transfer.receiving_worker, transfer.to_team),
        # A secondary pathway's purpose (Dorset: family finding, a personal adviser), shown in words on the record.
        purpose=(pathway.purpose or "")
        if pathway is not None and transfer.kind == AllocationKind.SECONDARY
        else "",
        start=on,
        start_reason=ChangeReason.TSPROC,
    )
    audit_record(
        actor=actor, verb=Verb.ALLOCATION_STARTED, at=now, child=transfer.child, obj=new, after=snapshot(new)
    )
    transfer.to_allocation = new
    data["allocation"] = new.pk


def _worker_role(worker: StaffMember | None, team: Team) -> str:
    if worker is None:
        return Role.SOCIAL_WORKER
    membership = Membership.objects.filter(
        staff=worker, team=team, role__in=[r.value for r in CASE_HOLDING_ROLES]
    ).first()
    return membership.role if membership else Role.SOCIAL_WORKER


def transfer_update_facts(
    *, actor: StaffMember, transfer: Transfer, answers: dict, expected_version: int, now: dt.datetime
) -> Transfer:
    """Correct or add facts of the situation; the deadlines are recomputed from them."""
    require_write(actor, TransferWrite.UPDATE_FACTS, transfer)
    with transaction.atomic():
        locked = Transfer.objects.select_for_update(of=("self",)).get(pk=transfer.pk)
        if locked.version != expected_version:
            raise Conflict(f"transfer {locked.pk} was changed by someone else; reload it and try again")
        if not locked.is_open:
            raise ApplicationError({"transfer": f"the transfer is {locked.state}"})
        situation = dict(locked.situation)
        for section, values in answers.items():
            if not isinstance(values, dict):
                raise ApplicationError({f"answers.{section}": "must be an object of facts"})
            situation[section] = {**situation.get(section, {}), **values}
        try:
            situation_facts(protocol_for_transfer(locked), situation)
        except SituationError as exc:
            raise ApplicationError({f"answers.{exc.field}": exc.problem}) from exc
        before = snapshot(locked)
        locked.situation = situation
        locked.version += 1
        locked.save()
        _recompute_deadlines(locked, today=timezone.localtime(now).date())
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_ACTION,
            at=now,
            child=locked.child,
            obj=locked,
            before=before,
            after=snapshot(locked),
            detail="facts updated",
        )
    return locked


def eligible_receiving_teams(transfer: Transfer):
    """Active teams of the receiving service, never the sending team."""
    return Team.objects.filter(service=transfer.to_service, active=True).exclude(pk=transfer.from_team_id)


# -- sign-offs, confirmations, remedial actions -------------------------------------------------------------------

SIGN_OFF_WRITES = {
    SignOffKind.SUMMARY_AUTHORISED: TransferWrite.SIGN_OFF_SENDING,
    SignOffKind.SENDING_AUDIT: TransferWrite.SIGN_OFF_SENDING,
    SignOffKind.RECEIVING_AUDIT: TransferWrite.SIGN_OFF_RECEIVING,
}


def transfer_sign_off(*, actor: StaffMember, transfer: Transfer, kind: str, now: dt.datetime) -> SignOff:
    """The transferring manager authorises the summary and audits the file; the receiving manager audits it."""
    kind = SignOffKind(kind)
    require_write(actor, SIGN_OFF_WRITES[kind], transfer)
    if kind is SignOffKind.SUMMARY_AUTHORISED:
        # Only authorising the Case Transfer Summary itself gives this sign-off (D-181): never a bare tick.
        raise ApplicationError(
            {
                "kind": "the summary is signed off by authorising the Case Transfer Summary on the transfer's summary page"
            }
        )
    if not transfer.is_open:
        raise ApplicationError({"transfer": f"the transfer is {transfer.state}"})
    with transaction.atomic():
        sign_off, created = SignOff.objects.get_or_create(
            transfer=transfer, kind=kind, defaults={"by": actor, "at": now}
        )
        if not created:
            raise ApplicationError({"kind": f"already signed off by {sign_off.by} on {sign_off.at:%d %B %Y}"})
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_SIGNED_OFF,
            at=now,
            child=transfer.child,
            obj=transfer,
            detail=kind.label,
        )
    return sign_off


def transfer_confirm_item(
    *, actor: StaffMember, transfer: Transfer, item: str, now: dt.datetime
) -> ReadinessConfirmation:
    """Confirm a checklist item that needs a person's judgement, by someone holding the role it names."""
    protocol = protocol_for_transfer(transfer)
    spec = next((c.spec for c in protocol.readiness if c.spec.id == item), None)
    if spec is None or spec.requires.confirmed_by is None:
        raise ApplicationError({"item": f"{item!r} is not a checklist item that is confirmed by a person"})
    if not transfer.is_open:
        raise ApplicationError({"transfer": f"the transfer is {transfer.state}"})
    wanted = spec.requires.confirmed_by.value
    if not may_confirm_item(actor, transfer, wanted):
        raise AccessDenied(f"{spec.name} is confirmed by a {wanted.replace('_', ' ')} of either team")
    with transaction.atomic():
        confirmation, created = ReadinessConfirmation.objects.get_or_create(
            transfer=transfer, item=item, defaults={"by": actor, "at": now}
        )
        if not created:
            raise ApplicationError({"item": "already confirmed"})
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_SIGNED_OFF,
            at=now,
            child=transfer.child,
            obj=transfer,
            detail=f"confirmed {item}",
        )
    return confirmation


def remedial_action_create(
    *,
    actor: StaffMember,
    transfer: Transfer,
    description: str,
    owner: StaffMember,
    due: dt.date,
    now: dt.datetime,
) -> RemedialAction:
    require_write(actor, TransferWrite.REMEDIAL_ACTION, transfer)
    errors = {}
    if not transfer.is_open:
        errors["transfer"] = f"the transfer is {transfer.state}"
    if not description.strip():
        errors["description"] = "say what needs doing"
    errors.update(text_errors(description=(description.strip(), text.ACTION)))
    if due < timezone.localtime(now).date():
        errors["due"] = "the due date cannot be in the past"
    if owner.authority_id != transfer.child.authority_id or not owner.active:
        errors["owner"] = "the owner must be an active member of staff of this authority"
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        action = RemedialAction.objects.create(
            transfer=transfer,
            description=description.strip(),
            owner=owner,
            due=due,
            created_by=actor,
            created_at=now,
        )
        audit_record(
            actor=actor,
            verb=Verb.REMEDIAL_ACTION,
            at=now,
            child=transfer.child,
            obj=action,
            after=snapshot(action),
        )
    return action


def remedial_action_done(*, actor: StaffMember, action: RemedialAction, now: dt.datetime) -> RemedialAction:
    """Mark a remedial action done, by its owner or a manager of either team of the transfer."""
    return _remedial_action_set_done(actor=actor, action=action, now=now, done=True)


def remedial_action_reopen(*, actor: StaffMember, action: RemedialAction, now: dt.datetime) -> RemedialAction:
    """Reopen a remedial action marked done (the row's history keeps who marked it done, and when)."""
    return _remedial_action_set_done(actor=actor, action=action, now=now, done=False)


def _remedial_action_set_done(
    *, actor: StaffMember, action: RemedialAction, now: dt.datetime, done: bool
) -> RemedialAction:
    require_write(actor, TransferWrite.REMEDIAL_ACTION_DONE, action.transfer, remedial_action=action)
    with transaction.atomic():
        locked = RemedialAction.objects.select_for_update().get(pk=action.pk)
        if done and locked.done_at is not None:
            raise ApplicationError({"action": "already done"})
        if not done and locked.done_at is None:
            raise ApplicationError({"action": "not done, so there is nothing to reopen"})
        before = snapshot(locked)
        locked.done_at, locked.done_by = (now, actor) if done else (None, None)
        locked.save()  # not queryset.update(): the row history must see it
        audit_record(
            actor=actor,
            verb=Verb.REMEDIAL_ACTION,
            at=now,
            child=action.transfer.child,
            obj=locked,
            before=before,
            after=snapshot(locked),
            detail="marked done" if done else "reopened",
        )
    return locked


STEP_DONE = "step_done"  # a TransferEvent closing a timeline step by an explicit "done"; data: {"step": id}
STEP_REOPENED = (
    "step_reopened"  # a TransferEvent undoing a STEP_DONE (marked done by mistake); data: {"step": id}
)


def hand_closed_steps(transfer: Transfer) -> dict[str, dt.date]:
    """The steps closed by an explicit "done" and not reopened since, with the day each was last done (a
    repeating duty is done again and again; a reopen undoes the latest "done")."""
    done: dict[str, list[dt.date]] = {}
    for event in transfer.events.all():  # in order: a reopen undoes the done before it
        step = event.data.get("step", "") if isinstance(event.data, dict) else ""
        if event.action == STEP_DONE:
            done.setdefault(step, []).append(timezone.localtime(event.at).date())
        elif event.action == STEP_REOPENED and done.get(step):
            done[step].pop()
    return {step: days[-1] for step, days in done.items() if days}


def _transferred_on(event: TransferEvent) -> dt.date:
    """The day the case moved: the day completion counted for, or the other authority confirmed receipt."""
    data = event.data if isinstance(event.data, dict) else {}
    day = data.get("receipt_confirmed_on") or data.get("completed_on")
    return dt.date.fromisoformat(day) if day else timezone.localtime(event.at).date()


def transferred_on(transfer: Transfer) -> dt.date | None:
    """The day the case moved, for a transfer that has transferred; else None."""
    if transfer.state != State.TRANSFERRED:
        return None
    moved = [e for e in transfer.events.all() if e.to_state == State.TRANSFERRED]
    if moved:
        return _transferred_on(moved[-1])
    return timezone.localtime(transfer.closed_at).date() if transfer.closed_at else None


def closed_step_words(transfer: Transfer, deadline: Deadline, *, moved_on: dt.date | None = None) -> str:
    """What a step not done says once the transfer is closed, instead of a due date or "overdue": after the
    case moved, a step due later is not needed here, and one due by then was not recorded as done; after a
    withdrawal or decline, none is needed."""
    if transfer.state == State.TRANSFERRED:
        moved = moved_on or transferred_on(transfer)
        if moved is None:
            return "Not needed: the case has transferred"
        if deadline.due is None or deadline.due > moved:
            return f"Not needed: the case transferred on {plausible.day(moved)}"
        return f"Not recorded as done before the case transferred on {plausible.day(moved)}"
    closed = (
        f" on {plausible.day(timezone.localtime(transfer.closed_at).date())}" if transfer.closed_at else ""
    )
    return f"Not needed: the transfer was {transfer.get_state_display()}{closed}"


def step_completed_by(step, transfer_by: str) -> str:
    """What closes a timeline step: its `completed_by`; the transfer point `complete`; otherwise `manual`."""
    return step.completed_by or ("complete" if step.id == transfer_by else "manual")


def _closable_steps(transfer: Transfer) -> dict[str, tuple[Any, str]]:
    """Each step of the transfer's timeline and each standing timescale, by id, with what closes it."""
    protocol = protocol_for_transfer(transfer)
    steps: dict[str, tuple[Any, str]] = {
        t.spec.id: (t.spec, t.spec.completed_by or "manual") for t in protocol.timescales
    }
    pathway = protocol.pathways.get(transfer.pathway) if transfer.pathway else None
    if pathway is not None:
        timeline = protocol.timelines[pathway.timeline]
        steps.update({s.id: (s, step_completed_by(s, timeline.transfer_by)) for s in timeline.steps})
    return steps


def transfer_manual_steps(transfer: Transfer) -> set[str]:
    """The ids of the transfer's timeline steps and standing timescales closed by an explicit "done"."""
    return {step_id for step_id, (_, closed_by) in _closable_steps(transfer).items() if closed_by == "manual"}


def transfer_step_done(
    *, actor: StaffMember, transfer: Transfer, step: str, now: dt.datetime
) -> TransferEvent:
    """Close a timeline step or standing timescale the protocol closes by an explicit "done" (who and when, as a
    TransferEvent the milestone computation reads)."""
    require_write(actor, TransferWrite.STEP_DONE, transfer)
    found, closed_by = _closable_steps(transfer).get(step, (None, ""))
    if found is None:
        raise ApplicationError({"step": f"{step!r} is not a step of this transfer's timeline or timescales"})
    if closed_by != "manual":
        raise ApplicationError({"step": f"{found.name} is closed by {closed_by}, not by hand"})
    if not transfer.is_open:
        raise ApplicationError({"transfer": f"the transfer is {transfer.state}"})
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        last_done = hand_closed_steps(locked).get(step)
        if getattr(found, "every", None) is not None:
            # A repeating duty is done each time; once a day is enough to record.
            if last_done == timezone.localtime(now).date():
                raise ApplicationError({"step": f"{found.name} is already recorded as done today"})
        elif last_done is not None:
            raise ApplicationError({"step": f"{found.name} is already done"})
        event = TransferEvent.objects.create(
            transfer=locked,
            action=STEP_DONE,
            from_state=locked.state,
            to_state=locked.state,
            actor=actor,
            at=now,
            reason=f"{found.name}: done",
            data={"step": step},
        )
        _recompute_deadlines(locked, today=timezone.localtime(now).date())
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_ACTION,
            at=now,
            child=locked.child,
            obj=locked,
            detail=f"step {step} done",
        )
    return event


def transfer_step_reopen(
    *, actor: StaffMember, transfer: Transfer, step: str, now: dt.datetime, reason: str
) -> TransferEvent:
    """Undo an explicit "done" given by mistake: the step is open (and counted as due or overdue) again, with
    who, when and why in the transfer's history. Only a step closed by hand can be reopened; one closed by a
    workflow action or the letters is reopened by what it records, not here."""
    require_write(actor, TransferWrite.STEP_DONE, transfer)
    if problems := text_errors(reason=(reason, text.REASON)):
        raise ApplicationError(problems)
    if not reason.strip():
        raise ApplicationError({"reason": "Enter why the step is reopened"})
    found, _ = _closable_steps(transfer).get(step, (None, ""))
    if found is None:
        raise ApplicationError({"step": f"{step!r} is not a step of this transfer's timeline or timescales"})
    if not transfer.is_open:
        raise ApplicationError({"transfer": f"the transfer is {transfer.state}"})
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if step not in hand_closed_steps(locked):
            raise ApplicationError(
                {"step": f"{found.name} was not marked done by hand, so there is nothing to reopen"}
            )
        event = TransferEvent.objects.create(
            transfer=locked,
            action=STEP_REOPENED,
            from_state=locked.state,
            to_state=locked.state,
            actor=actor,
            at=now,
            reason=reason.strip(),
            data={"step": step},
        )
        _recompute_deadlines(locked, today=timezone.localtime(now).date())
        audit_record(
            actor=actor,
            verb=Verb.TRANSFER_ACTION,
            at=now,
            child=locked.child,
            obj=locked,
            detail=f"step {step} reopened: {reason.strip()}",
        )
    return event


# -- readiness and deadlines ------------------------------------------------------------------------------------------


def transfer_facts(transfer: Transfer, protocol: Protocol | None = None) -> dict:
    """The transfer's facts under its own protocol version (or `protocol`, to compare another version)."""
    protocol = protocol or protocol_for_transfer(transfer)
    facts = situation_facts(protocol, transfer.situation)
    facts["transfer.from"] = transfer.from_team.service.code
    facts["transfer.from_kind"] = transfer.from_team.service.kind
    facts["transfer.to"] = transfer.to_service.code
    facts["transfer.to_kind"] = transfer.to_service.kind
    if transfer.pathway:
        facts["transfer.pathway"] = transfer.pathway
    return facts


def with_readiness_data(prefix: str = "") -> Prefetch:
    """The prefetch that lets `transfer_readiness` judge each transfer of a list without a query: the current
    documents on the child's file (type and date). `prefix` is the path to the child ("child__")."""
    return Prefetch(
        f"{prefix}documents",
        queryset=DocumentOnFile.objects.current().only("pk", "child_id", "document_type", "dated"),
        to_attr="readiness_documents",
    )


def _documents_on_file(child: Child) -> dict[str, dt.date]:
    """The latest date of each document type on the child's file, current versions only: a version replaced by
    a newer one counts for nothing, even if it bears a later date (it may have been replaced for being wrong)."""
    documents: dict[str, dt.date] = {}
    if hasattr(child, "readiness_documents"):  # prefetched for a list of transfers (`with_readiness_data`)
        found = [(d.document_type, d.dated) for d in child.readiness_documents]
    else:
        found = DocumentOnFile.objects.current().filter(child=child).values_list("document_type", "dated")
    for doc_type, dated in found:
        if doc_type not in documents or dated > documents[doc_type]:
            documents[doc_type] = dated
    return documents


def transfer_readiness(transfer: Transfer, *, on: dt.date, protocol: Protocol | None = None) -> Readiness:
    """The checklist of the transfer's protocol version (or `protocol`) on `on`, against the documents on the
    child's file and the confirmations."""
    protocol = protocol or protocol_for_transfer(transfer)
    confirmations = {c.item: c.at.date() for c in transfer.confirmations.all()}
    return readiness_engine.assess(
        protocol,
        transfer_facts(transfer, protocol),
        on=on,
        documents=_documents_on_file(transfer.child),
        confirmations=confirmations,
    )


def transfer_preview_readiness(
    *, child: Child, event: str, on: dt.date, answers: dict, to_service: Service, pathway: str | None
) -> Readiness:
    """The checklist a proposal would face, before it is made (nothing is written)."""
    protocol = protocol_for(child.authority)
    facts = situation_facts(protocol, record_situation(child, event=event, on=on, answers=answers))
    from_allocation = current_primary(child)
    if from_allocation is not None:
        facts["transfer.from"] = from_allocation.team.service.code
        facts["transfer.from_kind"] = from_allocation.team.service.kind
    facts["transfer.to"], facts["transfer.to_kind"] = to_service.code, to_service.kind
    if pathway:
        facts["transfer.pathway"] = pathway
    return readiness_engine.assess(protocol, facts, on=on, documents=_documents_on_file(child))


def completion_blockers(transfer: Transfer, on: dt.date) -> dict[str, str]:
    blockers = {
        item.id: f"{item.name} ({item.detail})" for item in transfer_readiness(transfer, on=on).blocking
    }
    signed = set(transfer.sign_offs.values_list("kind", flat=True))
    outward = transfer_out.is_outward(transfer)
    for kind in SignOffKind:
        if outward and kind is not SignOffKind.SENDING_AUDIT:
            # No one at another authority signs in here (its manager confirms receipt instead), and the referral
            # in writing goes in place of a Case Transfer Summary for the meeting (D-187).
            continue
        if kind.value not in signed:
            blockers[kind.value] = f"{kind.label} (not yet signed off)"
    if outward:
        return blockers
    if transfer.to_team_id is None or transfer.receiving_worker_id is None:
        blockers["receiving_worker"] = "the receiving team and worker are not identified"
    elif refusal := receiving_worker_refusal(transfer, transfer.receiving_worker, on=on):
        blockers["receiving_worker"] = refusal
    return blockers


def _recompute_deadlines(transfer: Transfer, *, today: dt.date) -> None:
    """Replace the transfer's deadlines with its protocol version's, counting from what has actually happened."""
    rows = transfer_deadlines(transfer, protocol_for_transfer(transfer), today=today)
    transfer.deadlines.all().delete()
    Deadline.objects.bulk_create(rows)
    work_changed.send(sender=Deadline, transfer_ids=[transfer.pk])


def transfer_deadlines(transfer: Transfer, protocol: Protocol, *, today: dt.date) -> list[Deadline]:
    """The deadlines `protocol` gives the transfer (unsaved rows): its pathway's timeline, if the version has
    that pathway, and the standing timescales. A step is done on the day what closes it happened: its workflow
    action, the letters, a document or key event on the child's file (dated from the event to `today`), or an
    explicit "done"."""
    facts = situation_facts(protocol, transfer.situation)
    milestones: dict[str, dt.date] = dict(hand_closed_steps(transfer)) if transfer.pk else {}
    rows: list[Deadline] = []
    pathway = protocol.pathways.get(transfer.pathway) if transfer.pathway else None
    closers = _closers(protocol, pathway)
    for step_id, day in _closed_from_file(transfer, closers, today, _fact_starts(protocol, facts)).items():
        milestones.setdefault(step_id, day)
    if pathway is not None:
        # The protocol file says which action completes each step (the transfer point: `complete`).
        timeline = protocol.timelines[pathway.timeline]
        done_at: dict[str, dt.date] = {}
        for event in transfer.events.all() if transfer.pk else ():
            if event.action == Action.RECORD_HANDOVER:
                # Done on the day the meeting was held, not the day someone recorded it.
                done_at[event.action] = _handover_meeting(event).held_on
            elif event.action not in (STEP_DONE, STEP_REOPENED):
                done_at[event.action] = timezone.localtime(event.at).date()
            if event.to_state == State.TRANSFERRED:
                # The transfer point closes on whichever action transfers: completing it here, or the other
                # authority's confirmation of receipt (recorded for the day it was confirmed).
                done_at["complete"] = _transferred_on(event)
        written = transfer.letters.aggregate(at=Min("generated_at"))["at"] if transfer.pk else None
        if written is not None:
            done_at["letters_send"] = timezone.localtime(written).date()
        for step in timeline.steps:
            action = step_completed_by(step, timeline.transfer_by)
            if action in done_at and step.id not in milestones:
                milestones[step.id] = done_at[action]
        for d in deadline_engine.timeline(protocol, facts, pathway, today=today, milestones=milestones):
            rows.append(_deadline_row(transfer, d, standing=False, closed_by=closers.get(d.id, "")))
    stepped = {row.step for row in rows}  # a timeline step and a timescale of the same id: the step wins
    for d in deadline_engine.standing_timescales(protocol, facts, today=today, milestones=milestones):
        if d.status != "unknown" and d.id not in stepped:
            rows.append(_deadline_row(transfer, d, standing=True, closed_by=closers.get(d.id, "")))
    return rows


def _closers(protocol: Protocol, pathway) -> dict[str, str]:
    """What closes each step and timescale, by id (a workflow action, letters_send, document:…, key_event:…,
    manual); the timeline's step wins over a timescale of the same id."""
    closers = {t.spec.id: t.spec.completed_by or "manual" for t in protocol.timescales}
    if pathway is not None:
        timeline = protocol.timelines[pathway.timeline]
        closers.update({s.id: step_completed_by(s, timeline.transfer_by) for s in timeline.steps})
    return closers


def _closed_from_file(
    transfer: Transfer, closers: dict[str, str], today: dt.date, starts: Mapping[str, dt.date] | None = None
) -> dict[str, dt.date]:
    """Steps closed by a document or key event on the child's file: the first one dated from the step's start
    (the transfer's event, or the earlier date a timescale counts from, such as the day the child became looked
    after) to `today` (a document dated in the future closes nothing yet)."""
    starts = starts or {}
    wanted: dict[tuple[str, str, dt.date], list[str]] = {}
    for step_id, closer in closers.items():
        kind, _, name = closer.partition(":")
        if kind in ("document", "key_event"):
            since = min(starts.get(step_id, transfer.event_date), transfer.event_date)
            wanted.setdefault((kind, name, since), []).append(step_id)
    if not wanted or transfer.child_id is None:
        return {}
    first: dict[tuple[str, str, dt.date], dt.date] = {}
    for since in {key[2] for key in wanted}:  # one or two: the event, and a date the child's record gives
        documents = [name for kind, name, s in wanted if kind == "document" and s == since]
        if documents:
            for row in (
                DocumentOnFile.objects.filter(
                    child_id=transfer.child_id,
                    document_type__in=documents,
                    dated__gte=since,
                    dated__lte=today,
                )
                .values("document_type")
                .annotate(first=Min("dated"))
            ):
                first[("document", row["document_type"], since)] = row["first"]
        events = [name for kind, name, s in wanted if kind == "key_event" and s == since]
        if events:
            for row in (
                KeyEvent.objects.filter(
                    child_id=transfer.child_id, event_type__in=events, date__gte=since, date__lte=today
                )
                .values("event_type")
                .annotate(first=Min("date"))
            ):
                first[("key_event", row["event_type"], since)] = row["first"]
    return {step_id: first[key] for key, step_ids in wanted.items() if key in first for step_id in step_ids}


def _fact_starts(protocol: Protocol, facts: Mapping[str, Any]) -> dict[str, dt.date]:
    """The timescales counted from a date the situation gives (not the event): that date, by timescale id."""
    out = {}
    for compiled in protocol.timescales:
        anchor = compiled.spec.after
        value = facts.get(anchor) if anchor and anchor != "event" else None
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if isinstance(value, dt.date):
            out[compiled.spec.id] = value
    return out


def open_transfer_ids(authority=None) -> list[int]:
    """The ids of the open transfers (of `authority`, or all). Selected on the state index first and the
    authority checked on the few rows that are open: asked together, SQLite plans the join through the
    authority's children and scans every historic transfer (0.4 s on the large demo against 4 ms)."""
    rows = Transfer.objects.filter(state__in=[s.value for s in OPEN_STATES]).values_list(
        "pk", "child__authority_id"
    )
    return [pk for pk, owner in rows if authority is None or owner == authority.pk]


def deadlines_close_from_file(
    *, now: dt.datetime, child: Child | None = None, authority=None, transfer_ids=None
) -> int:
    """Close the open steps that a document or key event now on the child's file closes: recompute the
    deadlines of those transfers only (the sweep runs this for an authority's open transfers, or those of them
    in `transfer_ids`; adding a document runs it for the child). Two queries to find them, however many
    transfers are open. Returns how many transfers changed."""
    today = timezone.localtime(now).date()
    candidates = Deadline.objects.filter(actual__isnull=True).filter(
        Q(closed_by__startswith="document:") | Q(closed_by__startswith="key_event:")
    )
    if child is not None:
        candidates = candidates.filter(
            transfer__child=child, transfer__state__in=[s.value for s in OPEN_STATES]
        )
    else:
        # `transfer_ids`: the caller's own list of the authority's open transfers (the sweep has just read it).
        wanted = open_transfer_ids(authority) if transfer_ids is None else list(transfer_ids)
        candidates = candidates.filter(transfer_id__in=wanted)
    rows = list(
        candidates.values_list("transfer_id", "transfer__child_id", "transfer__event_date", "closed_by")
    )
    if not rows:
        return 0
    children = {child_id for _, child_id, _, _ in rows}
    on_file: dict[tuple[int, str, str], list[dt.date]] = {}
    for child_id, kind, dated in DocumentOnFile.objects.filter(
        child_id__in=children, dated__lte=today
    ).values_list("child_id", "document_type", "dated"):
        on_file.setdefault((child_id, "document", kind), []).append(dated)
    for child_id, kind, dated in KeyEvent.objects.filter(child_id__in=children, date__lte=today).values_list(
        "child_id", "event_type", "date"
    ):
        on_file.setdefault((child_id, "key_event", kind), []).append(dated)
    due_a_change = set()
    for transfer_id, child_id, event_date, closed_by in rows:
        kind, _, name = closed_by.partition(":")
        if any(day >= event_date for day in on_file.get((child_id, kind, name), ())):
            due_a_change.add(transfer_id)
    for transfer in Transfer.objects.filter(pk__in=due_a_change).select_related("child"):
        with transaction.atomic():
            _recompute_deadlines(transfer, today=today)
    return len(due_a_change)


def _deadline_row(transfer: Transfer, d, *, standing: bool, closed_by: str = "") -> Deadline:
    return Deadline(
        closed_by=closed_by,
        transfer=transfer,
        step=d.id,
        name=d.name,
        due=d.due,
        actual=d.actual,
        transfer_by=d.transfer_by,
        standing=standing,
        cites=list(d.cites),
        basis=d.basis[:200],
    )
