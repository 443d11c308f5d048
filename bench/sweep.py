"""Benchmark: the sweep on the large demo, against a hand-written SQL query for the same overdue rows.

Run with ``python bench/sweep.py [--size large] [--repeat 5] [--now 2026-11-24T10:00] [--db PATH]
[--database-url URL]``. Building the large demo takes about 2 minutes; ``--db PATH`` keeps it for the next run.

1. Build the demo (``build_demo``, at ``--now``) in a scratch SQLite file under a temporary folder, or reuse
   the one in ``--db PATH`` (built there if it has no authority yet), or use the PostgreSQL database in
   ``--database-url``. The build time is printed.
2. Time, ``--repeat`` times, and report the median of:
   a. the sweep's judgement: ``gather_work`` and ``plan`` for every authority (``sweep.services.judge``), which
      reads only;
   b. a full ``sweep_run(now=...)``: the first run (it writes the reminders and escalations the demo's open
      work calls for; on SQLite each repeat starts from a copy of the database as it was before the first run)
      and then a second run on top of it, which must write nothing: the rows each wrote are printed;
   c. a hand-written SQL query (``connection.cursor()``) for the same overdue rows: open transfers' deadline
      rows with ``due < today`` and no ``actual``, plus their remedial actions with ``due < today`` not done;
   d. the next day: its first run (every open transfer judged again: standings move with the date) and the
      runs after it (only what changed, here nothing).
3. Print whether the SQL row count agrees with the sweep's overdue count, the ratio sweep / SQL, and whether
   the goals are met: the full sweep under 2 s, and within 5x the SQL query (issue 10). The goals are judged
   on the second run (the sweep as it runs every few minutes, all but the first run of each day:
   ``sweep.watch`` has it judge only the transfers whose records changed); the day's first runs are printed
   with their ratios too.

Exit status 1 if the counts disagree or the second run wrote notifications or escalations; else 0, whether or
not the speed goals are met. Email goes to Django's dummy backend (``HANDOVER_EMAIL=none``) unless set.
"""

import sys
from pathlib import Path

# bench/calendar.py sits beside this file: run as a script, this folder comes first on sys.path and would
# shadow the standard library's ``calendar``. Drop the folder.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

SWEEP_GOAL = 2.0  # seconds, the full sweep at most
RATIO_GOAL = 5.0  # sweep time / SQL time, at most
DEFAULT_NOW = "2026-11-24T10:00"  # Europe/London: a fixed instant, so the numbers repeat
LONDON = ZoneInfo("Europe/London")


def configure(database_url: str) -> None:
    """Point Django at the scratch database and set it up (settings are read once, at setup)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["HANDOVER_DEBUG"] = "true"
    os.environ.setdefault("HANDOVER_EMAIL", "none")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handover.config.settings")
    import django

    django.setup()


def build_or_reuse(*, size: str, now: dt.datetime) -> float | None:
    """Migrate, then build the demo unless the database already has an authority. Returns the build time."""
    from django.core.management import call_command

    from handover.onboarding.demo import build_demo
    from handover.organisation.models import Authority

    call_command("migrate", verbosity=0)
    if Authority.objects.exists():
        print("reusing the demo already in the database")
        return None
    started = time.perf_counter()
    result = build_demo(
        size=size, now=now, password="bench-only-password", progress=lambda line: print(" ", line)
    )
    seconds = time.perf_counter() - started
    print(
        f"built the {size} demo in {seconds:.1f} s: {result.children} children, {result.historic_transfers} "
        f"historic and {result.open_transfers} open transfers"
    )
    return seconds


# -- what is timed -----------------------------------------------------------------------------------------------


def judgement(today: dt.date) -> Counter:
    """The sweep's view of the world: gather_work and plan for every authority (reads only). Its counts by
    standing (due_soon, overdue, blocked, ...)."""
    from handover.organisation.models import Authority
    from handover.sweep.services import judge

    found: Counter = Counter()
    for authority in Authority.objects.order_by("code"):
        found.update(judge(authority=authority, today=today).found)
    return found


def overdue_by_sql(today: dt.date) -> list[tuple]:
    """The overdue rows by hand: open transfers' deadline rows due before today and not met, and their remedial
    actions due before today and not done."""
    from django.db import connection

    from handover.domain.workflow import OPEN_STATES
    from handover.transfers.models import Deadline, RemedialAction, Transfer

    states = sorted(s.value for s in OPEN_STATES)
    marks = ", ".join(["%s"] * len(states))
    sql = f"""
        SELECT 'step', d.id, d.transfer_id, d.due
          FROM {Deadline._meta.db_table} d
          JOIN {Transfer._meta.db_table} t ON t.id = d.transfer_id
         WHERE t.state IN ({marks}) AND d.due < %s AND d.actual IS NULL
        UNION ALL
        SELECT 'remedial_action', r.id, r.transfer_id, r.due
          FROM {RemedialAction._meta.db_table} r
          JOIN {Transfer._meta.db_table} t ON t.id = r.transfer_id
         WHERE t.state IN ({marks}) AND r.due < %s AND r.done_at IS NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*states, today, *states, today])
        return cursor.fetchall()


