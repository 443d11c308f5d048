"""Import an authority's teams, staff and existing caseload from CSV: validated whole, then written whole.

Columns are documented in docs/import.md. Every problem is reported as (row, column, problem); if there is
any, nothing is written. Progress is reported every 1,000 rows, as a line and, for a bar, as counts.

A caseload is written 1,000 rows at a time with bulk inserts (families, children, allocations, plans, legal
statuses, and each record's history row, as saving them one by one would write), so 100,000 rows take seconds
rather than minutes (bench/import.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from operator import itemgetter

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
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
from handover.onboarding.columns import COLUMNS
from handover.organisation.models import Authority, Membership, Role, Service, StaffMember, Team

REQUIRED = {
    "teams": ("service", "team_code", "team_name"),
    "staff": ("username", "name", "role", "start"),
    "caseload": ("identifier", "first_name", "last_name", "team", "allocation_start"),
}


# Rows per chunk written, and per progress line: a chunk's records are inserted together, so memory stays
# bounded whatever the file's length.
CHUNK = 1000
# A stage of an import and how far it has got: `advance(stage, done, total)`, stage "check" or "write".
Advance = Callable[[str, int, int], None]


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
    advance: Advance | None = None,
) -> int:
    """Validate every row, then write all of them in one transaction. Returns the number of rows written.

    `progress` gets a line every 1,000 rows ("checked 3000 of 100000 rows"); `advance`, if given, the same
    counts by stage, for a progress bar (management command: a bar when its output is a terminal)."""
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
    report = _Report(progress, advance)
    checker = {"teams": _check_teams, "staff": _check_staff, "caseload": _check_caseload}[kind]
    checked = list(checker(authority, rows, problems, report, today=timezone.localtime(now).date()))
    report.done("check", len(rows))
    if problems:
        raise ImportFailed(problems)
    with transaction.atomic():
        writer = {
            "teams": _write_teams,
            "staff": _write_staff,
            "caseload": partial(_write_caseload, now=now),
        }[kind]
        written = writer(authority, checked, report)
        audit_record(actor=actor, verb=Verb.IMPORT, at=now, detail=f"imported {written} {kind} rows")
    report.done("write", written)
    return written


@dataclass
class _Report:
    """Where the import has got to, as lines (`say`) and as counts (`advance`)."""

    say: Callable[[str], None]
    advance: Advance | None

    def checked(self, n: int, total: int) -> None:
        if n % CHUNK == 0:
            self.say(f"checked {n} of {total} rows")
            if self.advance:
                self.advance("check", n, total)

    def written(self, n: int, total: int) -> None:
        if n % CHUNK == 0:
            self.say(f"imported {n} of {total} children")
            if self.advance:
                self.advance("write", n, total)

    def done(self, stage: str, total: int) -> None:
        if self.advance:  # a last count, for the rows after the last whole thousand
            self.advance(stage, total, total)


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


def _check_teams(authority, rows, problems, report, *, today):
    services = {s.code: s for s in Service.objects.filter(authority=authority)}
    seen = set()
    for n, row in enumerate(rows, start=2):
        report.checked(n - 1, len(rows))
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


def _write_teams(authority, checked, report) -> int:
    for service, row in checked:
        Team.objects.update_or_create(
            service=service,
            code=row["team_code"].strip(),
            defaults={"name": row["team_name"].strip(), "locality": (row.get("locality") or "").strip()},
        )
    return len(checked)


def _teams(authority) -> dict[str, Team]:
    return {t.code: t for t in Team.objects.filter(service__authority=authority)}


def _check_staff(authority, rows, problems, report, *, today):
    teams = _teams(authority)
    services = {s.code: s for s in Service.objects.filter(authority=authority)}
    existing = set(get_user_model().objects.values_list("username", flat=True))
    registrations: dict[str, tuple[int, str, dt.date | None]] = {}  # by username: the first row's
    for n, row in enumerate(rows, start=2):
        report.checked(n - 1, len(rows))
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


def _write_staff(authority, checked, report) -> int:
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


def _check_caseload(authority, rows, problems, report, *, today):
    teams = _teams(authority)
    staff = {
        s.user.username: s for s in StaffMember.objects.filter(authority=authority).select_related("user")
    }
    existing = set(Child.objects.values_list("identifier", flat=True))
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        report.checked(n - 1, len(rows))
        if not _required(row, n, REQUIRED["caseload"], problems):
            continue
        identifier = row["identifier"].strip()
        if identifier in existing or identifier in seen:
            problems.append(ImportProblem(n, "identifier", f"{identifier!r} is already used"))
        seen.add(identifier)
        before = len(problems)  # this row's problems are the ones after it (not a scan of every row's)
        dob = _date(row, n, "date_of_birth", problems)
        expected = _date(row, n, "expected_date_of_birth", problems)
        if dob is None and expected is None and not any("birth" in p.column for p in problems[before:]):
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


def _write_caseload(authority, checked, report, *, now: dt.datetime) -> int:
    """Chunk by chunk: the chunk's new families, then its children, then their allocations, plans and legal
    statuses, each record with the history row saving it would add (see `_Table`)."""
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35: no keys to link by
        raise ImportFailed(
            [ImportProblem(0, "-", "a caseload import needs SQLite 3.35 or later, or PostgreSQL")]
        )
    tables = {model: _Table(model) for model in (Family, Child, Allocation, LegalStatusEpisode, PlanEpisode)}
    # Whom saving would name in the history rows: the signed-in user of a request (simple_history's
    # middleware), or no one for a command.
    user = Child.history.model.get_default_history_user(Child())
    history = {
        "history_type": "+",
        "history_change_reason": None,
        "history_user_id": getattr(user, "pk", None),
    }
    families: dict[str, int] = {}
    total = len(checked)
    for first in range(0, total, CHUNK):
        chunk = checked[first : first + CHUNK]
        history["history_date"] = now  # the import's time, from the boundary (saving would read the clock)
        names = {(row.get("family") or "").strip(): None for row, *_ in chunk}
        new = [name for name in names if name and name not in families]
        ids = tables[Family].insert([{"authority_id": authority.pk, "name": name} for name in new])
        families.update(zip(new, ids, strict=True))
        children = [
            {
                "authority_id": authority.pk,
                "identifier": row["identifier"].strip(),
                "first_name": row["first_name"].strip(),
                "last_name": row["last_name"].strip(),
                "date_of_birth": dob,
                "expected_date_of_birth": expected,
                "gender": (row.get("gender") or "").strip(),
                "ethnicity": (row.get("ethnicity") or "").strip(),
                "disability": {"yes": True, "no": False}.get(disability),
                "asylum_status": values["asylum_status"],
                "locality": (row.get("locality") or "").strip(),
                "family_id": families.get((row.get("family") or "").strip()),
            }
            for row, dob, expected, start, team, worker, disability, values in chunk
        ]
        child_ids = tables[Child].insert(children, history=history)
        allocations, legal, plans = [], [], []
        for child_id, (_, _, _, start, team, worker, _, values) in zip(child_ids, chunk, strict=True):
            allocations.append(
                {
                    "child_id": child_id,
                    "kind": AllocationKind.PRIMARY.value,
                    "team_id": team.pk,
                    "worker_id": worker.pk if worker else None,
                    "start": start,
                    "start_reason": ChangeReason.OTHERS.value,
                }
            )
            if values["legal_status"] != "none":
                legal.append({"child_id": child_id, "status": values["legal_status"], "start": start})
            if values["plan"] != "none":
                plans.append({"child_id": child_id, "plan": values["plan"], "start": start})
        tables[Allocation].insert(allocations, history=history)
        tables[LegalStatusEpisode].insert(legal, history=history)
        tables[PlanEpisode].insert(plans, history=history)
        report.written(first + len(chunk), total)
    return total


class _Table:
    """A model's table, to insert many rows in a few statements. Each row holds the values given and the model's
    defaults for the rest, as `Model.objects.create` writes it; with `history`, the django-simple-history row
    that saving adds goes in too ("+", the record's values and key, the date and user given).

    Neither model instances nor Django's insert compiler (bulk_create): preparing every value of every instance
    that way took about 1.3 ms a caseload row (its six or seven records and their history rows) on this 2-core
    machine, two minutes for 100,000 rows. So only plain values go in: the field types are checked below, and
    dates are adapted for the database as Django adapts them."""

    PLAIN = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.ForeignKey)

    def __init__(self, model: type[models.Model]):
        self.meta = model._meta
        fields = [f for f in self.meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in fields]
        self.types = [f.db_type(connection).split("(")[0] for f in fields]  # varchar[], not varchar(40)[]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.pick = itemgetter(*self.defaults)
        adapters = [_adapter(model, f) for f in fields]
        self.adapt = [(i, adapt) for i, adapt in enumerate(adapters) if adapt is not None]
        history = getattr(model, "history", None)  # the manager simple_history adds
        self.history = _Table(history.model) if history is not None else None
        if self.history is not None:
            # A history row is picked from the record's values, its key, then the history's own fields.
            names = [*self.defaults, self.meta.pk.attname]
            own = [(i, name) for i, name in enumerate(self.history.defaults) if name not in names]
            adapters = dict(self.history.adapt)
            self.history_own = [(name, adapters.get(i)) for i, name in own]
            names += [name for _, name in own]
            self.history_pick = itemgetter(*(names.index(name) for name in self.history.defaults))

    def insert(self, rows: list[dict], *, history: dict | None = None) -> list[int]:
        """Insert the rows, and their history rows with the `history` fields; the new keys, in the rows' order."""
        values = [self._values(row) for row in rows]
        ids = _insert_many(self, values, returning=True)
        if history is not None:
            own = [
                value if adapt is None or value is None else adapt(value)
                for name, adapt in self.history_own
                for value in (history[name],)  # each of simple_history's fields: a new one is a KeyError here
            ]
            pick = self.history_pick
            history_rows = [pick([*row, id_, *own]) for row, id_ in zip(values, ids, strict=True)]
            _insert_many(self.history, history_rows, returning=False)
        return ids

    def _values(self, row: dict) -> list:
        values = list(self.pick({**self.defaults, **row}))
        for i, adapt in self.adapt:
            if values[i] is not None:
                values[i] = adapt(values[i])
        return values


def _adapter(model, field) -> Callable | None:
    """How Django's ORM would turn the field's value into the database's (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, _Table.PLAIN):
        return None
    # A kind of field added since: say so, rather than write a value the ORM would have converted.
    raise TypeError(f"{model.__name__}.{field.name}: {type(field).__name__} is not written by the import")


def _insert_many(table: _Table, values: list[list], *, returning: bool) -> list[int]:
    """Insert the rows of values in as few statements as the database takes, in the transaction under way,
    through the driver's own cursor (Django's adds nothing here but time). With `returning`, the new keys, in
    the rows' order, as Django's bulk_create relies on for both databases."""
    if not values:
        return []
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(table.meta.db_table)} ({', '.join(quote(c) for c in table.columns)}) "
    tail = f" RETURNING {quote(table.meta.pk.column)}" if returning else ""
    connection.ensure_connection()
    insert = _insert_postgresql if connection.vendor == "postgresql" else _insert_sqlite
    rows = insert(connection.connection, table, head, tail, values)
    return [row[0] for row in rows] if returning else []


def _insert_sqlite(driver, table: _Table, head: str, tail: str, values: list[list]) -> list[tuple]:
    """INSERT ... VALUES (...), (...): as many rows a statement as SQLite takes parameters. (Django's cursor
    would rewrite each statement's placeholders with a regular expression: 0.4 ms a statement of 1,000.)"""
    one = f"({', '.join(['?'] * len(table.columns))})"
    size = max(1, min(CHUNK, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(table.columns)))
    returned: list[tuple] = []
    cursor = driver.cursor()
    try:
        for first in range(0, len(values), size):
            batch = values[first : first + size]
            cursor.execute(
                f"{head}VALUES {', '.join([one] * len(batch))}{tail}", [v for r in batch for v in r]
            )
            returned += cursor.fetchall()
    finally:
        cursor.close()
    return returned


def _insert_postgresql(driver, table: _Table, head: str, tail: str, values: list[list]) -> list[tuple]:
    """INSERT ... SELECT * FROM UNNEST(column arrays): one parameter a column, as Django's bulk_create does on
    PostgreSQL, sent in binary (`%b`) by a cursor binding on the server. (Django's cursor binds on the client:
    psycopg then reads the placeholders and quotes every value as text in Python, 13 s for 100,000 rows.)"""
    import psycopg  # the driver of the database in use, as Django's backend imports it

    arrays = ", ".join(f"(%b)::{db_type}[]" for db_type in table.types)
    with psycopg.Cursor(driver) as cursor:
        sql = f"{head}SELECT * FROM UNNEST({arrays}){tail}"  # nosec B608  # names from the models; values bound
        cursor.execute(sql, [list(column) for column in zip(*values, strict=True)])
        return cursor.fetchall() if tail else []
