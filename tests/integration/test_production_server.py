"""`handover serve --production` for real: granian in a subprocess on a free 127.0.0.1 port, with production
settings (DEBUG off, HTTPS expected from the proxy in front), against a copy of the test database (SQLite: a
temporary file made with SQLite's backup API; PostgreSQL: the test database itself). The health check and the
sign-in page are answered, each request is one JSON line on standard output without its query string, every
line on standard error is JSON too, and SIGTERM stops the server cleanly."""

from __future__ import annotations

import http.client
import json
import os
import queue
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

# No transaction around the test: SQLite's backup waits for ever on the test database while one is open.
pytestmark = pytest.mark.django_db(transaction=True)

STARTUP_SECONDS = 60  # a busy two-core machine; it takes a few seconds when idle

# Collect the static files' manifest without WhiteNoise's compression of every file, which takes minutes and
# is checked by tests/unit/test_deployment.py: the pages only look names up in the manifest.
COLLECT_MANIFEST = """
import django
from django.conf import settings
django.setup()
settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
"""


def _database_url(folder: Path) -> str:
    """The migrated test database, for another process: SQLite's is in memory, so copy it to a file."""
    if connection.vendor == "sqlite":
        target = folder / "handover.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return f"sqlite:///{target}"
    s = connection.settings_dict
    credentials = quote(s["USER"], safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_listening(port: int, seconds: float) -> bool:
    """Granian says a worker started a moment before the worker's socket takes connections: try until it does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except ConnectionRefusedError:
            threading.Event().wait(0.05)  # the next try, not a guess at how long anything takes
    return False


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class _Lines:
    """A stream's lines, read by a thread as they come, so the test can wait for one with a deadline."""

    def __init__(self, stream):
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                return False
            self.seen.append(line)
            if text in line:
                return True
        return False

    def rest(self) -> list[str]:
        self._thread.join(timeout=30)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return self.seen
            if line is not None:
                self.seen.append(line)


def test_the_production_server_answers_and_logs_each_request_as_json(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        HANDOVER_SECRET_KEY=secrets.token_urlsafe(64),
        HANDOVER_ALLOWED_HOSTS="127.0.0.1",
        HANDOVER_VAR_DIR=str(tmp_path),
        HANDOVER_EMAIL="none",
        DATABASE_URL=_database_url(tmp_path),
        DJANGO_SETTINGS_MODULE="handover.config.settings",
    )
    subprocess.run([sys.executable, "-c", COLLECT_MANIFEST], env=env, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "handover.cli", "serve", "--production", "--bind", f"127.0.0.1:{port}"],
        env={**env, "HANDOVER_WORKERS": "1", "HANDOVER_THREADS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = _Lines(server.stdout), _Lines(server.stderr)
    try:
        assert stderr.wait_for("Started worker-1", STARTUP_SECONDS), "\n".join(stderr.seen)
        assert _wait_until_listening(port, STARTUP_SECONDS)

        status, headers, body = _get(port, "/health/", **{"X-Request-ID": "e2e-health-1"})
        if status != 200:
            stderr.wait_for("Health check", 5)  # what failed, for the message below
        assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"}), "\n".join(stderr.seen)
        assert headers["x-request-id"] == "e2e-health-1"
        assert "no-store" in headers["cache-control"]

        # Behind the TLS proxy, which says the request came over HTTPS; straight to the server, it is redirected.
        status, headers, body = _get(
            port, "/sign-in/?next=/children/%3Fq%3DAmelia%2BTestfamily", **{"X-Forwarded-Proto": "https"}
        )
        assert status == 200 and b"Sign in" in body
        assert headers["strict-transport-security"].startswith("max-age=")
        page_request_id = headers["x-request-id"]
        assert _get(port, "/sign-in/")[0] == 301
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            returncode = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert returncode == 0

    out, err = stdout.rest(), stderr.rest()
    access = [json.loads(line) for line in out]  # every line on standard output is one JSON object
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/health/", 200),
        ("GET", "/sign-in/", 200),
        ("GET", "/sign-in/", 301),
    ]
    health, page = access[0], access[1]
    assert (health["logger"], health["request_id"], health["user_id"]) == (
        "handover.access",
        "e2e-health-1",
        None,
    )
    assert page["request_id"] == page_request_id
    assert all(isinstance(a["duration_ms"], float) for a in access)
    assert all(json.loads(line)["level"] for line in err)  # granian's own messages are JSON lines too
    assert "Amelia" not in "\n".join(out + err)
