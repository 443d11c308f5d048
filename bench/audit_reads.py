"""Benchmark: the audit row of a read, as many at once as the production server serves (issue 14 item 2).

Run with ``python bench/audit_reads.py [--seconds 10] [--processes 2] [--threads 2] [--runs 3]
[--databases sqlite,postgres]``; about a minute per database and run.

Every page or API answer that shows a child writes one audit row (`audit_record`: the row and its seal into the
authority's hash chain). Under load those writes are what reads queue behind: SQLite has one writer, and on both
databases the chain's head row is locked while a row is sealed. This measures that cost alone, without pages:

1. A fresh SQLite file and the PostgreSQL database ``handover_bench_audit`` (dropped and made again;
   ``--postgres URL`` for another, never ``test`` or ``test_*``), migrated, with the Dorset authority, one social
   worker and 50 synthetic children (all a chain needs; the demo is not built).
2. For each setting, ``--processes`` processes of ``--threads`` threads (as ``handover serve --production``
   runs: one process per core, two threads each) record a child's record being viewed (`Verb.CHILD_VIEWED`,
   exactly as the child record page does) as fast as they can for ``--seconds``.
3. The settings: as before issue 14 (SQLite's rollback journal, every read's row sealed into the chain at
   once), and as Handover runs now (SQLite's write-ahead log with ``synchronous=FULL``, so every commit still
   waits for the disk; a read's row committed at once and sealed by the process at most once a second,
   `HANDOVER_AUDIT_READ_SEAL_SECONDS`), with the steps between; and ``synchronous=NORMAL`` (not chosen: a
   power cut may lose the last commits). PostgreSQL as configured, sealing every read and once a second.
4. Printed per setting: audit rows a second, p50/p95/p99 of one `audit_record` call, the ratio of rows a second
   to the first setting of the same database in the same run, the rows still waiting for a seal when the
   load stopped, and whether every row written is in the database and its chain verifies (`handover audit
   verify`, which seals the waiting rows first). Medians over ``--runs``.

Exit status 1 if a row was lost or a chain does not verify; else 0.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

# The shared helpers beside this file, found after the standard library's modules (see above).
sys.path.append(str(_HERE))

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from postgres_admin import postgres_fresh  # noqa: E402

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/handover_bench_audit"
# (label, database, journal mode, synchronous, seconds between a process's seals after reads): journal and
# synchronous None = as the settings open the database.
SETTINGS = [
    ("SQLite, rollback journal, every read sealed (before)", "sqlite", "delete", "FULL", 0),
    ("SQLite, WAL, every read sealed", "sqlite", None, None, 0),
    ("SQLite, WAL, sealed once a second (Handover)", "sqlite", None, None, 1.0),
    ("SQLite, WAL, synchronous=NORMAL, once a second", "sqlite", "wal", "NORMAL", 1.0),
    ("PostgreSQL, every read sealed (before)", "postgres", None, None, 0),
    ("PostgreSQL, sealed once a second (Handover)", "postgres", None, None, 1.0),
]


def environment(database_url: str, folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        HANDOVER_VAR_DIR=folder,
        HANDOVER_DEBUG="true",
        HANDOVER_EMAIL="none",
        DJANGO_SETTINGS_MODULE="handover.config.settings",
    )
    return env


def handover(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "handover.cli", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )


def prepare(database: str, folder: str, postgres: str) -> dict[str, str]:
    url = f"sqlite:///{folder}/audit.sqlite3" if database == "sqlite" else postgres
    if database == "postgres":
        postgres_fresh(url)
    env = environment(url, folder)
    handover(env, "manage", "migrate", "-v0")
    subprocess.run([sys.executable, "-c", WORLD], env=env, check=True)
    return env


WORLD = """
import datetime as dt
import django
django.setup()
from handover.children.models import Child
from handover.organisation.models import Role, Team
from handover.organisation.services import authority_sync_from_protocol, staff_create
authority = authority_sync_from_protocol(protocol_name="dorset")
team = Team.objects.filter(service__authority=authority).order_by("pk").first()
staff_create(authority=authority, username="bench_sw", name="Bench Worker", roles=[(Role.SOCIAL_WORKER, team)],
             email="bench@example.invalid", social_work_england_number="SW100001")
for n in range(50):
    Child.objects.create(authority=authority, identifier=f"B{n:04}", first_name=f"Bench{n}", last_name="Benchfamily",
                         date_of_birth=dt.date(2016, 3, 1), disability=False)
