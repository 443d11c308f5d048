"""A crash under load leaves nothing half-written: `handover serve --production` (granian, two worker processes) in
a subprocess takes transfer actions from many threads at once through the API, and is killed with SIGKILL, the
whole process group, after about 100 of them have been answered.

With the server dead, the database it used is checked as a person would find it the next morning:

- every answered action is all there (200) or not there at all (refused), and an unanswered one is one or the
  other, never part of each;
- each transfer's state is the state its last event moved it to, its version counts its events, and each event
  has exactly one audit row saying the same move;
- no child has two open primary allocations, and a completed transfer's old allocation ended as the new began;
- `handover audit verify` finds the hash chain intact, sealing first any row that was committed but not yet
  sealed when the server died, and saying how many (docs/security.md, "How a row is written and sealed").

Then the server starts again on the same database, answers /health/ and takes an action.

PostgreSQL: the server uses the test database itself. SQLite: the server and the test share a file, as deployed
(the suite's own database is in memory, which another process cannot open), and the file is read after the
kill just as the next process to open it would: SQLite rolls back any half-written transaction from its
journal then.

The server runs production settings plus the suite's fixed clock (a settings module written for the test),
so the tokens and the world's dates mean the same to it as to the test; API rate limits are off, since the load
is a handful of people acting far faster than any person does.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import itertools
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection, connections
from tests.api_tokens import issue_token
from tests.integration.conftest import NOW, TODAY, at, authorise_summary, listed_on, meet_checklist
from tests.integration.test_production_server import COLLECT_MANIFEST, _free_port

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, AllocationKind
from handover.domain.workflow import FINAL_STATES
from handover.transfers import services
from handover.transfers.models import SignOffKind, Transfer, TransferEvent

pytestmark = pytest.mark.django_db(transaction=True)

ACTIONS = 200  # fired at most
KILL_AFTER = 100  # answered, then SIGKILL
CYCLING = 20  # transfers blocked and resolved over and over
READY = 5  # transfers ready to complete: a completion ends one allocation and starts another
LOAD_SECONDS = 30  # the kill comes at the latest then, however few were answered
STARTUP_SECONDS = 60  # a busy two-core machine
GONE_SECONDS = 30  # for the killed processes (and PostgreSQL's sessions for them) to be gone
MONDAY = TODAY - dt.timedelta(days=1)  # the world's transfers were listed the day before the load
AGREED = TODAY + dt.timedelta(days=15)  # the agreed date: completing now is early, so it needs a reason
TAG = "crash-test action "

# The server's settings: production's, with the suite's clock (handover.clock reads HANDOVER_FIXED_NOW).
SERVER_SETTINGS = f"""
import datetime
from zoneinfo import ZoneInfo
from handover.config.settings import *  # noqa: F403
HANDOVER_FIXED_NOW = datetime.datetime.fromisoformat({NOW.isoformat()!r}).astimezone(ZoneInfo("Europe/London"))
"""


@pytest.fixture
def shared_db(transactional_db, tmp_path):
    """The database the server and the test both use: PostgreSQL's test database, or, on SQLite, a file (the
    suite's database is in memory, which no other process can open) with the deployed options."""
    if connection.vendor != "sqlite":
        yield
        return
    settings = connections.settings["default"]
    memory = settings["NAME"]
    keep = sqlite3.connect(memory, uri=True)  # the in-memory database lives as long as one connection does
    with sqlite3.connect(tmp_path / "handover.sqlite3") as file:
        keep.backup(file)
    file.close()
    settings["NAME"] = str(tmp_path / "handover.sqlite3")
    connection.close()  # no longer in memory, so this really closes; the next query opens the file
    try:
        yield
    finally:
        connection.close()
        settings["NAME"] = memory
        connection.ensure_connection()
        keep.close()


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    credentials = quote(s["USER"], safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Server:
    """`handover serve --production` in its own process group, so SIGKILL reaches granian's workers too."""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env, self.folder, self.starts = env, folder, 0
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        self.starts += 1
        self.port = _free_port()
        log = self.folder / f"server-{self.starts}.log"
        with log.open("w") as out:  # a file, not a pipe: a full pipe would stall the server under load
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "handover.cli",
                    "serve",
                    "--production",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                if self.call("GET", "/health/")[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            threading.Event().wait(0.1)  # the next try, not a guess at how long starting takes
        pytest.fail(f"the server did not answer /health/ within {STARTUP_SECONDS} s:\n{log.read_text()}")

    def call(self, method: str, path: str, token: str = "", body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}  # as from the TLS proxy
        if token:
            headers["Authorization"] = f"Token {token}"
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def kill(self) -> None:
        """SIGKILL to the whole group, then wait until none of its processes runs (zombies aside)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=GONE_SECONDS)
        _until(lambda: not _running_in_group(self.process.pid), "the server's worker processes to die")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=GONE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=GONE_SECONDS)


def _running_in_group(group: int) -> list[int]:
    """Processes of the group that still run: a killed worker whose parent died first may stay a zombie until
    init reaps it, holding nothing."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            running.append(int(stat.parent.name))
    return running


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + GONE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"waited {GONE_SECONDS} s for {what}"
        threading.Event().wait(0.05)


def _server_sessions_gone() -> bool:
    """PostgreSQL: a session whose client was killed ends when it next waits for the client; one that had already
    been sent COMMIT finishes it first. So the database is read only once every session but the test's is gone."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] == 0


# -- the load ---------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    number: int
    transfer: int
    action: str
    version: int
    outcome: str = "unanswered"  # "answered", "unanswered" (sent; no whole answer) or "not sent"
    status: int = 0
    body: dict = field(default_factory=dict)

    @property
    def tag(self) -> str:
        return f"{TAG}{self.number}"


class Load:
    """Threads acting through the API, two to a transfer: each reads the transfer, takes the next action its
    person may take with the version it read, and goes on until the transfer closes or the server dies."""

    def __init__(self, server: Server):
        self.server = server
        self.attempts: list[Attempt] = []
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        self.answered = 0
        self.enough = threading.Event()
        self.unreadable: list[tuple[int, int]] = []  # a transfer its person could not read, and the status
        self.threads: list[threading.Thread] = []

    def drive(self, transfer: int, token: str, next_action) -> None:
        self.threads.append(
            threading.Thread(target=self._run, args=(transfer, token, next_action), daemon=True)
        )

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=GONE_SECONDS)
        assert not any(t.is_alive() for t in self.threads), "a request neither finished nor failed"

    def _run(self, transfer: int, token: str, next_action) -> None:
        while True:
            try:
                status, seen = self.server.call("GET", f"/api/transfers/{transfer}/", token)
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            if status != 200:
                self.unreadable.append((transfer, status))
                return
            action = next_action(seen["state"])
            with self.lock:
                number = next(self.numbers)
                if action is None or number > ACTIONS:
                    return
                attempt = Attempt(number, transfer, action, seen["version"])
                self.attempts.append(attempt)
            body = {"action": action, "version": attempt.version, "reason": attempt.tag}
            if action == "complete":
                body["confirm_early"] = True  # before the agreed date, with the reason (issue 12)
            try:
                attempt.status, attempt.body = self.server.call(
                    "POST", f"/api/transfers/{transfer}/actions/", token, body
                )
            except ConnectionRefusedError:
                attempt.outcome = "not sent"
                return
            except (OSError, http.client.HTTPException):
                return  # sent, and no whole answer came back: the server died while it was under way
            with self.lock:
                attempt.outcome = "answered"
                self.answered += 1
                if self.answered >= KILL_AFTER:
                    self.enough.set()


def _block_or_resolve(state: str) -> str | None:
    return {"listed": "block", "handover_held": "block", "blocked": "resolve"}.get(state)


def _complete(state: str) -> str | None:
    # Tried whatever the state: while the other person has it blocked, the refusal is part of the load.
    return None if state in FINAL_STATES else "complete"


# -- what the database must show --------------------------------------------------------------------------------


def _integrity(transfers: list[int]) -> dict[str, int]:
    """Everything that must hold however the server died; returns what it counted."""
    counted = {"events": 0, "completed": 0}
    audited = {Verb.TRANSFER_PROPOSED, Verb.TRANSFER_ACTION}
    for transfer in Transfer.objects.filter(pk__in=transfers).select_related(
        "from_allocation", "to_allocation"
    ):
        events = list(transfer.events.order_by("pk"))
        rows = list(
            AuditEvent.objects.filter(
                object_type="transfers.Transfer", object_id=str(transfer.pk), verb__in=audited
            ).order_by("pk")
        )
        counted["events"] += len(events)
        assert (transfer.state, transfer.version) == (events[-1].to_state, len(events)), transfer.pk
        assert [e.from_state for e in events[1:]] == [e.to_state for e in events[:-1]], transfer.pk
        assert len(rows) == len(events), (
            f"transfer {transfer.pk}: {len(events)} events, {len(rows)} audit rows"
        )
        assert rows[0].verb == Verb.TRANSFER_PROPOSED and rows[0].after["version"] == 1
        for number, (event, row) in enumerate(zip(events[1:], rows[1:], strict=True), start=2):
            assert row.verb == Verb.TRANSFER_ACTION
            assert row.detail.startswith(f"{event.action}: {event.from_state} -> {event.to_state}"), (
                row.detail
            )
            assert (row.after["version"], row.after["state"]) == (number, event.to_state)
        if transfer.state == "transferred":
            counted["completed"] += 1
            (complete,) = [e for e in events if e.action == "complete"]
            assert complete.data["allocation"] == transfer.to_allocation_id
            assert transfer.from_allocation.end == transfer.to_allocation.start == TODAY
            allocations = AuditEvent.objects.filter(object_type="children.Allocation")
            assert (
                allocations.filter(verb=Verb.ALLOCATION_STARTED, object_id=transfer.to_allocation_id).count()
                == 1
            )
            assert (
                allocations.filter(verb=Verb.ALLOCATION_ENDED, object_id=transfer.from_allocation_id).count()
                == 1
            )
        else:
            assert transfer.to_allocation_id is None and transfer.from_allocation.end is None
        open_primary = Allocation.objects.filter(
            child=transfer.child_id, kind=AllocationKind.PRIMARY, end=None
        )
        assert open_primary.count() == 1, (
            f"child {transfer.child_id}: {open_primary.count()} open allocations"
        )
    return counted


def _verify_chain() -> tuple[int, str]:
    """`handover audit verify`, as an operator runs it after a crash: rows waiting to be sealed (committed, the
    server killed before its seal) are sealed first and counted; then every chain must be intact."""
    waiting = AuditEvent.objects.filter(sequence=None).count()
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)  # raises CommandError if anything was tampered with
    said = out.getvalue()
    assert "The audit trail is intact" in said, said
    if waiting:
        rows = "1 row that was" if waiting == 1 else f"{waiting} rows that were"
        assert f"Sealed {rows} waiting" in said, said
    else:
        assert "Sealed" not in said, said
    assert not AuditEvent.objects.filter(sequence=None).exists()
    return waiting, said


def _prepare(world) -> tuple[list[int], list[int]]:
    """Transfers listed on Monday (to block and resolve), and transfers with the handover held, the file ready
    and both audits signed off (to complete, early, or block first)."""
    cycling = [listed_on(world, f"crash{n}", MONDAY).pk for n in range(CYCLING)]
    ready = []
    for n in range(READY):
        transfer = listed_on(world, f"ready{n}", MONDAY)
        for actor, action, extra in [
            (world.cin_tm, "agree", {"to_team": world.teams["cin_cp_east"], "transfer_date": AGREED}),
            (world.cin_tm, "identify_worker", {"worker": world.cin_sw}),
            (world.cin_sw, "record_handover", {"held_on": TODAY, "attendees": [world.cin_sw, world.ast_sw]}),
        ]:
            transfer.refresh_from_db()
            services.transfer_act(
                now=NOW,
                actor=actor,
                transfer=transfer,
                action=action,
                expected_version=transfer.version,
                **extra,
            )
        meet_checklist(transfer, confirmer=world.ast_tm, on=TODAY)
        authorise_summary(world, transfer)
        services.transfer_sign_off(
            now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT
        )
        services.transfer_sign_off(
            now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
        )
        assert not services.completion_blockers(transfer, TODAY)
        ready.append(transfer.pk)
    return cycling, ready


def test_killing_the_server_under_load_leaves_every_action_whole_or_absent(shared_db, world, tmp_path):
    started = time.monotonic()
    cycling, ready = _prepare(world)
    tokens = {
        who: issue_token(getattr(world, who).user, "Crash test", now=at(TODAY, 9))
        for who in ("ast_tm", "ast_pm", "cin_tm")
    }
    before = _integrity(cycling + ready)
    assert before == {"events": 2 * CYCLING + 5 * READY, "completed": 0}
    _verify_chain()

    (tmp_path / "crash_settings.py").write_text(SERVER_SETTINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")])),
        DJANGO_SETTINGS_MODULE="crash_settings",
        DATABASE_URL=_database_url(),
        HANDOVER_SECRET_KEY=secrets.token_urlsafe(64),
        HANDOVER_ALLOWED_HOSTS="127.0.0.1",
        HANDOVER_VAR_DIR=str(tmp_path),
        HANDOVER_EMAIL="none",
        HANDOVER_API_RATE_USER="off",
        HANDOVER_WORKERS="2",
        HANDOVER_THREADS="2",
    )
    subprocess.run([sys.executable, "-c", COLLECT_MANIFEST], env=env, check=True, timeout=120)
    server = Server(env, tmp_path)
    try:
        server.start()
        prepared = time.monotonic()

        load = Load(server)
        # The receiving manager completing is started first, so most completions win their race with the
        # block (the first transfer has no one blocking it); the blocks and resolves then go on around them.
        for n, transfer in enumerate(ready):
            load.drive(transfer, tokens["cin_tm"], _complete)
            if n:
                load.drive(transfer, tokens["ast_tm"], _block_or_resolve)
        for transfer in cycling:
            load.drive(transfer, tokens["ast_tm"], _block_or_resolve)
            load.drive(transfer, tokens["ast_pm"], _block_or_resolve)
        load.start()
        load.enough.wait(timeout=LOAD_SECONDS)
        answered_at_kill = load.answered
        server.kill()
        killed = time.monotonic()
        load.join()
        assert not load.unreadable, load.unreadable
        _until(_server_sessions_gone, "PostgreSQL's sessions of the killed server to end")

        # With the server dead: each answered action is whole or absent, each unanswered one either.
        attempts = [a for a in load.attempts if a.outcome != "not sent"]
        by_tag = {}
        for event in TransferEvent.objects.filter(reason__startswith=TAG):
            assert event.reason not in by_tag, f"{event.reason} was recorded twice"
            by_tag[event.reason] = event
        assert set(by_tag) <= {a.tag for a in attempts}
        for attempt in attempts:
            event = by_tag.get(attempt.tag)
            if attempt.outcome == "answered" and attempt.status == 200:
                assert event is not None, f"{attempt} was answered 200 but is not in the database"
                assert (event.transfer_id, event.action) == (attempt.transfer, attempt.action)
                assert attempt.body["version"] == attempt.version + 1
                assert attempt.body["state"] == event.to_state
            elif attempt.outcome == "answered":
                assert attempt.status in (400, 403, 409), attempt  # refused as a person would be, never a 500
                assert event is None, f"{attempt} was refused but is in the database"
        counted = _integrity(cycling + ready)
        waiting, _ = _verify_chain()
        checked = time.monotonic()

        # It starts again on the same database, answers its health check and takes an action.
        server.start()
        transfer = next(pk for pk in cycling if Transfer.objects.get(pk=pk).state in ("listed", "blocked"))
        seen = server.call("GET", f"/api/transfers/{transfer}/", tokens["ast_pm"])[1]
        status, body = server.call(
            "POST",
            f"/api/transfers/{transfer}/actions/",
            tokens["ast_pm"],
            {
                "action": _block_or_resolve(seen["state"]),
                "version": seen["version"],
                "reason": "After the restart",
            },
        )
        assert (status, body["version"]) == (200, seen["version"] + 1), body
        server.stop()
        _until(_server_sessions_gone, "PostgreSQL's sessions of the stopped server to end")
        assert TransferEvent.objects.get(reason="After the restart").transfer_id == transfer
        assert _integrity(cycling + ready)["events"] == counted["events"] + 1
        _verify_chain()
    finally:
        server.stop()

    answered = [a for a in attempts if a.outcome == "answered"]
    figures = {
        "database": connection.vendor,
        "fired": len(attempts),
        "answered_at_kill": answered_at_kill,
        "answered": len(answered),
        "answered_200": sum(a.status == 200 for a in answered),
        "refused": {
            s: sum(a.status == s for a in answered)
            for s in sorted({a.status for a in answered if a.status != 200})
        },
        "unanswered": len(attempts) - len(answered),
        "unanswered_committed": sum(a.outcome == "unanswered" and a.tag in by_tag for a in attempts),
        "committed": len(by_tag),
        "completed": counted["completed"],
        "waiting_seal_after_kill": waiting,
        "seconds": {
            "prepare_and_start": round(prepared - started, 1),
            "load_to_kill": round(killed - prepared, 1),
            "checks": round(checked - killed, 1),
            "restart_and_checks": round(time.monotonic() - checked, 1),
        },
    }
    print("crash-safety:", json.dumps(figures))
    assert answered_at_kill >= 10, figures  # the kill came under load, not before it
