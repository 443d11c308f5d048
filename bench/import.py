"""Benchmark: ``handover import caseload FILE.csv`` at scale, on SQLite and PostgreSQL (issue 14, item 4).

Run with ``python bench/import.py [--rows 100000] [--baseline-rows 10000] [--repeat 3]
[--databases sqlite,postgres] [--postgres URL] [--dir PATH] [--seed 14]``. About 3 minutes on SQLite with the
defaults; ``--rows 20000 --baseline-rows 2000 --repeat 1`` for a quick check.

1. A fresh database: a SQLite file in a temporary folder (``--dir`` keeps it), and with ``--databases
   sqlite,postgres`` the PostgreSQL database ``handover_bench_import`` (dropped and made again; ``--postgres``
   names another, never ``test`` or ``test_*``), migrated, with production settings (DEBUG off, so no query
   is kept in memory; email to the dummy backend).
2. The authority as docs/import.md sets one up: ``authority_sync_from_protocol`` (the Dorset protocol's
   services and teams; the demo is not used, so the caseload goes into an authority with no children, as a
   real first import does, and none of the demo's identifiers can collide), then ``handover import staff``
   with a generated staff file: a team manager and ``--staff-per-team`` case holders per case-holding team.
3. N synthetic caseload rows (seeded ``random.Random``, synthetic names only) spread over those teams and
   their workers, with dates of birth by the team's service (care leavers 16-21, unborn children with an
   expected date only), families of siblings, plans and legal statuses as each service holds them (so the
   import writes allocations, plans and legal status episodes, each with its history row).
4. Timed, as a person runs it: ``handover import caseload FILE.csv`` in a subprocess, end to end (Python and
   Django starting included), stdout not a terminal (plain progress lines). Each run starts from a copy of
   the database as step 2 left it (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL,
   into ``<name>_run``), ``--repeat`` times; the medians are printed, with the rows written counted afterwards
   (children, allocations, plans, legal statuses, families, their history rows and the import's audit row).
   First a file of no rows (what every run costs whatever its length: Python, Django and its system checks
   starting, the audit row), then ``--baseline-rows`` (10,000), then ``--rows`` (100,000): the ratio of their
   rows/s net of that start-up shows whether the time grows linearly with the file (1.0 = linear; below 1,
   slower per row at scale).
5. The same file with one bad row at the end (its identifier already used on row 2, and a team that does not
   exist): the import must refuse it whole, name both problems by row and column, and write nothing. How long
   refusing takes is printed (median of ``--repeat``).
6. Rows/s and seconds per run and as medians, with the import process's CPU time (user + system: steadier
   than the wall clock when others share the machine), the machine's 1-minute load average after the run, and
   peak memory (maximum resident set); then whether the goal is met: 100,000 rows in under 30 s on this
   2-core machine.

Exit status 1 if an import fails, writes other counts than expected, or the bad file is not refused whole;
else 0, whether or not the speed goal is met.
"""

import sys
from pathlib import Path

# bench/calendar.py sits beside this file: run as a script, this folder comes first on sys.path and would
# shadow the standard library's ``calendar``. Drop the folder.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

# The shared helpers beside this file, found after the standard library's modules (see above).
sys.path.append(str(_HERE))

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

from handover.onboarding.columns import COLUMNS as CSV_COLUMNS  # noqa: E402
from postgres_admin import postgres_admin, postgres_name  # noqa: E402

GOAL_SECONDS = 30.0  # for GOAL_ROWS rows, end to end
GOAL_ROWS = 100_000
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/handover_bench_import"
BAD_TEAM = "no_such_team"
COLUMNS = CSV_COLUMNS["caseload"]  # docs/import.md's, in its order