"""


def worker(env, journal, synchronous, seal_seconds, threads, seconds, start, results) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    settings.HANDOVER_AUDIT_READ_SEAL_SECONDS = seal_seconds
    from django.db import connection
    from django.utils import timezone

    from handover.audit.models import Verb
    from handover.audit.services import audit_record
    from handover.children.models import Child
    from handover.organisation.models import StaffMember

    if synchronous is not None:  # the parent set the file's journal mode; each connection its synchronous
        settings.DATABASES["default"]["OPTIONS"]["init_command"] = f"PRAGMA synchronous={synchronous}"
    children = list(Child.objects.filter(erased_on__isnull=True).order_by("pk")[:50])
    staff = StaffMember.objects.filter(active=True).order_by("pk").first()
    connection.close()
    timings: list[float] = []
    lock = threading.Lock()

    def loop(n: int) -> None:
        mine = []
        start.wait()
        end = time.perf_counter() + seconds
        i = n
        while (began := time.perf_counter()) < end:
            audit_record(
                actor=staff,
                verb=Verb.CHILD_VIEWED,
                at=timezone.now(),
                child=children[i % len(children)],
                detail="bench/audit_reads.py",
            )
            mine.append(time.perf_counter() - began)
            i += threads
        from django.db import connection as own

        own.close()
        with lock:
            timings.extend(mine)

    errors: list[str] = []

    def guarded(n: int) -> None:
        try:
            loop(n)
        except Exception as exc:  # reported to the parent, which stops
            errors.append(f"{type(exc).__name__}: {exc}")
            start.wait()

    running = [threading.Thread(target=guarded, args=(n,)) for n in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    results.put(errors[0] if errors else timings)


def verify(env: dict[str, str]) -> tuple[bool, str]:
    out = subprocess.run(
        [sys.executable, "-m", "handover.cli", "audit", "verify"], env=env, capture_output=True, text=True
    )
    return out.returncode == 0, (out.stdout + out.stderr).strip().splitlines()[-1:]


def count_rows(env: dict[str, str]) -> tuple[int, int]:
    script = (
        "import django; django.setup()\n"
        "from handover.audit.models import AuditEvent as A\n"
        "print(A.objects.filter(detail='bench/audit_reads.py').count(),"
        " A.objects.filter(detail='bench/audit_reads.py', sequence=None).count())"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    written, unsealed = out.stdout.split()
    return int(written), int(unsealed)


def measure(env, journal, synchronous, seal_seconds, args) -> dict:
    if env["DATABASE_URL"].startswith("sqlite:"):  # the journal mode is the file's: set once, alone
        path = env["DATABASE_URL"].removeprefix("sqlite:///")
        db = sqlite3.connect(path, timeout=30)
        try:
            db.execute(f"PRAGMA journal_mode={journal or 'wal'}")
        finally:
            db.close()  # an idle connection left open would keep the next run from changing the mode
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    procs = [
        context.Process(
            target=worker,
            args=(env, journal, synchronous, seal_seconds, args.threads, args.seconds, start, results),
        )
        for _ in range(args.processes)
    ]
    for p in procs:
        p.start()
    time.sleep(3)  # each process sets Django up before the clock starts
    before, _ = count_rows(env)
    start.set()
    timings = []
    for _ in procs:
        got = results.get(timeout=args.seconds + 120)
        if isinstance(got, str):  # a worker's error
            raise SystemExit(f"a worker failed: {got}")
        timings += got
    for p in procs:
        p.join()
    written, unsealed = count_rows(env)
    ok, said = verify(env)
    timings.sort()

    def pct(q: float) -> float:
        return timings[min(len(timings) - 1, int(q * len(timings)))] * 1000

    return {
        "rows/s": len(timings) / args.seconds,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "lost": len(timings) - (written - before),
        "unsealed": unsealed,
        "verified": ok,
        "said": said,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    wanted = args.databases.split(",")
    folder = tempfile.mkdtemp(prefix="bench-audit-")
    envs = {db: prepare(db, folder, args.postgres) for db in wanted}
    runs: dict[str, list[dict]] = {}
    for run in range(args.runs):
        for label, database, journal, synchronous, seal_seconds in SETTINGS:
            if database not in envs:
                continue
            r = measure(envs[database], journal, synchronous, seal_seconds, args)
            runs.setdefault(label, []).append(r)
            print(
                f"run {run + 1}  {label:52} {r['rows/s']:8.1f} rows/s  p50 {r['p50']:6.1f} ms  "
                f"p95 {r['p95']:6.1f} ms  p99 {r['p99']:6.1f} ms  lost {r['lost']}  unsealed {r['unsealed']}  "
                f"verified {r['verified']}",
                flush=True,
            )
    database_of = {label: database for label, database, *_ in SETTINGS}
    baseline = {}
    for label in runs:  # each database's first setting: how it was before
        baseline.setdefault(database_of[label], label)
    print(
        f"\nMedians of {args.runs} runs, {args.processes} processes x {args.threads} threads, {args.seconds} s:"
    )
    print("| setting | rows/s | p50 ms | p95 ms | p99 ms | waiting at the end | rows/s against before |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    failed = False
    for label, rs in runs.items():
        before = runs[baseline[database_of[label]]]
        ratio = statistics.median(r["rows/s"] / b["rows/s"] for r, b in zip(rs, before, strict=True))
        med = {k: statistics.median(r[k] for r in rs) for k in ("rows/s", "p50", "p95", "p99", "unsealed")}
        print(
            f"| {label} | {med['rows/s']:.0f} | {med['p50']:.1f} | {med['p95']:.1f} | {med['p99']:.1f} | "
            f"{med['unsealed']:.0f} | {ratio:.2f} |"
        )
        failed |= any(r["lost"] or not r["verified"] for r in rs)
    print("\nEvery row written and every chain verified." if not failed else "\nROWS LOST or a chain broken.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
