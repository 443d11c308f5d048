"""The front door (Dorset's MASH, Central Bedfordshire's Hub): a contact or referral about a child new to the
service, or closed, is recorded with the day it arrived; the child is found or created (checked against
possible duplicates by name, date of birth and address) and allocated to the front door team while the decision
is made, within the protocol's time (`domain.deadlines.front_door_clock`: Dorset D-077, a working day).

The decision is a proposal through the usual journey, which the protocol routes (a re-referral within its window
back to the social care team that held the case, D-083, C-031 to C-033; otherwise Assessment or the team its
rules name), counting from the day the contact arrived; or the contact is closed as information only. A child
open to a team is that team's: a contact about an open case is passed to it at once (its worker and managers are
told, and the case stays where it is) until someone there has read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.children.models import Allocation, AllocationKind, ChangeReason, Child, FrontDoorContact
from handover.children.selectors import current_primary
from handover.children.signals import contact_passed_on
from handover.domain import text
from handover.domain.deadlines import FrontDoorClock, front_door_clock
from handover.domain.errors import ApplicationError
from handover.domain.rulebook import TeamWrite
from handover.domain.text import text_errors
from handover.organisation.access import require_team_write, visible_children
from handover.organisation.models import StaffMember, Team
from handover.organisation.protocol import protocol_for

FRONT_DOOR = "front_door"
FROM_AUTHORITY = FrontDoorContact._meta.get_field("from_authority").max_length


@dataclass(frozen=True)
class NewChild:
    """A child not on file yet, as the front door first hears of them. The person ID is the records system's."""

    identifier: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None = None
    expected_date_of_birth: dt.date | None = None
    address: str = ""


def front_door_events(team: Team) -> dict[str, str]:
    """The protocol's events that arrive at this team's front door, by id, with their names."""
    protocol = protocol_for(team.service.authority)
    return {e.id: e.name for e in protocol.file.events if e.arrives_at == team.service.code}


def transfer_in_events(team: Team) -> set[str]:
    """The events at this front door that are another authority's notification (a transfer in)."""
    protocol = protocol_for(team.service.authority)
    return {
        e.id for e in protocol.file.events if e.arrives_at == team.service.code and e.from_another_authority
    }


def front_door_teams(staff: StaffMember, on: dt.date | None = None) -> list[Team]:
    """The front door teams this person works in (where they may record contacts)."""
    from handover.organisation.access import current_memberships

    return [
        m.team
        for m in current_memberships(staff, on)
        if m.team_id and m.team.service.kind == FRONT_DOOR and m.team.active
    ]


def possible_duplicates(staff: StaffMember, new: NewChild) -> tuple[list[Child], int]:
    """Children already on file who may be this one (born the same day with the same first or last name, or the
    same surname at the same address), as this person may see them; and how many more there are on records
    they may not see (restricted), so they know to ask."""
    born = (
        Q(date_of_birth=new.date_of_birth)
        if new.date_of_birth
        else Q(expected_date_of_birth=new.expected_date_of_birth)
    )
    names = Q(first_name__iexact=new.first_name.strip()) | Q(last_name__iexact=new.last_name.strip())
    matches = born & names
    if new.address.strip():
        matches |= Q(address__iexact=new.address.strip(), last_name__iexact=new.last_name.strip())
    found = Child.objects.filter(authority_id=staff.authority_id).filter(matches)
    seen = list(visible_children(staff, found).order_by("last_name", "first_name"))
    return seen, found.count() - len(seen)


def child_by_person_id(staff: StaffMember, identifier: str) -> Child | None:
    """The child on file with this person ID, or None for a child new to the service. A restricted record the
    person may not see is refused with the reason, not taken for a new child (nor shown)."""
    child = Child.objects.filter(identifier=identifier.strip(), authority_id=staff.authority_id).first()
    if child is not None and not visible_children(staff, Child.objects.filter(pk=child.pk)).exists():
        raise ApplicationError(
            {"identifier": "This person ID is on a restricted record you cannot see: ask a manager who can"}
        )
    return child


def _new_child_errors(new: NewChild, today: dt.date) -> dict[str, str]:
    # The caps are the record's own (Child's fields).
    errors = text_errors(
        identifier=(new.identifier.strip(), 40),
        first_name=(new.first_name.strip(), 100),
        last_name=(new.last_name.strip(), 100),
        address=(new.address.strip(), text.ADDRESS),
    )
    if not new.identifier.strip():
        errors["identifier"] = "Enter the child's person ID from the records system"
    elif Child.objects.filter(identifier=new.identifier.strip()).exists():
        errors["identifier"] = (
            "A child with this person ID is already on file: find them and use their record"
        )
    if not new.first_name.strip():
        errors["first_name"] = "Enter the child's first name"
    if not new.last_name.strip():
        errors["last_name"] = "Enter the child's last name"
    if new.date_of_birth is None and new.expected_date_of_birth is None:
        errors["date_of_birth"] = "Enter the date of birth, or the expected date of birth for an unborn child"
    elif new.date_of_birth is not None and new.date_of_birth > today:
        errors["date_of_birth"] = "The date of birth cannot be in the future"
    return errors


