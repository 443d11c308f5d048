"""What to do next: for each open transfer that touches a person, what it needs from them now, in words, with the
page where they do it (My work's "Transfers waiting on me", grouped by that need).

A need is offered only where the rulebook lets this person meet it, so no row leads to a form that refuses:
- a workflow step only if it is among `transfer_available_actions`; a step that needs the file ready (completing,
  sending a referral out) only once nothing blocks it, and until then the row says what it waits for and opens
  the transfer, where the checklist is;
- the summary, a sign-off or the acknowledgement of an escalation only if `access.may` says so, a checklist
  confirmation only if `access.may_confirm_item` does, and a document only if they may change the child's record.

Work that sits with someone in particular is theirs, not everyone's who may do it: the file (documents, the
summary, the worker's confirmations) is the outgoing worker's, or the sending managers' where no worker holds the
case; the handover meeting is the two workers' to record; an escalation or a dispute is for the role of the
ladder's level it sits at. Options that are always open (withdrawing, recording a block, declining, escalating)
are not needs: they are offered beside the need they are an alternative to, and on the transfer's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Q
from django.urls import reverse

from handover.children.access import may_take_record_action, with_relation_data
from handover.children.models import SUMMARY_DOCUMENT_TYPE, Child
from handover.documents.models import TransferSummary
from handover.domain.roles import CASE_HOLDERS, MANAGERS
from handover.domain.rulebook import RecordAction, TransferWrite
from handover.domain.sweep import Standing
from handover.domain.workflow import OPEN_STATES, TRANSITIONS, Action, State, TransitionRefused
from handover.organisation import access
from handover.organisation.access import current_memberships, visible_child_of
from handover.organisation.models import StaffMember
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers import selectors as transfer_selectors
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer
from handover.transfers.selectors import Due, role_words
from handover.transfers.transfer_out import ROUTE_KIND as OUTWARD


class Need(StrEnum):
    """What a row asks of the person, in the order they would tackle it (overdue work first, then this order):
    escalated and disputed work, then the transfer's own steps as it moves, then the file."""

    ACKNOWLEDGE = "acknowledge"
    DECIDE_DISPUTE = "decide_dispute"
    RESOLVE_ESCALATION = "resolve_escalation"
    RESOLVE_BLOCK = "resolve_block"
    ACCEPT_DECLINE = "accept_decline"
    LIST = "list"
    REFER_TO_PANEL = "refer_to_panel"
    REQUEST_AGREEMENT = "request_agreement"
    AGREE = "agree"
    IDENTIFY_WORKER = "identify_worker"
    RECORD_HANDOVER = "record_handover"
    COMPLETE = "complete"
    SEND_REFERRAL = "send_referral"
    CONFIRM_RECEIPT = "confirm_receipt"
    WRITE_SUMMARY = "write_summary"
    AUTHORISE_SUMMARY = "authorise_summary"
    ADD_DOCUMENT = "add_document"
    CONFIRM = "confirm"
    SIGN_OFF = "sign_off"


HEADINGS = {
    Need.ACKNOWLEDGE: "Acknowledge the escalation",
    Need.DECIDE_DISPUTE: "Decide the dispute",
    Need.RESOLVE_ESCALATION: "Resolve the escalation",
    Need.RESOLVE_BLOCK: "Resolve the block",
    Need.ACCEPT_DECLINE: "Accept the decline, or wait for the decision",
    Need.LIST: "Put on the early warning sheet",
    Need.REFER_TO_PANEL: "Refer to the panel",
    Need.REQUEST_AGREEMENT: "Ask the receiving managers to agree",
    Need.AGREE: "Agree the receiving team and date",
    Need.IDENTIFY_WORKER: "Name the receiving worker",
    Need.RECORD_HANDOVER: "Record the handover meeting",
    Need.COMPLETE: "Complete the transfer",
    Need.SEND_REFERRAL: "Record the referral sent",
    Need.CONFIRM_RECEIPT: "Record the confirmation of receipt",
    Need.WRITE_SUMMARY: "Write the transfer summary",
    Need.AUTHORISE_SUMMARY: "Authorise the transfer summary",
    Need.ADD_DOCUMENT: "Add to the child's file: readiness is blocked",
    Need.CONFIRM: "Confirm what the checklist asks",
    Need.SIGN_OFF: "Sign off the file audit",
}
ORDER = {need: n for n, need in enumerate(Need)}

