"""Import an authority's teams, staff and existing caseload from CSV: validated whole, then written whole.

Columns are documented in docs/import.md. Every problem is reported as (row, column, problem); if there is
any, nothing is written. Progress is reported every 1,000 rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.children.models import (
    Allocation,
    AllocationKind,
    ChangeReason,
    Child,
    Family,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.domain import plausible, registration
from handover.domain.facts import ASYLUM_STATUSES, LEGAL_STATUSES, PLAN_TYPES
from handover.organisation.models import Authority, Membership, Role, Service, StaffMember, Team

COLUMNS = {
    "teams": ("service", "team_code", "team_name", "locality"),
    "staff": (
        "username",
        "name",
        "email",
        "phone",
        "job_title",
        "social_work_england_number",
        "social_work_england_expires",
        "role",
        "team",
        "service",
        "start",
    ),
    "caseload": (
        "identifier",
        "first_name",
        "last_name",
        "date_of_birth",
        "expected_date_of_birth",
        "gender",
        "ethnicity",
        "disability",
        "asylum_status",
        "locality",
        "family",
        "team",
        "worker",
        "allocation_start",
        "legal_status",
        "plan",
    ),
}
REQUIRED = {
    "teams": ("service", "team_code", "team_name"),
    "staff": ("username", "name", "role", "start"),
    "caseload": ("identifier", "first_name", "last_name", "team", "allocation_start"),
}


@dataclass(frozen=True)
class ImportProblem:
    row: int  # 1 is the header; data starts at row 2, as a spreadsheet shows it
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


class NotUTF8(ValueError):
    """A file that is not UTF-8 text: reported in one line naming the file."""


def decode_csv(data: bytes, name: str) -> str:
    """A CSV file's text. UTF-8, with or without the byte order mark Excel's "CSV UTF-8" writes; anything else
    (Latin-1, Windows-1252, UTF-16) is refused rather than guessed at, so no name is imported garbled."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUTF8(
            f"{name}: expected UTF-8 text, but byte {data[exc.start]:#04x} at position {exc.start} is not UTF-8; "
            'save the file as "CSV UTF-8" and try again'
        ) from None
    if "\x00" in text:  # UTF-16 without a byte order mark decodes as UTF-8 full of NULs
        raise NotUTF8(
            f'{name}: expected UTF-8 text, but it holds NUL bytes (UTF-16?); save it as "CSV UTF-8"'
        )
    return text


def import_csv(
    *,
    authority: Authority,
    kind: str,
    text: str,
    actor=None,
    now: dt.datetime,
    progress: Callable[[str], None] = lambda message: None,
) -> int:
    """Validate every row, then write all of them in one transaction. Returns the number of rows written."""
    if kind not in COLUMNS:
        raise ImportFailed([ImportProblem(0, "-", f"unknown import {kind!r} (one of {', '.join(COLUMNS)})")])
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in COLUMNS[kind]]
    missing = [c for c in REQUIRED[kind] if c not in header]
    problems = [ImportProblem(1, c, "unknown column") for c in unknown]
    problems += [ImportProblem(1, c, "required column missing") for c in missing]
    if problems:
        raise ImportFailed(problems)
    rows = list(reader)
    checker = {"teams": _check_teams, "staff": _check_staff, "caseload": _check_caseload}[kind]
    checked = list(checker(authority, rows, problems, progress, today=timezone.localtime(now).date()))
    if problems:
        raise ImportFailed(problems)
    with transaction.atomic():
        writer = {"teams": _write_teams, "staff": _write_staff, "caseload": _write_caseload}[kind]
        written = writer(authority, checked, progress)
        audit_record(actor=actor, verb=Verb.IMPORT, at=now, detail=f"imported {written} {kind} rows")
    return written


def _required(row: dict, n: int, columns: Iterable[str], problems: list[ImportProblem]) -> bool:
    ok = True
    for column in columns:
        if not (row.get(column) or "").strip():
            problems.append(ImportProblem(n, column, "required"))
            ok = False
    return ok


def _date(
    row: dict, n: int, column: str, problems: list[ImportProblem], *, required: bool = False
) -> dt.date | None:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            problems.append(ImportProblem(n, column, "required"))
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(ImportProblem(n, column, f"{value!r} is not a date written YYYY-MM-DD"))
        return None


