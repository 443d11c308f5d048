"""The overview: for a service manager their service, for a head of service or the director the whole authority,
the open transfers that need a senior manager's eye (overdue, blocked, escalated or in dispute), counted by
service and team, each count opening the list of those transfers with what is late and for how long.

Whether a transfer is overdue is the sweep's judgement (`web.selectors.standings_of`), as on My work, the team
page and in every reminder. Reads only, in a number of queries that does not grow with the transfers: the
counts come from one read of the transfers in scope, their standings from the sweep's own constant-query read,
and the open escalations and the days blocked from one query each.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from handover.audit.services import audit_listing
from handover.children.models import Child
from handover.domain.workflow import OPEN_STATES, State
from handover.organisation.access import OverviewScope, overview_scope, visible_child_of
from handover.organisation.models import Service, StaffMember, Team
from handover.organisation.protocol import protocol_for_transfer
from handover.transfers.models import Escalation, Transfer, TransferEvent
from handover.transfers.selectors import SUBJECT_WORDS, role_words
from handover.web.forms import choice, form_errors
from handover.web.selectors import standings_of
from handover.web.views import _staff

# What the overview counts, in the order it shows them, and how a count reads ("3 overdue").
FLAGS = ("overdue", "blocked", "escalated", "disputed")
FLAG_WORDS = {
    "overdue": "overdue",
    "blocked": "blocked",
    "escalated": "escalated",
    "disputed": "declined and in dispute",
}
FLAG_COLUMNS = {
    "overdue": "Overdue",
    "blocked": "Blocked",
    "escalated": "Escalated",
    "disputed": "In dispute",
}
FLAG_HEADINGS = {
    "overdue": "Overdue transfers",
    "blocked": "Blocked transfers",
    "escalated": "Escalated transfers",
    "disputed": "Transfers declined and in dispute",
}


@dataclass(frozen=True)
class Flagged:
    """An open transfer needing attention: which of the flags it has, and what is late and for how long under
    each, in words."""

    transfer: Transfer
    flags: frozenset[str]
    late: dict[str, tuple[str, str]]  # flag → (what is late, for how long)


@dataclass
class Counts:
    """How many transfers have each flag, for one service or team (or the whole scope)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAGS, 0))

    def add(self, flags) -> None:
        for flag in flags:
            self.counts[flag] += 1

    @property
    def any(self) -> bool:
        return any(self.counts.values())


@dataclass(frozen=True)
class CountRow:
    """A service or a team with its counts, each with the link to the list of those transfers."""

    name: str
    is_team: bool
    cells: list[tuple[str, str, int, str]]  # (flag, its column, count, url of the list)


@dataclass(frozen=True)
class Overview:
    scope_words: str  # the services covered, in words; empty for the whole authority
    services: list[Service]  # offered in the filter
    teams: list[Team]
    totals: list[tuple[str, int, str]]  # (words, count, url)
    rows: list[CountRow]
    show: str = ""
    listed: list[tuple[Transfer, str, str]] = field(
        default_factory=list
    )  # (transfer, what is late, how long)
    heading: str = ""

    @property
    def children(self) -> list[int]:
        return [transfer.child_id for transfer, _, _ in self.listed]


class OverviewFilter(forms.Form):
    service = choice(None, "Choose a service from the list")
    team = choice(None, "Choose a team from the list")
    show = forms.ChoiceField(
        choices=[("", "")] + [(f, f) for f in FLAGS],
        required=False,
        error_messages={"invalid_choice": "Choose to list overdue, blocked, escalated or disputed transfers"},
    )

    def __init__(self, data, *, services, teams):
        super().__init__(data)
        self.fields["service"].queryset = services
        self.fields["team"].queryset = teams


def _services_in(staff: StaffMember, scope: OverviewScope):
    services = Service.objects.filter(authority=staff.authority, external=False)
    return services if scope.whole_authority else services.filter(pk__in=scope.services)


def _teams_in(services):
    """The teams of those services, a closed one too while it still has open transfers to count."""
    return Team.objects.filter(service__in=services).select_related("service").order_by("name")


def _in_scope(staff: StaffMember, scope: OverviewScope):
    """Open transfers of children this person may see, to or from the services the overview covers."""
    transfers = Transfer.objects.filter(
        visible_child_of(staff, Child.objects.all()), state__in=[s.value for s in OPEN_STATES]
    )
    if not scope.whole_authority:
        transfers = transfers.filter(
            Q(from_team__service_id__in=scope.services) | Q(to_service_id__in=scope.services)
        )
    return transfers


def _working_days(calendars: dict, transfer: Transfer, since: dt.date, today: dt.date) -> int:
    """Working days from `since` to `today` in the calendar of the transfer's protocol version (read once per
    version, however many transfers run under it)."""
    if transfer.protocol_version not in calendars:
        calendars[transfer.protocol_version] = protocol_for_transfer(transfer).calendar
    return max(calendars[transfer.protocol_version].working_days_between(since, today), 0)