# The steps that move a transfer on, each the need it meets.
FORWARD = {
    Action.LIST: Need.LIST,
    Action.REFER_TO_PANEL: Need.REFER_TO_PANEL,
    Action.REQUEST_AGREEMENT: Need.REQUEST_AGREEMENT,
    Action.AGREE: Need.AGREE,
    Action.IDENTIFY_WORKER: Need.IDENTIFY_WORKER,
    Action.RECORD_HANDOVER: Need.RECORD_HANDOVER,
    Action.COMPLETE: Need.COMPLETE,
    Action.SEND_REFERRAL: Need.SEND_REFERRAL,
    Action.CONFIRM_RECEIPT: Need.CONFIRM_RECEIPT,
}
# An option offered beside the need it is the alternative to.
ALTERNATIVES = {Action.AGREE: (Action.DECLINE,), Action.RESOLVE: (Action.ESCALATE,)}
DECIDING = (Action.UPHOLD_DECLINE, Action.OVERRULE_DECLINE, Action.REFER_DISPUTE_UP)
# The file audits are signed off once the receiving worker is named and the handover is near (D-183); a
# referral to another authority is audited before it is sent (D-185).
AUDITED_FROM = frozenset({State.WORKER_IDENTIFIED, State.HANDOVER_HELD})
SIGN_OFFS = {
    SignOffKind.SENDING_AUDIT: TransferWrite.SIGN_OFF_SENDING,
    SignOffKind.RECEIVING_AUDIT: TransferWrite.SIGN_OFF_RECEIVING,
}
_SEVERITY = {Standing.OVERDUE: 0, Standing.DUE_SOON: 1, None: 2}


@dataclass(frozen=True)
class Step:
    """One thing a transfer needs from the person: `words` link to `url` (the page where it is done) when there
    is one; `choices` are the other pages that meet it (or the alternatives to it); `detail` says more."""

    transfer: Transfer
    need: Need
    words: str
    url: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Row:
    """A step on one transfer, or the same step on siblings' transfers proposed together (one sibling group)."""

    need: Need
    steps: tuple[Step, ...]
    standing: Standing | None
    next_due: Due

    @property
    def siblings(self) -> bool:
        return len(self.steps) > 1

    @property
    def words(self) -> str:
        return self.steps[0].words

    @property
    def transfer(self) -> Transfer:
        return self.steps[0].transfer


@dataclass(frozen=True)
class Group:
    need: Need
    rows: list[Row] = field(default_factory=list)
    total: int = 0  # rows of this need in all, where `rows` holds only the first few (`shortened`)

    @property
    def heading(self) -> str:
        return HEADINGS[self.need]

    @property
    def count(self) -> int:
        """Rows of this need in all, shown or not."""
        return max(self.total, len(self.rows))

    @property
    def more(self) -> int:
        """Rows of this need not shown (see all of them with `?need=`)."""
        return max(self.total - len(self.rows), 0)

    def shortened(self, shown: int) -> Group:
        """The group with its `shown` most pressing rows (they are sorted so), counting the rest."""
        return Group(self.need, self.rows[:shown], total=len(self.rows))

    @property
    def standing(self) -> Standing | None:
        return min((r.standing for r in self.rows), key=lambda s: _SEVERITY[s], default=None)


# -- which transfers touch the person --------------------------------------------------------------------------


def candidate_transfers(staff: StaffMember):
    """Open transfers of children this person may see that may need something from them: to or from their
    teams or services, where they are the outgoing or receiving worker, or with an open escalation or dispute
    sitting with one of their roles. Fetched with what the needs are worked out from."""
    memberships = current_memberships(staff)
    teams = [m.team_id for m in memberships if m.team_id]
    services_ = [m.service_id for m in memberships if m.service_id]
    roles = {m.role for m in memberships}
    mine = (
        Q(receiving_worker=staff)
        | Q(from_allocation__worker=staff)
        | Q(escalations__resolved_at__isnull=True, escalations__role__in=roles)
    )
    if not roles or not roles <= CASE_HOLDERS:
        mine |= (
            Q(from_team_id__in=teams)
            | Q(to_team_id__in=teams)
            | Q(to_service__teams__in=teams, to_team__isnull=True)
            | Q(to_service_id__in=services_)
            | Q(from_team__service_id__in=services_)
        )
    # else: a case holder's work on a transfer is only ever as one of its two workers (the file is the outgoing
    # worker's; the handover meeting, recorded once the receiving worker is named, the two workers') or an
    # escalation sitting with their role. Their team's other transfers ask nothing of them, and judging each
    # one cost a busy team's workers most of My work's time (issue 14: 595 transfers judged, about 100 theirs).
    return (
        Transfer.objects.filter(
            visible_child_of(staff, Child.objects.all()), state__in=[s.value for s in OPEN_STATES]
        )
        .filter(mine)
        .distinct()
        .select_related(
            "child__authority",
            "from_team__service",
            "to_service",
            "to_team",
            "from_allocation__worker",
            "receiving_worker",
        )
        .prefetch_related(
            "deadlines",
            "sign_offs",
            "confirmations",
            "summaries",
            *with_relation_data("child__"),
            services.with_readiness_data("child__"),
        )
    )