FIRST_NAMES = (
    "Ada",
    "Alfie",
    "Amara",
    "Arlo",
    "Ava",
    "Bea",
    "Caleb",
    "Cora",
    "Dara",
    "Eden",
    "Eli",
    "Ezra",
    "Faye",
    "Finn",
    "Gia",
    "Hal",
    "Ida",
    "Iris",
    "Jago",
    "Juno",
    "Kai",
    "Kit",
    "Lark",
    "Lev",
    "Lila",
    "Milo",
    "Nell",
    "Nico",
    "Noor",
    "Olly",
    "Orla",
    "Pip",
    "Quin",
    "Remy",
    "Rhea",
    "Rory",
    "Sami",
    "Skye",
    "Tam",
    "Tess",
    "Uma",
    "Vida",
    "Wren",
    "Xan",
    "Yara",
    "Zac",
)
LAST_NAMES = (
    "Abbot",
    "Brindle",
    "Carrow",
    "Dunmore",
    "Elsby",
    "Fenwick",
    "Garside",
    "Hollin",
    "Ingram",
    "Jessop",
    "Kettle",
    "Lowther",
    "Marrow",
    "Nettle",
    "Oakes",
    "Pennock",
    "Quarry",
    "Rudge",
    "Seddon",
    "Thorne",
    "Umber",
    "Varley",
    "Wardle",
    "Yelland",
    "Ashdown",
    "Birtle",
    "Colley",
    "Dibben",
    "Eskdale",
    "Farrant",
)
ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "AIND", "BAFR", "CHNE", "OOTH", "NOBT")
# By the team's service kind: (plans with weights, legal statuses with weights, youngest, oldest age in years).
SERVICE_PROFILE = {
    "assessment": ({"none": 5, "cin": 5}, {"none": 1}, 0, 17),
    "cin_cp": ({"cin": 6, "cp": 4}, {"none": 1}, 0, 17),
    "court": ({"cp": 5, "cla": 5}, {"interim_care_order": 8, "supervision_order": 2}, 0, 17),
    "lac": ({"cla": 1}, {"care_order": 6, "s20": 3, "placement_order": 1}, 0, 17),
    "leaving_care": ({"care_leaver": 1}, {"none": 1}, 16, 21),
    "disability": ({"cin": 1}, {"none": 8, "s20": 2}, 0, 17),
    "private_fostering": ({"cin": 1}, {"none": 1}, 0, 15),
    "separated_children": ({"cla": 1}, {"s20": 1}, 14, 17),
}

SETUP = r"""
import json, sys
import django
django.setup()
from handover.organisation.models import Team
from handover.organisation.services import authority_sync_from_protocol
authority = authority_sync_from_protocol(protocol_name=sys.argv[1])
teams = (
    Team.objects.filter(service__authority=authority, active=True, service__external=False)
    .exclude(service__kind="front_door").select_related("service").order_by("code")
)
print(json.dumps({"authority": authority.code, "teams": [[t.code, t.service.kind] for t in teams]}))
"""

COUNT = r"""
import json
import django
django.setup()
from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, Child, Family, LegalStatusEpisode, PlanEpisode
imports = AuditEvent.objects.filter(verb=Verb.IMPORT, detail__endswith=" caseload rows")
counts = {"families": Family.objects.count(), "audit (import)": imports.count()}
for label, model in (("children", Child), ("allocations", Allocation), ("plans", PlanEpisode),
                     ("legal statuses", LegalStatusEpisode)):
    counts[label] = model.objects.count()
    counts[label + " history"] = model.history.count()
print(json.dumps(counts))
"""


# -- the databases -----------------------------------------------------------------------------------------------