def _days(n: int, *, late: bool = False) -> str:
    if n == 0:
        return "Due today" if late else "Since today"
    return f"{n} working day{'s' if n != 1 else ''}" + (" late" if late else "")


def flags_of(state: str, *, overdue: bool, escalated: bool) -> frozenset[str]:
    """The overview's flags of one open transfer: an overdue step, blocked (once escalated it counts as
    escalated), escalated (the state, or an open escalation other than a dispute), or declined and in dispute."""
    flags = set()
    if overdue:
        flags.add("overdue")
    if state == State.BLOCKED:
        flags.add("blocked")
    if state == State.ESCALATED or escalated:
        flags.add("escalated")
    if state == State.DISPUTED:
        flags.add("disputed")
    return frozenset(flags)


def flag_totals(staff: StaffMember, scope: OverviewScope, today: dt.date) -> Counts:
    """How many open transfers in scope carry each flag: `flagged_transfers` counted, without fetching the
    transfers or wording what is late (My work's summary; issue 14: the director's My work fetched and worded
    every flagged transfer of the authority to show four numbers)."""
    transfers = _in_scope(staff, scope)
    standings = standings_of(authority=staff.authority, today=today, transfers=transfers)
    escalated = set(
        Escalation.objects.filter(resolved_at__isnull=True, transfer__in=transfers)
        .exclude(subject=Escalation.Subject.DISPUTE)
        .values_list("transfer_id", flat=True)
    )
    total = Counts()
    for pk, state in transfers.values_list("pk", "state"):
        total.add(flags_of(state, overdue=bool(standings.late.get(pk)), escalated=pk in escalated))
    return total


def flagged_transfers(staff: StaffMember, scope: OverviewScope, today: dt.date, *, service=None, team=None):
    """The open transfers in scope (narrowed to a service or a team: to or from it) that are overdue, blocked,
    escalated or in dispute, each with what is late and for how long."""
    transfers = _in_scope(staff, scope)
    if service is not None:
        transfers = transfers.filter(Q(from_team__service=service) | Q(to_service=service))
    if team is not None:
        transfers = transfers.filter(Q(from_team=team) | Q(to_team=team))
    standings = standings_of(authority=staff.authority, today=today, transfers=transfers)
    escalations: dict[int, list[Escalation]] = defaultdict(list)
    for escalation in Escalation.objects.filter(resolved_at__isnull=True, transfer__in=transfers).order_by(
        "-level", "-opened_at"
    ):
        escalations[escalation.transfer_id].append(escalation)
    rows = list(
        transfers.select_related(
            "child__authority", "from_team__service", "to_team__service", "to_service"
        ).order_by("child__last_name", "child__first_name", "pk")
    )
    blocked_ids = [t.pk for t in rows if t.state == State.BLOCKED]
    blocked_on = {
        row["transfer_id"]: timezone.localtime(row["at"]).date()
        for row in TransferEvent.objects.filter(transfer_id__in=blocked_ids, action="block")
        .values("transfer_id")
        .annotate(at=Max("at"))
    }
    calendars: dict = {}
    found = []
    for transfer in rows:
        late: dict[str, tuple[str, str]] = {}
        steps = standings.late.get(transfer.pk)
        opened = [e for e in escalations.get(transfer.pk, []) if e.subject != Escalation.Subject.DISPUTE]
        flags = flags_of(transfer.state, overdue=bool(steps), escalated=bool(opened))
        if "overdue" in flags:
            worst = steps[0]
            extra = len(steps) - 1
            more = f", and {extra} more overdue step{'s' if extra != 1 else ''}" if extra else ""
            late["overdue"] = (
                f"{worst.name} (due {worst.due:%-d %B %Y}){more}",
                _days(_working_days(calendars, transfer, worst.due, today), late=True),
            )
        if "blocked" in flags:
            since = blocked_on.get(transfer.pk)
            late["blocked"] = (
                f"Blocked since {since:%-d %B %Y}" if since else "Blocked",
                _days(_working_days(calendars, transfer, since, today)) if since else "",
            )
        if "escalated" in flags:
            top = opened[0] if opened else None
            since = timezone.localtime(top.opened_at).date() if top else None
            late["escalated"] = (
                f"{SUBJECT_WORDS.get(top.subject, 'Blocked transfer')} escalated to level {top.level}, "
                f"{role_words(top.role).lower()}, since {since:%-d %B %Y}"
                if top
                else "Escalated",
                _days(_working_days(calendars, transfer, since, today)) if since else "",
            )
        if "disputed" in flags:
            dispute = next(
                (e for e in escalations.get(transfer.pk, []) if e.subject == Escalation.Subject.DISPUTE), None
            )
            since = timezone.localtime(dispute.opened_at).date() if dispute else None
            late["disputed"] = (
                f"Declined {since:%-d %B %Y}; with the {role_words(dispute.role).lower()} to decide"
                if dispute
                else "Declined; waiting for a decision",
                _days(_working_days(calendars, transfer, since, today)) if since else "",
            )
        if flags:
            found.append(Flagged(transfer, flags, late))
    return found