def front_door_contact_record(
    *,
    actor: StaffMember,
    team: Team,
    event: str,
    received_on: dt.date,
    now: dt.datetime,
    child: Child | None = None,
    new: NewChild | None = None,
    confirm_new: bool = False,
    summary: str = "",
    from_authority: str = "",
) -> FrontDoorContact:
    """Record a contact received at the front door `team` about `child` (on file: open, closed or never open)
    or a `new` child (created here, unless it may be a duplicate and `confirm_new` is not given). A child with
    no open case is allocated to the front door team until the decision; a contact about a child open to
    another team is passed to that team at once (its worker and managers are told) and leaves the case where it
    is. A transfer in names the authority it comes from (`from_authority`). Atomic: refused, nothing is
    written."""
    require_team_write(actor, TeamWrite.FRONT_DOOR_CONTACT, team)
    today = timezone.localtime(now).date()
    events = front_door_events(team) if team.service.kind == FRONT_DOOR else {}
    errors: dict[str, str] = text_errors(summary=(summary.strip(), text.REASON))
    if team.service.kind != FRONT_DOOR:
        errors["team"] = f"{team} is not a front door team"
    if event not in events:
        names = "; ".join(events.values()) or "none"
        errors["event"] = f"Choose what was received at the front door: {names}"
    if received_on > today:
        errors["received_on"] = "The day it was received cannot be in the future"
    from_authority = from_authority.strip()
    if event in events and event in transfer_in_events(team):
        if not from_authority:
            errors["from_authority"] = "Name the local authority the child is transferring in from"
        errors.update(text_errors(from_authority=(from_authority, FROM_AUTHORITY)))
    elif from_authority:
        errors["from_authority"] = "Only a transfer in from another authority names where it comes from"
    held = None
    if (child is None) == (new is None):
        errors["child"] = "Find the child on file, or give a new child's details"
    elif child is not None:
        held = current_primary(child)
        if FrontDoorContact.objects.filter(child=child, outcome=FrontDoorContact.Outcome.OPEN).exists():
            errors["child"] = f"{child.name} already has a contact at the front door awaiting its decision"
    else:
        assert new is not None  # nosec B101  # for the type checker: the branches above leave `new` here
        errors.update(_new_child_errors(new, today))
        if not errors and not confirm_new:
            seen, hidden = possible_duplicates(actor, new)
            if seen or hidden:
                described = "; ".join(
                    f"{c.name} (person ID {c.identifier}, "
                    + (
                        f"born {c.date_of_birth:%-d %B %Y}"
                        if c.date_of_birth
                        else f"due {c.expected_date_of_birth:%-d %B %Y}"
                    )
                    + ")"
                    for c in seen
                )
                more = (
                    f"{hidden} on a restricted record you cannot see (ask a manager who can)"
                    if hidden
                    else ""
                )
                errors["confirm_new"] = (
                    "This may be a child already on file: "
                    + "; ".join(part for part in (described, more) if part)
                    + ". Use their record, or confirm this is a different child"
                )
    if errors:
        raise ApplicationError(errors)

    with transaction.atomic():
        if child is None:
            child = Child.objects.create(
                authority_id=actor.authority_id,
                identifier=new.identifier.strip(),
                first_name=new.first_name.strip(),
                last_name=new.last_name.strip(),
                date_of_birth=new.date_of_birth,
                expected_date_of_birth=None if new.date_of_birth else new.expected_date_of_birth,
                address=new.address.strip(),
            )
            audit_record(
                actor=actor,
                verb=Verb.CHILD_CREATED,
                at=now,
                child=child,
                obj=child,
                after=snapshot(child),
                detail=f"new to the service: {events[event]} at {team}",
            )
        elif child.closed_on is not None:
            before = snapshot(child)
            child.closed_on, child.closure_reason = None, ""
            child.save()
            audit_record(
                actor=actor,
                verb=Verb.CHILD_CHANGED,
                at=now,
                child=child,
                obj=child,
                before=before,
                after=snapshot(child),
                detail=f"record reopened: {events[event]} at {team}",
            )
        passed_to = held.team if held is not None and held.team_id != team.pk else None
        if passed_to is None and current_primary(child) is None:
            allocation = Allocation.objects.create(
                child=child, kind=AllocationKind.PRIMARY, team=team, start=received_on
            )
            audit_record(
                actor=actor,
                verb=Verb.ALLOCATION_STARTED,
                at=now,
                child=child,
                obj=allocation,
                detail=f"at the front door ({team}) while the contact is decided",
            )
        contact = FrontDoorContact.objects.create(
            child=child,
            team=team,
            event=event,
            received_on=received_on,
            summary=summary.strip(),
            recorded_by=actor,
            recorded_at=now,
            from_authority=from_authority,
            **(
                {
                    "outcome": FrontDoorContact.Outcome.PASSED_ON,
                    "passed_to": passed_to,
                    "decided_by": actor,
                    "decided_at": now,
                    "decision_reason": f"open to {passed_to}: passed to the team that holds the case",
                }
                if passed_to is not None
                else {}
            ),
        )
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=child,
            obj=contact,
            detail=f"contact received at the front door: {events[event]} on {received_on:%-d %B %Y}"
            + (f"; passed to {passed_to}, which holds the case" if passed_to is not None else ""),
        )
        if passed_to is not None:
            contact_passed_on.send(sender=FrontDoorContact, contact=contact, now=now)
    return contact


