"""Who may do what: pure predicates over a person's relation to a child or standing on a transfer.

The transfer's state machine is in `workflow.py` (its transition table, with its own roles). This module holds
the other rules: writes to the child's record itself (details, documents on file, legal statuses, plans, key
events, involved professionals, closing it), and writes around a transfer (proposing, sign-offs, remedial
actions, the Case Transfer Summary, letters, the meeting's record). The access layer works out a
`ChildRelation` or `Standing` once from the records; services enforce the answer, and pages and the API ask the
same functions what to offer. No Django here.

"Can write" is never enough: a write needs a relation to the child or a standing on the transfer (issue 9).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from handover.domain.errors import Refusal
from handover.domain.registration import Registration
from handover.domain.roles import CASE_HOLDERS, MANAGERS, NO_CHILD_ACCESS, READ_ONLY, SENIOR, RoleName

READ_ONLY_HERE = READ_ONLY | NO_CHILD_ACCESS


class RecordAction(StrEnum):
    CHANGE = "change"  # details, documents, legal statuses, plans, key events, professionals
    CLOSE = "close"
    SECONDARY_ALLOCATION = (
        "secondary_allocation"  # start or end a secondary allocation (co-working and the like)
    )


LABELS = {
    RecordAction.CHANGE: "change the child's record",
    RecordAction.CLOSE: "close the child's record",
    RecordAction.SECONDARY_ALLOCATION: "start or end a secondary allocation",
}


@dataclass(frozen=True)
class ChildRelation:
    """A person's relation to one child, on one day."""

    allocated: bool = False  # holds one of the child's open allocations
    holding_team_roles: frozenset[str] = frozenset()  # roles in a team that holds the child
    receiving_team_roles: frozenset[str] = frozenset()  # roles in the receiving side of an open transfer
    senior_roles: frozenset[str] = frozenset()  # senior roles over the child's service or the authority
    open_transfer: bool = False  # the child has an open transfer
    case_team_roles: frozenset[str] = (
        frozenset()
    )  # roles in the team holding the case (the primary allocation)
    providing_team_roles: frozenset[str] = (
        frozenset()
    )  # roles in the team providing a secondary allocation's worker

    @property
    def any_roles(self) -> frozenset[str]:
        return self.holding_team_roles | self.receiving_team_roles | self.senior_roles


class RecordRefused(Refusal):
    """A write to a child's record this person may not make; `rule` names the rule."""

    def __init__(self, rule: str, message: str):
        # The rule is kept for support (the API returns it beside the message), out of what a person reads.
        self.rule = rule
        super().__init__(message)


def record_refusal(action: RecordAction, relation: ChildRelation) -> RecordRefused | None:
    """Why this person may not take `action` on the child's record, or None if they may."""
    if action is RecordAction.CHANGE:
        if relation.allocated or relation.senior_roles:
            return None
        if (relation.holding_team_roles | relation.receiving_team_roles) - READ_ONLY_HERE:
            return None
        return RecordRefused(
            "record.change.relation",
            "only the child's worker, staff of a team that holds the child or is taking it on, or a senior "
            "manager over its service can change the child's record",
        )
    if action is RecordAction.CLOSE:
        if not (relation.holding_team_roles & MANAGERS or relation.senior_roles):
            return RecordRefused(
                "record.close.role",
                "only a team manager or practice manager of the team holding the child, or a senior manager, "
                "can close the child's record",
            )
        if relation.open_transfer:
            return RecordRefused(
                "record.close.open_transfer",
                "the child has an open transfer: finish or withdraw it before closing the record",
            )
        return None
    if action is RecordAction.SECONDARY_ALLOCATION:
        # A co-worker is agreed between the managers (Central Bedfordshire C-029: the team managers decide the
        # co-working): either side's team manager or practice manager, never a read-only role.
        if (relation.case_team_roles | relation.providing_team_roles) & MANAGERS:
            return None
        return RecordRefused(
            "record.secondary_allocation.role",
            "only a team manager or practice manager of the team holding the child's case, or of the team "
            "providing the worker, can start or end a secondary allocation",
        )
    raise RecordRefused("record.unknown_action", f"there is no record action {action!r}")


def may(action: RecordAction, relation: ChildRelation) -> bool:
    return record_refusal(action, relation) is None