def rows_now() -> Counter:
    """How many rows the tables the sweep writes to hold."""
    from handover.audit.models import AuditEvent
    from handover.notifications.models import Notification, OutboundEmail
    from handover.sweep.models import SweepRun
    from handover.transfers.models import Escalation, TransferEvent

    models = {
        "notifications": Notification,
        "escalations": Escalation,
        "emails": OutboundEmail,
        "transfer events": TransferEvent,
        "audit events": AuditEvent,
        "sweep runs": SweepRun,
    }
    return Counter({name: model.objects.count() for name, model in models.items()})


def sweep_once(now: dt.datetime) -> tuple[float, dict, Counter]:
    """One full sweep_run: its time, what it says it did, and the rows it wrote (counted outside the timing)."""
    from handover.sweep.services import sweep_run

    before = rows_now()
    started = time.perf_counter()
    run = sweep_run(now=now)
    seconds = time.perf_counter() - started
    written = rows_now()
    written.subtract(before)
    return seconds, dict(run.done), written


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


# -- the runs ----------------------------------------------------------------------------------------------------


def copy_database(source: Path, target: Path) -> None:
    """Copy the SQLite file with every connection closed (Django reopens them when next asked)."""
    from django.db import connections

    connections.close_all()
    shutil.copyfile(source, target)


def first_runs(now: dt.datetime, repeat: int, sqlite_file: Path | None, before: Path | None):
    """The first sweep over the demo's open work. On SQLite each repeat starts again from `before`, the copy of
    the database as it was; on PostgreSQL it runs once. The database is left as the (last) first run left it."""
    if sqlite_file is None or before is None:
        return sweep_once(now)
    times, done, written = [], {}, Counter()
    for _ in range(repeat):
        copy_database(before, sqlite_file)
        seconds, done, written = sweep_once(now)
        times.append(seconds)
    return statistics.median(times), done, written


def second_runs(now: dt.datetime, repeat: int) -> tuple[float, dict, Counter]:
    times, done, written = [], {}, Counter()
    for _ in range(repeat):
        seconds, done, written = sweep_once(now)
        times.append(seconds)
    return statistics.median(times), done, written


