"""What a new protocol version would change for the transfers under way, and moving them onto it.

A transfer is judged by the protocol version it recorded (`organisation.protocol.protocol_for_transfer`), so
publishing a version changes nothing for open transfers. `version_changes` says, transfer by transfer, what
would change if one were moved: the route the situation takes (rule, pathway, receiving service), each
deadline's due date, the readiness checklist and the escalation ladder. `transfers_move_to_current` moves
them, explicitly and audited; a transfer the new version cannot carry (its pathway is gone, its route kind
changed, its escalation is past the new ladder's end, its situation no longer reads) stays where it is, with
the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.clock import today_of
from handover.domain import routing
from handover.domain.errors import SituationError
from handover.domain.protocol.model import Protocol
from handover.domain.situation import situation_facts
from handover.domain.workflow import OPEN_STATES
from handover.organisation.models import Authority, StaffMember
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.organisation.services import protocol_check_publisher
from handover.transfers.models import Transfer, TransferEvent
from handover.transfers.services import _recompute_deadlines, transfer_deadlines, transfer_readiness

MOVE_ACTION = "change_protocol_version"


@dataclass
class TransferChanges:
    """What moving one transfer from its version to `to_version` changes; `refusal` says why it cannot move."""

    transfer: Transfer
    from_version: str
    to_version: str
    route: list[str] = field(default_factory=list)
    deadlines: list[str] = field(default_factory=list)
    readiness: list[str] = field(default_factory=list)
    ladder: list[str] = field(default_factory=list)
    refusal: str = ""
    moved: bool = False

    @property
    def same_version(self) -> bool:
        return self.from_version == self.to_version

    @property
    def changed(self) -> bool:
        return bool(self.route or self.deadlines or self.readiness or self.ladder)

    def data(self) -> dict:
        return {
            "from": self.from_version,
            "to": self.to_version,
            "route": self.route,
            "deadlines": self.deadlines,
            "readiness": self.readiness,
            "ladder": self.ladder,
        }

    def lines(self) -> list[str]:
        """The report on this transfer, one line each, as the commands print it."""
        transfer = self.transfer
        head = (
            f"Transfer {transfer.pk} (child {transfer.child.identifier}, {transfer.state}, "
            f"pathway {transfer.pathway or 'none'}) on {self.from_version}"
        )
        if self.same_version:
            return [f"{head}: already on this version"]
        out = [head + ":"]
        for label, items in (
            ("route", self.route),
            ("deadlines", self.deadlines),
            ("readiness", self.readiness),
            ("escalation ladder", self.ladder),
        ):
            if not items:
                out.append(f"  {label}: no change")
            for item in items:
                out.append(f"  {label}: {item}")
        if self.refusal:
            out.append(f"  not moved: {self.refusal}")
        elif self.moved:
            out.append(f"  moved to {self.to_version}")
        return out


def open_transfers(authority: Authority, ids: list[int] | None = None):
    transfers = Transfer.objects.filter(
        child__authority=authority, state__in=[s.value for s in OPEN_STATES]
    ).select_related("child", "from_team__service", "to_service", "recommended_service")
    if ids:
        transfers = transfers.filter(pk__in=ids)
    return transfers.order_by("pk")


def version_changes(transfer: Transfer, new: Protocol, *, today: dt.date) -> TransferChanges:
    """What would change for `transfer` under `new`, judged on `today`; nothing is written."""
    old = protocol_for_transfer(transfer)  # for a version never stored, the current one
    changes = TransferChanges(transfer, transfer.protocol_version, new.version)
    if changes.same_version:
        return changes
    try:
        situation_facts(new, transfer.situation)
    except SituationError as exc:
        changes.refusal = f"its situation does not read under {new.version}: {exc.field}: {exc.problem}"
        return changes
    changes.route = _route_changes(transfer, old, new)
    pathway = new.pathways.get(transfer.pathway) if transfer.pathway else None
    if transfer.pathway and pathway is None:
        changes.refusal = (
            f"pathway {transfer.pathway!r} is not in {new.version}; the transfer stays on {transfer.protocol_version}"
            " until it closes"
        )
    elif pathway is not None and new.routes[pathway.route].kind.value != transfer.route_kind:
        changes.refusal = (
            f"pathway {transfer.pathway!r} is agreed by {new.routes[pathway.route].kind.value} in {new.version}, "
            f"not {transfer.route_kind}; the transfer finishes on {transfer.protocol_version}"
        )
    if transfer.escalation_level > len(new.file.escalation):
        changes.refusal = changes.refusal or (
            f"it is escalated to level {transfer.escalation_level}; the ladder of {new.version} has "
            f"{len(new.file.escalation)} levels"
        )
    changes.deadlines = _deadline_changes(transfer, old, new, today)
    changes.readiness = _readiness_changes(transfer, old, new, today)
    changes.ladder = _ladder_changes(old, new)
    return changes


def _route_changes(transfer: Transfer, old: Protocol, new: Protocol) -> list[str]:
    """How each version routes the transfer's situation: rule, pathway, receiving service."""
    before = _route(old, transfer)
    after = _route(new, transfer)
    out = []
    for label, was, now in zip(
        ("rule", "pathway", "receiving service", "outcome"), before, after, strict=True
    ):
        if was != now:
            out.append(f"{label} {was or 'none'} → {now or 'none'}")
    return out