def require(action: RecordAction, relation: ChildRelation) -> None:
    refusal = record_refusal(action, relation)
    if refusal is not None:
        raise refusal


# -- writes around a transfer, beyond its state machine (workflow.py) -----------------------------------------


@dataclass(frozen=True)
class Standing:
    """A person's standing on one transfer: their roles on each side (as workflow.Actor has them), every role
    they hold anywhere, and the relations that count for some writes."""

    sending_roles: frozenset[str] = frozenset()
    receiving_roles: frozenset[str] = frozenset()
    held_roles: frozenset[str] = frozenset()  # every role held, in any team
    allocated_worker: bool = False  # holds the allocation the transfer moves the child from
    chairs_meeting: bool = False  # chairs the meeting concerned
    owns_action: bool = False  # owns the remedial action concerned
    holds_escalation: bool = False  # holds the role the escalation concerned sits with (for these services)

    @property
    def either_side(self) -> frozenset[str]:
        return self.sending_roles | self.receiving_roles


class TransferWrite(StrEnum):
    PROPOSE = "propose"
    UPDATE_FACTS = "update_facts"
    SIGN_OFF_SENDING = "sign_off_sending"  # the sending audit (and the summary, by authorising it)
    SIGN_OFF_RECEIVING = "sign_off_receiving"
    REMEDIAL_ACTION = "remedial_action"
    SUMMARY_DRAFT = "summary_draft"
    SUMMARY_AUTHORISE = "summary_authorise"
    LETTERS = "letters"
    MEETING_RECORD = "meeting_record"  # record the meeting's decisions, late additions, compile its sheet
    MEETING_CLOSE = "meeting_close"
    MEETING_ORGANISE = "meeting_organise"  # schedule a sitting, compile its early warning sheet
    REMEDIAL_ACTION_DONE = "remedial_action_done"  # mark a remedial action done, or reopen it
    STEP_DONE = "step_done"  # close a timeline step that the protocol closes by an explicit "done"
    ESCALATION_ACKNOWLEDGE = "escalation_acknowledge"  # "I have this": the escalation is being dealt with
    REFERRAL_BUNDLE = "referral_bundle"  # build the referral to another authority with its documents (D-187)


@dataclass(frozen=True)
class WriteRule:
    allows: object  # Callable[[Standing], bool]
    refusal: str  # why not, for a person who may not


def _bs(standing: Standing) -> bool:
    return RoleName.BUSINESS_SUPPORT in standing.held_roles


