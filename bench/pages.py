"""Benchmark: Handover's pages under load on the large demo, SQLite and PostgreSQL side by side (issue 14).

Run with ``python bench/pages.py [--duration 20] [--runs 3] [--connections 50] [--dir PATH] [--size large]
[--databases sqlite,postgres] [--per-page SECONDS] [--queries]``. The load comes from ``wrk`` (Debian's
package, installed by scripts/system-packages) with bench/pages.lua beside this file.

1. The demo (``handover demo --size large --protocol dorset``) in a SQLite file under the folder, and in the
   PostgreSQL database ``handover_bench`` (dropped and created again with ``psql``; ``--postgres`` names
   another, never ``test`` or ``test_*``), with production settings: DEBUG off, a throwaway secret key, plain
   HTTP, two-factor off, the API's rates off, email to Django's dummy backend. The build time is printed. With
   ``--dir`` the folder is kept and a demo already built there (of the same size) is used again. On PostgreSQL
   ``VACUUM ANALYZE`` runs before measuring, as autovacuum would have by then on a production server.
2. For each database in turn: ``handover serve --production`` (granian, one worker per core, its default
   threads), waited for on ``/health/``. Four people sign in through the sign-in form (a social worker, their
   team manager and business support, and the director), each keeping the session and CSRF cookies.
3. The pages, picked from the database: My work, eight child records, eight transfer pages (open, over their
   states), the team page, escalations, a meeting's agenda and a search for a child's surname; each person's
   access to each page checked with one request (a page someone may not open is left out of their share, and
   said so). Writes: one per twenty reads, marking a remedial action done or opening it again (the team
   manager, on up to eight open transfers of the team), alternately, so the run can be repeated: each write
   is a real one (the action's row, its history and an audit row), the database keeps its shape.
4. ``wrk`` (one thread, ``--connections``) drives the weighted mix, every request rotating over the pages and
   the people, for ``--duration`` seconds after a ``--warm-up`` of reads; then ``/health/`` of the same server
   (one query: the stack's ceiling) for as long. ``--runs`` times. With ``--per-page N`` each page is then
   driven alone for N seconds (with ``--per-page-connections``): where to start optimising; with
   ``--queries``, each page is requested once more through Django's test client in a process of its own, to
   count its queries and show the slowest with the database's plan for it.
5. Printed, per run and as medians over the runs: requests/s, p50/p95/p99 latency over every answer, errors
   (connection errors, answers after wrk's 10 s timeout, which wrk leaves out of its own percentiles but these
   count as slower than 10 s, 4xx/5xx answers, and a page answered by a redirect to the sign-in page), the writes
   made (counted in the database), and the mix's requests/s as a share of the ceiling's; then whether the goal
   is met: 200 requests/s with p95 under 150 ms and no errors, on 2 cores.

Exit status 0, whatever the figures; 1 if a server would not start or no one could sign in.
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
import datetime as dt  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from http.cookies import SimpleCookie  # noqa: E402

from postgres_admin import postgres_admin, postgres_fresh, postgres_name  # noqa: E402

LUA = _HERE / "pages.lua"
PASSWORD = "bench-only-password"  # nosec B105  # every demo login's, on a throwaway database
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/handover_bench"
GOAL_RPS = 200
GOAL_P95_MS = 150
CHECK_TIMEOUT = 120  # seconds for one request outside the load (signing in, checking access)
WRK_TIMEOUT = "10s"  # a request unanswered by then counts as an error (a timeout)

# Reads per twenty, by page, and the people whose sessions they rotate over (each as far as they may open it).
MIX = {
    "my work": 4,
    "child record": 5,
    "transfer page": 5,
    "search": 3,
    "team": 1,
    "escalations": 1,
    "meeting agenda": 1,
}
WRITE = "transfer action"  # one per round of twenty reads
ROLES = ("social worker", "team manager", "business support", "director")
ROUNDS = 64  # rounds of twenty reads and a write in the rotation before it repeats


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# -- the databases -----------------------------------------------------------------------------------------------


def environment(folder: Path, database_url: str, protocol: str) -> dict[str, str]:
    """Production settings, as `handover serve --production` reads them, on the given database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))}
    key_file = folder / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    env.update(
        HANDOVER_DEBUG="false",
        HANDOVER_SECURE="false",  # plain HTTP on 127.0.0.1: the cookies must not be Secure-only
        HANDOVER_SECRET_KEY=key_file.read_text(encoding="utf-8"),
        HANDOVER_ALLOWED_HOSTS="127.0.0.1",
        HANDOVER_VAR_DIR=str(folder),
        HANDOVER_EMAIL="none",
        HANDOVER_PROTOCOL=protocol,
        HANDOVER_REQUIRE_TWO_FACTOR="false",  # managers would otherwise need a one-time code
        HANDOVER_API_RATE_USER="off",
        HANDOVER_API_RATE_ANON="off",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="handover.config.settings",
    )
    return env