def _route(protocol: Protocol, transfer: Transfer) -> tuple[str, str, str, str]:
    try:
        decision = routing.route(protocol, situation_facts(protocol, transfer.situation))
    except SituationError as exc:
        return "", "", "", f"the situation does not read ({exc.field})"
    return (
        decision.rule.id if decision.rule else "",
        decision.pathway.id if decision.pathway else "",
        decision.receiving_service or "",
        decision.outcome,
    )


def _deadline_changes(transfer: Transfer, old: Protocol, new: Protocol, today: dt.date) -> list[str]:
    before = {d.step: d for d in transfer_deadlines(transfer, old, today=today)}
    after = {d.step: d for d in transfer_deadlines(transfer, new, today=today)}
    out = []
    if transfer.pathway and transfer.pathway not in new.pathways:
        # No timeline to compare with: say so once, and compare the standing timescales.
        out.append(f"pathway {transfer.pathway!r} and its timeline are not in {new.version}")
        before = {step: d for step, d in before.items() if d.standing}
    for step in [*before, *(s for s in after if s not in before)]:
        was, now = before.get(step), after.get(step)
        if now is None:
            out.append(f"{step} ({was.name}) {_day(was.due)} → removed")
        elif was is None:
            out.append(f"{step} ({now.name}) added, due {_day(now.due)}")
        elif was.due != now.due:
            out.append(f"{step} ({now.name}) {_day(was.due)} → {_day(now.due)}")
    return out


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "not yet known"


def _readiness_changes(transfer: Transfer, old: Protocol, new: Protocol, today: dt.date) -> list[str]:
    before = {i.id: i for i in transfer_readiness(transfer, on=today, protocol=old).items}
    after = {i.id: i for i in transfer_readiness(transfer, on=today, protocol=new).items}
    out = []
    for item_id in [*before, *(i for i in after if i not in before)]:
        was, now = before.get(item_id), after.get(item_id)
        if now is None:
            out.append(f"- {item_id} ({was.name}) no longer applies")
        elif was is None:
            out.append(f"+ {item_id} ({now.name}) applies: {_status(now)}")
        elif (was.status, was.blocks) != (now.status, now.blocks):
            out.append(f"~ {item_id} ({now.name}) {_status(was)} → {_status(now)}")
    return out


def _status(item) -> str:
    return f"{item.status}{', blocking' if item.blocks else ''}"


def _ladder_changes(old: Protocol, new: Protocol) -> list[str]:
    before = {lv.level: lv for lv in old.file.escalation}
    after = {lv.level: lv for lv in new.file.escalation}
    out = []
    for level in sorted(before.keys() | after.keys()):
        was, now = before.get(level), after.get(level)
        if was is not None and now is not None and _rung(was) == _rung(now):
            continue
        out.append(f"level {level}: {_rung(was) if was else 'none'} → {_rung(now) if now else 'removed'}")
    return out


def _rung(level) -> str:
    return f"{level.who.value} after {level.after}{' (final)' if level.final else ''}"


def version_report(
    *, authority: Authority, new: Protocol, today: dt.date, ids: list[int] | None = None
) -> list[TransferChanges]:
    """For every open transfer of the authority (or those in `ids`), what `new` would change."""
    return [version_changes(t, new, today=today) for t in open_transfers(authority, ids)]


def transfers_move_to_current(
    *, authority: Authority, actor: StaffMember, now: dt.datetime, ids: list[int] | None = None
) -> list[TransferChanges]:
    """Move open transfers (all, or those in `ids`) to the authority's current protocol version, each in its own
    transaction: its deadlines recomputed, a TransferEvent and an audit row written. A transfer the version
    cannot carry is left on its own, with the reason."""
    protocol_check_publisher(actor, authority, today_of(now))
    new = protocol_for(authority)
    results = []
    for transfer in open_transfers(authority, ids):
        results.append(_move(transfer, new, actor, now))
    return results


def _move(transfer: Transfer, new: Protocol, actor: StaffMember, now: dt.datetime) -> TransferChanges:
    today = today_of(now)
    with transaction.atomic():
        locked = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("child", "from_team__service", "to_service", "recommended_service")
            .get(pk=transfer.pk)
        )
        changes = version_changes(locked, new, today=today)
        if changes.refusal or locked.protocol_version == new.version or not locked.is_open:
            return changes
        before = snapshot(locked)
        locked.protocol_version = new.version
        locked.version += 1
        locked.save(update_fields=["protocol_version", "version"])
        reason = f"moved from protocol version {changes.from_version} to {new.version}"
        TransferEvent.objects.create(
            transfer=locked,
            action=MOVE_ACTION,
            from_state=locked.state,
            to_state=locked.state,
            actor=actor,
            at=now,
            reason=reason,
            data=changes.data(),
        )
        _recompute_deadlines(locked, today=today)
        audit_record(
            actor=actor,
            verb=Verb.PROTOCOL_MIGRATED,
            at=now,
            child=locked.child,
            obj=locked,
            before=before,
            after=snapshot(locked),
            detail=reason,
        )
        changes.transfer = locked
        changes.moved = True
    return changes