def unacknowledged_escalations(staff: StaffMember) -> dict[int, list]:
    """Open escalations not yet acknowledged, by transfer, of those the escalations page shows this person."""
    found: dict[int, list] = {}
    for escalation in transfer_selectors.open_escalations(staff).filter(acknowledged_at__isnull=True):
        found.setdefault(escalation.transfer_id, []).append(escalation)
    return found


# -- what one transfer needs from the person --------------------------------------------------------------------


def _available_actions(staff: StaffMember, transfer: Transfer) -> list[Action]:
    """`transfer_available_actions`, which refuses (rather than leaves out) the handover to a case holder who is
    neither of its two workers: the one action such a person could have had, so they have none here."""
    try:
        return services.transfer_available_actions(staff, transfer)
    except TransitionRefused:
        return []


def _action_url(transfer: Transfer, action: Action) -> str:
    if (
        TRANSITIONS[action].route_kind == OUTWARD
    ):  # to another authority: its own page (the referral's inputs)
        return reverse(f"web:transfer_{action.value}", args=[transfer.pk])
    return reverse("web:transfer_action", args=[transfer.pk, action.value])


def _choices(transfer: Transfer, actions: Iterable[Action]) -> tuple[tuple[str, str], ...]:
    return tuple((TRANSITIONS[a].label, _action_url(transfer, a)) for a in actions)


def _ladder_role(protocol, transfer: Transfer) -> str | None:
    """The role the transfer's escalation or dispute sits with now (its level of the ladder), if any."""
    ladder = protocol.file.escalation
    if not transfer.escalation_level or transfer.escalation_level > len(ladder):
        return None
    return ladder[transfer.escalation_level - 1].who.value


def _in_sentence(name: str) -> str:
    """A name as it reads mid-sentence: "Chronology" → "chronology", but "Child and Family Assessment (MAA)"
    and "CSE screening assessment" keep their capitals."""
    first, _, rest = name.partition(" ")
    if first[1:2].islower() and not any(c.isupper() for c in rest):
        return name[:1].lower() + name[1:]
    return name


def _in_the_handover(staff: StaffMember, transfer: Transfer) -> bool:
    """The handover meeting is the two workers' to record (a manager of either team may, from the transfer's page,
    and is asked here only where neither worker is named)."""
    allocation = transfer.from_allocation
    workers = {transfer.receiving_worker_id, allocation.worker_id if allocation is not None else None} - {
        None
    }
    return staff.pk in workers or not workers


def _waiting_words(blockers: list[str], shown: int = 3) -> str:
    """What a step waits for, the first few in full; the transfer's checklist has them all."""
    more = len(blockers) - shown
    listed = "; ".join(blockers[:shown])
    return f"Waiting for: {listed}" + (f"; and {more} more on the checklist." if more > 0 else ".")