def handover(env: dict[str, str], *args: str, quiet: bool = False) -> None:
    subprocess.run(
        [sys.executable, "-m", "handover.cli", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


COLLECT_MANIFEST = """
import django
from django.conf import settings
django.setup()
settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
"""


def collect_static(env: dict[str, str], folder: Path) -> None:
    """The static files' manifest, without WhiteNoise's compression (minutes, and no page needs it: the pages only
    look names up in the manifest)."""
    if not (folder / "static" / "staticfiles.json").exists():
        subprocess.run([sys.executable, "-c", COLLECT_MANIFEST], env=env, check=True)


def analyze(url: str) -> None:
    """What PostgreSQL's autovacuum does a minute or so after a bulk load, done before measuring: on a server
    where it is off (as on this machine's, set up for the test suite) the demo's 250,000 transfers would be
    planned as empty tables (My work took over 80 s), and every read's sealed audit row leaves a dead one."""
    started = time.perf_counter()
    autovacuum = postgres_admin(url, "SHOW autovacuum")
    postgres_admin(url, "VACUUM ANALYZE", database=postgres_name(url))
    seconds = time.perf_counter() - started
    print(f"postgres: VACUUM ANALYZE in {seconds:.1f} s (autovacuum is {autovacuum} on this server)")


def prepare(database: str, *, folder: Path, size: str, protocol: str, postgres: str, keep: bool) -> dict:
    """The demo in `database` (sqlite or postgres): reused if this folder says it built one of this size there,
    else built afresh. Returns the environment to serve it with."""
    marker = folder / f"{database}-{protocol}-{size}.built"
    if database == "sqlite":
        path = folder / f"pages-{protocol}-{size}.sqlite3"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        url = postgres
        name = postgres_name(url)
        exists = postgres_admin(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    env = environment(folder, url, protocol)
    collect_static(env, folder)
    if keep and exists and marker.exists():
        built = json.loads(marker.read_text(encoding="utf-8"))
        print(f"{database}: reusing the {size} demo built on {built['on']} in {built['seconds']:.1f} s")
        handover(env, "manage", "migrate", "--verbosity", "0")
        if database == "postgres":
            analyze(url)
        return env
    marker.unlink(missing_ok=True)
    if database == "sqlite":
        for leftover in folder.glob(f"{path.name}*"):  # the file and its -wal, -shm
            leftover.unlink()
    else:
        for other in folder.glob("postgres-*.built"):  # one database, one demo: whatever was there goes
            other.unlink()
        postgres_fresh(url)
    started = time.perf_counter()
    handover(env, "manage", "migrate", "--verbosity", "0")
    migrated = time.perf_counter() - started
    print(f"{database}: migrated in {migrated:.1f} s; building the {size} demo ({protocol})")
    started = time.perf_counter()
    handover(env, "demo", "--size", size, "--protocol", protocol, "--password", PASSWORD, quiet=False)
    seconds = time.perf_counter() - started
    print(f"{database}: BUILD TIME of the {size} demo: {seconds:.1f} s (plus {migrated:.1f} s migrating)")
    marker.write_text(json.dumps({"on": dt.date.today().isoformat(), "seconds": seconds}), encoding="utf-8")
    if database == "postgres":
        analyze(url)
    return env


# -- what to request, picked from the database --------------------------------------------------------------------

PICK = r"""
import json, sys
import django
django.setup()
from django.db.models import Count, Q
from django.utils import timezone
from handover.children.models import Allocation, Child
from handover.domain.workflow import OPEN_STATES
from handover.meetings.models import Meeting
from handover.organisation.models import Authority, Membership
from handover.transfers.models import Escalation, RemedialAction, Transfer

today = timezone.localdate()
authority = Authority.objects.order_by("pk").first()
open_states = sorted(s.value for s in OPEN_STATES)
visible = Child.objects.filter(authority=authority, restricted=False, erased_on__isnull=True)
open_transfers = Transfer.objects.filter(state__in=open_states, child__in=visible)
actions = RemedialAction.objects.filter(transfer__in=open_transfers)
# The team sending the most open transfers with remedial actions: its people are the ones signed in.
team_id = (
    actions.values("transfer__from_team").annotate(n=Count("pk")).order_by("-n", "transfer__from_team")
)[0]["transfer__from_team"]
current = Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=today), start__lte=today)


def login(**where):
    m = current.filter(**where).select_related("staff__user", "team").order_by("staff__user__username").first()
    return m.staff.user.username if m else None


writes = list(
    actions.filter(transfer__from_team=team_id).order_by("pk").values("pk", "transfer_id", "owner_id")[:8]
)
owners = [w["owner_id"] for w in writes]
logins = {
    "social worker": login(team_id=team_id, role="social_worker", staff_id__in=owners)
    or login(team_id=team_id, role="social_worker"),
    "team manager": login(team_id=team_id, role="team_manager"),
    "business support": login(team_id=team_id, role="business_support") or login(role="business_support"),
    "director": login(role="service_director") or login(role="head_of_service"),
}
# Eight open transfers of the team (sending or receiving), taken in turn from each state, so every state shows.
mine = open_transfers.filter(Q(from_team_id=team_id) | Q(to_team_id=team_id)).order_by("pk")
by_state = {}
for pk, state in mine.values_list("pk", "state"):
    by_state.setdefault(state, []).append(pk)
transfers = []
while len(transfers) < 8 and any(by_state.values()):
    for state in sorted(by_state):
        if by_state[state] and len(transfers) < 8:
            transfers.append(by_state[state].pop(0))
# Eight children: four with those open transfers, four more the team holds (records with their history).
children = list(Transfer.objects.filter(pk__in=transfers[:4]).values_list("child_id", flat=True))
held = (
    Allocation.objects.filter(team_id=team_id, end__isnull=True, kind="primary", child__in=visible)
    .exclude(child_id__in=children)
    .order_by("child_id")
    .values_list("child_id", flat=True)
)
held = list(held)
children += held[:: max(1, len(held) // 4)][: 8 - len(children)]
surnames = sorted({c.last_name for c in Child.objects.filter(pk__in=children)})[:4]
meetings = Meeting.objects.filter(authority=authority).annotate(n=Count("items"))
meeting = (
    meetings.filter(sits_on__gte=today).order_by("-n", "sits_on").first()
    or meetings.order_by("-n", "-sits_on").first()
)
from django.db import connection
database = {}
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        database["journal mode"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        database["planner statistics (ANALYZE)"] = "yes" if cursor.fetchone()[0] else "none"
print(json.dumps({
    "authority": authority.name,
    "database": database,
    "team": team_id,
    "logins": logins,
    "children": children,
    "transfers": transfers,
    "surnames": surnames,
    "meeting": meeting.pk if meeting else None,
    "meeting_items": meeting.n if meeting else 0,
    "writes": [{"action": w["pk"], "transfer": w["transfer_id"]} for w in writes],
    "counts": {
        "open children": visible.filter(closed_on__isnull=True).count(),
        "transfers": Transfer.objects.count(),
        "open transfers": Transfer.objects.filter(state__in=open_states).count(),
        "open escalations": Escalation.objects.filter(resolved_at__isnull=True).count(),
    },
}))
"""

WRITE_STATES = r"""
import json, sys
import django
django.setup()
from handover.audit.models import AuditEvent
from handover.transfers.models import RemedialAction

ids = [int(x) for x in sys.argv[1:]]
done = dict(RemedialAction.objects.filter(pk__in=ids).values_list("pk", "done_at"))
audits = AuditEvent.objects.filter(
    verb="remedial_action", object_id__in=[str(i) for i in ids], detail__in=("marked done", "reopened")
).count()
print(json.dumps({"done": {str(k): v is not None for k, v in done.items()}, "audits": audits}))
"""


QUERIES = r"""
import collections, json, re, statistics, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

statements = []


def timed(execute, sql, params, many, context):
    # Each statement's own time, to the microsecond (Django's query log rounds to the millisecond).
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        ms = (time.perf_counter() - started) * 1000
        text = sql if many else connection.ops.last_executed_query(context["cursor"], sql, params)
        statements.append((ms, text))


plan = json.loads(sys.argv[1])
clients = {}
for role, username in plan["logins"].items():
    clients[role] = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    user = get_user_model().objects.get(username=username)
    clients[role].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
out = {}
for kind, pairs in plan["pairs"].items():
    rows = []
    for role, url in pairs:
        clients[role].get(url)  # warm: templates, the protocol, this process's caches
        statements.clear()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            started = time.perf_counter()
            status = clients[role].get(url).status_code
            ms = (time.perf_counter() - started) * 1000
        slowest = max(statements, default=(0.0, ""))
        shapes = collections.Counter(re.sub(r"'[^']*'|\b\d+\b", "?", sql) for _, sql in statements)
        repeated = shapes.most_common(1)[0] if shapes else ("", 0)
        rows.append((ms, len(captured), sum(t for t, _ in statements), slowest, status, repeated))
    slowest_ms, slowest_sql = max(r[3] for r in rows)
    explained = []
    if slowest_sql.lstrip().upper().startswith("SELECT"):
        with connection.cursor() as cursor:
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + slowest_sql)
            explained = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    repeated = max((r[5] for r in rows), key=lambda x: x[1])
    out[kind] = {
        "repeated_sql": repeated[0],
        "repeated": repeated[1],
        "ms": statistics.median(r[0] for r in rows),
        "queries": statistics.median(r[1] for r in rows),
        "most_queries": max(r[1] for r in rows),
        "sql_ms": statistics.median(r[2] for r in rows),
        "slowest_ms": slowest_ms,
        "slowest_sql": slowest_sql,
        "plan": explained,
        "statuses": sorted({r[4] for r in rows}),
    }
print(json.dumps(out))
"""


def queries(
    env: dict[str, str], database: str, folder: Path, picked: dict, pairs: dict, sessions: dict
) -> dict:
    """Each page once more, through Django's test client in a process of its own (no server, no load): its time,
    its queries and their time, and the slowest query with the database's plan for it."""
    plan = {
        "logins": {role: picked["logins"][role] for role in sessions},
        "pairs": {kind: [list(p) for p in found] for kind, found in pairs.items() if found},
    }
    found = django_json(env, QUERIES, json.dumps(plan))
    print(f"\n{database}: each page alone through Django's test client, no load (median over its URLs)")
    for kind, r in sorted(found.items(), key=lambda kv: -kv[1]["ms"]):
        print(
            f"  {kind:15} {r['ms']:7.1f} ms  {r['queries']:4.0f} queries (at most {r['most_queries']}), "
            f"SQL {r['sql_ms']:6.1f} ms; slowest query {r['slowest_ms']:6.1f} ms"
            + ("" if r["statuses"] == [200] else f"  (answered {r['statuses']})")
        )
    for kind, r in sorted(found.items(), key=lambda kv: -kv[1]["slowest_ms"])[:3]:
        print(
            f"\n  {kind}: its slowest query ({r['slowest_ms']:.1f} ms), from its FROM:\n    {tail(r['slowest_sql'])}"
        )
        print("    plan:\n" + "\n".join(f"      {step}" for step in r["plan"][:25]))
    for kind, r in sorted(found.items(), key=lambda kv: -kv[1]["repeated"])[:3]:
        if r["repeated"] > 5:
            print(
                f"\n  {kind}: one statement {r['repeated']} times over (an N+1?):\n    {tail(r['repeated_sql'])}"
            )
    saved = folder / f"queries-{database}.json"
    saved.write_text(json.dumps(found, indent=1), encoding="utf-8")
    print(f"\n  (every page's slowest and most repeated statements in full: {saved})")
    return found


def tail(sql: str, limit: int = 1200) -> str:
    """A statement from its FROM: the column list says little."""
    at = sql.find(" FROM ")
    return ("SELECT ..." + sql[at:] if at > 0 else sql)[:limit]


def django_json(env: dict[str, str], script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        done.check_returncode()
    return json.loads(done.stdout.strip().splitlines()[-1])


def page_urls(picked: dict) -> dict[str, list[str]]:
    pages = {
        "my work": ["/my-work/"],
        "child record": [f"/children/{pk}/" for pk in picked["children"]],
        "transfer page": [f"/transfers/{pk}/" for pk in picked["transfers"]],
        "search": [f"/children/?{urllib.parse.urlencode({'q': name})}" for name in picked["surnames"]],
        "team": [f"/team/{picked['team']}/"],
        "escalations": ["/escalations/"],
        "meeting agenda": [f"/meetings/{picked['meeting']}/"] if picked["meeting"] else [],
    }
    return {kind: pages[kind] for kind in MIX}


# -- the server and the people signed in ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`handover serve --production`: granian, one worker per core (or --workers), its default threads."""

    def __init__(
        self, env: dict[str, str], folder: Path, name: str, workers: int | None, threads: int | None
    ):
        self.port = free_port()
        self.postgres = env["DATABASE_URL"] if name == "postgres" else None
        self.log_path = folder / f"access-{name}.log"
        self.log = self.log_path.open("ab")
        self.errors = (folder / f"server-{name}.log").open("ab")
        command = [
            sys.executable,
            "-m",
            "handover.cli",
            "serve",
            "--production",
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        if workers:
            command += ["--workers", str(workers)]
        if threads:
            command += ["--threads", str(threads)]
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=self.errors, start_new_session=True
        )

    def wait_ready(self, timeout: float = 90) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/")
                if conn.getresponse().status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def activity(self) -> tuple[int, float]:
        """The access log's size (a line per request answered) and the CPU seconds its processes have used."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[2]) == self.process.pid:  # its process group: the server and its workers
                ticks += int(fields[11]) + int(fields[12])
        return self.log_path.stat().st_size, ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.errors.close()


class Answer:
    def __init__(self, status: int, location: str, cookies: dict[str, str], body: str, ms: float):
        self.status, self.location, self.cookies, self.body, self.ms = status, location, cookies, body, ms


def call(port: int, method: str, path: str, cookies: dict[str, str], form: dict | None = None) -> Answer:
    headers = {"Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if method == "POST":
        body = urllib.parse.urlencode(form or {})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        if "csrftoken" in cookies:
            headers["X-CSRFToken"] = cookies["csrftoken"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CHECK_TIMEOUT)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    ms = (time.perf_counter() - started) * 1000
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    set_cookies = {name: morsel.value for name, morsel in jar.items()}
    return Answer(response.status, response.headers.get("Location", ""), set_cookies, text, ms)


def sign_in(port: int, username: str) -> dict[str, str]:
    """Through the sign-in form, as a browser: the form's page (its CSRF cookie and token), then the POST. Returns
    the cookies (session, and the CSRF cookie the sign-in rotates)."""
    page = call(port, "GET", "/sign-in/", {})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or token is None:
        raise RuntimeError(f"the sign-in page answered {page.status} without a form")
    cookies = dict(page.cookies)
    form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD, "next": ""}
    answer = call(port, "POST", "/sign-in/", cookies, form)
    if answer.status != 302 or "sessionid" not in answer.cookies:
        raise RuntimeError(
            f"signing in as {username} answered {answer.status} ({answer.location or 'no redirect'})"
        )
    cookies.update(answer.cookies)
    return cookies


def check_access(port: int, sessions: dict, pages: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    """Each person on each page once: the (person, URL) pairs that answer 200, per page. Says what is left out."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for kind, urls in pages.items():
        pairs[kind] = []
        refused: dict[str, set[int]] = {}
        for url in urls:
            for role, cookies in sessions.items():
                try:
                    answer = call(port, "GET", url, cookies)
                except TimeoutError:
                    print(f"  {kind}: {url} took over {CHECK_TIMEOUT} s for the {role}: left out")
                    continue
                if answer.status == 200:
                    pairs[kind].append((role, url))
                else:
                    refused.setdefault(role, set()).add(answer.status)
        for role, statuses in refused.items():
            print(f"  {kind}: left out for the {role} (answered {', '.join(map(str, sorted(statuses)))})")
        if not pairs[kind]:
            print(f"  {kind}: no one may open it: LEFT OUT OF THE MIX")
    return pairs


def check_writes(port: int, env: dict[str, str], sessions: dict, writes: list[dict]) -> list[dict]:
    """The remedial actions the team manager may mark done and reopen: each changed and put back once (two
    writes that leave it as it was). A refusal comes back as a redirect with a message cookie."""
    cookies = sessions.get("team manager")
    if not cookies or not writes:
        print(f"  {WRITE}: no remedial action to write to: LEFT OUT OF THE MIX")
        return []
    states = django_json(env, WRITE_STATES, *(str(w["action"]) for w in writes))["done"]
    usable = []
    for w in writes:
        done = states[str(w["action"])]
        ok = True
        for verb in ("reopen", "done") if done else ("done", "reopen"):
            answer = call(port, "POST", write_path(w, verb), cookies)
            ok = ok and answer.status == 302 and "messages" not in answer.cookies
        if ok:
            usable.append(w)
        else:
            print(f"  {WRITE}: remedial action {w['action']} refused a change: left out")
    return usable


def write_path(w: dict, verb: str) -> str:
    return f"/transfers/{w['transfer']}/remedial-actions/{w['action']}/{verb}/"


# -- the load ------------------------------------------------------------------------------------------------------


def rotation(
    pairs: dict[str, list[tuple[str, str]]],
    weights: dict[str, int],
    sessions: dict,
    writes: list[dict],
    done: dict[str, bool],
    rounds: int,
) -> list[dict]:
    """The requests, round after round: in each, every page its weight's number of times (each time the next of
    its (person, URL) pairs) and, if there are writes, one write (the next remedial action, marked done if it is
    open and reopened if done, in turn). The rounds are a multiple of twice the number of actions, so that when
    wrk comes round to the start again each action is where the list expects it."""
    if writes:
        rounds = math.ceil(rounds / (2 * len(writes))) * 2 * len(writes)
    shuffle = random.Random(14)  # nosec B311  # the order of the pages in a round: the same every run
    turn = {kind: 0 for kind in weights}
    out: list[dict] = []
    for r in range(rounds):
        batch = []
        for kind, weight in weights.items():
            for _ in range(weight):
                if not pairs.get(kind):
                    continue
                role, url = pairs[kind][turn[kind] % len(pairs[kind])]
                turn[kind] += 1
                batch.append(request("GET", url, sessions[role]))
        if writes:
            w = writes[r % len(writes)]
            visit = r // len(writes)
            verb = "reopen" if done[str(w["action"])] == (visit % 2 == 0) else "done"
            batch.append(request("POST", write_path(w, verb), sessions["team manager"]))
        shuffle.shuffle(batch)
        out += batch
    return out


def request(method: str, path: str, cookies: dict[str, str]) -> dict:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    body = ""
    if method == "POST":
        headers["X-CSRFToken"] = cookies["csrftoken"]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return {"method": method, "path": path, "headers": headers, "body": body}


def lua_string(text: str) -> str:
    if not all(32 <= ord(c) < 127 for c in text):
        raise ValueError(f"not plain ASCII: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lua(requests: list[dict], path: Path) -> Path:
    lines = ["return {"]
    for r in requests:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in r["headers"].items())
        lines.append(
            f"  {{method = {lua_string(r['method'])}, path = {lua_string(r['path'])}, "
            f"headers = {{{headers}}}, body = {lua_string(r['body'])}}},"
        )
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def drive(port: int, seconds: int, connections: int, data: Path | None, path: str = "/") -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", WRK_TIMEOUT, "-s", str(LUA)]
    command.append(f"http://127.0.0.1:{port}{path}")
    if data is not None:
        command.append(str(data))
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    for key in ("p50_ms", "p95_ms", "p99_ms"):  # -1: past wrk's timeout
        result[key] = math.inf if result[key] < 0 else result[key]
    # What a person would notice: no answer (connection errors, timeouts), an error page, or being sent to sign
    # in. wrk's own "status" count is the 4xx and 5xx answers, counted here from the answers themselves.
    result["errors"] = (
        result["connect"]
        + result["read"]
        + result["write"]
        + result["timeout"]
        + result["client_errors"]
        + result["server_errors"]
        + result["signed_out"]
        + result["other_redirects"]
    )
    return result


def settle(server: "Server", timeout: float = 180) -> None:
    """Requests wrk stopped waiting for may still be running: wait until the server is quiet (for a second, no
    request finished, its processes used under a tenth of a core, and on PostgreSQL no query of this database
    is running), so that they do not count against the next measurement."""
    deadline = time.monotonic() + timeout
    before = server.activity()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = server.activity()
        quiet = now[0] == before[0] and now[1] - before[1] < 0.1
        if quiet and (server.postgres is None or postgres_running(server.postgres) == 0):
            return
        before = now
    print(f"  (the server was still busy after {timeout:.0f} s: measuring on)")


def postgres_running(url: str) -> int:
    """Queries running on the benchmark's database, other than this one's."""
    name = postgres_name(url)
    return int(
        postgres_admin(
            url,
            "SELECT count(*) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND state = 'active' AND pid <> pg_backend_pid()",
        )
    )


def ms(value: float, width: int = 7) -> str:
    """A latency in milliseconds, or past wrk's timeout."""
    return f"{'>' + WRK_TIMEOUT:>{width}}" if math.isinf(value) else f"{value:{width}.1f}"


def line(label: str, r: dict) -> str:
    return (
        f"{label:28} {r['rps']:7.1f} req/s  p50 {ms(r['p50_ms'])}  p95 {ms(r['p95_ms'])}  "
        f"p99 {ms(r['p99_ms'])} ms  errors {r['errors']:.0f}"
    )


def error_detail(r: dict) -> str:
    parts = {
        "connect": r["connect"],
        "read": r["read"],
        "write": r["write"],
        "timeouts": r["timeout"],
        "4xx": r["client_errors"],
        "5xx": r["server_errors"],
        "sent to sign in": r["signed_out"],
        "other redirects": r["other_redirects"],
    }
    return ", ".join(f"{k} {v}" for k, v in parts.items() if v)


# -- one database --------------------------------------------------------------------------------------------------


def measure(database: str, env: dict[str, str], folder: Path, args) -> dict | None:
    picked = django_json(env, PICK)
    counts = ", ".join(f"{v} {k}" for k, v in picked["counts"].items())
    print(f"{database}: {picked['authority']}: {counts}")
    print(f"  signed in: {', '.join(f'{role} {name}' for role, name in picked['logins'].items())}")
    if picked["database"]:
        print(f"  {', '.join(f'{k}: {v}' for k, v in picked['database'].items())}")
    server = Server(env, folder, database, args.workers, args.threads)
    try:
        if not server.wait_ready():
            print(
                f"{database}: the server did not start (see {folder / f'server-{database}.log'})",
                file=sys.stderr,
            )
            return None
        port = server.port
        sessions = {}
        for role in ROLES:
            username = picked["logins"].get(role)
            if not username:
                print(f"  no {role} in this demo: left out")
                continue
            try:
                sessions[role] = sign_in(port, username)
            except RuntimeError as exc:
                print(f"  {exc}: left out")
        if not sessions:
            print(f"{database}: no one could sign in", file=sys.stderr)
            return None
        pages = page_urls(picked)
        pairs = check_access(port, sessions, pages)
        writes = check_writes(port, env, sessions, picked["writes"]) if args.writes else []
        if not args.writes:
            print(f"  {WRITE}: left out (--no-writes)")
        action_ids = [str(w["action"]) for w in writes]
        weights = dict(MIX)
        reads = sum(w for k, w in weights.items() if pairs.get(k))
        print(
            f"  mix per round: {reads} reads ({', '.join(f'{k} {w}' for k, w in weights.items() if pairs.get(k))})"
            + (f" and 1 write (remedial action done or reopened, {len(writes)} actions)" if writes else "")
        )
        data = folder / f"requests-{database}.lua"
        # Warm-up: reads only, so every worker has compiled its templates and opened its connections.
        write_lua(rotation(pairs, weights, sessions, [], {}, ROUNDS), data)
        drive(port, args.warm_up, args.connections, data)
        settle(server)
        runs: list[dict] = []
        for run in range(1, args.runs + 1):
            before = django_json(env, WRITE_STATES, *action_ids) if writes else {"done": {}, "audits": 0}
            write_lua(rotation(pairs, weights, sessions, writes, before["done"], ROUNDS), data)
            mix = drive(port, args.duration, args.connections, data)
            settle(server)
            after = django_json(env, WRITE_STATES, *action_ids) if writes else {"audits": 0}
            mix["writes_made"] = after["audits"] - before["audits"]
            health = drive(port, args.duration, args.connections, None, "/health/")
            settle(server)
            ratio = mix["rps"] / health["rps"] if health["rps"] else 0.0
            runs.append({"mix": mix, "health": health, "ratio": ratio})
            print(line(f"run {run} {database} mix", mix) + f"  ({error_detail(mix) or 'none'})")
            print(
                f"{'':28} {mix['requests']} requests; writes: {mix['written']} answered before wrk stopped, "
                f"{mix['writes_made']} made in the database (those still under way included)"
            )
            print(line(f"run {run} {database} /health/", health) + f"  mix/ceiling {ratio:.3f}")
        per_page = (
            per_page_runs(server, env, database, folder, pairs, sessions, writes, args)
            if args.per_page
            else {}
        )
        found = queries(env, database, folder, picked, pairs, sessions) if args.queries else {}
        return {"runs": runs, "per_page": per_page, "queries": found, "picked": picked}
    finally:
        server.stop()


def per_page_runs(server, env, database, folder, pairs, sessions, writes, args) -> dict:
    """Each page alone, rotating over its people and URLs; and one unloaded request per (person, URL), warm."""
    print(f"\n{database}: each page alone, {args.per_page} s, {args.per_page_connections} connections")
    port = server.port
    results: dict[str, dict] = {}
    data = folder / f"requests-{database}-page.lua"
    action_ids = [str(w["action"]) for w in writes]
    for kind in [*MIX, WRITE]:
        if kind == WRITE:
            if not writes:
                continue
            done = django_json(env, WRITE_STATES, *action_ids)["done"]
            requests = rotation({}, {}, sessions, writes, done, 2 * len(writes))
        else:
            if not pairs.get(kind):
                continue
            requests = rotation(pairs, {kind: 1}, sessions, [], {}, max(len(pairs[kind]), 1) * 4)
        write_lua(requests, data)
        result = drive(port, args.per_page, args.per_page_connections, data)
        settle(server)
        singles = []
        if kind != WRITE:
            for role, url in pairs[kind]:
                singles.append(call(port, "GET", url, sessions[role]).ms)
        result["single_ms"] = statistics.median(singles) if singles else None
        results[kind] = result
        single = f"  one at a time {result['single_ms']:7.1f} ms" if singles else ""
        print(line(f"  {kind}", result) + single)
    return results


# -- the report ----------------------------------------------------------------------------------------------------


def report(results: dict[str, dict], args, size: str) -> None:
    print(
        f"\nMedians of {args.runs} runs ({size} demo, {cores()} cores, {args.connections} connections, "
        f"{args.duration} s each):"
    )
    header = f"{'database':9} {'what':9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(header)
    for database, result in results.items():
        for what in ("mix", "health"):
            rows = [r[what] for r in result["runs"]]
            m = {k: statistics.median(r[k] for r in rows) for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
            errors = sum(r["errors"] for r in rows)
            print(
                f"{database:9} {what:9} {m['rps']:8.1f} {ms(m['p50_ms'], 8)} {ms(m['p95_ms'], 8)} "
                f"{ms(m['p99_ms'], 8)} {errors:7.0f}"
            )
        ratios = [r["ratio"] for r in result["runs"]]
        print(
            f"{database:9} mix/ceiling, run by run: {' '.join(f'{x:.3f}' for x in ratios)}; "
            f"median {statistics.median(ratios):.3f}"
        )
    print(
        f"\nGoal (issue 14): the mix at {GOAL_RPS} req/s or more, p95 under {GOAL_P95_MS} ms, no errors, on 2 cores"
    )
    for database, result in results.items():
        rows = [r["mix"] for r in result["runs"]]
        rps = statistics.median(r["rps"] for r in rows)
        p95 = statistics.median(r["p95_ms"] for r in rows)
        errors = sum(r["errors"] for r in rows)
        verdict = "MET" if rps >= GOAL_RPS and p95 < GOAL_P95_MS and errors == 0 else "NOT MET"
        print(
            f"  {database:9} {verdict}: {rps:.1f} req/s, p95 {f'over {WRK_TIMEOUT}' if math.isinf(p95) else f'{p95:.1f} ms'}, {errors:.0f} errors"
        )
    for database, result in results.items():
        if result["per_page"]:
            print(f"\n{database}: pages alone, slowest p95 first")
            for kind, r in sorted(result["per_page"].items(), key=lambda kv: -kv[1]["p95_ms"]):
                single = f"{r['single_ms']:7.1f}" if r.get("single_ms") is not None else "      -"
                print(
                    f"  {kind:15} {r['rps']:7.1f} req/s  p50 {ms(r['p50_ms'])}  p95 {ms(r['p95_ms'])} ms  "
                    f"one at a time {single} ms  errors {r['errors']:.0f}"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of each measurement (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians reported (default 3)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--warm-up", type=int, default=5, help="seconds of reads before the runs (default 5)")
    parser.add_argument("--size", default="large", choices=("small", "mid", "large"), help="demo size")
    parser.add_argument("--protocol", default="dorset", help="the demo's protocol (default dorset)")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated (default both)")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help=f"PostgreSQL database (default {DEFAULT_POSTGRES})"
    )
    parser.add_argument(
        "--dir", type=Path, help="folder kept for the demo, reused next time; default temporary"
    )
    parser.add_argument("--workers", type=int, help="server processes (default: one per core)")
    parser.add_argument("--threads", type=int, help="request threads per process (default: the server's)")
    parser.add_argument("--no-writes", dest="writes", action="store_false", help="reads only")
    parser.add_argument("--per-page", type=int, default=0, metavar="SECONDS", help="then each page alone")
    parser.add_argument("--per-page-connections", type=int, default=8, help="for --per-page (default 8)")
    parser.add_argument(
        "--queries", action="store_true", help="then each page's queries and the slowest one's plan"
    )
    args = parser.parse_args()
    databases = [d for d in args.databases.split(",") if d]
    for database in databases:
        if database not in ("sqlite", "postgres"):
            parser.error(f"--databases: {database!r} is not sqlite or postgres")
    if "postgres" in databases:
        postgres_name(args.postgres)
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk; scripts/system-packages does it)")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="handover-bench-pages-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"{cores()} cores; wrk, 1 thread, {args.connections} connections; {args.duration} s per measurement, "
        f"{args.runs} runs; the {args.size} demo" + ("" if args.size == "large" else " (NOT the large demo)")
    )
    results: dict[str, dict] = {}
    try:
        for database in databases:
            env = prepare(
                database,
                folder=folder,
                size=args.size,
                protocol=args.protocol,
                postgres=args.postgres,
                keep=args.dir is not None,
            )
            result = measure(database, env, folder, args)
            if result is None:
                return 1
            results[database] = result
        report(results, args, args.size)
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