WRITES: dict[TransferWrite, WriteRule] = {
    TransferWrite.PROPOSE: WriteRule(
        lambda s: bool(s.sending_roles & MANAGERS or (s.sending_roles & CASE_HOLDERS and s.allocated_worker)),
        "only the allocated worker or a manager of the child's current team can propose a transfer",
    ),
    TransferWrite.UPDATE_FACTS: WriteRule(
        lambda s: bool(s.either_side),
        "only staff of the sending or receiving team can change the transfer's facts",
    ),
    TransferWrite.SIGN_OFF_SENDING: WriteRule(
        lambda s: bool(s.sending_roles & MANAGERS),
        "only a team manager or practice manager of the sending team can sign this off",
    ),
    TransferWrite.SIGN_OFF_RECEIVING: WriteRule(
        lambda s: bool(s.receiving_roles & MANAGERS),
        "only a team manager or practice manager of the receiving team can sign this off",
    ),
    TransferWrite.REMEDIAL_ACTION: WriteRule(
        # D-178: the meeting's remedial actions are recorded by business support.
        lambda s: bool(s.either_side & MANAGERS) or _bs(s),
        "remedial actions are agreed by the managers of the two teams (or recorded by business support)",
    ),
    TransferWrite.SUMMARY_DRAFT: WriteRule(
        lambda s: bool(s.sending_roles),
        "the summary is written by the transferring worker or a manager of the sending team",
    ),
    # D-181: the summary is authorised by the respective team manager or practice manager.
    TransferWrite.SUMMARY_AUTHORISE: WriteRule(
        lambda s: bool(s.sending_roles & MANAGERS),
        "the summary is authorised by a team manager or practice manager of the sending team",
    ),
    TransferWrite.LETTERS: WriteRule(
        lambda s: bool(s.either_side),
        "letters are sent by the workers, managers or business support of the two teams",
    ),
    # D-177, D-178: business support collate the sheet and record the meeting; D-176: the chair.
    TransferWrite.MEETING_RECORD: WriteRule(
        lambda s: s.chairs_meeting or _bs(s) or bool(s.either_side & MANAGERS),
        "the meeting's decisions are recorded by business support, the chair or the managers concerned",
    ),
    # D-176, D-178: the chair runs the meeting, business support record it.
    TransferWrite.MEETING_CLOSE: WriteRule(
        lambda s: s.chairs_meeting or _bs(s),
        "the chair or business support closes the meeting",
    ),
    # D-177: business support collate the sheet; a manager or the chair (D-176) may do it too.
    TransferWrite.MEETING_ORGANISE: WriteRule(
        lambda s: s.chairs_meeting or _bs(s) or bool(s.held_roles & MANAGERS),
        "business support, the chair or a manager schedules a sitting and compiles its sheet",
    ),
    TransferWrite.REMEDIAL_ACTION_DONE: WriteRule(
        lambda s: s.owns_action or bool(s.either_side & MANAGERS),
        "a remedial action is marked done (or reopened) by its owner or a manager of either team",
    ),
    TransferWrite.STEP_DONE: WriteRule(
        lambda s: bool(s.either_side),
        "a step is marked done by the workers, managers or business support of the two teams",
    ),
    # D-032, C-008: the escalation sits with a role of the ladder; the managers of the two teams work it too.
    TransferWrite.ESCALATION_ACKNOWLEDGE: WriteRule(
        lambda s: s.holds_escalation or bool(s.either_side & MANAGERS),
        "an escalation is acknowledged by the person it sits with or a manager of either team",
    ),
    TransferWrite.REFERRAL_BUNDLE: WriteRule(
        lambda s: bool(s.sending_roles),
        "the referral to another authority is prepared by the sending team's workers, managers or business support",
    ),
}


def write_refusal(write: TransferWrite, standing: Standing) -> RecordRefused | None:
    """Why this person may not make `write`, or None if they may. Read-only roles never count."""
    rule = WRITES[TransferWrite(write)]
    if rule.allows(standing):
        return None
    return RecordRefused(f"transfer.{write.value}.role", rule.refusal)


def may_write(write: TransferWrite, standing: Standing) -> bool:
    return write_refusal(write, standing) is None


# -- writes about a team's caseload ----------------------------------------------------------------------------


class TeamWrite(StrEnum):
    REASSIGN = "reassign"  # move a child to another worker of the team
    CASE_REQUEST = "case_request"  # ask for a case for the team
    CASE_DECIDE = "case_decide"  # accept or refuse another team's request for a case the team holds
    BULK_MOVE = "bulk_move"  # move the team's (or a worker's) caseload
    BULK_MOVE_ACROSS_SERVICES = "bulk_move_across_services"
    STAFF_REGISTRATION = "staff_registration"  # record a member of the team's professional registration
    FRONT_DOOR_CONTACT = "front_door_contact"  # record or close a contact received at the front door team
    CONTACT_READ = "contact_read"  # say that a contact the front door passed to the team has been read


@dataclass(frozen=True)
class TeamStanding:
    """A person's roles in the team concerned, and every role they hold."""

    team_roles: frozenset[str] = frozenset()
    held_roles: frozenset[str] = frozenset()