def transfer_steps(
    staff: StaffMember,
    transfer: Transfer,
    *,
    today: dt.date,
    escalations: Iterable = (),
) -> list[Step]:
    """What `transfer` needs from `staff` now, most pressing first (see the module's docstring)."""
    protocol = protocol_for_transfer(transfer)
    actor = access.actor_on_transfer(staff, transfer)
    actions = set(_available_actions(staff, transfer))
    transfer_url = reverse("web:transfer", args=[transfer.pk])
    steps: list[Step] = []

    for escalation in escalations:
        if escalation.role in actor.all_roles and access.may(
            staff, TransferWrite.ESCALATION_ACKNOWLEDGE, transfer, escalation=escalation
        ):
            steps.append(
                Step(transfer, Need.ACKNOWLEDGE, "Acknowledge the escalation", reverse("web:escalations"))
            )
            break

    sits_with_me = _ladder_role(protocol, transfer) in actor.all_roles
    state = State(transfer.state)
    if state is State.DISPUTED:
        deciding = [a for a in DECIDING if a in actions]
        if deciding and sits_with_me:
            steps.append(
                Step(
                    transfer, Need.DECIDE_DISPUTE, "Decide the dispute:", choices=_choices(transfer, deciding)
                )
            )
        elif Action.ACCEPT_DECLINE in actions:
            who = role_words(_ladder_role(protocol, transfer) or "").lower()
            steps.append(
                Step(
                    transfer,
                    Need.ACCEPT_DECLINE,
                    "Accept the decline",
                    _action_url(transfer, Action.ACCEPT_DECLINE),
                    detail=f"Or wait for the {who} to decide." if who else "",
                )
            )
    if Action.RESOLVE in actions and (state is State.BLOCKED or sits_with_me):
        need = Need.RESOLVE_BLOCK if state is State.BLOCKED else Need.RESOLVE_ESCALATION
        steps.append(
            Step(
                transfer,
                need,
                HEADINGS[need],
                _action_url(transfer, Action.RESOLVE),
                _choices(transfer, [a for a in ALTERNATIVES[Action.RESOLVE] if a in actions]),
            )
        )

    for action, need in FORWARD.items():
        if action not in actions or (
            action is Action.RECORD_HANDOVER and not _in_the_handover(staff, transfer)
        ):
            continue
        if TRANSITIONS[action].needs_ready and (waiting := services.completion_blockers(transfer, today)):
            # The form would refuse: say what it waits for, and open the transfer's checklist instead.
            steps.append(
                Step(
                    transfer,
                    need,
                    f"{HEADINGS[need]} once the file is ready",
                    transfer_url,
                    detail=_waiting_words(list(waiting.values())),
                )
            )
            continue
        alternatives = [a for a in ALTERNATIVES.get(action, ()) if a in actions]
        steps.append(
            Step(
                transfer,
                need,
                HEADINGS[need],
                _action_url(transfer, action),
                _choices(transfer, alternatives),
            )
        )

    if state is not State.DISPUTED:  # while the decline is disputed the transfer may not go ahead
        steps += _file_steps(staff, transfer, protocol, actor, today=today, transfer_url=transfer_url)
    return _one_row_for_the_confirmations(steps)


def _one_row_for_the_confirmations(steps: list[Step]) -> list[Step]:
    """Several checklist items to confirm on one transfer are one row naming them (all are confirmed on its
    page), so My work stays a list of things to do rather than a copy of each checklist."""
    confirms = [s for s in steps if s.need is Need.CONFIRM]
    if len(confirms) < 2:
        return steps
    names = [s.words.removeprefix("Confirm: ") for s in confirms]
    merged = Step(
        confirms[0].transfer,
        Need.CONFIRM,
        f"Confirm {len(confirms)} checklist items",
        confirms[0].url,
        detail="; ".join(names) + ".",
    )
    return [s for s in steps if s.need is not Need.CONFIRM] + [merged]


