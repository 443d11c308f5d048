"""A synthetic authority with realistic volumes, for trying Handover and for benchmarks. Synthetic people only.

Mid-size (default): 3,000 open children and 250 staff. Large: 20,000 open children, 250,000 historic transfers
and about 1,200 open transfers spread over the workflow, with remedial actions, sent by every service that passes
children on under the protocol (no team more than about 15% of them), and the transfer meetings of the past weeks
held, with their decisions. Children, staff and historic transfers are bulk-inserted (no per-row history), which
is why this is not a service function for real records; the open transfers and the meetings go through the real
services, on the days they happened, so their events, deadlines, escalations and audit rows are real.

Believable, not random: each child's age fits the service holding them (`AGE_BANDS`; Dorset's LAC team holds
looked after children of 5 to 16, D-129; the 16+ and leaving care teams young people of 16 to 21), unborn babies
are held only where the protocol has a pre-birth pathway, plans and legal statuses are the holding service's
(`_record_status`), historic transfers follow the protocol's pathways at ages that fit both ends, and nothing is
dated after the demo's today (meetings booked ahead and agreed transfer dates excepted). A few records are
restricted to the staff named on them, some open transfers are blocked and escalated, some steps overdue.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
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
    KeyEvent,
    LegalStatusEpisode,
    PlanEpisode,
    RestrictedAccess,
)
from handover.domain.calendar import Duration
from handover.domain.errors import Refusal
from handover.domain.workflow import OPEN_STATES, Action, State
from handover.meetings import selectors as meeting_selectors
from handover.meetings.models import Decision, Meeting
from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_close,
    meeting_record_decision,
    meeting_sitting_schedule,
    meetings_prepare,
)
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


@dataclass(frozen=True)
class AgeBand:
    """The ages a service holds children at: from `at_least` (years, months) up to, not including, `under`."""

    at_least: tuple[int, int]
    under: tuple[int, int]
    why: str

    def entered(self, born: dt.date) -> dt.date:
        """The first day a child born on `born` is in the band."""
        return born + relativedelta(years=self.at_least[0], months=self.at_least[1])

    def left(self, born: dt.date) -> dt.date:
        """The first day a child born on `born` is past the band."""
        return born + relativedelta(years=self.under[0], months=self.under[1])

    def holds(self, born: dt.date, on: dt.date) -> bool:
        return self.entered(born) <= on < self.left(born)

    def words(self) -> str:
        def age(ym):
            return f"{ym[0]} years" + (f" {ym[1]} months" if ym[1] else "")

        return f"{age(self.at_least)} to under {age(self.under)}"


CHILDHOOD = AgeBand((0, 0), (18, 0), "children's social care holds children up to their 18th birthday")
# The ages each kind of service holds, where narrower than childhood. The protocols state the LAC band (Dorset
# D-129: looked after children of 5 to 16; its rules `care_order_to_lac` and `lgp_looked_after_without_plo` ask
# for 5 to 16 years) and the 16+ team's start (D-141: all looked after children from 16; Central Bedfordshire
# C-055 sends accommodated young people to Leaving Care); the rest is the law.
AGE_BANDS: dict[str, AgeBand] = {
    "lac": AgeBand((5, 0), (16, 0), "Dorset D-129: the LAC team holds looked after children of 5 to 16"),
    "leaving_care": AgeBand(
        (16, 0), (21, 0), "D-141: looked after young people from 16; care leavers' support to 21"
    ),
    "separated_children": AgeBand(
        (12, 0), (18, 0), "unaccompanied children seeking asylum, in practice 12 to 17"
    ),
    "private_fostering": AgeBand(
        (0, 0), (16, 0), "a privately fostered child is under 16 (Children Act s66)"
    ),
}


def age_band(kind: str) -> AgeBand:
    """The ages a service of this kind holds children at."""
    return AGE_BANDS.get(kind, CHILDHOOD)


def pre_birth_services(protocol) -> set[str]:
    """The services that may hold an unborn baby: those a pre-birth pathway starts from (a rule on `child.unborn`,
    or on an event about an unborn baby such as Central Bedfordshire's `pre_birth_assessment_concluded`), not
    counting the front door, which only takes the contact."""
    services_ = {s for rule in _pre_birth_rules(protocol) for s in rule.pathway.from_}
    return {s for s in services_ if protocol.services[s].kind.value != "front_door"}


# The plans and legal statuses a child held by each kind of service can have (CIN census plan types, SSDA903
# legal statuses). The assessment team's children are being assessed (no plan yet), or have the plan the assessment
# ended with while their transfer is under way.
PLANS_BY_KIND: dict[str, frozenset[str]] = {
    "front_door": frozenset({"none"}),
    "assessment": frozenset({"none", "cin", "cp"}),
    "cin_cp": frozenset({"cin", "cp"}),
    "court": frozenset({"cla", "cp"}),
    "lac": frozenset({"cla"}),
    "leaving_care": frozenset({"cla", "care_leaver"}),
    "disability": frozenset({"cin", "none"}),
    "private_fostering": frozenset({"none"}),
    "fostering": frozenset({"cla"}),
    "separated_children": frozenset({"cla"}),
}
LEGAL_BY_KIND: dict[str, frozenset[str]] = {
    "front_door": frozenset({"none"}),
    "assessment": frozenset({"none"}),
    "cin_cp": frozenset({"none"}),
    "court": frozenset({"interim_care_order", "none"}),  # an interim care order, or pre-proceedings (PLO)
    "lac": frozenset({"care_order", "s20"}),
    "leaving_care": frozenset({"care_order", "s20", "none"}),  # none once a care leaver, from 18
    "disability": frozenset({"none"}),
    "private_fostering": frozenset({"none"}),
    "fostering": frozenset({"s20"}),
    "separated_children": frozenset({"s20"}),
}
CASELOAD_SHARE = {"cin_cp": 30, "lac": 20, "assessment": 15, "court": 10, "leaving_care": 10, "disability": 6}
FRONT_DOOR_SHARE = 8  # of the workers: the front door's social workers hold no cases for long
UNBORN_SHARE = 0.03  # of the assessment teams' children, where a pre-birth pathway applies

SIZES = {"small": (300, 60, 500), "mid": (3_000, 250, 5_000), "large": (20_000, 250, 250_000)}


@dataclass
class DemoResult:
    authority: Authority
    children: int
    staff: int
    historic_transfers: int
    open_transfers: int
    password: str
    # Seconds each phase of the build took, in order (elapsed time, not the demo's clock).
    phases: list[tuple[str, float]] = field(default_factory=list)
    senders: str = ""  # the open transfers by sending service, and the largest sending team's count

    def timing(self) -> str:
        """The build time, in total and by phase."""
        total = sum(seconds for _, seconds in self.phases)
        return f"Build time {total:.1f} s: " + ", ".join(f"{name} {s:.1f} s" for name, s in self.phases) + "."


# `advance(stage, done, total)`: how far a long phase has got, for a progress bar (as `import_csv` reports).
Advance = Callable[[str, int, int], None]


def build_demo(
    *,
    protocol_name: str = "dorset",
    size: str = "mid",
    seed: int = 1,
    password: str | None = None,
    now: dt.datetime,
    progress: Callable[[str], None] = lambda message: None,
    advance: Advance | None = None,
) -> DemoResult:
    """Build the demo authority at `now`. `progress` gets a line for each result (and one per 20,000 historic or
    200 open transfers); `advance`, if given, the counts of the long phases, for a progress bar."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    rng = random.Random(seed)  # nosec B311  # synthetic people, the same for a seed each time: no secret
    today = timezone.localtime(now).date()
    if password is not None:
        try:  # the same rules as every password Handover sets (settings.AUTH_PASSWORD_VALIDATORS)
            validate_password(password)
        except ValidationError as broken:
            raise ValueError(f"the demo password is refused: {' '.join(broken.messages)}") from None
    password = password or secrets.token_urlsafe(12)
    children_target, staff_target, historic_target = SIZES[size]
    protocol = protocol_named(protocol_name)
    report = _Report(progress, advance)
    with transaction.atomic():
        with report.phase("teams"):
            authority = authority_sync_from_protocol(protocol_name=protocol_name)
            if authority.children.exists():
                raise ValueError(f"{authority.name} already has children's records; use a fresh database")
            teams = list(
                Team.objects.filter(service__authority=authority, active=True).select_related("service")
            )
        progress(f"{authority.name}: {len(teams)} teams from the {protocol_name} protocol")
        holding = [t for t in teams if not t.service.external and t.service.kind != "front_door"]
        weights = [CASELOAD_SHARE.get(t.service.kind, 3) / _teams_of(holding, t) for t in holding]
        with report.phase("staff"):
            staff_by_team = _staff(
                authority, teams, dict(zip(holding, weights, strict=True)), staff_target, password, today, rng
            )
        in_teams = sum(len(m) for roles in staff_by_team.values() for m in roles.values())
        everyone = StaffMember.objects.filter(authority=authority).count()
        progress(
            f"{everyone} staff: {in_teams} in teams, {everyone - in_teams} managing services or the authority"
        )
        with report.phase("children"):
            kids = _children(
                authority, protocol, holding, weights, staff_by_team, children_target, today, rng
            )
        restricted = sum(1 for k in kids if k.child.restricted)
        unborn = sum(1 for k in kids if k.child.date_of_birth is None)
        progress(
            f"{len(kids)} open children ({unborn} unborn, {restricted} restricted records) with allocations, "
            "plans, legal statuses, key events and documents"
        )
        with report.phase("historic transfers"):
            historic = _historic_transfers(
                authority, protocol, teams, staff_by_team, kids, historic_target, today, rng, report
            )
        progress(f"{historic} historic transfers")
        with report.phase("open transfers"):
            open_work = _open_transfers(authority, protocol, holding, staff_by_team, size, now, rng, report)
        progress(open_work.line())
        if open_work.sittings is not None:
            with report.phase("past meetings"):
                held = open_work.sittings.hold_past(report)
            progress(held)
        with report.phase("front door and closed records"):
            contacts = _front_door_contacts(teams, staff_by_team, now, rng)
            closed = _closed_records(authority, protocol, holding, today, rng)
        progress(f"{contacts} contacts at the front door awaiting a decision")
        if closed:
            progress(
                f"{closed} records closed years ago whose retention period has ended, for the retention review"
            )
        # As the scheduled `meetings_prepare` would leave it: the coming sittings stored, sheets past their cut-off
        # compiled, so the demo's meetings have agendas on the first morning.
        with report.phase("coming meetings"):
            prepared = meetings_prepare(authority=authority, now=now)
        for done in prepared:
            progress(done.line())
    return DemoResult(
        authority,
        len(kids) + contacts,  # the front door's children are new children too
        StaffMember.objects.filter(authority=authority).count(),
        historic,
        open_work.transfers,
        password,
        phases=report.timings,
        senders=open_work.senders_line(),
    )


@dataclass
class _Report:
    """Where the build has got to: lines (`say`), counts for a progress bar (`advance`), and each phase's time."""

    say: Callable[[str], None]
    advance: Advance | None
    timings: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str):
        started = time.perf_counter()  # elapsed time, for the build's timing: not the demo's clock
        yield
        self.timings.append((name, time.perf_counter() - started))

    def count(self, stage: str, done: int, total: int, *, every: int | None = None) -> None:
        """`done` of `total` in `stage`: to the bar each time, and a line every `every` (and at the end)."""
        if self.advance is not None:
            self.advance(stage, done, total)
        if every is not None and (done % every == 0 or done == total):
            self.say(f"  {done} {stage}")


