"""`sweep_run`: the clock runs the protocol. For every authority, every open transfer's steps and timescales,
every remedial action and every blocked transfer: remind ahead of each due date, tell people when work goes
overdue, escalate up the protocol's ladder after the local timings, step down when the work is done. Then the
meetings: open the coming sittings, compile each early warning sheet at its cut-off and send it to the meeting's
distribution list, send the minutes of a closed sitting, and send the monthly age list (16+) ahead of its
sitting. Then clear what is done, queue the daily digests and deliver the outbox.

Idempotent: every act has a key and is written once (notifications unique per person and key, escalations
unique by key, emails by key), each in its own small transaction. Running it twice changes nothing the second
time; a crash half-way loses nothing, and the next run finishes the job. Safe every few minutes from cron.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record, audit_seal_waiting
from handover.domain import sweep as judgement
from handover.meetings import selectors as meeting_selectors
from handover.meetings.models import Meeting
from handover.meetings.services import meetings_prepare
from handover.meetings.sixteen_plus import age_list
from handover.notifications.delivery import outbox_deliver
from handover.notifications.models import Notification
from handover.notifications.services import (
    absolute,
    digests_queue,
    email_queue,
    notifications_clear_done,
    notify,
)
from handover.organisation.models import Authority, Service, StaffMember
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.sweep.models import SweepRun
from handover.sweep.recipients import Directory, for_escalation, for_step, only_who_may_see
from handover.sweep.watch import (
    due_a_look,
    looked,
    meetings_looked,
    meetings_state,
    sweep_acting,
)
from handover.sweep.work import Gathered, gather_work, with_relations
from handover.transfers.escalations import escalation_raise, escalation_step_down, role_name
from handover.transfers.models import Escalation, Transfer
from handover.transfers.services import deadlines_close_from_file, open_transfer_ids


@dataclass(frozen=True)
class Judged:
    """An authority's work judged: the plan for each protocol version its transfers run under."""

    gathered: Gathered
    plans: list[tuple[object, judgement.Plan]]

    @property
    def found(self) -> Counter:
        total: Counter = Counter()
        for _, plan in self.plans:
            total.update(plan.counts)
        return total


def judge(*, authority: Authority, today: dt.date, transfers=None) -> Judged:
    """The sweep's view of an authority's work on `today` (or of `transfers` only): reads, writes nothing.
    Pages ask this too, so "due soon" and "overdue" mean the same everywhere."""
    # Only work that can be due soon or overdue is read: up to the reminder window of the authority's current
    # protocol, with a week's margin for an older version with a wider window.
    current = protocol_for(authority)
    horizon = current.calendar.add(today, judgement.reminder_ahead(current.file)) + dt.timedelta(days=7)
    gathered = gather_work(authority=authority, today=today, transfers=transfers, horizon=horizon)
    plans = []
    for protocol, work in gathered.by_protocol(protocol_for_transfer):
        plans.append(
            (
                protocol,
                judgement.plan(
                    work,
                    today=today,
                    calendar=protocol.calendar,
                    ladder=protocol.file.escalation,
                    ahead=judgement.reminder_ahead(protocol.file),
                ),
            )
        )
    return Judged(gathered, plans)


def sweep_run(*, now: dt.datetime, authorities=None) -> SweepRun:
    """One sweep over every authority (or those given), as of `now`."""
    today = timezone.localtime(now).date()
    run = SweepRun.objects.create(started_at=now, today=today)
    found: Counter = Counter()
    done: Counter = Counter()
    try:
        for authority in authorities if authorities is not None else Authority.objects.order_by("code"):
            directory = _LazyDirectory(authority, today)
            judged = _work(authority, directory, now=now, today=today, found=found, done=done)
            # The meetings depend on the date, the transfers and the meetings' own records: prepared on the
            # first run of the day, and again on a run that judged a transfer or after a meeting changed.
            prepared_today, counts = meetings_state(authority.pk, today=today)
            if judged or not prepared_today:
                with sweep_acting():
                    _meetings(authority, directory, now=now, today=today, done=done)
                meetings_looked(counts, today=today)
        digests = digests_queue(now=now)
        done["digests"] += digests.people
        report = outbox_deliver(now=now)
        done["emails_sent"] += report.sent
        done["emails_failed"] += report.failed
    except Exception as exc:
        # Recorded, then raised: cron (or the task runner) sees the failure; the next run finishes the job.
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.found, run.done = dict(found), dict(done)
        run.save()
        raise
    run.finished_at = now
    run.found, run.done = dict(found), dict(done)
    run.save()
    # Reads' audit rows left waiting when the pages went quiet (audit/services.py): sealed every few minutes.
    audit_seal_waiting()
    if any(done.values()):
        audit_record(
            actor=None,
            verb=Verb.SWEEP,
            at=now,
            obj=run,
            after={"found": run.found, "done": run.done},
            detail=", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(done.items()) if v),
        )
    return run


