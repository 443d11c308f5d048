"""The sweep's view of the world: every piece of open work of an authority as `domain.sweep.Work`, with the
records it came from, in a constant number of queries however many transfers there are.

A piece of work is:
- a step of an open transfer's timeline (its Deadline row; done when it has an actual date),
- a standing timescale the transfer's situation started (reminded and shown overdue, never escalated: the
  timeline's steps carry the escalation, so one late transfer is not escalated twice),
- an open remedial action on an open transfer (done when marked done),
- a blocked or escalated transfer (its "due" is the day it was blocked),
and, for stepping down, any open escalation whose work is done now (the step done, the action done, the block
resolved, the transfer closed).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Max, Q
from django.utils import timezone

from handover.domain.sweep import OpenEscalation, Work, WorkKind
from handover.domain.workflow import OPEN_STATES, State
from handover.organisation.models import Authority
from handover.transfers.models import Deadline, Escalation, RemedialAction, Transfer, TransferEvent
from handover.transfers.services import open_transfer_ids

BLOCKED_STATES = (State.BLOCKED.value, State.ESCALATED.value)
# A transfer whose work waits on someone else's decision: its steps are reminded, not escalated on their own
# (a block escalates as blocked; a dispute sits with the level of the ladder the decline went to).
HELD_STATES = (*BLOCKED_STATES, State.DISPUTED.value)


def step_key(transfer_id: int, step: str) -> str:
    return f"transfer:{transfer_id}:step:{step}"


def remedial_action_key(action_id: int) -> str:
    return f"remedial_action:{action_id}"


def blocked_key(transfer_id: int) -> str:
    return f"transfer:{transfer_id}:blocked"


class DeadlineRow(NamedTuple):
    """A deadline as the sweep reads it."""

    transfer_id: int
    step: str
    name: str
    due: dt.date | None
    actual: dt.date | None
    standing: bool


@dataclass
class Gathered:
    """The work and, by key, the records each piece came from (for messages, links and recipients)."""

    work: list[Work] = field(default_factory=list)
    transfers: dict[int, Transfer] = field(default_factory=dict)
    deadlines: dict[str, DeadlineRow] = field(default_factory=dict)
    remedial_actions: dict[str, RemedialAction] = field(default_factory=dict)
    escalations: dict[str, Escalation] = field(default_factory=dict)
    transfer_of: dict[str, int] = field(default_factory=dict)

    def by_protocol(self, protocol_of) -> list[tuple[object, list[Work]]]:
        """The work grouped by the protocol version each transfer runs under (calendar and ladder differ)."""
        protocols: dict[str, object] = {}
        groups: dict[str, list[Work]] = defaultdict(list)
        for item in self.work:
            protocol = protocol_of(self.transfers[self.transfer_of[item.key]])
            protocols.setdefault(protocol.sha256, protocol)
            groups[protocol.sha256].append(item)
        return [(protocols[sha], work) for sha, work in groups.items()]


def _open_escalation(escalations: list[Escalation]) -> OpenEscalation | None:
    if not escalations:
        return None
    top = max(escalations, key=lambda e: (e.level, e.opened_at, e.pk))
    return OpenEscalation(level=top.level, moves_on=top.due, key=top.key or f"escalation:{top.pk}")


RELATIONS = (
    "child__authority",
    "from_team__service",
    "to_team",
    "to_service",
    "from_allocation__worker",
    "receiving_worker",
)


def with_relations(gathered: Gathered, transfer_ids) -> None:
    """Fetch the teams, services and workers of the transfers about to be acted on (messages, recipients),
    in one query, instead of for every transfer judged."""
    wanted = [pk for pk in set(transfer_ids) if pk in gathered.transfers]
    if wanted:
        gathered.transfers.update(Transfer.objects.select_related(*RELATIONS).in_bulk(wanted))


def gather_work(
    *, authority: Authority, today: dt.date, transfers=None, horizon: dt.date | None = None
) -> Gathered:
    """Every piece of work of `authority`'s open transfers (or of `transfers`, a queryset, for one page), and the
    open escalations whose work is done (to step them down). Reads only. With `horizon`, steps that are done or
    due after it are left out (nothing can be due soon or overdue among them)."""
    open_states = [s.value for s in OPEN_STATES]
    scope = (
        transfers.filter(state__in=open_states)
        if transfers is not None
        else Transfer.objects.filter(pk__in=open_transfer_ids(authority))
    )
    # Only what judging needs; `with_relations` fetches the rest for the few transfers acted on.
    rows = {
        t.pk: t
        for t in scope.select_related("child").defer(
            "situation", "override_reason", "closed_reason", "separation_reason"
        )
    }
    gathered = Gathered(transfers=rows)

    open_escalations: dict[tuple, list[Escalation]] = defaultdict(list)
    # A dispute is decided by people at the level it went to (or withdrawn), not moved on by the sweep.
    escalation_scope = Escalation.objects.filter(resolved_at__isnull=True).exclude(
        subject=Escalation.Subject.DISPUTE
    )
    escalation_scope = (
        escalation_scope.filter(transfer__in=transfers)
        if transfers is not None
        else escalation_scope.filter(transfer__child__authority=authority)  # open escalations are few
    )
    closed_transfers: dict[int, Transfer] = {}
    for escalation in escalation_scope:
        if escalation.subject == Escalation.Subject.STEP:
            work_key = step_key(escalation.transfer_id, escalation.step)
        elif escalation.subject == Escalation.Subject.REMEDIAL_ACTION:
            work_key = remedial_action_key(escalation.remedial_action_id)
        else:
            work_key = blocked_key(escalation.transfer_id)
        open_escalations[work_key].append(escalation)
        gathered.escalations[work_key] = escalation
        if escalation.transfer_id not in rows:
            closed_transfers[escalation.transfer_id] = None
    if closed_transfers:  # escalations still open on transfers that have closed: to step them down
        closed_transfers.update(Transfer.objects.select_related("child").in_bulk(list(closed_transfers)))

    def add(item: Work, transfer_id: int) -> None:
        gathered.work.append(item)
        gathered.transfer_of[item.key] = transfer_id

    seen: set[str] = set()
    # Plain rows, not model instances: the sweep reads thousands and needs only these fields.
    deadline_rows = Deadline.objects.filter(transfer_id__in=rows).exclude(due__isnull=True)
    if horizon is not None:
        # Steps done, or not due until after the reminder window, need nothing from the sweep: leave them in
        # the database, except where an escalation is still open on the step (to step it down).
        escalated = {
            e.transfer_id for e in gathered.escalations.values() if e.subject == Escalation.Subject.STEP
        }
        deadline_rows = deadline_rows.filter(
            Q(actual__isnull=True, due__lte=horizon) | Q(transfer_id__in=escalated)
        )
    for deadline in (
        DeadlineRow(*row)
        for row in deadline_rows.values_list("transfer_id", "step", "name", "due", "actual", "standing")
    ):
        key = step_key(deadline.transfer_id, deadline.step)
        transfer = rows[deadline.transfer_id]
        gathered.deadlines[key] = deadline
        seen.add(key)
        add(
            Work(
                key=key,
                kind=WorkKind.TIMESCALE if deadline.standing else WorkKind.STEP,
                due=deadline.due,
                done=deadline.actual is not None,
                escalation=_open_escalation(open_escalations.get(key, [])),
                # A blocked transfer escalates as blocked; its steps are reminded, not escalated again.
                escalates=not deadline.standing and transfer.state not in HELD_STATES,
            ),
            deadline.transfer_id,
        )

    actions = RemedialAction.objects.filter(transfer_id__in=rows).filter(
        done_at__isnull=True
    ) | RemedialAction.objects.filter(
        pk__in=[e.remedial_action_id for e in gathered.escalations.values() if e.remedial_action_id]
    )
    for action in actions.select_related("owner"):
        key = remedial_action_key(action.pk)
        gathered.remedial_actions[key] = action
        if action.transfer_id not in rows:
            continue  # its transfer closed: stepped down below
        seen.add(key)
        add(
            Work(
                key=key,
                kind=WorkKind.REMEDIAL_ACTION,
                due=action.due,
                done=action.done_at is not None,
                escalation=_open_escalation(open_escalations.get(key, [])),
            ),
            action.transfer_id,
        )

    blocked_ids = [pk for pk, t in rows.items() if t.state in BLOCKED_STATES]
    blocked_on = {
        row["transfer_id"]: timezone.localtime(row["at"]).date()
        for row in TransferEvent.objects.filter(transfer_id__in=blocked_ids, action="block")
        .values("transfer_id")
        .annotate(at=Max("at"))
    }
    for pk in blocked_ids:
        key = blocked_key(pk)
        seen.add(key)
        add(
            Work(
                key=key,
                kind=WorkKind.BLOCKED,
                due=blocked_on.get(pk, today),
                escalation=_open_escalation(open_escalations.get(key, [])),
            ),
            pk,
        )

    # Open escalations whose work is gone (step done and deadline replaced, transfer closed or unblocked):
    # done work, so the plan steps them down.
    for key, escalations in open_escalations.items():
        if key in seen:
            continue
        transfer_id = escalations[0].transfer_id
        gathered.transfers.setdefault(transfer_id, closed_transfers.get(transfer_id) or rows[transfer_id])
        add(
            Work(
                key=key,
                kind=WorkKind.BLOCKED,
                due=None,
                done=True,
                escalation=_open_escalation(escalations),
            ),
            transfer_id,
        )
    return gathered