TEAM_WRITES: dict[TeamWrite, tuple[object, str]] = {
    TeamWrite.REASSIGN: (
        lambda s: bool(s.team_roles & MANAGERS),
        "only a team manager or practice manager of {team} can reassign its cases",
    ),
    TeamWrite.CASE_REQUEST: (
        lambda s: bool(s.team_roles & MANAGERS),
        "only a team manager or practice manager of {team} can ask for a case for it",
    ),
    TeamWrite.CASE_DECIDE: (
        lambda s: bool(s.team_roles & MANAGERS),
        "only a team manager or practice manager of {team}, which holds the case, can decide the request",
    ),
    TeamWrite.BULK_MOVE: (
        lambda s: bool(s.team_roles & MANAGERS),
        "only a team manager or practice manager of {team} can move its caseload",
    ),
    TeamWrite.BULK_MOVE_ACROSS_SERVICES: (
        lambda s: bool(s.team_roles & MANAGERS and s.held_roles & SENIOR),
        "moving a caseload to another service needs a manager of {team} who is also a service manager or above",
    ),
    TeamWrite.FRONT_DOOR_CONTACT: (
        # The front door's own people: its social workers, managers and business support (who log contacts).
        lambda s: bool(s.team_roles & (MANAGERS | {RoleName.SOCIAL_WORKER, RoleName.BUSINESS_SUPPORT})),
        "only a social worker, manager or business support officer of {team} can record a contact there",
    ),
    TeamWrite.CONTACT_READ: (
        # Anyone who works the team's cases: its workers, managers and business support.
        lambda s: bool(s.team_roles),
        "only the staff of {team}, which holds the case, can say they have read the contact",
    ),
    TeamWrite.STAFF_REGISTRATION: (
        lambda s: bool(s.team_roles & MANAGERS or s.held_roles & SENIOR),
        "only a team manager or practice manager of {team}, or a senior manager, can record the professional "
        "registration of its staff",
    ),
}


def team_write_refusal(write: TeamWrite, standing: TeamStanding, team: str) -> RecordRefused | None:
    allows, refusal = TEAM_WRITES[TeamWrite(write)]
    if allows(standing):
        return None
    return RecordRefused(f"team.{TeamWrite(write).value}.role", refusal.format(team=team))


# -- who may be named as a child's social worker ---------------------------------------------------------------


def qualified_worker_refusal(
    *, worker: str, registration: Registration, on: dt.date, required_by: tuple[str, ...]
) -> str | None:
    """Why `worker` may not be named as a child's social worker on `on`, or None if they may.

    Only where the protocol requires it (`required_by`: the clauses that do, for this child; empty where it
    does not, e.g. Dorset D-026: looked after children and children on a child protection plan "will always have
    an appropriately qualified worker allocated to them") must the worker be a registered social worker: a Social
    Work England number on their staff record, not expired on the day (`domain/registration.py`)."""
    if not required_by:
        return None
    gap = registration.gap(on)
    if gap is None:
        return None
    verb = "requires" if len(required_by) == 1 else "require"
    return (
        f"{worker} is not a registered social worker ({gap}) — {', '.join(required_by)} {verb} a qualified "
        "social worker"
    )


# -- data protection: a subject access export, the retention review, erasure (docs/privacy.md) ------------------


class PrivacyAction(StrEnum):
    SUBJECT_ACCESS = "subject_access"  # export everything held about one child, with its audit trail
    RETENTION_REVIEW = "retention_review"  # list the closed records past the end of their retention
    ERASE = "erase"  # erase a record past the end of its retention


PRIVACY_LABELS = {
    PrivacyAction.SUBJECT_ACCESS: "export a child's record for a subject access request",
    PrivacyAction.RETENTION_REVIEW: "review the records at the end of their retention period",
    PrivacyAction.ERASE: "erase a record at the end of its retention period",
}

# Disclosure and erasure are decisions for the authority, not for a team: the heads of service and the director
# answer for the whole authority's records (as for the overview); auditors, who read everything and write nothing,
# may prepare an export and the review list, but never erase.
_AUTHORITY_WIDE = frozenset({RoleName.HEAD_OF_SERVICE, RoleName.SERVICE_DIRECTOR})
_PRIVACY_ROLES = {
    PrivacyAction.SUBJECT_ACCESS: _AUTHORITY_WIDE | READ_ONLY,
    PrivacyAction.RETENTION_REVIEW: _AUTHORITY_WIDE | READ_ONLY,
    PrivacyAction.ERASE: _AUTHORITY_WIDE,
}


def privacy_refusal(action: PrivacyAction, roles: frozenset[str]) -> RecordRefused | None:
    """Why someone holding `roles` (anywhere in the authority, on the day) may not take `action`, or None."""
    if roles & _PRIVACY_ROLES[action]:
        return None
    who = "a head of service or the director" + (
        ", or an auditor" if action is not PrivacyAction.ERASE else ""
    )
    return RecordRefused(f"privacy.{action.value}.role", f"only {who} can {PRIVACY_LABELS[action]}")


def may_privacy(action: PrivacyAction, roles: frozenset[str]) -> bool:
    return privacy_refusal(action, roles) is None