class _LazyDirectory:
    """The authority's people, read only when someone is to be told (most runs tell no one)."""

    def __init__(self, authority: Authority, today: dt.date) -> None:
        self.authority, self.today, self._directory = authority, today, None

    def __getattr__(self, name):
        if self._directory is None:
            self._directory = Directory(self.authority, self.today)
        return getattr(self._directory, name)


def _work(authority: Authority, directory, *, now, today, found: Counter, done: Counter) -> int:
    """Judge and act on the work of the transfers due a look (`sweep.watch`): on the first run of the day every
    open transfer, on later runs only those whose records changed since they were last judged. Returns how many
    it judged."""
    open_ids = set(open_transfer_ids(authority))
    due = due_a_look(open_ids=open_ids, authority_of=lambda ids: _of_authority(authority, ids), today=today)
    if not due:
        return 0
    # Steps a document or key event on file closes first (a document's save counts a change to its child's
    # transfers, so those are among the transfers due a look).
    open_due = [pk for pk in due if pk in open_ids]
    done["closed_from_file"] += deadlines_close_from_file(now=now, authority=authority, transfer_ids=open_due)
    judged = judge(authority=authority, today=today, transfers=Transfer.objects.filter(pk__in=list(due)))
    found.update(judged.found)
    with sweep_acting():
        for protocol, plan in judged.plans:
            _act(plan, judged.gathered, protocol, directory, now=now, today=today, done=done)
    # Notifications whose work is done now: only these transfers' can be (their work changed, or it is the
    # day's first look).
    done["cleared"] += notifications_clear_done(now=now, transfer_ids=list(due))
    closed = set(due) - open_ids
    still_escalated = set(
        Escalation.objects.filter(transfer_id__in=closed, resolved_at__isnull=True).values_list(
            "transfer_id", flat=True
        )
    )
    done["transfers_judged"] += len(due)
    done["judged_again_next_run"] += looked(due, today=today, finished=closed - still_escalated)
    return len(due)


def _of_authority(authority: Authority, transfer_ids) -> list[int]:
    return list(
        Transfer.objects.filter(pk__in=list(transfer_ids), child__authority=authority).values_list(
            "pk", flat=True
        )
    )


# -- acting on the plan ---------------------------------------------------------------------------------------


def _act(plan, gathered: Gathered, protocol, directory: Directory, *, now, today, done: Counter) -> None:
    # The reminders already sent, read once: a reminder goes to all its people in one transaction, so a key on
    # file was told to everyone it was for, and a sweep every few minutes reads no more than this for them.
    told = set(
        Notification.objects.filter(
            transfer_id__in=list(gathered.transfers),
            kind__in=[Notification.Kind.DUE_SOON, Notification.Kind.OVERDUE],
        ).values_list("key", flat=True)
    )
    reminders = [r for r in plan.reminders if r.key not in told]
    acted_on = [*reminders, *plan.escalations, *plan.step_downs]
    with_relations(gathered, [gathered.transfer_of[a.work.key] for a in acted_on])
    for reminder in reminders:
        done["reminders"] += _remind(reminder, gathered, protocol, directory, now=now)
    for escalate in plan.escalations:
        done["escalations"] += _escalate(escalate, gathered, protocol, directory, now=now, today=today)
    for step_down in plan.step_downs:
        done["step_downs"] += _step_down(step_down, gathered, directory, now=now)


def _transfer_url(transfer: Transfer) -> str:
    return reverse("web:transfer", args=[transfer.pk])


def _about(transfer: Transfer) -> str:
    """How messages name a child: by the authority's person ID, never by name (emails leave Handover)."""
    return f"child {transfer.child.identifier}"


def _what(item: judgement.Work, gathered: Gathered) -> str:
    if item.key in gathered.deadlines:
        return gathered.deadlines[item.key].name
    if item.key in gathered.remedial_actions:
        return "Remedial action"
    return "Blocked transfer"