def front_door_contact_read(
    *, actor: StaffMember, contact: FrontDoorContact, now: dt.datetime
) -> FrontDoorContact:
    """Someone in the team a contact was passed to has read it: it leaves their worktrays. Said once: reading
    it again changes nothing."""
    if contact.outcome != FrontDoorContact.Outcome.PASSED_ON or contact.passed_to is None:
        raise ApplicationError(
            {"contact": "only a contact passed to the team that holds the case is read there"}
        )
    require_team_write(actor, TeamWrite.CONTACT_READ, contact.passed_to)
    with transaction.atomic():
        locked = FrontDoorContact.objects.select_for_update().get(pk=contact.pk)
        if locked.read_at is not None:
            return locked
        locked.read_by, locked.read_at = actor, now
        locked.save()
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=locked.child,
            obj=locked,
            detail=f"contact from the front door read in {locked.passed_to}",
        )
    return locked


def contacts_passed_on(child: Child) -> list[FrontDoorContact]:
    """The contacts the front door passed to the team holding the child's case, newest first (the record shows
    them; unread ones first)."""
    return list(
        FrontDoorContact.objects.filter(child=child, outcome=FrontDoorContact.Outcome.PASSED_ON)
        .select_related("passed_to", "recorded_by", "read_by", "team")
        .order_by("read_at", "-received_on", "-pk")
    )


def front_door_contact_close(
    *, actor: StaffMember, contact: FrontDoorContact, reason: str, now: dt.datetime
) -> FrontDoorContact:
    """Close a contact as information only (no transfer): the front door allocation ends with the reason."""
    require_team_write(actor, TeamWrite.FRONT_DOOR_CONTACT, contact.team)
    errors = text_errors(reason=(reason.strip(), text.REASON))
    if not reason.strip():
        errors["reason"] = "Enter why no further action is needed"
    if contact.outcome != FrontDoorContact.Outcome.OPEN:
        errors["contact"] = f"the contact is already decided ({contact.get_outcome_display().lower()})"
    if errors:
        raise ApplicationError(errors)
    today = timezone.localtime(now).date()
    with transaction.atomic():
        locked = FrontDoorContact.objects.select_for_update().get(pk=contact.pk)
        if locked.outcome != FrontDoorContact.Outcome.OPEN:
            raise ApplicationError({"contact": "the contact was decided by someone else meanwhile"})
        locked.outcome = FrontDoorContact.Outcome.INFORMATION_ONLY
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, now, reason.strip()
        locked.save()
        held = current_primary(locked.child)
        if held is not None and held.team_id == locked.team_id:
            held.end, held.end_reason = max(today, held.start), ChangeReason.MANAGE
            held.save()
            audit_record(
                actor=actor,
                verb=Verb.ALLOCATION_ENDED,
                at=now,
                child=locked.child,
                obj=held,
                detail=f"information only at the front door: {reason.strip()}",
            )
        audit_record(
            actor=actor,
            verb=Verb.CHILD_CHANGED,
            at=now,
            child=locked.child,
            obj=locked,
            detail=f"front door contact closed as information only: {reason.strip()}",
        )
    return locked


def front_door_contact_decided(*, child: Child, actor: StaffMember, now: dt.datetime) -> None:
    """A transfer was proposed from the front door for the child: its open contact is decided. Called inside
    the proposal's transaction."""
    for contact in FrontDoorContact.objects.select_for_update().filter(
        child=child, outcome=FrontDoorContact.Outcome.OPEN
    ):
        contact.outcome = FrontDoorContact.Outcome.PROPOSED
        contact.decided_by, contact.decided_at = actor, now
        contact.save()


@dataclass(frozen=True)
class QueueRow:
    contact: FrontDoorContact
    event_name: str
    clock: FrontDoorClock | None


def open_contacts(staff: StaffMember, today: dt.date):
    """The contacts awaiting a decision at the person's front door teams that they may see, oldest first."""
    return FrontDoorContact.objects.filter(
        team__in=front_door_teams(staff, today),
        outcome=FrontDoorContact.Outcome.OPEN,
        child__in=visible_children(staff, Child.objects.all()),
    ).select_related("child", "team__service__authority")


def front_door_queue(staff: StaffMember, today: dt.date) -> list[QueueRow]:
    """`open_contacts`, each with its event in words and its decision due. Reads only (the caller audits the
    listing)."""
    rows = []
    for contact in open_contacts(staff, today):
        protocol = protocol_for(contact.team.service.authority)
        names = {e.id: e.name for e in protocol.file.events}
        rows.append(
            QueueRow(
                contact,
                names.get(contact.event, contact.event),
                front_door_clock(protocol, contact.event, contact.received_on),
            )
        )
    return rows