def _scope_words(scope: OverviewScope, services) -> str:
    """The services an overview covers, in words; empty for the whole authority."""
    return "" if scope.whole_authority else " and ".join(s.name for s in services)


def _url(**params) -> str:
    return f"{reverse('web:overview')}?{urlencode({k: v for k, v in params.items() if v})}#listed"


def overview_of(
    staff: StaffMember, scope: OverviewScope, today: dt.date, *, service=None, team=None, show: str = ""
) -> Overview:
    """The counts by service and team (each service to or from which a flagged transfer goes, and its teams
    that have one: a transfer counts for both sides), the totals (each transfer once) and, with `show`, the list
    of the transfers with that flag."""
    services = _services_in(staff, scope)
    offered_services = list(services)
    offered_teams = list(_teams_in(services))
    flagged = flagged_transfers(staff, scope, today, service=service, team=team)
    narrowed = {"service": service.pk if service else "", "team": team.pk if team else ""}
    total = Counts()
    by_service: dict[int, Counts] = defaultdict(Counts)
    by_team: dict[int, Counts] = defaultdict(Counts)
    teams: dict[int, Team] = {}
    for row in flagged:
        t = row.transfer
        total.add(row.flags)
        for svc in {t.from_team.service_id, t.to_service_id}:
            by_service[svc].add(row.flags)
        for tm in {t.from_team, t.to_team} - {None}:
            teams[tm.pk] = tm
            by_team[tm.pk].add(row.flags)

    def cells(counts: Counts, **where) -> list[tuple[str, str, int, str]]:
        return [(f, FLAG_COLUMNS[f], counts.counts[f], _url(show=f, **where)) for f in FLAGS]

    rows: list[CountRow] = []
    # The services the overview covers (the other side of a transfer may be outside them: counted, not shown).
    narrowed_to = service.pk if service is not None else team.service_id if team is not None else None
    for svc in (s for s in offered_services if narrowed_to in (None, s.pk)):
        rows.append(CountRow(svc.name, False, cells(by_service[svc.pk], service=svc.pk)))
        for tm in sorted((x for x in teams.values() if x.service_id == svc.pk), key=lambda x: x.name):
            if team is None or tm.pk == team.pk:
                rows.append(CountRow(tm.name, True, cells(by_team[tm.pk], service=svc.pk, team=tm.pk)))
    return Overview(
        scope_words=_scope_words(scope, offered_services),
        services=offered_services,
        teams=offered_teams,
        totals=[(FLAG_WORDS[f], total.counts[f], _url(show=f, **narrowed)) for f in FLAGS],
        rows=rows,
        show=show,
        listed=[(row.transfer, *row.late[show]) for row in flagged if show in row.flags] if show else [],
        heading=FLAG_HEADINGS.get(show, ""),
    )


@dataclass(frozen=True)
class Summary:
    """The overview's totals for My work, with links to the lists."""

    scope_words: str
    flags: list[dict]


def summary_for(staff: StaffMember, today: dt.date) -> Summary | None:
    """The totals of the person's overview, for the top of My work; None for someone who has no overview."""
    scope = overview_scope(staff)
    if scope is None:
        return None
    total = flag_totals(staff, scope, today)
    return Summary(
        _scope_words(scope, _services_in(staff, scope)),
        [{"words": FLAG_WORDS[f], "count": total.counts[f], "url": _url(show=f)} for f in FLAGS],
    )


@login_required
def overview(request):
    """GET only: the counts, narrowed by `service` and `team`, and with `show` the list of those transfers."""
    staff = _staff(request)
    scope = overview_scope(staff)
    if scope is None:
        raise PermissionDenied("the overview is for service managers, heads of service and the director")
    services = _services_in(staff, scope)
    form = OverviewFilter(request.GET, services=services, teams=_teams_in(services))
    # `show` comes from the links of the counts: its message leads back to them.
    errors = form_errors(form, "service", anchors={"show": "totals"})
    values = form.cleaned_data if not errors else {}
    found = overview_of(
        staff,
        scope,
        request.today,
        service=values.get("service"),
        team=values.get("team"),
        show=values.get("show", ""),
    )
    audit_listing(
        at=request.now,
        actor=staff,
        children=found.children,
        detail=f"Overview: {found.heading.lower()}" if found.show else "Overview",
    )
    return render(
        request,
        "web/overview.html",
        {
            "overview": found,
            "errors": errors,
            "chosen": {k: request.GET.get(k, "") for k in ("service", "team")} if not errors else {},
        },
        status=400 if errors else 200,
    )
