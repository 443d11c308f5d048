"""Who the sweep tells: the people with the work to do, and the people an escalation sits with.

- A timeline step: the side of the transfer whose action closes it (the workflow table says which side each
  action belongs to): on the sending side the outgoing worker and the sending team's managers, on the receiving
  side the receiving worker (once named) and the receiving team's managers (the receiving service's team
  managers while no team is agreed). A step closed by an explicit "done" or by the letters: both workers, else
  the sending team's managers.
- A remedial action: its owner.
- An escalation: whoever holds the ladder level's role for the transfer's teams or services (a team role in
  either team, a service role in either service, an authority-wide role anywhere in the authority).
A restricted child's work goes only to people who may see the record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from handover.children.models import Child
from handover.domain.roles import MANAGERS
from handover.domain.workflow import TRANSITIONS, Action, Side
from handover.organisation.access import visible_children
from handover.organisation.models import Authority, Membership, StaffMember
from handover.transfers.models import Transfer
from handover.transfers.services import step_completed_by


class Directory:
    """The authority's current memberships, read once per sweep: who holds which role where."""

    def __init__(self, authority: Authority, on: dt.date):
        self.by_team: dict[tuple[str, int], list[StaffMember]] = defaultdict(list)
        self.by_service: dict[tuple[str, int], list[StaffMember]] = defaultdict(list)
        self.team_roles_in_service: dict[tuple[str, int], list[StaffMember]] = defaultdict(list)
        self.authority_wide: dict[str, list[StaffMember]] = defaultdict(list)
        memberships = (
            Membership.objects.filter(staff__authority=authority, staff__active=True, start__lte=on)
            .filter(Q(end__isnull=True) | Q(end__gte=on))
            .select_related("staff", "team")
        )
        for m in memberships:
            m.staff.as_of = on
            if m.team_id is not None:
                self.by_team[(m.role, m.team_id)].append(m.staff)
                self.team_roles_in_service[(m.role, m.team.service_id)].append(m.staff)
            elif m.service_id is not None:
                self.by_service[(m.role, m.service_id)].append(m.staff)
            else:
                self.authority_wide[m.role].append(m.staff)

    def managers_of_team(self, team_id: int | None) -> list[StaffMember]:
        if team_id is None:
            return []
        return [s for role in sorted(MANAGERS) for s in self.by_team.get((role, team_id), [])]

    def team_managers_of_service(self, service_id: int) -> list[StaffMember]:
        return list(self.team_roles_in_service.get(("team_manager", service_id), []))

    def holding(self, role: str, transfer: Transfer) -> list[StaffMember]:
        """Who holds `role` for this transfer: in either team, either service, or across the authority."""
        teams = [transfer.from_team_id, transfer.to_team_id]
        services = [transfer.from_team.service_id, transfer.to_service_id]
        found = [s for t in teams if t for s in self.by_team.get((role, t), [])]
        found += [s for sv in services for s in self.by_service.get((role, sv), [])]
        found += self.authority_wide.get(role, [])
        return _unique(found)


def _unique(people: list[StaffMember | None]) -> list[StaffMember]:
    seen: dict[int, StaffMember] = {}
    for person in people:
        if person is not None and person.active:
            seen.setdefault(person.pk, person)
    return list(seen.values())


def _outgoing_worker(transfer: Transfer) -> StaffMember | None:
    return transfer.from_allocation.worker if transfer.from_allocation_id else None


def _sending(transfer: Transfer, directory: Directory) -> list[StaffMember]:
    return [_outgoing_worker(transfer), *directory.managers_of_team(transfer.from_team_id)]


def _receiving(transfer: Transfer, directory: Directory) -> list[StaffMember]:
    if transfer.to_team_id is None:
        return directory.team_managers_of_service(transfer.to_service_id)
    return [transfer.receiving_worker, *directory.managers_of_team(transfer.to_team_id)]


def for_step(transfer: Transfer, step_id: str, protocol, directory: Directory) -> list[StaffMember]:
    pathway = protocol.pathways.get(transfer.pathway)
    completed_by = "manual"
    if pathway is not None:
        timeline = protocol.timelines[pathway.timeline]
        step = next((s for s in timeline.steps if s.id == step_id), None)
        if step is not None:
            completed_by = step_completed_by(step, timeline.transfer_by)
    try:
        side = TRANSITIONS[Action(completed_by)].side
    except ValueError:
        side = None  # letters_send, manual: not a workflow action
    if side is Side.SENDING:
        people = _sending(transfer, directory)
    elif side is Side.RECEIVING:
        people = _receiving(transfer, directory)
    else:
        workers = [_outgoing_worker(transfer), transfer.receiving_worker]
        people = workers if any(workers) else directory.managers_of_team(transfer.from_team_id)
    return only_who_may_see(_unique(people), transfer.child)


def for_escalation(transfer: Transfer, role: str, directory: Directory) -> list[StaffMember]:
    return only_who_may_see(directory.holding(role, transfer), transfer.child)


def only_who_may_see(people: list[StaffMember], child: Child) -> list[StaffMember]:
    if not child.restricted:
        return people
    return [p for p in people if visible_children(p, Child.objects.filter(pk=child.pk)).exists()]