def _remind(reminder: judgement.Reminder, gathered: Gathered, protocol, directory, *, now) -> int:
    item = reminder.work
    transfer = gathered.transfers[gathered.transfer_of[item.key]]
    what = _what(item, gathered)
    when = f"{item.due:%A %-d %B}"
    if reminder.standing is judgement.Standing.OVERDUE:
        kind, title = Notification.Kind.OVERDUE, f"Overdue since {when}: {what}, {_about(transfer)}"
    else:
        kind, title = Notification.Kind.DUE_SOON, f"Due {when}: {what}, {_about(transfer)}"
    action = gathered.remedial_actions.get(item.key)
    if action is not None:
        people = only_who_may_see([action.owner], transfer.child) if action.owner.active else []
        step = ""
    else:
        step = gathered.deadlines[item.key].step
        people = for_step(transfer, step, protocol, directory)
    sent = 0
    with transaction.atomic():  # everyone or no one: see `_act`
        for person in people:
            sent += _notify_one(person, reminder, kind, title, transfer, step, action, now)
    return sent


def _notify_one(person, reminder, kind, title, transfer, step, action, now) -> int:
    made = notify(
        recipient=person,
        key=reminder.key,
        kind=kind,
        title=title,
        url=_transfer_url(transfer),
        now=now,
        child=transfer.child,
        transfer=transfer,
        step=step,
        remedial_action=action,
    )
    return int(made is not None)


def _escalate(escalate: judgement.Escalate, gathered: Gathered, protocol, directory, *, now, today) -> int:
    item = escalate.work
    transfer = gathered.transfers[gathered.transfer_of[item.key]]
    level = escalate.level
    action = gathered.remedial_actions.get(item.key)
    deadline = gathered.deadlines.get(item.key)
    if item.kind is judgement.WorkKind.BLOCKED:
        subject = Escalation.Subject.BLOCKED
        reason = (
            f"Blocked since {item.due:%-d %B %Y} and not resolved within the protocol's time; "
            f"now with the {role_name(level.who)}"
        )
    elif action is not None:
        subject = Escalation.Subject.REMEDIAL_ACTION
        reason = f"Remedial action due {item.due:%-d %B %Y} not done; now with the {role_name(level.who)}"
    else:
        subject = Escalation.Subject.STEP
        reason = f"{deadline.name}: due {item.due:%-d %B %Y}, not done; now with the {role_name(level.who)}"
    escalation = escalation_raise(
        transfer=transfer,
        subject=subject,
        level=level,
        moves_on=escalate.moves_on,
        key=escalate.key,
        reason=reason,
        now=now,
        step=deadline.step if deadline is not None and action is None else "",
        remedial_action=action,
    )
    if escalation is None:
        return 0
    title = f"Escalated to you ({role_name(level.who)}, {', '.join(level.cites)}): {_what(item, gathered)}, {_about(transfer)}"
    for person in for_escalation(transfer, level.who.value, directory):
        notify(
            recipient=person,
            key=f"escalation:{escalation.pk}",
            kind=Notification.Kind.ESCALATED,
            title=title,
            body=reason,
            url=reverse("web:escalations"),
            now=now,
            child=transfer.child,
            transfer=transfer,
            escalation=escalation,
        )
    return 1


def _step_down(step_down: judgement.StepDown, gathered: Gathered, directory, *, now) -> int:
    escalation = gathered.escalations.get(step_down.work.key)
    if escalation is None:
        return 0
    transfer = gathered.transfers[gathered.transfer_of[step_down.work.key]]
    if not transfer.is_open:
        resolution = f"the transfer was {transfer.state.replace('_', ' ')}"
    elif escalation.subject == Escalation.Subject.BLOCKED:
        resolution = "the transfer is no longer blocked"
    else:
        resolution = "the work was done"
    if not escalation_step_down(escalation=escalation, resolution=resolution, now=now):
        return 0
    for person in for_escalation(transfer, escalation.role, directory):
        notify(
            recipient=person,
            key=f"escalation:{escalation.pk}:stepped_down",
            kind=Notification.Kind.STEPPED_DOWN,
            title=f"Escalation resolved: {resolution}, {_about(transfer)}",
            url=_transfer_url(transfer),
            now=now,
            child=transfer.child,
            transfer=transfer,
        )
    return 1


# -- meetings -------------------------------------------------------------------------------------------------