def environment(folder: Path, database_url: str, protocol: str) -> dict[str, str]:
    """Production settings on the given database, as an administrator's shell would have them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))}
    key_file = folder / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    env.update(
        HANDOVER_DEBUG="false",
        HANDOVER_SECRET_KEY=key_file.read_text(encoding="utf-8"),
        HANDOVER_ALLOWED_HOSTS="127.0.0.1",
        HANDOVER_VAR_DIR=str(folder),
        HANDOVER_EMAIL="none",
        HANDOVER_PROTOCOL=protocol,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="handover.config.settings",
    )
    return env


def handover(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "handover.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def django_json(env: dict[str, str], script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        done.check_returncode()
    return json.loads(done.stdout.strip().splitlines()[-1])


class Database:
    """The set-up database (migrated, authority and staff in) and a fresh copy of it for each run."""

    def __init__(self, kind: str, folder: Path, postgres: str, protocol: str):
        self.kind, self.folder, self.protocol = kind, folder, protocol
        if kind == "sqlite":
            self.setup_path = folder / "import-setup.sqlite3"
            self.run_path = folder / "import-run.sqlite3"
            self.setup_url = f"sqlite:///{self.setup_path}"
            self.run_url = f"sqlite:///{self.run_path}"
        else:
            self.setup_url = postgres
            self.name = postgres_name(postgres)
            self.run_name = f"{self.name}_run"
            self.run_url = urllib.parse.urlunsplit(
                urllib.parse.urlsplit(postgres)._replace(path=self.run_name)
            )
        self.setup_env = environment(folder, self.setup_url, protocol)
        self.run_env = environment(folder, self.run_url, protocol)

    def create(self) -> None:
        if self.kind == "sqlite":
            for leftover in self.folder.glob("import-*.sqlite3*"):
                leftover.unlink()
        else:
            postgres_admin(self.setup_url, f"DROP DATABASE IF EXISTS {self.run_name} WITH (FORCE)")
            postgres_admin(self.setup_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            postgres_admin(self.setup_url, f"CREATE DATABASE {self.name}")

    def fresh_copy(self) -> None:
        if self.kind == "sqlite":
            for leftover in self.folder.glob(f"{self.run_path.name}*"):  # the file and its -wal, -shm
                leftover.unlink()
            shutil.copyfile(self.setup_path, self.run_path)
        else:
            postgres_admin(self.setup_url, f"DROP DATABASE IF EXISTS {self.run_name} WITH (FORCE)")
            postgres_admin(self.setup_url, f"CREATE DATABASE {self.run_name} TEMPLATE {self.name}")

    def drop_copy(self) -> None:
        if self.kind == "postgres":
            postgres_admin(self.setup_url, f"DROP DATABASE IF EXISTS {self.run_name} WITH (FORCE)")


# -- the files ---------------------------------------------------------------------------------------------------


def staff_rows(teams: list[list[str]], per_team: int) -> tuple[list[dict], dict[str, list[str]]]:
    """A team manager and `per_team` case holders per team; the case holders' usernames by team."""
    rows, workers = [], {}
    for code, kind in teams:
        role = "personal_adviser" if kind == "leaving_care" else "social_worker"
        rows.append(_staff(f"tm.{code}", f"Manager of {code}", "team_manager", code))
        workers[code] = [f"sw.{code}.{i}" for i in range(1, per_team + 1)]
        rows += [_staff(u, f"Worker {i} of {code}", role, code) for i, u in enumerate(workers[code], 1)]
    return rows, workers


def _staff(username: str, name: str, role: str, team: str) -> dict:
    return {"username": username, "name": name, "role": role, "team": team, "start": "2020-01-06"}


def caseload_rows(n: int, teams: list[list[str]], workers: dict, today: dt.date, seed: int) -> list[dict]:
    """N open children over the teams, as an authority's records system would export them."""
    rng = random.Random(seed)  # nosec B311  # synthetic people, the same for a seed each time: no secret
    codes = [code for code, _ in teams]
    kinds = dict((code, kind) for code, kind in teams)
    rows: list[dict] = []
    family, siblings_left = "", 0
    while len(rows) < n:
        team = rng.choice(codes)
        plans, legal, youngest, oldest = SERVICE_PROFILE.get(kinds[team], ({"cin": 1}, {"none": 1}, 0, 17))
        if siblings_left == 0 and rng.random() < 0.4:  # a family of 2-4 brothers and sisters, same team
            family, siblings_left = f"Family {len(rows) + 2}", rng.randint(2, 4)
        last = rng.choice(LAST_NAMES)
        unborn = youngest == 0 and rng.random() < 0.01
        born = (
            None if unborn else today - dt.timedelta(days=rng.randint(youngest * 365 + 1, oldest * 365 + 300))
        )
        expected = today + dt.timedelta(days=rng.randint(7, 200)) if unborn else None
        earliest = born or today - dt.timedelta(days=120)
        start = earliest + dt.timedelta(days=rng.randint(0, max(0, (today - earliest).days - 2)))
        rows.append(
            {
                "identifier": f"P{len(rows) + 1:07d}",
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": last,
                "date_of_birth": born.isoformat() if born else "",
                "expected_date_of_birth": expected.isoformat() if expected else "",
                "gender": "" if unborn else rng.choice(("F", "M")),
                "ethnicity": rng.choice(ETHNICITIES),
                "disability": "yes" if kinds[team] == "disability" else rng.choice(("no", "no", "no", "")),
                "asylum_status": "unaccompanied_seeking_asylum"
                if kinds[team] == "separated_children"
                else "",
                "locality": "",
                "family": family if siblings_left else "",
                "team": team,
                "worker": rng.choice(workers[team]) if rng.random() < 0.9 else "",  # some awaiting allocation
                "allocation_start": start.isoformat(),
                "legal_status": "" if unborn else _weighted(rng, legal),
                "plan": _weighted(rng, plans),
            }
        )
        siblings_left = max(0, siblings_left - 1)
    return rows


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    value = rng.choices(list(weights), weights=list(weights.values()))[0]
    return "" if value == "none" else value


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def expected_counts(rows: list[dict]) -> dict[str, int]:
    n = len(rows)
    plans = sum(1 for r in rows if r["plan"])
    legal = sum(1 for r in rows if r["legal_status"])
    return {
        "children": n,
        "children history": n,
        "allocations": n,
        "allocations history": n,
        "plans": plans,
        "plans history": plans,
        "legal statuses": legal,
        "legal statuses history": legal,
        "families": len({r["family"] for r in rows if r["family"]}),
        "audit (import)": 1,
    }


