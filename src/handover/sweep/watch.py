"""Which transfers the sweep must judge on a run: those not judged today, and those whose work changed since.

Every standing the sweep acts on (due soon, overdue, the next level of the ladder) changes only with the date or
with the transfer's records. So a transfer judged today, and acted on, needs nothing more today unless its
records change. Changes are counted here, from the saves that make them (`connect`); the sweep's own writes
while acting on a plan are not counted (it has just judged them), anyone else's are.

The sweep reads each transfer's count when it starts judging (`due_a_look`) and, after acting, marks the
transfers looked at today (`looked`), then checks the counts again: a transfer whose count moved while it was
being judged (a user saving in another process) is put back for the next run. A change is therefore never
lost; at worst it waits one run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from handover.sweep.models import MeetingsWatch, SweepWatch

_acting: ContextVar[bool] = ContextVar("sweep_acting", default=False)


@contextmanager
def sweep_acting() -> Iterator[None]:
    """While the sweep acts on its own plan: what it writes is what it judged, so it counts no change."""
    token = _acting.set(True)
    try:
        yield
    finally:
        _acting.reset(token)


def work_changed(transfer_ids: Iterable[int]) -> None:
    """Count a change to each transfer's work and clear its `looked_on`, so the next run judges it again."""
    _count_changes(SweepWatch, transfer_ids)


def meetings_changed(authority_ids: Iterable[int]) -> None:
    """Count a change to what an authority's meetings depend on, so the next run prepares them again."""
    _count_changes(MeetingsWatch, authority_ids)


def _count_changes(model, pks: Iterable[int]) -> None:
    if _acting.get():
        return
    field = model._meta.pk.attname
    for pk in sorted(set(pks)):
        if model.objects.filter(pk=pk).update(changes=F("changes") + 1, looked_on=None):
            continue
        try:
            with transaction.atomic():
                model.objects.create(**{field: pk, "changes": 1})
        except IntegrityError:  # the sweep wrote the row meanwhile: count the change on it
            model.objects.filter(pk=pk).update(changes=F("changes") + 1, looked_on=None)


def due_a_look(*, open_ids: Iterable[int], authority_of, today: dt.date) -> dict[int, int]:
    """The transfers to judge today, each with its change count now: the open ones not looked at today (or
    never), and any other of the authority's transfers whose work changed (a transfer closed with an escalation
    still open on it). `authority_of(ids)` keeps, of `ids`, those of the authority."""
    open_ids = set(open_ids)
    looked_today = dict(SweepWatch.objects.filter(looked_on=today).values_list("pk", "changes"))
    stale = dict(
        SweepWatch.objects.filter(Q(looked_on__isnull=True) | ~Q(looked_on=today)).values_list(
            "pk", "changes"
        )
    )
    due = {pk: stale.get(pk, 0) for pk in open_ids if pk not in looked_today}
    others = [pk for pk in stale if pk not in open_ids]
    for pk in authority_of(others) if others else ():
        due[pk] = stale[pk]
    return due


def meetings_state(authority_id: int, *, today: dt.date) -> tuple[bool, dict[int, int]]:
    """Whether the authority's meetings were prepared today with nothing changed since, and its change count
    now (for `meetings_looked`)."""
    row = MeetingsWatch.objects.filter(pk=authority_id).values_list("looked_on", "changes").first()
    looked_on, changes = row if row is not None else (None, 0)
    return looked_on == today, {authority_id: changes}


def looked(counts: dict[int, int], *, today: dt.date, finished: Iterable[int] = ()) -> int:
    """Mark the transfers in `counts` (read by `due_a_look`) looked at today, then put back any whose count
    moved since. `finished` transfers (closed, nothing open on them) are forgotten: no run needs them again
    unless they change. Returns how many were put back."""
    return _looked(SweepWatch, counts, today=today, finished=finished)


def meetings_looked(counts: dict[int, int], *, today: dt.date) -> int:
    """As `looked`, for the authority whose meetings were prepared (`counts` from `meetings_state`)."""
    return _looked(MeetingsWatch, counts, today=today)