def _teams_of(teams: list[Team], team: Team) -> int:
    return sum(1 for t in teams if t.service_id == team.service_id)


def _staff(
    authority, teams, weights, target, password, today, rng
) -> dict[int, dict[str, list[StaffMember]]]:
    """Managers and business support for every team, service managers, the authority's senior staff, and social
    workers (and personal advisers in the leaving care teams) in numbers that follow each team's caseload. Every
    name is different, so two people in a team are never confused."""
    hashed = make_password(password)
    User = get_user_model()
    plan: list[tuple[str, Role, Team | Service | None]] = []
    for team in teams:
        if team.service.external:
            plan.append((f"tm.{team.code}", Role.TEAM_MANAGER, team))
            continue
        plan += [
            (f"tm.{team.code}", Role.TEAM_MANAGER, team),
            (f"pm.{team.code}", Role.PRACTICE_MANAGER, team),
            (f"bs.{team.code}", Role.BUSINESS_SUPPORT, team),
        ]
    services_ = sorted({t.service for t in teams if not t.service.external}, key=lambda s: s.code)
    plan += [(f"sm.{s.code}", Role.SERVICE_MANAGER, s) for s in services_]
    plan += [
        ("head.of.service", Role.HEAD_OF_SERVICE, None),
        ("director", Role.SERVICE_DIRECTOR, None),
        ("auditor", Role.AUDITOR, None),
        ("administrator", Role.ADMINISTRATOR, None),
    ]
    front = [t for t in teams if t.service.kind == "front_door"]
    shares = {**weights, **{t: FRONT_DOOR_SHARE / len(front) for t in front}}
    workers = max(target - len(plan), 2 * len(shares))
    counts = _apportion(shares, workers, least=2)
    for team, count in counts.items():
        numbered: Counter = Counter()
        for n in range(count):
            role = (
                Role.PERSONAL_ADVISER if team.service.kind == "leaving_care" and n % 2 else Role.SOCIAL_WORKER
            )
            prefix = "personal" if role is Role.PERSONAL_ADVISER else "social"
            numbered[prefix] += 1
            plan.append((f"{prefix}.{team.code}.{numbered[prefix]}", role, team))
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    if len(plan) > len(names):
        raise ValueError(f"the demo has {len(names)} different staff names for {len(plan)} staff")
    names = rng.sample(names, len(plan))
    users = User.objects.bulk_create([User(username=u, password=hashed) for u, _, _ in plan])
    staff = StaffMember.objects.bulk_create(
        [
            StaffMember(
                user=user,
                authority=authority,
                name=name,
                email=f"{user.username}@example.invalid",
                phone=f"01632 {960000 + i % 1000}",  # Ofcom's range reserved for drama: never a real line
                job_title=role.label,
                social_work_england_number=f"SW{100000 + i}" if role is Role.SOCIAL_WORKER else "",
            )
            for i, (user, name, (_, role, _)) in enumerate(zip(users, names, plan, strict=True))
        ]
    )
    start = today - relativedelta(years=7)  # before the oldest historic transfer (six years back)
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