def _choice(row: dict, n: int, column: str, allowed: Iterable[str], problems, default: str = "") -> str:
    value = (row.get(column) or "").strip() or default
    allowed = tuple(allowed)
    if value and value not in allowed:
        problems.append(ImportProblem(n, column, f"{value!r} is not one of {', '.join(allowed)}"))
    return value


def _progress(n: int, total: int, progress) -> None:
    if n % 1000 == 0:
        progress(f"checked {n} of {total} rows")


def _check_teams(authority, rows, problems, progress, *, today):
    services = {s.code: s for s in Service.objects.filter(authority=authority)}
    seen = set()
    for n, row in enumerate(rows, start=2):
        _progress(n - 1, len(rows), progress)
        if not _required(row, n, REQUIRED["teams"], problems):
            continue
        service = services.get(row["service"].strip())
        if service is None:
            problems.append(
                ImportProblem(n, "service", f"no service {row['service']!r} in the protocol file")
            )
            continue
        key = (service.pk, row["team_code"].strip())
        if key in seen:
            problems.append(ImportProblem(n, "team_code", "team listed twice"))
        seen.add(key)
        yield service, row


def _write_teams(authority, checked, progress) -> int:
    for service, row in checked:
        Team.objects.update_or_create(
            service=service,
            code=row["team_code"].strip(),
            defaults={"name": row["team_name"].strip(), "locality": (row.get("locality") or "").strip()},
        )
    return len(checked)


def _teams(authority) -> dict[str, Team]:
    return {t.code: t for t in Team.objects.filter(service__authority=authority)}


def _check_staff(authority, rows, problems, progress, *, today):
    teams = _teams(authority)
    services = {s.code: s for s in Service.objects.filter(authority=authority)}
    existing = set(get_user_model().objects.values_list("username", flat=True))
    registrations: dict[str, tuple[int, str, dt.date | None]] = {}  # by username: the first row's
    for n, row in enumerate(rows, start=2):
        _progress(n - 1, len(rows), progress)
        if not _required(row, n, REQUIRED["staff"], problems):
            continue
        role = _choice(row, n, "role", Role.values, problems)
        start = _date(row, n, "start", problems, required=True)
        _check_registration(row, n, problems, registrations)
        team = service = None
        if (row.get("team") or "").strip():
            team = teams.get(row["team"].strip())
            if team is None:
                problems.append(ImportProblem(n, "team", f"no team {row['team']!r}"))
        if (row.get("service") or "").strip():
            service = services.get(row["service"].strip())
            if service is None:
                problems.append(ImportProblem(n, "service", f"no service {row['service']!r}"))
        if (
            role in (Role.SOCIAL_WORKER, Role.PERSONAL_ADVISER, Role.TEAM_MANAGER, Role.PRACTICE_MANAGER)
            and not team
        ):
            problems.append(ImportProblem(n, "team", f"a {role.replace('_', ' ')} belongs to a team"))
        if row["username"].strip() in existing:
            problems.append(ImportProblem(n, "username", "already exists"))
        yield row, role, team, service, start


def _check_registration(row: dict, n: int, problems: list[ImportProblem], registrations: dict) -> None:
    """The row's Social Work England registration: the number's format (domain/registration.py), an expiry only
    with a number, and the same registration on every row of one person."""
    number = (row.get(registration.NUMBER_FIELD) or "").strip()
    expires = _date(row, n, registration.EXPIRES_FIELD, problems)
    for column, problem in registration.registration_problems(number, expires).items():
        problems.append(ImportProblem(n, column, problem))
    username = row["username"].strip()
    same = registration.normalise_number(number) if registration.number_problem(number) is None else number
    first = registrations.setdefault(username, (n, same, expires))
    if first[0] != n and (first[1], first[2]) != (same, expires):
        problems.append(
            ImportProblem(
                n,
                registration.NUMBER_FIELD,
                f"{username}'s registration differs from row {first[0]}: give the same number and expiry on each "
                "of their rows",
            )
        )