def _file_steps(
    staff, transfer: Transfer, protocol, actor, *, today: dt.date, transfer_url: str
) -> list[Step]:
    """The file's work: the checklist's blocking items still missing, and the audits, for whoever they are for."""
    allocation = transfer.from_allocation
    worker_id = allocation.worker_id if allocation is not None else None
    sending_managers = bool(actor.sending_roles & MANAGERS)
    # The file is the outgoing worker's to prepare, or the sending managers' where no worker holds the case.
    owns_file = worker_id == staff.pk or (worker_id is None and sending_managers)
    if not (owns_file or sending_managers or actor.receiving_roles & MANAGERS):
        return []
    steps: list[Step] = []
    specs = {c.spec.id: c.spec for c in protocol.readiness}
    for item in services.transfer_readiness(transfer, on=today, protocol=protocol).blocking:
        requires = specs[item.id].requires
        if requires.confirmed_by is not None:
            role = requires.confirmed_by.value
            if role in CASE_HOLDERS:
                theirs = owns_file
            elif role in MANAGERS:
                theirs = sending_managers
            else:
                theirs = role in (actor.sending_roles | actor.receiving_roles)
            if theirs and access.may_confirm_item(staff, transfer, role):
                steps.append(Step(transfer, Need.CONFIRM, f"Confirm: {item.name}", transfer_url))
        elif requires.document == SUMMARY_DOCUMENT_TYPE:
            drafted = any(s.status == TransferSummary.Status.DRAFT for s in transfer.summaries.all())
            url = reverse("web:transfer_summary", args=[transfer.pk])
            if drafted and access.may(staff, TransferWrite.SUMMARY_AUTHORISE, transfer):
                steps.append(Step(transfer, Need.AUTHORISE_SUMMARY, HEADINGS[Need.AUTHORISE_SUMMARY], url))
            elif not drafted and owns_file and access.may(staff, TransferWrite.SUMMARY_DRAFT, transfer):
                steps.append(Step(transfer, Need.WRITE_SUMMARY, HEADINGS[Need.WRITE_SUMMARY], url))
        elif owns_file and may_take_record_action(staff, transfer.child, RecordAction.CHANGE, today):
            wanted = [requires.document] if requires.document else list(requires.any_document)
            names = " or the ".join(_in_sentence(protocol.document_types[d].name) for d in wanted)
            verb = "Update" if item.status == "stale" else "Add"
            steps.append(
                Step(
                    transfer,
                    Need.ADD_DOCUMENT,
                    f"{verb} the {names}: readiness is blocked",
                    reverse("web:document_new", args=[transfer.child_id])
                    + (f"?type={wanted[0]}" if len(wanted) == 1 else ""),
                    detail=item.detail[:1].upper() + item.detail[1:] + ".",
                )
            )
    outward = transfer.route_kind == OUTWARD
    if State(transfer.state) in AUDITED_FROM or (outward and transfer.state == State.PROPOSED):
        signed = {s.kind for s in transfer.sign_offs.all()}
        for kind, write in SIGN_OFFS.items():
            if outward and kind is not SignOffKind.SENDING_AUDIT:
                continue  # no one at the other authority signs in here to audit the file
            if kind.value not in signed and access.may(staff, write, transfer):
                steps.append(
                    Step(
                        transfer,
                        Need.SIGN_OFF,
                        f"Sign off: {kind.label[:1].lower()}{kind.label[1:]}",
                        transfer_url,
                    )
                )
    return steps


# -- grouped for the page ---------------------------------------------------------------------------------------


def next_due(staff: StaffMember, transfer: Transfer, today: dt.date) -> Due:
    """The transfer's soonest open timeline step (its prefetched deadlines), in working days."""
    upcoming = [d.due for d in transfer.deadlines.all() if d.due and not d.actual and not d.standing]
    return transfer_selectors.due(staff, min(upcoming) if upcoming else None, today, transfer)


def grouped(
    steps: Iterable[Step], *, standing_of: Callable[[Transfer], Standing | None], due_of: Callable
) -> list[Group]:
    """Rows grouped by need: the same step on siblings proposed together (one sibling group) is one row naming
    them; groups with overdue work first, then due soon, then in the order of `Need`; rows likewise, soonest
    first."""
    rows: dict[tuple, list[Step]] = {}
    for step in steps:
        group = step.transfer.sibling_group
        key = (
            (step.need, step.words, group) if group else (step.need, step.words, "transfer", step.transfer.pk)
        )
        rows.setdefault(key, []).append(step)
    groups: dict[Need, Group] = {}
    for together in rows.values():
        together.sort(key=lambda s: (s.transfer.child.last_name, s.transfer.child.first_name, s.transfer.pk))
        standings = [standing_of(s.transfer) for s in together]
        dues = [due_of(s.transfer) for s in together]
        dated = [d for d in dues if d.date is not None]
        row = Row(
            need=together[0].need,
            steps=tuple(together),
            standing=min(standings, key=lambda s: _SEVERITY[s]),
            next_due=min(dated, key=lambda d: d.date) if dated else dues[0],
        )
        groups.setdefault(row.need, Group(row.need)).rows.append(row)
    for group in groups.values():
        group.rows.sort(
            key=lambda r: (
                _SEVERITY[r.standing],
                r.next_due.date is None,
                r.next_due.date or dt.date.max,
                r.steps[0].transfer.child.last_name,
                r.steps[0].transfer.child.first_name,
            )
        )
    return sorted(groups.values(), key=lambda g: (_SEVERITY[g.standing], ORDER[g.need]))