def _apportion(shares: dict, total: int, least: int) -> dict:
    """`total` split in proportion to `shares` (largest remainders), each at least `least`."""
    weight = sum(shares.values())
    exact = {k: max(least, total * w / weight) for k, w in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[
        : max(0, total - sum(counts.values()))
    ]:
        counts[k] += 1
    return counts


@dataclass
class Kid:
    """A demo child as built: the record, the team holding them and since when."""

    child: Child
    team: Team
    start: dt.date


# Documents on file by what the child's record holds (each kept only if the protocol declares the type).
DOCUMENTS_ALWAYS = ("chronology", "genogram", "child_and_family_assessment", "key_information", "case_notes")
DOCUMENTS_BY_PLAN = {
    "cin": ("child_plan", "cin_plan"),
    "cp": ("child_plan", "cp_conference_minutes", "icpc_report", "cp_agreement"),
    "cla": (
        "lac_documentation",
        "care_plan",
        "placement_plan",
        "pep",
        "pep_request",
        "health_assessment_referral",
    ),
    "care_leaver": ("pathway_plan", "needs_assessment", "identity_documents"),
}
DOCUMENTS_BY_LEGAL = {
    "interim_care_order": ("court_order", "court_report", "lpm_notes", "parenting_assessment"),
    "care_order": ("court_order",),
}
# The protocol's event recorded on the child's record when a plan or legal status starts (where it declares it).
KEY_EVENTS_BY_PLAN = {"cp": ("icpc_held",), "cin": ("cin_meeting_held", "assessment_concluded")}
KEY_EVENTS_BY_LEGAL = {
    "interim_care_order": ("care_proceedings_issued",),
    "care_order": ("care_order_made", "becomes_looked_after"),
    "s20": ("becomes_looked_after",),
}


def _children(authority, protocol, holding, weights, staff_by_team, target, today, rng) -> list[Kid]:
    surnames = [rng.choice(LAST_NAMES) for _ in range(target // 4)]
    families = Family.objects.bulk_create(
        [Family(authority=authority, name=f"{surname} family") for surname in surnames]
    )
    pre_birth = pre_birth_services(protocol)
    kids: list[Kid] = []
    for i in range(target):
        team = rng.choices(holding, weights)[0]
        kind = team.service.kind
        band = age_band(kind)
        unborn = kind == "assessment" and team.service.code in pre_birth and rng.random() < UNBORN_SHARE
        family_index = rng.randrange(len(families)) if families and rng.random() < 0.4 else None
        if unborn:
            born, expected = None, today + dt.timedelta(days=rng.randint(20, 150))
            # The pre-birth assessment started in pregnancy, weeks or months ago.
            start = today - dt.timedelta(days=rng.randint(5, 120))
        else:
            # In the band today and for at least the five days since the allocation started at the earliest.
            latest = (
                today - dt.timedelta(days=6) - relativedelta(years=band.at_least[0], months=band.at_least[1])
            )
            earliest = today - relativedelta(years=band.under[0], months=band.under[1]) + dt.timedelta(days=1)
            born, expected = earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days)), None
            first = max(today - dt.timedelta(days=400), band.entered(born))
            start = first + dt.timedelta(days=rng.randint(0, (today - dt.timedelta(days=5) - first).days))
        child = Child(
            authority=authority,
            identifier=f"DEMO{100000 + i}",
            first_name="Baby" if unborn else rng.choice(FIRST_NAMES),
            last_name=surnames[family_index] if family_index is not None else rng.choice(LAST_NAMES),
            date_of_birth=born,
            expected_date_of_birth=expected,
            gender="" if unborn else rng.choice(["female", "male"]),
            ethnicity=rng.choice(["WBRI", "WOTH", "MWBC", "ASIA", "BAFR", "OOTH"]),
            disability=None if unborn else (kind == "disability" or rng.random() < 0.05),
            locality=team.locality,
            address=f"{rng.randint(1, 120)} {rng.choice(LAST_NAMES)} Road\nExampletown EX{rng.randint(1, 9)} 1ZZ",
            family=families[family_index] if family_index is not None else None,
        )
        kids.append(Kid(child, team, start))
    # A few records restricted to the staff named on them (a child of a member of staff, a high-profile case):
    # children held after assessment, never one with a transfer the demo proposes.
    restrictable = [k for k in kids if k.team.service.kind in ("cin_cp", "lac", "court", "disability")]
    for kid in rng.sample(restrictable, min(len(restrictable), max(3, target // 300))):
        kid.child.restricted = True
    statuses = [_record_status(k.team.service.kind, k.child.date_of_birth, k.start, today, rng) for k in kids]
    for kid, status in zip(kids, statuses, strict=True):
        kid.child.asylum_status = status.asylum
    Child.objects.bulk_create([k.child for k in kids], batch_size=2000)

    allocations, legal_rows, plan_rows, documents, key_events, named = [], [], [], [], [], []
    same_worker: dict[tuple[int, int, str], StaffMember] = {}  # siblings in a team share a worker (D-033)
    documents_known, events_known = set(protocol.document_types), set(protocol.events)
    adviser_purpose = "personal_adviser" in protocol.secondary_allocations
    for kid, status in zip(kids, statuses, strict=True):
        child, team, start = kid.child, kid.team, kid.start
        roles = staff_by_team[team.pk]
        role = (
            Role.PERSONAL_ADVISER
            if status.plan == "care_leaver" and roles.get("personal_adviser")
            else (Role.SOCIAL_WORKER)
        )
        key = (child.family_id or -child.pk, team.pk, role.value)
        worker = same_worker.get(key) if child.family_id else None
        worker = worker or rng.choice(roles[role.value])
        same_worker[key] = worker
        allocations.append(
            Allocation(
                child=child,
                kind=AllocationKind.PRIMARY,
                team=team,
                worker=worker,
                role=role,
                start=start,
                start_reason=ChangeReason.TSPROC,
            )
        )
        born = child.date_of_birth
        if adviser_purpose and status.plan == "cla" and team.service.kind == "leaving_care":
            # D-140, D-141: a personal adviser from 15 years 9 months, jointly allocated with the social worker.
            advisers = roles.get("personal_adviser")
            if advisers:
                allocations.append(
                    Allocation(
                        child=child,
                        kind=AllocationKind.SECONDARY,
                        team=team,
                        worker=rng.choice(advisers),
                        role=Role.PERSONAL_ADVISER,
                        purpose="personal_adviser",
                        start=max(born + relativedelta(years=15, months=9), today - dt.timedelta(days=700)),
                    )
                )
        for plan, since, until in status.plans:
            plan_rows.append(PlanEpisode(child=child, plan=plan, start=since, end=until))
            key_events += [
                KeyEvent(child=child, event_type=e, date=since)
                for e in KEY_EVENTS_BY_PLAN.get(plan, ())
                if e in events_known
            ][:1]
        for legal, since, until in status.legal:
            legal_rows.append(LegalStatusEpisode(child=child, status=legal, start=since, end=until))
            key_events += [
                KeyEvent(child=child, event_type=e, date=since)
                for e in KEY_EVENTS_BY_LEGAL.get(legal, ())
                if e in events_known
            ][:1]
        documents += _documents(child, status, start, documents_known, today, rng)
        if child.restricted:  # named on it: the worker and the team's managers
            people = {p.pk: p for p in (worker, *roles["team_manager"], *roles["practice_manager"])}
            named += [RestrictedAccess(child=child, staff=p) for p in people.values()]
    Allocation.objects.bulk_create(allocations, batch_size=2000)
    PlanEpisode.objects.bulk_create(plan_rows, batch_size=2000)
    LegalStatusEpisode.objects.bulk_create(legal_rows, batch_size=2000)
    KeyEvent.objects.bulk_create(key_events, batch_size=2000)
    DocumentOnFile.objects.bulk_create(documents, batch_size=2000)
    RestrictedAccess.objects.bulk_create(named)
    return kids


@dataclass
class Status:
    """A child's plans and legal statuses over time, (value, start, end or None), and asylum status."""

    plans: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    legal: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    asylum: str = "none"

    @property
    def plan(self) -> str:
        return next((p for p, _, end in self.plans if end is None), "none")

    @property
    def legal_status(self) -> str:
        return next((s for s, _, end in self.legal if end is None), "none")


def _record_status(kind: str, born: dt.date | None, start: dt.date, today: dt.date, rng) -> Status:
    """The plan and legal status of a child held by a service of this kind since `start`: a CIN or CP plan in
    the CIN and CP teams; an interim care order (or a child protection plan before proceedings) in the court
    team; a care order or section 20 in looked after teams; a care leaver's pathway from 18."""
    status = Status()
    if born is None or kind in ("front_door", "assessment", "private_fostering"):
        return status  # being assessed: no plan yet (the transfer's plan is recorded when it is proposed)

    def before(days: int, floor: dt.date) -> dt.date:
        return max(floor, start - dt.timedelta(days=rng.randint(0, days)))

    if kind == "cin_cp":
        status.plans.append(("cin" if rng.random() < 0.6 else "cp", before(15, born), None))
    elif kind == "disability":
        if rng.random() < 0.8:
            status.plans.append(("cin", before(15, born), None))
    elif kind == "court":
        if rng.random() < 0.7:
            since = before(10, born)
            status.plans.append(("cla", since, None))
            status.legal.append(("interim_care_order", since, None))
        else:  # pre-proceedings under the Public Law Outline: the child protection plan continues
            status.plans.append(("cp", before(60, born), None))
    elif kind in ("lac", "fostering", "separated_children"):
        since = before(3 * 365, born)
        status.plans.append(("cla", since, None))
        legal = "care_order" if kind == "lac" and rng.random() < 0.65 else "s20"
        status.legal.append((legal, since, None))
        if kind == "separated_children":
            status.asylum = "unaccompanied_seeking_asylum"
    elif kind == "leaving_care":
        adult = born + relativedelta(years=18)
        since = max(
            born + relativedelta(years=rng.randint(8, 15)), min(start, adult) - dt.timedelta(days=3 * 365)
        )
        legal = "care_order" if rng.random() < 0.6 else "s20"
        unaccompanied = legal == "s20" and rng.random() < 0.4
        if adult <= today:  # a care leaver: looked after until 18, the pathway plan since
            end = adult - dt.timedelta(days=1)
            status.plans += [("cla", since, end), ("care_leaver", adult, None)]
            status.legal.append((legal, since, end))
            status.asylum = "leave_to_remain" if unaccompanied else "none"
        else:
            status.plans.append(("cla", since, None))
            status.legal.append((legal, since, None))
            status.asylum = "unaccompanied_seeking_asylum" if unaccompanied else "none"
    return status


def _documents(
    child, status: Status, start: dt.date, known: set[str], today: dt.date, rng
) -> list[DocumentOnFile]:
    """What is on the child's file, each dated on a day since the child was born (or, before birth, since the
    pre-birth assessment began) and never after today."""
    born = child.date_of_birth
    plan_since = next((since for p, since, end in status.plans if end is None), start)
    legal_since = next((since for s, since, end in status.legal if end is None), start)
    candidates: list[tuple[str, dt.date]] = [
        (t, max(born or start, start - dt.timedelta(days=365))) for t in DOCUMENTS_ALWAYS
    ]
    candidates += [(t, plan_since) for t in DOCUMENTS_BY_PLAN.get(status.plan, ())]
    candidates += [(t, legal_since) for t in DOCUMENTS_BY_LEGAL.get(status.legal_status, ())]
    candidates = [(t, since) for t, since in candidates if t in known]
    chosen = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 5)))
    documents = [
        DocumentOnFile(
            child=child,
            document_type=t,
            dated=since + dt.timedelta(days=rng.randint(0, max(0, (today - since).days))),
        )
        for t, since in chosen
    ]
    if born is not None and "birth_certificate" in known and rng.random() < 0.5:
        documents.append(
            DocumentOnFile(
                child=child,
                document_type="birth_certificate",
                dated=min(today, born + dt.timedelta(days=rng.randint(1, 42))),  # registered within 42 days
            )
        )
    return documents


HISTORY_YEARS = 6
# How often cases move from one kind of service to another, relatively (a pair not named: 1): most go from the
# front door to assessment, and from assessment to the CIN and CP teams.
FLOWS = {
    ("front_door", "assessment"): 40,
    ("assessment", "cin_cp"): 25,
    ("assessment", "disability"): 5,
    ("cin_cp", "court"): 6,
    ("court", "lac"): 5,
    ("lac", "leaving_care"): 5,
    ("cin_cp", "lac"): 4,
    ("court", "cin_cp"): 4,
    ("assessment", "court"): 3,
    ("front_door", "cin_cp"): 3,
    ("assessment", "lac"): 2,
    ("cin_cp", "leaving_care"): 2,
    ("lac", "cin_cp"): 2,
    ("front_door", "disability"): 2,
    ("front_door", "leaving_care"): 2,
    ("separated_children", "leaving_care"): 2,
}


@dataclass(frozen=True)
class _Move:
    """A kind of historic transfer: one of the protocol's pathways, from one service to another."""

    pathway: str
    event: str
    route_kind: str
    kind: str
    from_teams: tuple[Team, ...]
    to_teams: tuple[Team, ...]
    from_band: AgeBand
    to_band: AgeBand


def _moves(protocol, teams) -> tuple[list[_Move], list[float]]:
    """The moves the protocol's pathways allow between the authority's own services (not to external ones, not
    back to "the previous service"), each weighted by how busy its two ends are."""
    by_service: dict[str, list[Team]] = defaultdict(list)
    for team in teams:
        if not team.service.external:
            by_service[team.service.code].append(team)
    events: dict[str, str] = {}
    for event, rules in protocol.rules_by_event.items():
        for rule in rules:
            events.setdefault(rule.pathway.id, event)
    pre_birth = _pre_birth_pathways(protocol)
    moves, pairs = [], []
    for pathway in protocol.pathways.values():
        if pathway.id in pre_birth:
            continue  # made before the child was born: not for a history of children born since
        targets = (pathway.to.service,) if pathway.to.service else pathway.to.choose_from
        for source in pathway.from_:
            for target in targets:
                if source == target or not by_service.get(source) or not by_service.get(target):
                    continue
                if by_service[target][0].service.kind == "front_door":
                    continue
                from_kind, to_kind = by_service[source][0].service.kind, by_service[target][0].service.kind
                moves.append(
                    _Move(
                        pathway=pathway.id,
                        event=events.get(pathway.id, "referral"),
                        route_kind=protocol.routes[pathway.route].kind.value,
                        kind=AllocationKind.SECONDARY if pathway.secondary else AllocationKind.PRIMARY,
                        from_teams=tuple(by_service[source]),
                        to_teams=tuple(by_service[target]),
                        from_band=age_band(from_kind),
                        to_band=age_band(to_kind),
                    )
                )
                pairs.append((from_kind, to_kind))
    # A pair's flow shared between the pathways that make it.
    ways = Counter(pairs)
    return moves, [FLOWS.get(pair, 1) / ways[pair] for pair in pairs]


def _pre_birth_rules(protocol) -> list:
    """The rules about an unborn baby: on `child.unborn`, or on an event about one (a pre-birth assessment)."""
    return [
        rule
        for event, rules in protocol.rules_by_event.items()
        for rule in rules
        if "unborn" in event or "pre_birth" in event or "child.unborn" in repr(rule.spec.when)
    ]


def _pre_birth_pathways(protocol) -> set[str]:
    """The pathways only ever taken before a baby is born (every rule naming them is about an unborn baby)."""
    pre_birth = {id(rule) for rule in _pre_birth_rules(protocol)}
    named: dict[str, list] = defaultdict(list)
    for rules in protocol.rules_by_event.values():
        for rule in rules:
            named[rule.pathway.id].append(id(rule) in pre_birth)
    return {pathway for pathway, about_unborn in named.items() if all(about_unborn)}


def _historic_transfers(authority, protocol, teams, staff_by_team, kids, target, today, rng, report) -> int:
    """Closed transfers over the past six years, along the protocol's pathways: the demand and delay history
    managers look at. Each is of a child who was of an age the sending service holds when it was proposed, and
    of an age the receiving service holds when it was made, and ended before the child's current allocation."""
    moves, weights = _moves(protocol, teams)
    born = [k for k in kids if k.child.date_of_birth is not None]
    if not moves or not born:
        return 0
    bands = {m.from_band for m in moves} | {m.to_band for m in moves}
    # Per band, per child: the first day in the band and the first day past it (as day numbers).
    edges = {
        band: [
            (band.entered(k.child.date_of_birth).toordinal(), band.left(k.child.date_of_birth).toordinal())
            for k in born
        ]
        for band in bands
    }
    starts = [k.start.toordinal() for k in born]
    oldest = (today - relativedelta(years=HISTORY_YEARS)).toordinal()
    newest = (today - dt.timedelta(days=20)).toordinal()
    cumulative = list(_running(weights))
    made = misses = 0
    batch = 20_000
    while made < target:
        rows = []
        while len(rows) < min(batch, target - made):
            move = rng.choices(moves, cum_weights=cumulative)[0]
            for _ in range(20):
                i = rng.randrange(len(born))
                took = rng.randint(3, 40)
                (from_in, from_out), (to_in, to_out) = edges[move.from_band][i], edges[move.to_band][i]
                low = max(oldest, from_in, to_in - took)
                high = min(newest, starts[i] - took, from_out - 1, to_out - 1 - took)
                if low <= high:
                    break
            else:
                misses += 1  # no child fits this move often enough: draw another
                if misses > 1_000 + 10 * target:
                    raise ValueError("too few children of the right ages for the demo's historic transfers")
                continue
            proposed = dt.date.fromordinal(rng.randint(low, high))
            done = proposed + dt.timedelta(days=took)
            from_team = rng.choice(move.from_teams)
            local = [t for t in move.to_teams if t.locality and t.locality == from_team.locality]
            to_team = rng.choice(local or move.to_teams)
            rows.append(
                Transfer(
                    child=born[i].child,
                    kind=move.kind,
                    state=State.TRANSFERRED,
                    protocol=authority.protocol,
                    protocol_version="demo",
                    event=move.event,
                    event_date=proposed,
                    situation={"event": move.event, "date": proposed.isoformat()},
                    pathway=move.pathway,
                    route_kind=move.route_kind,
                    from_team=from_team,
                    to_service=to_team.service,
                    to_team=to_team,
                    transfer_date=done,
                    proposed_by=_manager(staff_by_team, from_team.pk),
                    proposed_at=_at_fast(proposed, rng),
                    closed_at=_at_fast(done, rng),
                    version=7,
                )
            )
        Transfer.objects.bulk_create(rows, batch_size=5000)
        TransferEvent.objects.bulk_create(
            [
                TransferEvent(
                    transfer=t,
                    action="complete",
                    from_state="handover_held",
                    to_state="transferred",
                    actor_id=_manager(staff_by_team, t.to_team_id).pk,
                    at=t.closed_at,
                )
                for t in rows
            ],
            batch_size=5000,
        )
        made += len(rows)
        report.count("historic transfers", made, target, every=batch)
    return made


def _running(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _at_fast(day: dt.date, rng) -> dt.datetime:
    """An instant in the working day of `day` (local time), for a day in the past."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=rng.randint(0, 420))
    )


# Open transfers by size: the large demo carries the open work of a large authority, so its pages and the sweep
# are measured on realistic work (issue 10); the small and mid demos have enough to show every step.
OPEN_TRANSFERS = {"small": 30, "mid": 60, "large": 1_200}
# The first few are proposed today and half listed: the coming transfer meeting's agenda.
PROPOSED_TODAY = {"small": 10, "mid": 20, "large": 40}
# Then at least these, so the escalations page and the overdue work have something on the first morning.
AT_LEAST = [State.ESCALATED, State.ESCALATED, State.ESCALATED, State.BLOCKED, State.BLOCKED]
# Whether the open work starts in every service that passes children on (`SENDING_SHARE`), and the past weeks'
# transfer meetings are held with their decisions. The small and mid demos start it all from assessment and
# agree outside a meeting, as before: tests read their content (issue 14).
SPREAD_OPEN_WORK = {"small": False, "mid": False, "large": True}

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
# A referral to another authority goes in writing once the file is ready (D-187): the demo leaves it proposed.
STAYS_PROPOSED = {"another_authority"}
PROPOSED_WITHIN = 25  # working days: proposals were made over the past five weeks
# Working days ago at least, for a case agreed at a meeting since (large demo): listed, then the sitting held.
AGREED_WITHIN = 12
BLOCK_REASONS = [
    "The receiving team has no worker with capacity before the transfer date",
    "The chronology and assessment are not up to date on the file",
    "The teams disagree that the threshold for the receiving service is met",
    "The family's new address is not yet confirmed",
]
LATE_REASON = (
    "The receiving team could not take the case by the protocol's date; agreed for the next fortnight"
)
ESCALATE_REASON = "The managers could not agree between them; escalated on the protocol's ladder"
REMEDIAL_ACTIONS = [
    "Bring the chronology up to date",
    "Upload the signed child and family assessment",
    "Arrange a joint visit with the receiving worker",
    "Confirm the school and GP details on the record",
    "Complete the genogram",
]
DEFER_REASONS = [
    "The transfer summary was not authorised in time for the meeting",
    "The receiving team asked for the updated assessment first",
    "The child protection review conference is next week; discuss after it",
    "The sending manager could not attend",
]

# Where a large authority's open transfers start, relatively, by the kind of service sending them: as a front
# door sees the work, most from assessment, then the CIN and CP teams, the court and LAC teams, a few from the
# rest. A service with nowhere the protocol sends its children from has none.
SENDING_SHARE = {
    "assessment": 45,
    "cin_cp": 25,
    "court": 10,
    "lac": 10,
    "separated_children": 3,
    "leaving_care": 3,
    "private_fostering": 2,
    "disability": 2,
}
# No team sends more than this share of the open work, nor more than STRETCH times what its service's share gives
# it: what a capped team would have sent goes to the others. With two assessment teams in Dorset, assessment sends
# 30%, not 45%. Where the teams cannot share the work so (Central Bedfordshire: one assessment team of six
# sending teams), the limits are raised alike.
MOST_FROM_ONE_TEAM = 0.15
STRETCH = 2
ASSESSED = "assessment ends"  # the assessment's own ending: `_answers_for` chooses the event and the plan


@dataclass(frozen=True)
class Move:
    """A reason the protocol moves a child on from a service of `kind`, and what it changes on the record from
    the day it happened: the plan (unless the child's is one of `keeps`) and the legal status ("none": the
    looked after status ends). The protocol's own rules decide where the child goes; a move whose event the
    protocol does not route from the child's service is never tried."""

    kind: str
    event: str
    weight: int
    facts: tuple[tuple[str, object], ...] = ()
    plan: str = ""
    keeps: frozenset[str] = frozenset()
    legal: str = ""
    when_plan: frozenset[str] | None = None  # only a child with one of these plans
    when_legal: frozenset[str] | None = None  # only a child with one of these legal statuses
    ages: tuple[int, int] = (0, 25)  # years: at least, under

    def fits(self, age: int, plan: str, legal: str) -> bool:
        return (
            self.ages[0] <= age < self.ages[1]
            and (self.when_plan is None or plan in self.when_plan)
            and (self.when_legal is None or legal in self.when_legal)
        )


PLO = (("lgp_outcome", "initiate_plo"),)
ACCOMMODATED = (("lgp_outcome", "looked_after_without_plo"),)
ICO = frozenset({"interim_care_order"})
# The events that move children on, by sending service, for either protocol (an event a protocol does not declare,
# or does not route from the service, is left out): Dorset's Legal Gateway Panel and care orders, Central
# Bedfordshire's care proceedings and CIN meetings after court.
OPEN_MOVES = (
    Move("assessment", ASSESSED, 80),
    Move("assessment", "lgp_decision", 6, PLO, plan="cp"),
    Move("assessment", "lgp_decision", 4, ACCOMMODATED, plan="cla", legal="s20", ages=(5, 16)),
    Move("assessment", "becomes_looked_after", 5, plan="cla", legal="s20"),
    Move("assessment", "care_proceedings_issued", 10, plan="cla", legal="interim_care_order"),
    Move("assessment", "assessment_concluded", 4, (("assessment_outcome", "step_down_early_help"),)),
    Move("assessment", "moves_to_another_authority", 1),
    Move("cin_cp", "lgp_decision", 25, PLO, plan="cp", keeps=frozenset({"cp"})),
    Move("cin_cp", "lgp_decision", 15, ACCOMMODATED, plan="cla", legal="s20", ages=(5, 16)),
    Move("cin_cp", "becomes_looked_after", 15, plan="cla", legal="s20"),
    Move("cin_cp", "care_proceedings_issued", 60, plan="cla", legal="interim_care_order"),
    Move("cin_cp", "assessment_concluded", 15, (("assessment_outcome", "step_down_early_help"),)),
    Move("cin_cp", "private_fostering_assessment_completed", 10, (("private_fostering_arrangement", True),)),
    Move("cin_cp", "moves_to_another_authority", 2),
    Move("court", "care_order_made", 45, legal="care_order", when_legal=ICO, ages=(5, 16)),
    Move("court", "placement_order_made", 15, legal="placement_order", when_legal=ICO, ages=(0, 5)),
    Move("court", "proceedings_concluded", 35, plan="cp", legal="none"),
    Move("court", "cin_meeting_held", 100, plan="cin", legal="none"),
    Move("court", "moves_to_another_authority", 1),
    Move("lac", "ceases_looked_after", 55, (("plan_exceeds_3_months", True),), plan="cin", legal="none"),
    Move(
        "lac",
        "ceases_looked_after",
        10,
        (("plan_exceeds_3_months", True),),
        plan="cin",
        legal="supervision_order",
    ),
    Move("lac", "lgp_decision", 10, PLO, when_legal=frozenset({"s20"})),
    Move("lac", "moves_to_another_authority", 2),
    Move("separated_children", "age_reached", 100, when_plan=frozenset({"cla"}), ages=(16, 18)),
    Move("leaving_care", "cin_meeting_held", 100, plan="cin", legal="none", ages=(16, 18)),
    Move("private_fostering", "child_protection_concerns", 100),
    Move("disability", "moves_to_another_authority", 100),
)


def routes_from(protocol, event: str, service: str) -> bool:
    """Whether the protocol has a rule on `event` whose pathway starts from `service`."""
    events = ("icpc_held", "assessment_concluded", "cin_meeting_held") if event == ASSESSED else (event,)
    return any(service in rule.pathway.from_ for e in events for rule in protocol.rules_by_event.get(e, ()))


def moves_from(protocol, service) -> list[Move]:
    """The moves that can start a transfer from `service` under the protocol."""
    return [m for m in OPEN_MOVES if m.kind == service.kind and routes_from(protocol, m.event, service.code)]


def capped_shares(weights: dict, cap: float, stretch: float = STRETCH) -> dict:
    """`weights` as fractions of 1, none above `cap` nor above `stretch` times its own fraction: what a capped key
    would have had goes to the others in proportion to their weights. Where the keys cannot share the whole so
    (n keys cannot each have less than 1/n), every limit is raised in the same proportion."""
    total = sum(w for w in weights.values() if w > 0)
    raw = {k: w / total for k, w in weights.items() if w > 0}
    limits = {k: min(cap, stretch * r) for k, r in raw.items()}
    room = sum(limits.values())
    if room < 1:
        limits = {k: limit / room for k, limit in limits.items()}
    shares: dict = {}
    while True:
        free = {k: r for k, r in raw.items() if k not in shares}
        left, weight = 1 - sum(shares.values()), sum(free.values())
        over = [k for k, r in free.items() if r / weight * left > limits[k]]
        if not over:
            return {**shares, **{k: r / weight * left for k, r in free.items()}}
        shares.update({k: limits[k] for k in over})


def sending_shares(protocol, teams: list[Team]) -> dict[Team, float]:
    """Each team's share of the open work: its service's `SENDING_SHARE` split between the service's teams, only
    for services the protocol moves children on from, and no team above `MOST_FROM_ONE_TEAM` (nor above twice
    that share) where the teams allow it."""
    senders = [t for t in teams if moves_from(protocol, t.service)]
    return capped_shares(
        {t: SENDING_SHARE.get(t.service.kind, 1) / _teams_of(senders, t) for t in senders}, MOST_FROM_ONE_TEAM
    )


class Senders:
    """The next child whose transfer the demo proposes: always from the team furthest below its share of the
    transfers made so far, so the shares hold whenever the building stops. A team's children are taken longest
    held first; a team whose children run out is passed over."""

    def __init__(self, shares: dict[Team, float], candidates: dict[Team, list[Allocation]], made: Counter):
        self.shares = shares
        self.queues = {team: deque(candidates.get(team, ())) for team in shares}
        self.made = made  # transfers made so far, by sending team
        self.order = {team: i for i, team in enumerate(shares)}

    def __iter__(self):
        while True:
            teams = [t for t in self.shares if self.queues[t]]
            if not teams:
                return
            team = min(teams, key=lambda t: ((self.made[t] + 1) / self.shares[t], self.order[t]))
            yield self.queues[team].popleft()


def _candidates(authority, teams: list[Team], limit: int) -> dict[Team, list[Allocation]]:
    """For each team, up to `limit` of its children whose transfer the demo may propose: born, not restricted,
    with no open transfer, longest held first."""
    moving = Transfer.objects.filter(child__authority=authority, state__in=[s.value for s in OPEN_STATES])
    return {
        team: list(
            Allocation.objects.filter(
                team=team,
                end__isnull=True,
                kind=AllocationKind.PRIMARY,
                child__restricted=False,
                child__date_of_birth__isnull=False,
            )
            .exclude(child__in=moving.values("child"))
            .select_related("child__authority", "team__service", "worker")
            .order_by("start", "pk")[:limit]
        )
        for team in teams
    }


@dataclass
class OpenWork:
    """What `_open_transfers` made: transfers by the state they reached and by sending team, remedial actions,
    refusals, and the past weeks' meetings where they were agreed (large demo)."""

    states: Counter = field(default_factory=Counter)
    remedial_open: int = 0
    remedial_done: int = 0
    refused: Counter = field(default_factory=Counter)
    sent: Counter = field(default_factory=Counter)  # by sending team
    sittings: Sittings | None = None

    @property
    def transfers(self) -> int:
        return sum(self.states.values())

    def made(self, transfer: Transfer, team: Team) -> None:
        self.states[transfer.state] += 1
        self.sent[team] += 1

    def line(self) -> str:
        states = ", ".join(f"{n} {state}" for state, n in self.states.most_common())
        refused = (
            f"; {sum(self.refused.values())} steps refused ({dict(self.refused)})" if self.refused else ""
        )
        return (
            f"{self.transfers} open transfers ({states}); remedial actions: {self.remedial_open} open, "
            f"{self.remedial_done} done{refused}"
        )

    def senders_line(self) -> str:
        """The open transfers by sending service, and the largest sending team's count."""
        total = sum(self.sent.values())
        if not total:
            return "No open transfers."
        by_service: Counter = Counter()
        for team, n in self.sent.items():
            by_service[team.service.name] += n
        services_ = ", ".join(f"{name} {n} ({n / total:.0%})" for name, n in by_service.most_common())
        team, n = max(self.sent.items(), key=lambda item: (item[1], -item[0].pk))
        return (
            f"Open transfers by sending service: {services_}; the largest sending team: {team.name}, {n} of "
            f"{total} ({n / total:.0%})."
        )


def _open_transfers(authority, protocol, holding, staff_by_team, size, now, rng, report) -> OpenWork:
    """Live transfers through the real services, proposed over the past weeks and taken along the workflow on
    the days they happened, so their events, deadlines (some overdue, some due soon), escalations and audit rows
    are real. Each child's plan and legal status are the ones the event that moved them left, recorded on the day
    it was proposed. The large demo's start in every sending service (`SENDING_SHARE`) and are agreed at the
    transfer meetings of the past weeks; the others' start from assessment, agreed by the receiving managers."""
    today = timezone.localtime(now).date()
    made = OpenWork()
    wanted, agenda = OPEN_TRANSFERS[size], PROPOSED_TODAY[size]
    spread, before = SPREAD_OPEN_WORK[size], 0
    if spread:
        # The 16+ team's coming work first, so the LAC team's share of the open work counts it.
        _personal_advisers(authority, protocol, staff_by_team, size, now, rng, made)
        before = made.transfers
        shares = sending_shares(protocol, holding)
        limit = max(40, int(max(shares.values(), default=0) * wanted * 3))
        sources = iter(Senders(shares, _candidates(authority, list(shares), limit), made.sent))
        since = protocol.calendar.subtract(today, Duration.working_days(PROPOSED_WITHIN))
        made.sittings = Sittings.schedule(authority, protocol, staff_by_team, since, now, rng)
    else:
        sources = iter(
            Allocation.objects.filter(
                child__authority=authority,
                end__isnull=True,
                kind=AllocationKind.PRIMARY,
                team__service__kind="assessment",
                child__restricted=False,
                child__date_of_birth__isnull=False,
            )
            .select_related("child__authority", "team", "worker")
            .order_by("start", "pk")[: wanted * 2]
        )
    states, weights = list(OPEN_MIX), list(OPEN_MIX.values())
    for n, allocation in enumerate(sources):
        if made.transfers - before == wanted:
            break
        mixed = made.transfers - before - agenda
        if mixed < 0:
            target, proposed_on = (State.LISTED if n % 2 == 0 else State.PROPOSED), today
        else:
            target = AT_LEAST[mixed] if mixed < len(AT_LEAST) else rng.choices(states, weights)[0]
            # Agreed at a meeting (large demo): proposed long enough ago for its sitting to have been held.
            earliest = AGREED_WITHIN if spread and MOVES_TO.get(target, 0) >= MOVES_TO[State.AGREED] else 3
            proposed_on = max(
                protocol.calendar.subtract(
                    today, Duration.working_days(rng.randint(earliest, PROPOSED_WITHIN))
                ),
                # Not before the child came to the sending team (the protocol routes from where they are).
                protocol.calendar.add(allocation.start, Duration.working_days(1)),
            )
            proposed_on = min(proposed_on, today)
        if spread:
            move = _choose_move(allocation, protocol, proposed_on, rng)
            if move is None:
                continue  # nothing the protocol moves this child on for: the next one
            transfer = _propose_move(allocation, move, protocol, proposed_on, now, rng, made)
        else:
            transfer = _propose(allocation, protocol, proposed_on, now, rng, made)
        if transfer is None:
            continue
        _involved_professionals(allocation.child, rng)
        transfer = _take_along(
            transfer, target, staff_by_team, protocol, proposed_on, now, rng, made, made.sittings
        )
        made.made(transfer, allocation.team)
        if mixed >= 0 and rng.random() < 0.4:
            _remedial_actions(transfer, allocation.worker, staff_by_team, proposed_on, now, rng, made)
        report.count("open transfers", made.transfers - before, wanted, every=200 if wanted > 200 else None)
    if not spread:
        _personal_advisers(authority, protocol, staff_by_team, size, now, rng, made)
    return made


def _years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _open_on(model, child, day: dt.date):
    """The child's episodes (plans or legal statuses) open on `day`, as the situation of a proposal reads them."""
    return model.objects.filter(child=child, start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


def _choose_move(allocation, protocol, day, rng) -> Move | None:
    """One of the moves the protocol makes from the child's service that fit the child's age, plan and legal
    status on `day`, by weight; None if none does."""
    child = allocation.child
    plan = _open_on(PlanEpisode, child, day).values_list("plan", flat=True).first() or "none"
    legal = _open_on(LegalStatusEpisode, child, day).values_list("status", flat=True).first() or "none"
    age = _years(child.date_of_birth, day)
    fits = [m for m in moves_from(protocol, allocation.team.service) if m.fits(age, plan, legal)]
    return rng.choices(fits, [m.weight for m in fits])[0] if fits else None


def _propose_move(allocation, move: Move, protocol, day, now, rng, made: OpenWork) -> Transfer | None:
    """Propose the child's move for `move`'s event on `day`, with the plan and legal status it leaves recorded
    from that day and the event on the child's record (all of it undone if the proposal is refused)."""
    if move.event == ASSESSED:
        return _propose(allocation, protocol, day, now, rng, made)
    child = allocation.child
    facts = dict(move.facts)
    try:
        with transaction.atomic():  # a savepoint: a refused proposal leaves the record as it was
            _record_change(child, move, day)
            if move.event in protocol.events:
                outcome = facts.get("lgp_outcome")
                KeyEvent.objects.create(
                    child=child,
                    event_type=move.event,
                    date=day,
                    notes=f"Outcome: {outcome}" if outcome else "",
                )
            return _proposal(
                allocation, protocol, move.event, {"facts": facts} if facts else {}, day, now, rng
            )
    except Refusal as refusal:
        made.refused[f"propose on {move.event}: {type(refusal).__name__}"] += 1
        return None


def _record_change(child, move: Move, day: dt.date) -> None:
    """The plan and legal status `move` leaves, from `day`: what was open before ends the day before."""
    if move.plan:
        current = list(PlanEpisode.objects.filter(child=child, end__isnull=True))
        if not any(e.plan in move.keeps | {move.plan} for e in current):
            _end(current, day)
            PlanEpisode.objects.create(child=child, plan=move.plan, start=day)
    if move.legal:
        current = list(LegalStatusEpisode.objects.filter(child=child, end__isnull=True))
        if not any(e.status == move.legal for e in current):
            _end(current, day)
            if move.legal != "none":
                LegalStatusEpisode.objects.create(child=child, status=move.legal, start=day)


def _end(episodes, day: dt.date) -> None:
    for episode in episodes:
        episode.end = max(episode.start, day - dt.timedelta(days=1))
        episode.save(update_fields=["end"])


class Sittings:
    """The transfer meetings of the weeks the open work covers (large demo), through the meetings' services:
    every sitting stored before any case is listed (`meeting_sitting_schedule`), each case agreed at the sitting
    its listing made, on the day it sat (`meeting_record_decision`), then the past sittings held: the cases still
    listed deferred with a reason (or not reached), attendance and minutes recorded, closed (`meeting_close`).
    Only meetings with an early warning sheet: one with only an age list (Dorset's 16+ meeting) hears no listed
    case. The coming sittings are left to `meetings_prepare`, as every morning."""

    def __init__(self, authority, protocol, staff_by_team, now, rng):
        self.authority, self.protocol, self.staff_by_team = authority, protocol, staff_by_team
        self.now, self.rng = now, rng
        self.today = timezone.localtime(now).date()
        self.heard: dict[str, str] = {}  # pathway: the meeting whose early warning sheet has it
        self.recorders: dict[str, StaffMember] = {}
        teams = Team.objects.in_bulk(list(staff_by_team))
        for spec in protocol.file.meetings:
            heard = meeting_selectors.pathways_at(protocol, Meeting(authority=authority, meeting=spec.id))
            for pathway in heard:
                self.heard.setdefault(pathway, spec.id)
            # Business support of the first team whose managers chair the meeting record it (D-178).
            for team_id, roles in sorted(staff_by_team.items()):
                if roles.get("business_support") and teams[team_id].service.code in spec.chair_from:
                    self.recorders[spec.id] = roles["business_support"][0]
                    break

    @classmethod
    def schedule(cls, authority, protocol, staff_by_team, since: dt.date, now, rng) -> Sittings | None:
        """Store every sitting of the meetings with an early warning sheet, from the one a case listed on `since`
        makes to the last before today. None if the protocol has no such meeting."""
        sittings = cls(authority, protocol, staff_by_team, now, rng)
        if not sittings.heard:
            return None
        for meeting_id in sorted(set(sittings.heard.values())):
            day = since
            while True:
                planned = meeting_selectors.sitting_for(authority=authority, on=day, meeting_id=meeting_id)
                if planned.sits_on >= sittings.today:
                    break
                meeting_sitting_schedule(
                    authority=authority, on=day, meeting_id=meeting_id, now=_at(day, now, rng)
                )
                day = planned.cutoff + dt.timedelta(days=1)
        return sittings

    def hears(self, transfer: Transfer) -> bool:
        """Whether a meeting's early warning sheet has the transfer's pathway (else its managers agree it)."""
        return transfer.pathway in self.heard

    def recorder(self, meeting: Meeting) -> StaffMember:
        return self.recorders.get(meeting.meeting) or meeting.chair

    def agree(self, transfer: Transfer, listed_on: dt.date) -> tuple[Transfer, dt.date] | None:
        """Agree the transfer at the sitting its listing on `listed_on` made, on the day it sat, by a manager of
        the receiving team there; None if that sitting is still to come (or the case is not on its sheet)."""
        meeting = meeting_selectors.sitting_for(
            authority=self.authority, on=listed_on, meeting_id=self.heard[transfer.pathway]
        )
        if meeting.pk is None or meeting.sits_on >= self.today:
            return None
        day = meeting.sits_on
        early_warning_sheet_compile(meeting=meeting, now=_at_clock(day, 9, self.now))
        item = meeting.items.filter(transfer=transfer).first()
        if item is None:
            return None
        terms = _agreement_terms(transfer, self.protocol, day, self.rng)
        meeting_record_decision(
            actor=_on(self.recorder(meeting), day),
            item=item,
            decision=Decision.AGREED,
            decided_by=_on(_manager(self.staff_by_team, terms["to_team"].pk), day),
            to_team=terms["to_team"],
            transfer_date=terms["transfer_date"],
            now=_at_clock(day, 10, self.now),
        )
        transfer.refresh_from_db()
        return transfer, day

    def hold_past(self, report) -> str:
        """Hold every sitting before today, in order: so a case deferred at one rolls on to the next."""
        past = list(
            Meeting.objects.filter(authority=self.authority, sits_on__lt=self.today)
            .exclude(status=Meeting.Status.CLOSED)
            .select_related("chair", "authority")
            .order_by("sits_on", "meeting")
        )
        decided: Counter = Counter()
        for n, meeting in enumerate(past, 1):
            day = meeting.sits_on
            recorder = _on(self.recorder(meeting), day)
            early_warning_sheet_compile(meeting=meeting, now=_at_clock(day, 9, self.now))
            for item in meeting.items.filter(decision=Decision.PENDING).select_related("transfer"):
                if item.transfer.state == State.LISTED and self.rng.random() < 0.75:
                    meeting_record_decision(
                        actor=recorder,
                        item=item,
                        decision=Decision.DEFERRED,
                        reason=self.rng.choice(DEFER_REASONS),
                        now=_at_clock(day, 11, self.now),
                    )
            outcomes = Counter(meeting.items.values_list("decision", flat=True))
            agreed, deferred = outcomes[Decision.AGREED], sum(outcomes.values()) - outcomes[Decision.AGREED]
            people = {p.pk: p for p in (*meeting.attendees.all(), meeting.chair, recorder) if p is not None}
            meeting_close(
                actor=recorder,
                meeting=meeting,
                minutes=f"{agreed} transfers agreed and {deferred} deferred; decisions recorded against each case.",
                attendees=list(people.values()),
                now=_at_clock(day, 12, self.now),
            )
            decided.update(meeting.items.values_list("decision", flat=True))
            report.count("past meetings", n, len(past))
        return (
            f"{len(past)} past meetings held and closed: {decided[Decision.AGREED]} transfers agreed, "
            f"{decided[Decision.DEFERRED]} deferred"
        )


def _at_clock(day: dt.date, hour: int, now: dt.datetime) -> dt.datetime:
    """`hour` o'clock on `day` (local time), never after the demo's `now`."""
    return min(timezone.make_aware(dt.datetime.combine(day, dt.time(hour))), now)


PERSONAL_ADVISERS = {"small": 2, "mid": 4, "large": 12}
ADVISER_FROM = relativedelta(
    years=15, months=8
)  # Dorset D-137: discussed at the 16+ meeting at 15 years 8 months


def _personal_advisers(authority, protocol, staff_by_team, size, now, rng, made: OpenWork) -> None:
    """Where the protocol allocates a personal adviser as a child in care nears 16 (Dorset D-133, D-140), a few
    looked after children of 15 years 8 months or more proposed on the day they reached that age (or since): the
    16+ team's coming work."""
    if "age_reached" not in protocol.events:
        return
    today = timezone.localtime(now).date()
    near_sixteen = (
        Allocation.objects.filter(
            child__authority=authority,
            end__isnull=True,
            kind=AllocationKind.PRIMARY,
            team__service__kind="lac",
            child__restricted=False,
            child__date_of_birth__lte=today - ADVISER_FROM,
            child__date_of_birth__gt=today - relativedelta(years=16),
        )
        .select_related("child__authority", "team__service", "worker")
        .order_by("child__date_of_birth", "pk")[: PERSONAL_ADVISERS[size]]
    )
    for allocation in near_sixteen:
        child = allocation.child
        day = max(child.date_of_birth + ADVISER_FROM, today - dt.timedelta(days=rng.randint(0, 10)))
        try:
            transfer = services.transfer_propose(
                actor=_on(allocation.worker, day),
                child=child,
                event="age_reached",
                on=day,
                now=_at(day, now, rng),
                answers={},
                separation_reasons=_separations(child),
            ).transfers[0]
        except Refusal as refusal:
            made.refused[f"propose at 15 years 8 months: {type(refusal).__name__}"] += 1
            continue
        made.made(transfer, allocation.team)


def _propose(allocation, protocol, day, now, rng, made: OpenWork) -> Transfer | None:
    """Propose the child's move on `day` at the end of their assessment, with the plan it ended with recorded
    from that day."""
    child = allocation.child
    answers = _answers_for(protocol, child, rng)
    plan = PlanEpisode.objects.create(child=child, plan=answers.pop("_plan"), start=day)
    event = answers.pop("_event")
    try:
        return _proposal(allocation, protocol, event, answers, day, now, rng)
    except Refusal as refusal:
        made.refused[f"propose: {type(refusal).__name__}"] += 1
        plan.delete()
        return None


def _proposal(allocation, protocol, event, answers, day, now, rng) -> Transfer:
    """Propose the move the protocol recommends for `event` on `day`, by the child's worker; where it names more
    than one service for people to choose from, the proposer chooses one that holds children of the child's age."""
    child = allocation.child
    _, decision = services.transfer_recommend(child=child, event=event, on=day, answers=answers)
    to_service = None
    if decision.outcome == "decide" and decision.candidate_services:
        choices = sorted(decision.candidate_services)
        of_age = [
            code
            for code in choices
            if child.date_of_birth is None
            or age_band(protocol.services[code].kind.value).holds(child.date_of_birth, day)
        ]
        to_service = Service.objects.get(authority=child.authority, code=rng.choice(of_age or choices))
    return services.transfer_propose(
        actor=_on(allocation.worker, day),
        child=child,
        event=event,
        on=day,
        now=_at(day, now, rng),
        answers=answers,
        to_service=to_service,
        separation_reasons=_separations(child),
    ).transfers[0]


def _take_along(
    transfer, target, staff_by_team, protocol, day, now, rng, made: OpenWork, sittings: Sittings | None = None
) -> Transfer:
    """Take the transfer from "proposed" towards `target`, one working day or a few between steps, never past
    today; blocked and escalated transfers go some way first. With `sittings`, a case for the transfer meeting is
    agreed at the sitting its listing made, if that has sat (else it waits, listed). Stops at the first step
    refused (and counts it)."""
    today = timezone.localtime(now).date()
    if transfer.route_kind in STAYS_PROPOSED:
        return transfer
    blocked = target in (State.BLOCKED, State.ESCALATED)
    path = [m for m in (FIRST_MOVE.get(transfer.route_kind), *PATH) if m is not None]
    if transfer.to_service.external:  # an agency outside the authority names its own worker, not in Handover
        path = path[: path.index(Action.AGREE) + 1]
    moves = path[: MOVES_TO[target] if not blocked else rng.randint(1, min(3, len(path)))]
    if target is State.LISTED and transfer.route_kind not in FIRST_MOVE:
        moves = []  # no meeting or panel to list it for (a direct route): it waits, proposed
    if blocked:
        moves += [Action.BLOCK] + ([Action.ESCALATE] if target is State.ESCALATED else [])
    listed_on, waiting = day, False
    for action in moves:
        day = min(today, protocol.calendar.add(day, Duration.working_days(rng.randint(1, 4))))
        if waiting and action in PATH:
            continue
        try:
            if action is Action.AGREE and sittings is not None and sittings.hears(transfer):
                agreed = sittings.agree(transfer, listed_on)
                if agreed is None:
                    waiting = True  # its sitting is still to come: listed till then (or blocked meanwhile)
                    continue
                transfer, day = agreed
            else:
                transfer = _act(transfer, action, staff_by_team, protocol, day, now, rng)
        except Refusal as refusal:
            made.refused[f"{action.value}: {type(refusal).__name__}"] += 1
            break
        if action is Action.LIST:
            listed_on = day
    return transfer


def _agreement_terms(transfer, protocol, day, rng) -> dict:
    """The receiving team and the agreed date of formal transfer: by the protocol's transfer deadline where it is
    still ahead; past it, a later date with the reason."""
    team = rng.choice(list(services.eligible_receiving_teams(transfer)))
    due = transfer.deadlines.filter(transfer_by=True, due__isnull=False).values_list("due", flat=True).first()
    if due is not None and due > day:
        return {"to_team": team, "transfer_date": day + dt.timedelta(days=rng.randint(1, (due - day).days))}
    return {
        "to_team": team,
        "transfer_date": protocol.calendar.add(day, Duration.working_days(rng.randint(5, 10))),
        "reason": LATE_REASON,
    }


def _act(transfer, action, staff_by_team, protocol, day, now, rng) -> Transfer:
    """One workflow action by a manager of the side that takes it, on `day`."""
    extra: dict = {}
    if action is Action.AGREE:
        extra = _agreement_terms(transfer, protocol, day, rng)
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


def _closed_records(authority, protocol, holding, today, rng, count: int = 3) -> int:
    """Records closed years ago whose retention period (the protocol file's `retention`) ended before `today`:
    young adults now, never looked after, each with the allocation that ended when the record closed. So the
    retention review (docs/privacy.md) has work on the first morning."""
    policy = protocol.file.retention
    teams = [t for t in holding if t.service.kind == "cin_cp"] or holding
    if policy is None or not teams:
        return 0
    for i in range(count):
        born = today - relativedelta(years=policy.other_until_age) - dt.timedelta(days=rng.randint(30, 900))
        closed = born + relativedelta(years=rng.randint(11, 15), days=rng.randint(0, 300))
        child = Child.objects.create(
            authority=authority,
            identifier=f"DEMO9{i:05d}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            date_of_birth=born,
            gender=rng.choice(["female", "male"]),
            ethnicity=rng.choice(["WBRI", "WOTH", "MWBC"]),
            disability=False,
            address=f"{rng.randint(1, 120)} {rng.choice(LAST_NAMES)} Road\nExampletown EX{rng.randint(1, 9)} 1ZZ",
            closed_on=closed,
            closure_reason="Child in need plan ended: no further action",
        )
        Allocation.objects.create(
            child=child,
            kind=AllocationKind.PRIMARY,
            team=rng.choice(teams),
            start=closed - dt.timedelta(days=rng.randint(120, 500)),
            end=closed,
            end_reason=ChangeReason.OTHERS,
        )
    return count


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
    """The event that ends the assessment and what it found: a child protection plan at the initial conference
    for about a third (where the protocol routes on it), otherwise a child in need plan."""
    if "icpc_held" in protocol.events and rng.random() < 0.35:
        return {"_event": "icpc_held", "_plan": "cp", "child": {"plan": "cp"}}
    if "assessment_concluded" in protocol.events and "assessment_outcome" in protocol.facts:
        facts: dict = {"assessment_outcome": "cin_plan"}
        if child.disability and "chad_eligible" in protocol.facts:
            facts["chad_eligible"] = rng.random() < 0.5  # the protocol asks, for a disabled child
        return {
            "_event": "assessment_concluded",
            "_plan": "cin",
            "facts": facts,
            "siblings": {"in_care_proceedings": False},
        }
    return {"_event": "cin_meeting_held", "_plan": "cin", "child": {"plan": "cin"}}


def _separations(child) -> dict[int, str]:
    return {
        s.pk: "Demo data: sibling's assessment continues" for s in services.siblings_with_same_worker(child)
    }


@dataclass(frozen=True)
class Login:
    """A demo login, as `handover demo --logins` lists it."""

    username: str
    name: str
    role: str
    where: str


def demo_logins(authority: Authority) -> list[Login]:
    """Every login of the authority's staff, with their roles in words and where they hold them."""
    logins = []
    people = (
        StaffMember.objects.filter(authority=authority)
        .select_related("user")
        .prefetch_related("memberships__team__service", "memberships__service")
        .order_by("user__username")
    )
    for person in people:
        roles, places = [], []
        for m in person.memberships.all():
            roles.append(Role(m.role).label)
            places.append(
                f"{m.team.name} ({m.team.code})"
                if m.team_id
                else f"{m.service.name} ({m.service.code})"
                if m.service_id
                else "the whole authority"
            )
        logins.append(Login(person.user.username, person.name, "; ".join(roles), "; ".join(places)))
    return sorted(logins, key=_login_order)


def _login_order(login: Login) -> tuple:
    """Senior staff first, then each team's managers and business support, then its workers by number."""
    prefix, _, rest = login.username.partition(".")
    rank = {"head": 0, "director": 0, "auditor": 0, "administrator": 0, "sm": 1, "tm": 2, "pm": 3, "bs": 4}
    team, _, number = rest.rpartition(".") if prefix in ("social", "personal") else (rest, "", "")
    return (rank.get(prefix, 5), team if prefix in ("social", "personal") else rest, prefix, int(number or 0))
