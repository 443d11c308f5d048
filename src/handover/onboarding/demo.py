"""A synthetic authority with realistic volumes, for trying Handover and for benchmarks. Synthetic people only.

Mid-size (default): about 3,000 open children and 250 staff. Large: about 20,000 open children, 250,000
historic transfers and 1,200 open transfers spread over the workflow, with remedial actions. Children, staff and
historic transfers are bulk-inserted (no per-row history), which is why this is not a service function for real
records; the open transfers go through the real services, on the days they happened, so their events, deadlines
and audit rows are real.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from handover.children.front_door import (
    NewChild,
    front_door_contact_record,
    front_door_events,
    transfer_in_events,
)
from handover.children.models import (
    Allocation,
    AllocationKind,
    ChangeReason,
    Child,
    DocumentOnFile,
    Family,
    InvolvedProfessional,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.domain.calendar import Duration
from handover.domain.errors import Refusal
from handover.domain.workflow import Action, State
from handover.meetings.services import meetings_prepare
from handover.organisation.models import Authority, Membership, Role, Service, StaffMember, Team
from handover.organisation.protocol import protocol_named
from handover.organisation.services import authority_sync_from_protocol
from handover.transfers import services
from handover.transfers.models import Transfer, TransferEvent

FIRST_NAMES = [
    "Ada",
    "Alfie",
    "Amara",
    "Arlo",
    "Aria",
    "Bea",
    "Bilal",
    "Cara",
    "Cole",
    "Dara",
    "Dev",
    "Eden",
    "Elsie",
    "Ezra",
    "Fern",
    "Finn",
    "Gia",
    "Hal",
    "Hana",
    "Idris",
    "Isla",
    "Jai",
    "Jude",
    "Kai",
    "Kira",
    "Lara",
    "Leo",
    "Lola",
    "Milo",
    "Mina",
    "Nell",
    "Noor",
    "Oren",
    "Orla",
    "Pip",
    "Priya",
    "Quin",
    "Rafe",
    "Rosa",
    "Sami",
    "Sana",
    "Theo",
    "Tia",
    "Uma",
    "Vik",
    "Wren",
    "Xan",
    "Yara",
    "Zac",
    "Zora",
]
LAST_NAMES = [
    "Abbot",
    "Ashdown",
    "Birch",
    "Brackley",
    "Carrow",
    "Dunmore",
    "Elsworth",
    "Fairley",
    "Gorringe",
    "Hallam",
    "Ivesley",
    "Jessop",
    "Kettering",
    "Larkin",
    "Marlow",
    "Netherby",
    "Ormsby",
    "Pennick",
    "Quarrie",
    "Rainford",
    "Selbourne",
    "Thackray",
    "Underhill",
    "Varley",
    "Wetherall",
    "Yelland",
    "Zouch",
]

# Typical plan and legal status of a child held by each kind of service (for realistic synthetic records).
PROFILE = {
    "front_door": ("none", "none"),
    "early_help": ("early_help", "none"),
    "assessment": ("none", "none"),
    "cin_cp": ("cin", "none"),
    "court": ("cp", "interim_care_order"),
    "lac": ("cla", "care_order"),
    "leaving_care": ("care_leaver", "none"),
    "disability": ("cin", "none"),
    "private_fostering": ("cin", "none"),
    "fostering": ("cla", "s20"),
    "separated_children": ("cla", "s20"),
    "adoption_agency": ("cla", "placement_order"),
}
CASELOAD_SHARE = {"cin_cp": 30, "lac": 20, "assessment": 15, "court": 10, "leaving_care": 10, "disability": 6}

SIZES = {"small": (300, 60, 500), "mid": (3_000, 250, 5_000), "large": (20_000, 250, 250_000)}


@dataclass
class DemoResult:
    authority: Authority
    children: int
    staff: int
    historic_transfers: int
    open_transfers: int
    password: str


def build_demo(
    *,
    protocol_name: str = "dorset",
    size: str = "mid",
    seed: int = 1,
    password: str | None = None,
    now: dt.datetime,
    progress=lambda message: None,
) -> DemoResult:
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    rng = random.Random(seed)
    today = timezone.localtime(now).date()
    password = password or secrets.token_urlsafe(12)
    children_target, staff_target, historic_target = SIZES[size]
    with transaction.atomic():
        authority = authority_sync_from_protocol(protocol_name=protocol_name)
        if authority.children.exists():
            raise ValueError(f"{authority.name} already has children's records; use a fresh database")
        teams = list(Team.objects.filter(service__authority=authority).select_related("service"))
        progress(f"{authority.name}: {len(teams)} teams from the {protocol_name} protocol")
        staff_by_team = _staff(authority, teams, staff_target, password, rng)
        progress(f"{sum(len(m) for roles in staff_by_team.values() for m in roles.values())} staff in teams")
        holding = [t for t in teams if not t.service.external and t.service.kind != "front_door"]
        weights = [CASELOAD_SHARE.get(t.service.kind, 3) / _teams_of(holding, t) for t in holding]
        n_children = _children(authority, holding, weights, staff_by_team, children_target, today, rng)
        progress(f"{n_children} open children with allocations, plans, legal statuses and documents")
        historic = _historic_transfers(authority, holding, staff_by_team, historic_target, now, rng, progress)
        progress(f"{historic} historic transfers")
        open_work = _open_transfers(authority, protocol_name, staff_by_team, size, now, rng)
        progress(open_work.line())
        contacts = _front_door_contacts(teams, staff_by_team, now, rng)
        progress(f"{contacts} contacts at the front door awaiting a decision")
        # As the scheduled `meetings_prepare` would leave it: the coming sittings stored, sheets past their cut-off
        # compiled, so the demo's meetings have agendas on the first morning.
        for done in meetings_prepare(authority=authority, now=now):
            progress(done.line())
    return DemoResult(
        authority,
        n_children + contacts,  # the front door's children are new children too
        StaffMember.objects.filter(authority=authority).count(),
        historic,
        open_work.transfers,
        password,
    )


def _teams_of(teams: list[Team], team: Team) -> int:
    return sum(1 for t in teams if t.service_id == team.service_id)


def _staff(authority, teams, target, password, rng) -> dict[int, dict[str, list[StaffMember]]]:
    hashed = make_password(password)
    User = get_user_model()
    plan: list[tuple[str, str, Team | Service | None]] = []
    for team in teams:
        if team.service.external:
            plan.append((f"tm.{team.code}", Role.TEAM_MANAGER, team))
            continue
        plan += [
            (f"tm.{team.code}", Role.TEAM_MANAGER, team),
            (f"pm.{team.code}", Role.PRACTICE_MANAGER, team),
            (f"bs.{team.code}", Role.BUSINESS_SUPPORT, team),
        ]
    services = {t.service for t in teams if not t.service.external}
    plan += [(f"sm.{s.code}", Role.SERVICE_MANAGER, s) for s in services]
    plan += [
        ("head.of.service", Role.HEAD_OF_SERVICE, None),
        ("director", Role.SERVICE_DIRECTOR, None),
        ("auditor", Role.AUDITOR, None),
        ("administrator", Role.ADMINISTRATOR, None),
    ]
    holding = [t for t in teams if not t.service.external and t.service.kind != "front_door"]
    front = [t for t in teams if t.service.kind == "front_door"]
    workers = max(target - len(plan), len(holding) * 2)
    for i in range(workers):
        team = (holding + front)[i % len(holding + front)]
        role = Role.PERSONAL_ADVISER if team.service.kind == "leaving_care" and i % 2 else Role.SOCIAL_WORKER
        plan.append((f"{role.value.split('_')[0]}.{team.code}.{i}", role, team))
    users = User.objects.bulk_create([User(username=u, password=hashed) for u, _, _ in plan])
    staff = StaffMember.objects.bulk_create(
        [
            StaffMember(
                user=user,
                authority=authority,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                email=f"{user.username}@example.invalid",
                phone=f"01632 {960000 + i % 1000}",  # Ofcom's range reserved for drama: never a real line
                job_title=role.label,
                social_work_england_number=f"SW{100000 + i}" if role in (Role.SOCIAL_WORKER,) else "",
            )
            for i, (user, (_, role, _)) in enumerate(zip(users, plan, strict=True))
        ]
    )
    start = dt.date(2020, 4, 1)
    Membership.objects.bulk_create(
        [
            Membership(
                staff=member,
                role=role,
                team=where if isinstance(where, Team) else None,
                service=where if isinstance(where, Service) else None,
                start=start,
            )
            for member, (_, role, where) in zip(staff, plan, strict=True)
        ]
    )
    by_team: dict[int, dict[str, list[StaffMember]]] = {}
    for member, (_, role, where) in zip(staff, plan, strict=True):
        if isinstance(where, Team):
            by_team.setdefault(where.pk, {}).setdefault(role.value, []).append(member)
    return by_team


def _children(authority, holding, weights, staff_by_team, target, today, rng) -> int:
    families = Family.objects.bulk_create(
        [Family(authority=authority, name=f"{rng.choice(LAST_NAMES)} family") for _ in range(target // 4)]
    )
    children, plans = [], []
    for i in range(target):
        team = rng.choices(holding, weights)[0]
        kind = team.service.kind
        age_days = (
            rng.randint(17 * 365 + 200, 20 * 365) if kind == "leaving_care" else rng.randint(30, 17 * 365)
        )
        in_family = rng.random() < 0.4
        child = Child(
            authority=authority,
            identifier=f"DEMO{100000 + i}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            date_of_birth=today - dt.timedelta(days=age_days),
            gender=rng.choice(["female", "male"]),
            ethnicity=rng.choice(["WBRI", "WOTH", "MWBC", "ASIA", "BAFR", "OOTH"]),
            disability=kind == "disability" or rng.random() < 0.05,
            locality=team.locality,
            address=f"{rng.randint(1, 120)} {rng.choice(LAST_NAMES)} Road\nExampletown EX{rng.randint(1, 9)} 1ZZ",
            asylum_status="unaccompanied_seeking_asylum" if kind == "separated_children" else "none",
            family=rng.choice(families) if in_family and families else None,
        )
        children.append(child)
        plans.append(team)
    Child.objects.bulk_create(children, batch_size=2000)
    allocations, statuses, plan_rows, documents = [], [], [], []
    for child, team in zip(children, plans, strict=True):
        start = today - dt.timedelta(days=rng.randint(5, 400))
        workers = staff_by_team[team.pk].get("social_worker") or staff_by_team[team.pk].get(
            "personal_adviser"
        )
        allocations.append(
            Allocation(
                child=child,
                kind=AllocationKind.PRIMARY,
                team=team,
                worker=rng.choice(workers),
                start=start,
                start_reason=ChangeReason.TSPROC,
            )
        )
        plan, legal = PROFILE.get(team.service.kind, ("none", "none"))
        if plan != "none":
            plan_rows.append(PlanEpisode(child=child, plan=plan, start=start))
        if legal != "none":
            statuses.append(LegalStatusEpisode(child=child, status=legal, start=start))
        for doc in rng.sample(
            [
                "chronology",
                "genogram",
                "child_and_family_assessment",
                "child_plan",
                "transfer_summary",
                "cse_screening",
                "birth_certificate",
            ],
            k=rng.randint(1, 5),
        ):
            documents.append(
                DocumentOnFile(
                    child=child, document_type=doc, dated=start + dt.timedelta(days=rng.randint(0, 60))
                )
            )
    Allocation.objects.bulk_create(allocations, batch_size=2000)
    PlanEpisode.objects.bulk_create(plan_rows, batch_size=2000)
    LegalStatusEpisode.objects.bulk_create(statuses, batch_size=2000)
    DocumentOnFile.objects.bulk_create(documents, batch_size=2000)
    return len(children)


def _historic_transfers(authority, holding, staff_by_team, target, now, rng, progress) -> int:
    """Closed transfers over the past years: the demand and delay history managers look at."""
    children = list(Child.objects.filter(authority=authority).values_list("pk", flat=True))
    proposers = [m for roles in staff_by_team.values() for m in roles.get("team_manager", [])]
    made = 0
    batch = 20_000
    while made < target:
        rows, events = [], []
        for _ in range(min(batch, target - made)):
            from_team, to_team = rng.sample(holding, 2)
            proposed = now - dt.timedelta(days=rng.randint(20, 6 * 365))
            took = dt.timedelta(days=rng.randint(3, 40))
            rows.append(
                Transfer(
                    child_id=rng.choice(children),
                    state=State.TRANSFERRED,
                    protocol=authority.protocol,
                    protocol_version="demo",
                    event="referral",
                    event_date=proposed.date(),
                    situation={},
                    route_kind="transfer_meeting",
                    from_team=from_team,
                    to_service=to_team.service,
                    to_team=to_team,
                    transfer_date=(proposed + took).date(),
                    proposed_by=rng.choice(proposers),
                    proposed_at=proposed,
                    closed_at=proposed + took,
                    version=7,
                )
            )
        Transfer.objects.bulk_create(rows, batch_size=5000)
        for t in rows:
            events.append(
                TransferEvent(
                    transfer=t,
                    action="complete",
                    from_state="handover_held",
                    to_state="transferred",
                    actor_id=t.proposed_by_id,
                    at=t.closed_at,
                )
            )
        TransferEvent.objects.bulk_create(events, batch_size=5000)
        made += len(rows)
        progress(f"  {made} historic transfers")
    return made


# Open transfers by size: the large demo carries the open work of a large authority, so its pages and the sweep
# are measured on realistic work (issue 10); the small and mid demos keep a handful.
OPEN_TRANSFERS = {"small": 40, "mid": 40, "large": 1_200}
AS_BEFORE = 40  # the first 40 are proposed today and half listed, as the small and mid demos always had

# Where the open transfers stand, by weight: every step of the workflow has work at it.
OPEN_MIX = {
    State.PROPOSED: 20,
    State.LISTED: 20,
    State.AGREED: 15,
    State.WORKER_IDENTIFIED: 15,
    State.HANDOVER_HELD: 10,
    State.BLOCKED: 10,
    State.ESCALATED: 10,
}
# The first move from "proposed" on each route kind, and how many moves each state is from "proposed".
FIRST_MOVE = {
    "transfer_meeting": Action.LIST,
    "manager_agreement": Action.REQUEST_AGREEMENT,
    "panel": Action.REFER_TO_PANEL,
}
PATH = [Action.AGREE, Action.IDENTIFY_WORKER, Action.RECORD_HANDOVER]
MOVES_TO = {
    State.PROPOSED: 0,
    State.LISTED: 1,
    State.AGREED: 2,
    State.WORKER_IDENTIFIED: 3,
    State.HANDOVER_HELD: 4,
}
PROPOSED_WITHIN = 25  # working days: proposals were made over the past five weeks
BLOCK_REASONS = [
    "The receiving team has no worker with capacity before the transfer date",
    "The chronology and assessment are not up to date on the file",
    "The teams disagree that the threshold for the receiving service is met",
    "The family's new address is not yet confirmed",
]
ESCALATE_REASON = "The managers could not agree between them; escalated on the protocol's ladder"
REMEDIAL_ACTIONS = [
    "Bring the chronology up to date",
    "Upload the signed child and family assessment",
    "Arrange a joint visit with the receiving worker",
    "Confirm the school and GP details on the record",
    "Complete the genogram",
]


@dataclass
class OpenWork:
    """What `_open_transfers` made: transfers by the state they reached, remedial actions, and refusals."""

    states: Counter = field(default_factory=Counter)
    remedial_open: int = 0
    remedial_done: int = 0
    refused: Counter = field(default_factory=Counter)

    @property
    def transfers(self) -> int:
        return sum(self.states.values())

    def line(self) -> str:
        states = ", ".join(f"{n} {state}" for state, n in self.states.most_common())
        refused = (
            f"; {sum(self.refused.values())} steps refused ({dict(self.refused)})" if self.refused else ""
        )
        return (
            f"{self.transfers} open transfers ({states}); remedial actions: {self.remedial_open} open, "
            f"{self.remedial_done} done{refused}"
        )


def _open_transfers(authority, protocol_name, staff_by_team, size, now, rng) -> OpenWork:
    """Live transfers through the real services, proposed over the past weeks and taken along the workflow on
    the days they happened, so their events, deadlines (some overdue, some due soon) and audit rows are real."""
    protocol = protocol_named(protocol_name)
    today = timezone.localtime(now).date()
    made = OpenWork()
    assessment = Allocation.objects.filter(
        child__authority=authority, end__isnull=True, team__service__kind="assessment"
    ).select_related("child__authority", "team", "worker")[: OPEN_TRANSFERS[size] * 2]
    states, weights = list(OPEN_MIX), list(OPEN_MIX.values())
    for n, allocation in enumerate(assessment):
        if made.transfers == OPEN_TRANSFERS[size]:
            break
        if n < AS_BEFORE:
            # Proposed today, half of them listed: the coming transfer meeting's agenda, as the demo always had.
            target, proposed_on = (State.LISTED if n % 2 == 0 else State.PROPOSED), today
        else:
            target = rng.choices(states, weights)[0]
            proposed_on = max(
                protocol.calendar.subtract(today, Duration.working_days(rng.randint(1, PROPOSED_WITHIN))),
                # Not before the child came to the sending team (the protocol routes from where they are).
                protocol.calendar.add(allocation.start, Duration.working_days(1)),
            )
        transfer = _propose(allocation, protocol, proposed_on, now, rng, made)
        if transfer is None:
            continue
        _involved_professionals(allocation.child, rng)
        transfer = _take_along(transfer, target, staff_by_team, protocol, proposed_on, now, rng, made)
        made.states[transfer.state] += 1
        if n >= AS_BEFORE and rng.random() < 0.4:
            _remedial_actions(transfer, allocation.worker, staff_by_team, proposed_on, now, rng, made)
    return made


def _propose(allocation, protocol, day, now, rng, made: OpenWork) -> Transfer | None:
    answers = _answers_for(protocol, allocation.child, rng)
    try:
        proposal = services.transfer_propose(
            actor=_on(allocation.worker, day),
            child=allocation.child,
            event=answers.pop("_event"),
            on=day,
            now=_at(day, now, rng),
            answers=answers,
            separation_reasons=_separations(allocation.child),
        )
    except Refusal as refusal:
        made.refused[f"propose: {type(refusal).__name__}"] += 1
        return None
    return proposal.transfers[0]


def _take_along(transfer, target, staff_by_team, protocol, day, now, rng, made: OpenWork) -> Transfer:
    """Take the transfer from "proposed" towards `target`, one working day or a few between steps, never past
    today; blocked and escalated transfers go some way first. Stops at the first step refused (and counts it)."""
    today = timezone.localtime(now).date()
    blocked = target in (State.BLOCKED, State.ESCALATED)
    moves = [FIRST_MOVE.get(transfer.route_kind), *PATH][
        : MOVES_TO[target] if not blocked else rng.randint(1, 4)
    ]
    moves = [m for m in moves if m is not None]
    if blocked:
        moves += [Action.BLOCK] + ([Action.ESCALATE] if target is State.ESCALATED else [])
    for action in moves:
        day = min(today, protocol.calendar.add(day, Duration.working_days(rng.randint(1, 4))))
        try:
            transfer = _act(transfer, action, staff_by_team, protocol, day, now, rng)
        except Refusal as refusal:
            made.refused[f"{action.value}: {type(refusal).__name__}"] += 1
            break
    return transfer


def _act(transfer, action, staff_by_team, protocol, day, now, rng) -> Transfer:
    """One workflow action by a manager of the side that takes it, on `day`."""
    extra: dict = {}
    if action is Action.AGREE:
        team = rng.choice(list(services.eligible_receiving_teams(transfer)))
        extra = {
            "to_team": team,
            "transfer_date": protocol.calendar.add(day, Duration.working_days(rng.randint(5, 15))),
        }
    elif action is Action.IDENTIFY_WORKER:
        candidates = list(services.receiving_worker_candidates(transfer, on=day))
        extra = {"worker": rng.choice(candidates) if candidates else None}
    elif action is Action.BLOCK:
        extra = {"reason": rng.choice(BLOCK_REASONS)}
    elif action is Action.ESCALATE:
        extra = {"reason": ESCALATE_REASON}
    receiving = action in (Action.AGREE, Action.IDENTIFY_WORKER, Action.RECORD_HANDOVER)
    team_id = (extra.get("to_team") or transfer.to_team or transfer.from_team).pk if receiving else None
    return services.transfer_act(
        actor=_on(_manager(staff_by_team, team_id or transfer.from_team_id), day),
        transfer=transfer,
        action=action.value,
        expected_version=transfer.version,
        now=_at(day, now, rng),
        **extra,
    )


def _remedial_actions(transfer, worker, staff_by_team, proposed_on, now, rng, made: OpenWork) -> None:
    """One or two remedial actions agreed by the sending manager on a day since the proposal, owned by the
    sending worker; due within a fortnight (so some are past due now), and some already marked done."""
    manager = _manager(staff_by_team, transfer.from_team_id)
    today = timezone.localtime(now).date()
    for description in rng.sample(REMEDIAL_ACTIONS, k=rng.randint(1, 2)):
        agreed_on = proposed_on + dt.timedelta(days=rng.randint(0, max(0, (today - proposed_on).days)))
        action = services.remedial_action_create(
            actor=_on(manager, agreed_on),
            transfer=transfer,
            description=description,
            owner=worker,
            due=agreed_on + dt.timedelta(days=rng.randint(2, 14)),
            now=_at(agreed_on, now, rng),
        )
        done_on = agreed_on + dt.timedelta(days=rng.randint(1, 10))
        if done_on <= today and rng.random() < 0.4:
            services.remedial_action_done(
                actor=_on(worker, done_on), action=action, now=_at(done_on, now, rng)
            )
            made.remedial_done += 1
        else:
            made.remedial_open += 1


NEIGHBOURING_AUTHORITIES = (
    "Somerset Council",
    "Wiltshire Council",
    "Hampshire County Council",
    "Devon County Council",
)


def _front_door_contacts(teams, staff_by_team, now, rng, per_team: int = 4) -> int:
    """A few contacts received at each front door team since yesterday, about children new to the service,
    through the real service (the child allocated to the front door; confirmed as new, since synthetic names
    repeat), so the front door page has decisions waiting on the first morning."""
    today = timezone.localtime(now).date()
    made = 0
    for team in (t for t in teams if t.service.kind == "front_door"):
        recorder = staff_by_team[team.pk].get("social_worker") or staff_by_team[team.pk].get("team_manager")
        if not recorder:
            continue
        events = list(front_door_events(team))
        transfers_in = transfer_in_events(team)
        for i in range(per_team):
            event = events[0] if i < per_team - 1 else rng.choice(events)
            front_door_contact_record(
                actor=_on(recorder[0], today),
                team=team,
                event=event,
                # A transfer in names the authority it comes from (a neighbour of the synthetic authority).
                from_authority=rng.choice(NEIGHBOURING_AUTHORITIES) if event in transfers_in else "",
                received_on=today - dt.timedelta(days=i % 2),
                now=now,
                new=NewChild(
                    identifier=f"DEMOFD{team.pk:02d}{i:03d}",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    date_of_birth=today - dt.timedelta(days=rng.randint(200, 15 * 365)),
                ),
                confirm_new=True,  # synthetic names repeat; these are different children
            )
            made += 1
    return made


def _manager(staff_by_team, team_id: int) -> StaffMember:
    return staff_by_team[team_id]["team_manager"][0]


def _on(person: StaffMember, day: dt.date) -> StaffMember:
    """Their roles read for `day`, as a request on that day reads them."""
    person.as_of = day
    return person


def _at(day: dt.date, now: dt.datetime, rng) -> dt.datetime:
    """An instant in the working day of `day` (local time), never after the demo's `now`. Steps of one transfer
    are on different days, or at `now` for those made today."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    return min(start + dt.timedelta(minutes=rng.randint(0, 7 * 60)), now)


def _involved_professionals(child, rng) -> None:
    InvolvedProfessional.objects.bulk_create(
        [
            InvolvedProfessional(
                child=child,
                name=f"Dr {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                role="GP",
                organisation="Exampletown Surgery",
                address="1 Surgery Lane\nExampletown EX1 1ZZ",
            ),
            InvolvedProfessional(
                child=child,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                role="Designated safeguarding lead",
                organisation="Exampletown Primary School",
            ),
        ]
    )


def _answers_for(protocol, child, rng) -> dict:
    if "assessment_concluded" in protocol.events and "assessment_outcome" in protocol.facts:
        facts: dict = {"assessment_outcome": "cin_plan"}
        if child.disability and "chad_eligible" in protocol.facts:
            facts["chad_eligible"] = rng.random() < 0.5  # the protocol asks, for a disabled child
        return {"_event": "assessment_concluded", "facts": facts, "siblings": {"in_care_proceedings": False}}
    return {"_event": "cin_meeting_held", "child": {"plan": "cin"}}


def _separations(child) -> dict[int, str]:
    return {
        s.pk: "Demo data: sibling's assessment continues" for s in services.siblings_with_same_worker(child)
    }