def _looked(model, counts: dict[int, int], *, today: dt.date, finished: Iterable[int] = ()) -> int:
    finished = set(finished)
    model.objects.filter(pk__in=finished).delete()
    keep = [pk for pk in counts if pk not in finished]
    field = model._meta.pk.attname
    model.objects.bulk_create(
        [model(**{field: pk, "looked_on": today}) for pk in keep],
        update_conflicts=True,
        unique_fields=[model._meta.pk.name],
        update_fields=["looked_on"],
        batch_size=500,
    )
    moved = [
        pk
        for pk, changes in model.objects.filter(pk__in=keep).values_list("pk", "changes")
        if changes != counts[pk]
    ]
    if moved:
        model.objects.filter(pk__in=moved).update(looked_on=None)
    return len(moved)


# -- counting changes from the saves that make them -------------------------------------------------------------


def _transfer_saved(sender, instance, **kwargs) -> None:
    work_changed([instance.pk])


def _work_saved(sender, instance, **kwargs) -> None:
    work_changed([instance.transfer_id])


def _file_changed(sender, instance, **kwargs) -> None:
    """A document or key event on the child's file can close a step of any of the child's open transfers."""
    from handover.domain.workflow import OPEN_STATES
    from handover.transfers.models import Transfer

    work_changed(
        Transfer.objects.filter(
            child_id=instance.child_id, state__in=[s.value for s in OPEN_STATES]
        ).values_list("pk", flat=True)
    )


def _bulk_changed(sender, transfer_ids, **kwargs) -> None:
    work_changed(transfer_ids)


def _authority_changed(sender, instance, **kwargs) -> None:
    meetings_changed([instance.authority_id])


def _meeting_item_changed(sender, instance, **kwargs) -> None:
    from handover.meetings.models import Meeting

    meetings_changed(Meeting.objects.filter(pk=instance.meeting_id).values_list("authority_id", flat=True))


def _membership_changed(sender, instance, **kwargs) -> None:
    from handover.organisation.models import StaffMember

    meetings_changed(StaffMember.objects.filter(pk=instance.staff_id).values_list("authority_id", flat=True))


def _attendees_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        meetings_changed([instance.authority_id])


def connect() -> None:
    from handover.children.models import DocumentOnFile, KeyEvent
    from handover.transfers import signals
    from handover.transfers.models import Deadline, Escalation, RemedialAction, Transfer

    post_save.connect(_transfer_saved, sender=Transfer, dispatch_uid="sweep_watch_transfer")
    for model in (Deadline, RemedialAction, Escalation):
        post_save.connect(_work_saved, sender=model, dispatch_uid=f"sweep_watch_{model.__name__}")
    # Deadlines are deleted only to be replaced in bulk, which sends `work_changed` once (a post_delete
    # receiver would also stop Django deleting them in one statement).
    for model in (RemedialAction, Escalation):
        post_delete.connect(_work_saved, sender=model, dispatch_uid=f"sweep_watch_{model.__name__}_gone")
    for model in (DocumentOnFile, KeyEvent):
        post_save.connect(_file_changed, sender=model, dispatch_uid=f"sweep_watch_{model.__name__}")
        post_delete.connect(_file_changed, sender=model, dispatch_uid=f"sweep_watch_{model.__name__}_gone")
    signals.work_changed.connect(_bulk_changed, dispatch_uid="sweep_watch_bulk")

    from handover.meetings.models import Meeting, MeetingItem
    from handover.organisation.models import Membership, ProtocolVersion, StaffMember

    for model, receiver in (
        (Meeting, _authority_changed),
        (StaffMember, _authority_changed),
        (ProtocolVersion, _authority_changed),
        (MeetingItem, _meeting_item_changed),
        (Membership, _membership_changed),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"meetings_watch_{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"meetings_watch_{model.__name__}_gone")
    m2m_changed.connect(
        _attendees_changed, sender=Meeting.attendees.through, dispatch_uid="meetings_watch_attendees"
    )