# -- running the import ------------------------------------------------------------------------------------------


def timed_import(env: dict[str, str], path: Path) -> dict:
    """`handover import caseload FILE` as a person runs it: seconds end to end, exit status, output, peak RSS."""
    command = [sys.executable, "-m", "handover.cli", "import", "caseload", str(path)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "seconds": seconds,
            "status": process.returncode,
            "stdout": out.read(),
            "stderr": err.read(),
            "peak_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
            "cpu": usage.ru_utime + usage.ru_stime,  # what the import used, whatever else the machine runs
            "load": os.getloadavg()[0],
        }


def good_runs(db: Database, path: Path, rows: list[dict], repeat: int) -> tuple[list[dict], bool]:
    expected = expected_counts(rows)
    runs, ok = [], True
    for i in range(1, repeat + 1):
        db.fresh_copy()
        run = timed_import(db.run_env, path)
        run["rate"] = len(rows) / run["seconds"]
        lines = run["stdout"].strip().splitlines()
        progress = sum(1 for line in lines if " of " in line)
        print(
            f"  {db.kind} {len(rows):>7,} rows, run {i}: {run['seconds']:6.2f} s, {run['rate']:8,.0f} rows/s, "
            f"CPU {run['cpu']:5.1f} s, load {run['load']:.1f}, peak {run['peak_mb']:4.0f} MB, exit {run['status']}, "
            f"{progress} progress lines; "
            f"last: {lines[-1] if lines else '(none)'}"
        )
        if run["status"] != 0:
            print(run["stderr"][-2000:])
            ok = False
        counts = django_json(db.run_env, COUNT)
        if counts != expected:
            wrong = {k: (counts.get(k), v) for k, v in expected.items() if counts.get(k) != v}
            print(f"  WRONG COUNTS (found, expected): {wrong}")
            ok = False
        elif i == 1:
            print("  written: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        runs.append(run)
    db.drop_copy()
    return runs, ok


def bad_runs(db: Database, path: Path, n: int, repeat: int) -> tuple[list[dict], bool]:
    """The file with one bad row at the end: refused whole, both problems named, nothing written."""
    bad_row = n + 2  # the header is row 1
    wanted = (f"row {bad_row}, column identifier: ", f"row {bad_row}, column team: no team '{BAD_TEAM}'")
    runs, ok = [], True
    for i in range(1, repeat + 1):
        db.fresh_copy()
        run = timed_import(db.run_env, path)
        problems = [line for line in run["stderr"].splitlines() if line.startswith("row ")]
        counts = django_json(db.run_env, COUNT)
        written = {k: v for k, v in counts.items() if v}
        named = all(any(line.startswith(w) for line in problems) for w in wanted)
        print(
            f"  {db.kind} {n + 1:>7,} rows, one bad, run {i}: refused in {run['seconds']:6.2f} s, CPU "
            f"{run['cpu']:5.1f} s, exit {run['status']}, peak {run['peak_mb']:4.0f} MB, {len(problems)} problem(s), "
            f"written: {written or 'nothing'}"
        )
        if i == 1:
            for line in run["stderr"].strip().splitlines()[-4:]:
                print(f"    stderr: {line}")
        if run["status"] == 0 or written or not named or len(problems) != 2:
            print("  NOT REFUSED WHOLE, or the problems not named as expected")
            ok = False
        runs.append(run)
    db.drop_copy()
    return runs, ok


def measure(db: Database, args, folder: Path, today: dt.date) -> tuple[dict, bool]:
    print(f"\n== {db.kind} ==")
    db.create()
    started = time.perf_counter()
    done = handover(db.setup_env, "manage", "migrate", "--verbosity", "0")
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    print(f"{db.kind}: migrated in {time.perf_counter() - started:.1f} s")
    setup = django_json(db.setup_env, SETUP, args.protocol)
    staff, workers = staff_rows(setup["teams"], args.staff_per_team)
    staff_file = write_csv(folder / "staff.csv", staff, list(staff[0]))
    started = time.perf_counter()
    done = handover(db.setup_env, "import", "staff", str(staff_file))
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    print(
        f"{db.kind}: authority {setup['authority']} with {len(setup['teams'])} case-holding teams; "
        f"`handover import staff` of {len(staff)} staff in {time.perf_counter() - started:.1f} s"
    )
    result: dict = {}
    ok = True
    # A file of no rows first: what every run costs whatever its length (Python, Django and its checks
    # starting, the audit row), so that the rows/s of the two sizes can be compared net of it.
    for n in [0, *(s for s in (args.baseline_rows, args.rows) if s)]:
        rows = caseload_rows(n, setup["teams"], workers, today, args.seed)
        path = write_csv(folder / f"caseload-{n}.csv", rows, COLUMNS)
        runs, good = good_runs(db, path, rows, args.repeat)
        ok = ok and good
        result[n] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "rate": statistics.median(r["rate"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "load": statistics.median(r["load"] for r in runs),
        }
    n = args.rows
    rows = caseload_rows(n, setup["teams"], workers, today, args.seed)
    bad = dict(rows[0], team=BAD_TEAM)  # the identifier of row 2 again, and a team that does not exist
    path = write_csv(folder / f"caseload-{n}-bad.csv", [*rows, bad], COLUMNS)
    runs, refused = bad_runs(db, path, n, args.repeat)
    ok = ok and refused
    result["refused"] = {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "load": statistics.median(r["load"] for r in runs),
    }
    return result, ok


def report(results: dict[str, dict], args) -> None:
    print(f"\nMedians of {args.repeat} run(s), `handover import caseload` end to end:")
    print(
        f"{'database':<10} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'CPU s':>6} {'load':>5} {'peak MB':>8}"
    )
    for database, result in results.items():
        for n in dict.fromkeys((0, args.baseline_rows, args.rows)):
            if n in result:
                r = result[n]
                rate = f"{r['rate']:>9,.0f}" if n else f"{'start-up':>9}"
                print(
                    f"{database:<10} {n:>8,} {r['seconds']:>8.2f} {rate} {r['cpu']:>6.1f} "
                    f"{r['load']:>5.1f} {r['peak_mb']:>8.0f}"
                )
        r = result["refused"]
        print(
            f"{database:<10} {args.rows + 1:>8,} {r['seconds']:>8.2f} {'refused':>9} {r['cpu']:>6.1f} "
            f"{r['load']:>5.1f} {r['peak_mb']:>8.0f}   (one bad row at the end: nothing written)"
        )
    print(
        "CPU s: user + system time of the import process; load: the machine's 1-minute load average after it"
    )
    for database, result in results.items():
        start = result[0]["seconds"]
        net = {n: n / max(result[n]["seconds"] - start, 1e-3) for n in (args.baseline_rows, args.rows) if n}
        print(
            f"{database}: net of the {start:.2f} s every run takes to start, "
            + ", ".join(f"{rate:,.0f} rows/s at {n:,}" for n, rate in net.items())
        )
        if args.baseline_rows:
            print(
                f"{database}: net rows/s at {args.rows:,} / net rows/s at {args.baseline_rows:,} = "
                f"{net[args.rows] / net[args.baseline_rows]:.2f} (1.0: the time grows linearly with the file)"
            )
        seconds = start + (result[args.rows]["seconds"] - start) * GOAL_ROWS / args.rows
        scaled = "" if args.rows == GOAL_ROWS else f" (scaled from {args.rows:,} rows)"
        verdict = "met" if seconds < GOAL_SECONDS else "NOT met"
        print(
            f"{database}: {GOAL_ROWS:,} rows in {seconds:.1f} s{scaled}: goal under {GOAL_SECONDS:.0f} s {verdict}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=GOAL_ROWS)
    parser.add_argument(
        "--baseline-rows", type=int, default=10_000, help="a smaller file for the scaling ratio"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--databases", default="sqlite", help="sqlite, postgres or sqlite,postgres")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--dir", help="folder for the databases and files (kept); default a temporary one")
    parser.add_argument("--protocol", default="dorset")
    parser.add_argument("--staff-per-team", type=int, default=8)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not set(databases) <= {"sqlite", "postgres"}:
        parser.error("--databases: sqlite, postgres or both")
    if args.baseline_rows >= args.rows:
        args.baseline_rows = 0
    today = dt.date.today()
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="handover-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    results, ok = {}, True
    try:
        for database in databases:
            db = Database(database, folder, args.postgres, args.protocol)
            results[database], good = measure(db, args, folder, today)
            ok = ok and good
    finally:
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)
    report(results, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