def _write_staff(authority, checked, progress) -> int:
    people: dict[str, StaffMember] = {}
    User = get_user_model()
    for row, role, team, service, start in checked:
        username = row["username"].strip()
        if username not in people:
            user = User.objects.create_user(username=username, email=(row.get("email") or "").strip())
            user.set_unusable_password()
            user.save(update_fields=["password"])
            people[username] = StaffMember.objects.create(
                user=user,
                authority=authority,
                name=row["name"].strip(),
                email=(row.get("email") or "").strip(),
                phone=(row.get("phone") or "").strip(),
                job_title=(row.get("job_title") or "").strip(),
                social_work_england_number=registration.normalise_number(
                    row.get(registration.NUMBER_FIELD) or ""
                ),
                social_work_england_expires=_date(row, 0, registration.EXPIRES_FIELD, []),
            )
        Membership.objects.create(staff=people[username], role=role, team=team, service=service, start=start)
    return len(checked)


def _check_caseload(authority, rows, problems, progress, *, today):
    teams = _teams(authority)
    staff = {
        s.user.username: s for s in StaffMember.objects.filter(authority=authority).select_related("user")
    }
    existing = set(Child.objects.values_list("identifier", flat=True))
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        _progress(n - 1, len(rows), progress)
        if not _required(row, n, REQUIRED["caseload"], problems):
            continue
        identifier = row["identifier"].strip()
        if identifier in existing or identifier in seen:
            problems.append(ImportProblem(n, "identifier", f"{identifier!r} is already used"))
        seen.add(identifier)
        dob = _date(row, n, "date_of_birth", problems)
        expected = _date(row, n, "expected_date_of_birth", problems)
        if dob is None and expected is None and not any(p.row == n and "birth" in p.column for p in problems):
            problems.append(
                ImportProblem(n, "date_of_birth", "give the date of birth or the expected date of birth")
            )
        start = _date(row, n, "allocation_start", problems, required=True)
        # The same plausible dates as the pages and the API (domain.plausible).
        for column, problem in (
            ("date_of_birth", dob and plausible.birth_date(dob, today=today)),
            ("expected_date_of_birth", expected and plausible.expected_birth_date(expected, today=today)),
            (
                "allocation_start",
                start and plausible.past_date(start, "the allocation's start", today=today, born=dob),
            ),
        ):
            if problem:
                problems.append(ImportProblem(n, column, problem))
        team = teams.get(row["team"].strip())
        if team is None:
            problems.append(ImportProblem(n, "team", f"no team {row['team']!r}"))
        worker = None
        if (row.get("worker") or "").strip():
            worker = staff.get(row["worker"].strip())
            if worker is None:
                problems.append(ImportProblem(n, "worker", f"no member of staff {row['worker']!r}"))
        disability = (row.get("disability") or "").strip().lower()
        if disability not in ("", "yes", "no"):
            problems.append(ImportProblem(n, "disability", "yes, no or blank"))
        values = {
            "asylum_status": _choice(row, n, "asylum_status", ASYLUM_STATUSES, problems, "none"),
            "legal_status": _choice(row, n, "legal_status", LEGAL_STATUSES, problems, "none"),
            "plan": _choice(row, n, "plan", PLAN_TYPES, problems, "none"),
        }
        yield row, dob, expected, start, team, worker, disability, values


def _write_caseload(authority, checked, progress) -> int:
    families: dict[str, Family] = {}
    for i, (row, dob, expected, start, team, worker, disability, values) in enumerate(checked, start=1):
        family = None
        name = (row.get("family") or "").strip()
        if name:
            family = families.get(name) or Family.objects.create(authority=authority, name=name)
            families[name] = family
        child = Child.objects.create(
            authority=authority,
            identifier=row["identifier"].strip(),
            first_name=row["first_name"].strip(),
            last_name=row["last_name"].strip(),
            date_of_birth=dob,
            expected_date_of_birth=expected,
            gender=(row.get("gender") or "").strip(),
            ethnicity=(row.get("ethnicity") or "").strip(),
            disability={"yes": True, "no": False}.get(disability),
            asylum_status=values["asylum_status"],
            locality=(row.get("locality") or "").strip(),
            family=family,
        )
        Allocation.objects.create(
            child=child,
            kind=AllocationKind.PRIMARY,
            team=team,
            worker=worker,
            start=start,
            start_reason=ChangeReason.OTHERS,
        )
        if values["legal_status"] != "none":
            LegalStatusEpisode.objects.create(child=child, status=values["legal_status"], start=start)
        if values["plan"] != "none":
            PlanEpisode.objects.create(child=child, plan=values["plan"], start=start)
        if i % 1000 == 0:
            progress(f"imported {i} of {len(checked)} children")
    return len(checked)