def _meetings(authority: Authority, directory: Directory, *, now, today, done: Counter) -> None:
    """Open the coming sittings and compile sheets past their cut-off (`meetings_prepare`), then send each
    sheet to its distribution list, each closed sitting's minutes, and each age list ahead of its sitting."""
    prepared = meetings_prepare(authority=authority, now=now)
    done["sittings_opened"] += sum(1 for p in prepared if p.scheduled)
    done["sheet_items_added"] += sum(len(p.added) for p in prepared)
    protocol = protocol_for(authority)
    ahead = judgement.reminder_ahead(protocol.file)
    recent = Meeting.objects.filter(authority=authority, sits_on__gte=today - dt.timedelta(days=14))
    for meeting in recent.select_related("chair"):
        spec = protocol.meetings.get(meeting.meeting)
        if spec is None:
            continue
        people = distribution_list(meeting, directory, chair_services=spec.chair_from)
        if meeting.status == Meeting.Status.CLOSED:
            done["minutes_sent"] += _send_paper(meeting, people, "minutes", now=now)
        elif spec.lists:
            if today >= protocol.calendar.subtract(meeting.sits_on, ahead):
                done["age_lists_sent"] += _send_paper(meeting, people, "age_list", now=now)
        elif meeting.cutoff < today:
            done["sheets_sent"] += _send_paper(meeting, people, "sheet", now=now)


def distribution_list(
    meeting: Meeting, directory: Directory, chair_services: tuple[str, ...] = ()
) -> list[StaffMember]:
    """Who gets a sitting's papers: its chair, everyone recorded as attending, the team managers of the
    services that chair it (the protocol's `chair_from`), and, for every team with a case on its sheet (sending
    or receiving), the team's managers and business support; business support who work across a service or
    the authority too (D-177: they collate the sheet)."""
    people: list[StaffMember | None] = [meeting.chair, *meeting.attendees.all()]
    for service_id in Service.objects.filter(
        authority_id=meeting.authority_id, code__in=chair_services
    ).values_list("pk", flat=True):
        people += directory.team_managers_of_service(service_id)
    teams: set[int] = set()
    for sending, receiving in meeting.items.values_list("transfer__from_team_id", "transfer__to_team_id"):
        teams.update(t for t in (sending, receiving) if t)
    for team in sorted(teams):
        people += directory.managers_of_team(team)
        people += directory.by_team.get(("business_support", team), [])
    people += [
        s for (role, _), staff in directory.by_service.items() if role == "business_support" for s in staff
    ]
    people += directory.authority_wide.get("business_support", [])
    seen: dict[int, StaffMember] = {}
    for person in people:
        if person is not None and person.active:
            seen.setdefault(person.pk, person)
    return list(seen.values())


PAPERS = {
    "sheet": ("Early warning sheet", Notification.Kind.SHEET),
    "minutes": ("Minutes", Notification.Kind.MINUTES),
    "age_list": ("Cases to list", Notification.Kind.AGE_LIST),
}


def _send_paper(meeting: Meeting, people: list[StaffMember], paper: str, *, now) -> int:
    """Tell each person once that the paper is ready (in Handover and by email, whatever their digest
    choice: papers for a meeting go when they are ready). The email links to the paper behind sign-in."""
    label, kind = PAPERS[paper]
    key = f"meeting:{meeting.pk}:{paper}"
    told = set(Notification.objects.filter(key=key).values_list("recipient_id", flat=True))
    people = [p for p in people if p.pk not in told]
    if not people:
        return 0  # everyone has it: nothing to count or write (the sweep runs every few minutes)
    if paper == "sheet":
        count = len(meeting_selectors.sheet_items(meeting))
        detail = f"{count} case{'s' if count != 1 else ''} on the sheet"
    elif paper == "age_list":
        count = len(age_list(meeting))
        detail = f"{count} young {'people' if count != 1 else 'person'} to list"
    else:
        detail = "the decisions and actions of the meeting"
    url = reverse("web:meeting", args=[meeting.pk])
    title = f"{label}: {meeting} ({detail})"
    sent = 0
    for person in people:
        with transaction.atomic():
            made = notify(
                recipient=person, key=key, kind=kind, title=title, url=url, now=now, meeting=meeting
            )
            if (
                made is not None
                and made.emailed_at is None
                and email_queue(
                    recipient=person,
                    key=f"{key}:{person.pk}",
                    subject=title,
                    body=f"{title}\n\n{absolute(url)}\n\nSign in to Handover to read it.",
                    now=now,
                )
            ):
                made.emailed_at = now
                made.save(update_fields=["emailed_at"])
        sent += made is not None
    return sent