def shown(counts) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(dict(counts).items())) or "nothing"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["small", "mid", "large"], default="large")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each, median reported (default 5)"
    )
    parser.add_argument(
        "--now", default=DEFAULT_NOW, help=f"the sweep's instant, Europe/London (default {DEFAULT_NOW})"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", type=Path, help="SQLite file to build the demo in once and reuse after")
    where.add_argument("--database-url", help="a PostgreSQL database (postgres://...), built in if empty")
    args = parser.parse_args()
    now = dt.datetime.fromisoformat(args.now)
    now = now if now.tzinfo else now.replace(tzinfo=LONDON)
    today = now.astimezone(LONDON).date()

    scratch = None
    if args.database_url:
        sqlite_file, url = None, args.database_url
    else:
        if args.db is None:
            scratch = tempfile.TemporaryDirectory(prefix="handover-sweep-bench-")
            args.db = Path(scratch.name) / "demo.sqlite3"
        sqlite_file = args.db.resolve()
        url = f"sqlite:///{sqlite_file}"
    configure(url)
    print(f"database: {url}; now {now.isoformat()} (today {today}); repeat {args.repeat}")
    before = None
    try:
        build_or_reuse(size=args.size, now=now)
        if sqlite_file is not None:
            before = sqlite_file.with_name(sqlite_file.name + ".before-sweep")
            copy_database(sqlite_file, before)
        return bench(now, today, args.repeat, sqlite_file, before)
    finally:
        if before is not None and before.exists():
            copy_database(before, sqlite_file)  # as it was: a reused --db is swept afresh next time
            before.unlink()
        if scratch is not None:
            scratch.cleanup()


def bench(
    now: dt.datetime, today: dt.date, repeat: int, sqlite_file: Path | None, before: Path | None
) -> int:
    judged_s, found = timed(lambda: judgement(today), repeat)
    print(
        f"(a) judgement (gather_work + plan, every authority): median {judged_s * 1000:.0f} ms; found {shown(found)}"
    )
    sql_s, rows = timed(lambda: overdue_by_sql(today), repeat)
    by_kind = Counter(row[0] for row in rows)
    print(f"(c) hand-written SQL: median {sql_s * 1000:.1f} ms; {len(rows)} overdue rows ({shown(by_kind)})")
    agree = len(rows) == found.get("overdue", 0)
    print(
        f"    overdue: sweep {found.get('overdue', 0)}, SQL {len(rows)}: {'agree' if agree else 'DISAGREE'}"
    )

    first_s, first_done, first_written = first_runs(now, repeat, sqlite_file, before)
    runs = f"median of {repeat}" if sqlite_file else "one run"
    print(f"(b) first sweep_run: {first_s:.2f} s ({runs}); did {shown(first_done)}")
    print(f"    rows written: {shown(first_written)}")
    second_s, second_done, second_written = second_runs(now, repeat)
    print(f"    second sweep_run: median {second_s * 1000:.1f} ms; did {shown(second_done)}")
    print(f"    rows written: {shown(second_written)}")
    idle = second_written["notifications"] == 0 and second_written["escalations"] == 0

    tomorrow = now + dt.timedelta(days=1)
    next_first_s, next_done, _ = sweep_once(tomorrow)
    print(f"(d) next day's first sweep_run: {next_first_s:.2f} s (one run); did {shown(next_done)}")
    next_later_s, _, next_written = second_runs(tomorrow, repeat)
    print(
        f"    next day's later runs: median {next_later_s * 1000:.1f} ms; rows written: {shown(next_written)}"
    )

    ratio = second_s / sql_s if sql_s else float("inf")
    print()
    print(
        f"sweep (second run) / SQL: {ratio:.1f}x; next day's later runs / SQL: {next_later_s / sql_s:.1f}x; "
        f"a day's first run / SQL: {next_first_s / sql_s:.0f}x; judgement of every open transfer / SQL: "
        f"{judged_s / sql_s:.1f}x"
    )
    print(
        f"goal: full sweep under {SWEEP_GOAL:.0f} s: {met(second_s < SWEEP_GOAL)} ({second_s * 1000:.1f} ms; "
        f"not judged on a day's first run, {next_first_s:.2f} s, which writes that day's reminders and "
        f"escalations, nor on the catch-up first run, {first_s:.2f} s)"
    )
    print(f"goal: sweep within {RATIO_GOAL:.0f}x the SQL query: {met(ratio <= RATIO_GOAL)} ({ratio:.1f}x)")
    print(f"second run wrote no notifications or escalations: {'yes' if idle else 'NO'}")
    return 0 if agree and idle else 1


if __name__ == "__main__":
    sys.exit(main())
