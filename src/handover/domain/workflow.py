"""The transfer state machine: states, transitions, who may take each, and what each needs first.

Pure Python (no Django): the records layer asks `check(...)` before every transition and records what it says.
A refused transition raises `TransitionRefused` naming the rule that refused it; nothing is ever ignored.

The states are general to case transfer; what is authority-specific (which route a pathway takes, the
escalation ladder) comes from the protocol file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from handover.domain.errors import Refusal
from handover.domain.roles import MANAGERS, SENIOR, SENIORITY, RoleName


class State(StrEnum):
    PROPOSED = "proposed"
    LISTED = "listed"  # on the early warning sheet for the weekly transfer meeting
    AT_PANEL = "at_panel"  # with the Legal Gateway Panel (or another panel)
    AWAITING_AGREEMENT = "awaiting_agreement"  # managers agreeing by phone
    AGREED = "agreed"
    WORKER_IDENTIFIED = "worker_identified"
    HANDOVER_HELD = "handover_held"
    TRANSFERRED = "transferred"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    BLOCKED = "blocked"
    ESCALATED = "escalated"
    DISPUTED = "disputed"  # declined by the receiving managers: the protocol's ladder decides (D-030, C-008)
    REFERRAL_SENT = "referral_sent"  # to another authority, in writing; waiting for its receipt (D-187)


FINAL_STATES = frozenset({State.TRANSFERRED, State.DECLINED, State.WITHDRAWN})
OPEN_STATES = frozenset(State) - FINAL_STATES
# States a transfer can be blocked from, and so return to when the block is resolved.
BLOCKABLE = frozenset(
    {
        State.LISTED,
        State.AT_PANEL,
        State.AWAITING_AGREEMENT,
        State.AGREED,
        State.WORKER_IDENTIFIED,
        State.HANDOVER_HELD,
        State.REFERRAL_SENT,
    }
)


class Side(StrEnum):
    """Whose side of the transfer an actor must be on."""

    SENDING = "sending"
    RECEIVING = "receiving"
    EITHER = "either"
    LADDER = "ladder"  # the role at (or above) the transfer's current escalation level


class Action(StrEnum):
    LIST = "list"
    REFER_TO_PANEL = "refer_to_panel"
    REQUEST_AGREEMENT = "request_agreement"
    AGREE = "agree"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    IDENTIFY_WORKER = "identify_worker"
    RECORD_HANDOVER = "record_handover"
    COMPLETE = "complete"
    BLOCK = "block"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    ACCEPT_DECLINE = "accept_decline"
    UPHOLD_DECLINE = "uphold_decline"
    OVERRULE_DECLINE = "overrule_decline"
    REFER_DISPUTE_UP = "refer_dispute_up"
    SEND_REFERRAL = "send_referral"
    CONFIRM_RECEIPT = "confirm_receipt"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State | None  # None: back to the state the transfer was blocked from
    roles: frozenset[str]
    side: Side
    needs_reason: bool = False
    route_kind: str | None = None  # the pathway's route kind this transition belongs to
    description: str = ""
    label: str = ""  # what a button offering it says; pages and the API take it from here
    by_sweep: bool = False  # the sweep may take it when the protocol's timings say so (no person acts)
    needs_ready: bool = False  # refused while a blocking readiness item or sign-off is missing


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.LIST,
            frozenset({State.PROPOSED}),
            State.LISTED,
            MANAGERS | {RoleName.BUSINESS_SUPPORT},
            Side.SENDING,
            route_kind="transfer_meeting",
            description="put on the early warning sheet for the transfer meeting",
            label="Put on the early warning sheet",
        ),
        Transition(
            Action.REFER_TO_PANEL,
            frozenset({State.PROPOSED}),
            State.AT_PANEL,
            MANAGERS,
            Side.SENDING,
            route_kind="panel",
            description="present to the panel that decides",
            label="Refer to the panel",
        ),
        Transition(
            Action.REQUEST_AGREEMENT,
            frozenset({State.PROPOSED}),
            State.AWAITING_AGREEMENT,
            MANAGERS,
            Side.SENDING,
            route_kind="manager_agreement",
            description="ask the receiving managers to agree",
            label="Ask the receiving managers to agree",
        ),
        # To another authority (route kind another_authority): no one there signs in, so the sending managers
        # record the referral sent with its documents, once the file is ready (D-185), and then the other
        # authority's confirmation of receipt, which is the protocol's point of transfer (D-187).
        Transition(
            Action.SEND_REFERRAL,
            frozenset({State.PROPOSED}),
            State.REFERRAL_SENT,
            MANAGERS,
            Side.SENDING,
            route_kind="another_authority",
            description="record the referral sent in writing to the other authority, with its documents",
            label="Record the referral sent",
            needs_ready=True,
        ),
        Transition(
            Action.CONFIRM_RECEIPT,
            frozenset({State.REFERRAL_SENT}),
            State.TRANSFERRED,
            MANAGERS,
            Side.SENDING,
            route_kind="another_authority",
            description="record the other authority's confirmation of receipt: the case closes here",
            label="Record the confirmation of receipt",
            needs_ready=True,
        ),
        Transition(
            Action.AGREE,
            frozenset({State.PROPOSED, State.LISTED, State.AT_PANEL, State.AWAITING_AGREEMENT}),
            State.AGREED,
            MANAGERS,
            Side.RECEIVING,
            description="agree the transfer, the receiving team and the transfer date",
            label="Agree the transfer",
        ),
        # A decline is a dispute, not an end: it goes to the level of the protocol's ladder above the managers
        # who disagree, which upholds or overrules it; or the sending managers accept it.
        Transition(
            Action.DECLINE,
            frozenset({State.PROPOSED, State.LISTED, State.AT_PANEL, State.AWAITING_AGREEMENT}),
            State.DISPUTED,
            MANAGERS,
            Side.RECEIVING,
            needs_reason=True,
            description="decline the transfer, with the reason (the protocol's ladder then decides)",
            label="Decline the transfer",
        ),
        Transition(
            Action.ACCEPT_DECLINE,
            frozenset({State.DISPUTED}),
            State.DECLINED,
            MANAGERS,
            Side.SENDING,
            description="accept the decline: the transfer does not go ahead",
            label="Accept the decline",
        ),
        Transition(
            Action.UPHOLD_DECLINE,
            frozenset({State.DISPUTED}),
            State.DECLINED,
            MANAGERS | SENIOR,
            Side.LADDER,
            needs_reason=True,
            description="uphold the decline at this level of the ladder: the transfer does not go ahead",
            label="Uphold the decline",
        ),
        Transition(
            Action.OVERRULE_DECLINE,
            frozenset({State.DISPUTED}),
            None,
            MANAGERS | SENIOR,
            Side.LADDER,
            needs_reason=True,
            description="overrule the decline at this level of the ladder: the transfer goes ahead",
            label="Overrule the decline",
        ),
        # C-008: "if the Practice Managers are unable to secure agreement, the matter will be escalated to the
        # respective Heads of Service": the level holding the dispute (or above) refers it to the next level.
        Transition(
            Action.REFER_DISPUTE_UP,
            frozenset({State.DISPUTED}),
            State.DISPUTED,
            MANAGERS | SENIOR,
            Side.LADDER,
            needs_reason=True,
            description="refer the dispute to the next level of the ladder, saying why this level cannot decide",
            label="Refer the dispute up the ladder",
        ),
        Transition(
            Action.WITHDRAW,
            frozenset(OPEN_STATES),
            State.WITHDRAWN,
            MANAGERS,
            Side.SENDING,
            needs_reason=True,
            description="withdraw the proposal, with the reason",
            label="Withdraw the transfer",
        ),
        Transition(
            Action.IDENTIFY_WORKER,
            frozenset({State.AGREED}),
            State.WORKER_IDENTIFIED,
            MANAGERS,
            Side.RECEIVING,
            description="name the receiving worker",
            label="Name the receiving worker",
        ),
        Transition(
            Action.RECORD_HANDOVER,
            frozenset({State.WORKER_IDENTIFIED}),
            State.HANDOVER_HELD,
            MANAGERS | {RoleName.SOCIAL_WORKER, RoleName.PERSONAL_ADVISER},
            Side.EITHER,
            description="record that the handover meeting was held",
            label="Record the handover meeting",
        ),
        Transition(
            Action.COMPLETE,
            frozenset({State.HANDOVER_HELD}),
            State.TRANSFERRED,
            frozenset({RoleName.TEAM_MANAGER}),
            Side.RECEIVING,
            description="transfer: end the old allocation and start the new one",
            label="Complete the transfer",
            needs_ready=True,
        ),
        Transition(
            Action.BLOCK,
            BLOCKABLE,
            State.BLOCKED,
            MANAGERS,
            Side.EITHER,
            needs_reason=True,
            description="record that the transfer is blocked, with the reason",
            label="Record that the transfer is blocked",
        ),
        Transition(
            Action.ESCALATE,
            frozenset({State.BLOCKED, State.ESCALATED}),
            State.ESCALATED,
            MANAGERS | SENIOR,
            Side.EITHER,
            needs_reason=True,
            description="escalate to the next level of the ladder",
            label="Escalate",
            by_sweep=True,
        ),
        Transition(
            Action.RESOLVE,
            frozenset({State.BLOCKED, State.ESCALATED}),
            None,
            MANAGERS | SENIOR,
            Side.LADDER,
            needs_reason=True,
            description="resolve the block and carry on where the transfer stopped",
            label="Resolve the block",
        ),
    )
}


class TransitionRefused(Refusal):
    """A transition that may not be taken. `rule` names the rule that refused it."""

    def __init__(self, rule: str, message: str):
        # The rule is kept for support (the API returns it beside the message), out of what a person reads.
        self.rule = rule
        super().__init__(message)


@dataclass(frozen=True)
class Actor:
    """Who is acting: their roles on each side of this transfer, and any senior roles they hold."""

    sending_roles: frozenset[str] = frozenset()
    receiving_roles: frozenset[str] = frozenset()
    other_roles: frozenset[str] = frozenset()  # roles held in neither team (e.g. service manager)

    @property
    def all_roles(self) -> frozenset[str]:
        return self.sending_roles | self.receiving_roles | self.other_roles


def check(
    action: Action | str,
    *,
    state: State | str,
    actor: Actor,
    route_kind: str,
    reason: str = "",
    ladder_role: str | None = None,
    ladder_roles_above: Collection[str] = (),
    blockers: Mapping[str, str] | None = None,
    by_sweep: bool = False,
) -> State | None:
    """Return the target state if `actor` may take `action` now, else raise TransitionRefused.

    `blockers` maps unmet preconditions (blocking readiness items, missing sign-offs) to their description;
    any blocker refuses a transition that `needs_ready` (completing, or sending a referral out). `ladder_role` is the role the transfer is escalated to; it and the roles
    above it on the ladder (`ladder_roles_above`) may resolve an escalated transfer. `by_sweep`: the sweep
    acts, not a person, which only a transition marked `by_sweep` allows (then no role is asked for).
    """
    try:
        action = Action(action)
    except ValueError:
        raise TransitionRefused("workflow.unknown_action", f"there is no action {action!r}") from None
    state = State(state)
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        allowed = ", ".join(sorted(s.value for s in transition.sources))
        raise TransitionRefused(
            f"workflow.{action.value}.from_state",
            f"cannot {action.value.replace('_', ' ')} a transfer that is {state.value} (only from: {allowed})",
        )
    if transition.route_kind is not None and transition.route_kind != route_kind:
        raise TransitionRefused(
            f"workflow.{action.value}.route",
            f"this transfer's route is {route_kind.replace('_', ' ')}, so it cannot {transition.description}",
        )
    if action is Action.AGREE and state is State.PROPOSED and route_kind != "direct":
        raise TransitionRefused(
            "workflow.agree.route",
            f"a transfer whose route is {route_kind.replace('_', ' ')} is agreed there, not directly from proposed",
        )
    if by_sweep and not transition.by_sweep:
        raise TransitionRefused(
            f"workflow.{action.value}.by_sweep", f"only a person can {transition.description}"
        )
    if not by_sweep:
        _check_actor(transition, actor, state, ladder_role, ladder_roles_above)
    if transition.needs_reason and not reason.strip():
        raise TransitionRefused(f"workflow.{action.value}.reason", f"a reason is required to {action.value}")
    if transition.needs_ready and blockers:
        listed = "; ".join(blockers.values())
        raise TransitionRefused(f"workflow.{action.value}.readiness", f"the transfer is not ready: {listed}")
    return transition.target


def _check_actor(
    transition: Transition,
    actor: Actor,
    state: State,
    ladder_role: str | None,
    ladder_roles_above: Collection[str],
) -> None:
    rule = f"workflow.{transition.action.value}.role"
    wanted = ", ".join(sorted(r.replace("_", " ") for r in transition.roles))
    if transition.side is Side.LADDER:
        if state is State.DISPUTED and ladder_role is None:
            raise TransitionRefused(rule, "the protocol has no escalation ladder to decide the dispute")
        if state is State.BLOCKED:
            # Before escalation, the managers of either team can resolve it between them.
            if (actor.sending_roles | actor.receiving_roles) & MANAGERS:
                return
            raise TransitionRefused(
                rule, "only a team manager or practice manager of either team can resolve a block"
            )
        allowed = {ladder_role, *ladder_roles_above} - {None}
        if actor.all_roles & allowed:
            return
        raise TransitionRefused(
            rule,
            f"this escalation sits with the {str(ladder_role).replace('_', ' ')}; only that level or above can resolve it",
        )
    if transition.action is Action.ESCALATE and actor.other_roles & SENIOR:
        return
    if transition.side is Side.SENDING:
        held = actor.sending_roles
        where = "the sending team"
    elif transition.side is Side.RECEIVING:
        held = actor.receiving_roles
        where = "the receiving service"
    else:
        held = actor.sending_roles | actor.receiving_roles
        where = "the sending or receiving team"
    if not held & transition.roles:
        raise TransitionRefused(rule, f"only a {wanted} in {where} can {transition.description}")


def available_actions(
    *,
    state: State | str,
    actor: Actor,
    route_kind: str,
    ladder_role: str | None = None,
    ladder_roles_above=(),
) -> list[Action]:
    """The actions this actor could take now (reasons and readiness aside), for showing only those."""
    out = []
    for action in TRANSITIONS:
        try:
            check(
                action,
                state=state,
                actor=actor,
                route_kind=route_kind,
                reason="(any)",
                ladder_role=ladder_role,
                ladder_roles_above=ladder_roles_above,
            )
        except TransitionRefused:
            continue
        out.append(action)
    return out


def dispute_level(ladder_roles: Sequence[str], disagreeing_roles: Iterable[str]) -> int:
    """The level of the ladder (1-based) a dispute between managers goes to: the first whose role is senior to
    every manager's role in the dispute (Central Bedfordshire C-008: between team managers, first to the
    practice managers; Dorset D-030: to the service manager); the top level if none is."""
    rank = {role.value: n for role, n in SENIORITY.items()}
    held = max((rank.get(str(r), 0) for r in disagreeing_roles), default=0)
    for level, role in enumerate(ladder_roles, start=1):
        if rank.get(str(role), 0) > held:
            return level
    return len(ladder_roles)
