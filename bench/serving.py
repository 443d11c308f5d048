"""Benchmark: gunicorn against granian, serving Handover the same way, on the same database.

Run with ``python bench/serving.py [--duration 10] [--runs 3] [--connections 8] [--dir PATH]``. granian is one of
Handover's dependencies, the one this chose; gunicorn is not: ``pip install gunicorn`` first. The load comes from
``wrk`` (Debian's package) if it is installed, else (or with ``--python-load``) from a small Python load generator
with one thread per connection, which is slower and says so.

1. Production settings (DEBUG off, a throwaway key) on a SQLite database in a temporary folder (or ``--dir``,
   kept and reused), migrated, with the static files' manifest collected (without WhiteNoise's compression,
   which takes minutes and changes nothing for a page: the pages only look names up in the manifest).
2. For each run: start both servers on free 127.0.0.1 ports, each as its documentation recommends for
   production (gunicorn: sync workers, ``2 * cores + 1``, the app preloaded; granian: as Handover ships it,
   ``handover serve --production``, one worker per core with ``--granian-threads`` request threads each), wait
   for ``/health/``, then drive each path in turn on each server (the order turned round each run): the sign-in
   page (a template with a form; it sets the CSRF cookie) and ``/health/`` (one query), for ``--duration``
   seconds after a three-second warm-up. Then stop both.
3. Print requests/s, p50 and p95 latency and errors (connection errors and non-2xx/3xx answers) per run, the
   medians over the runs, and the ratios granian / gunicorn run by run with their median: within a run the two
   are measured back to back, so the drift in the rest of the machine's load mostly cancels.

The access log (one JSON line per request) goes to a file in the folder, as it would go to a journal: both
servers write it, through the same WSGI wrapper. Exit status 0, whatever the figures; 1 if a server would not
start.
"""

import sys
from pathlib import Path

# bench/calendar.py sits beside this file: run as a script, this folder comes first on sys.path and would
# shadow the standard library's ``calendar``. Drop the folder.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from handover.serving.server import DEFAULT_THREADS  # noqa: E402

PATHS = {"sign-in page": "/sign-in/", "health": "/health/"}
SERVERS = ("gunicorn", "granian")

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "p50_ms": %f, "p95_ms": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def prepare(folder: Path) -> dict[str, str]:
    """Production settings on a SQLite database in `folder`: migrated, static manifest collected."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))}
    key_file = folder / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    env.update(
        HANDOVER_DEBUG="false",
        HANDOVER_SECURE="false",
        HANDOVER_SECRET_KEY=key_file.read_text(encoding="utf-8"),
        HANDOVER_ALLOWED_HOSTS="127.0.0.1",
        HANDOVER_VAR_DIR=str(folder),
        HANDOVER_EMAIL="none",
        DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
        DJANGO_SETTINGS_MODULE="handover.config.settings",
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "django", "migrate", "--verbosity", "0"], env=env, check=True)
    if not (folder / "static" / "staticfiles.json").exists():
        subprocess.run([sys.executable, "-c", COLLECT_MANIFEST], env=env, check=True)
    print(f"database and static files ready in {time.perf_counter() - started:.1f} s ({folder})")
    return env


COLLECT_MANIFEST = """
import django
from django.conf import settings
django.setup()
settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(server: str, port: int, granian_threads: int) -> list[str]:
    """Each server as its documentation recommends for production, on the same WSGI application, which reads
    the protocol and imports every view before the workers start (handover/serving/wsgi.py)."""
    if server == "gunicorn":  # sync workers, 2 * cores + 1, the app loaded before forking
        return [
            *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(2 * cores() + 1), "--preload", "--timeout", "60"),
            "handover.serving.wsgi:application",
        ]
    # granian as Handover ships it: one worker per core, a few request threads each.
    return [
        *(sys.executable, "-m", "handover.cli", "serve", "--production", "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(cores()), "--threads", str(granian_threads)),
    ]


class Server:
    def __init__(self, server: str, env: dict[str, str], log: Path, granian_threads: int):
        self.port = free_port()
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            command(server, self.port, granian_threads),
            env=env,
            stdout=self.log,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/")
                if conn.getresponse().status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def drive(port: int, path: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}{path}"
    if script is not None:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
    else:
        result = _python_load(port, path, seconds, connections)
    result["rps"] = result["requests"] / result["seconds"]
    return result


def _python_load(port: int, path: str, seconds: int, connections: int) -> dict[str, float]:
    """One thread per connection, each sending requests one after another until the time is up."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        conn = None
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except OSError:
                failed += 1
                conn = None
                continue
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    begun = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "seconds": time.monotonic() - begun,
        "p50_ms": cuts[49],
        "p95_ms": cuts[94],
        "errors": errors[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per path per server (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians reported (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument(
        "--granian-threads", type=int, default=DEFAULT_THREADS, help="granian's request threads per worker"
    )
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated (default both)")
    parser.add_argument(
        "--dir", type=Path, help="folder for the database (kept and reused); default temporary"
    )
    args = parser.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    for server in servers:
        if server not in SERVERS:
            parser.error(f"--servers: {server!r} is not one of {', '.join(SERVERS)}")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="handover-bench-serving-"))
    folder.mkdir(parents=True, exist_ok=True)
    script = None
    if shutil.which("wrk") and not args.python_load:
        script = folder / "report.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        load = f"wrk, 1 thread, {args.connections} connections"
    else:
        load = f"Python load generator (no wrk), {args.connections} threads"
    print(f"{cores()} cores; {load}; {args.duration} s per path; {args.runs} runs")
    try:
        env = prepare(folder)
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for run in range(1, args.runs + 1):
            # Both servers up at once, measured in turn on each path (the order turned round each run): the load
            # from anything else on the machine drifts, and should fall on both alike.
            running = {s: Server(s, env, folder / f"access-{s}.log", args.granian_threads) for s in servers}
            try:
                for server, process in running.items():
                    if not process.wait_ready():
                        print(f"{server} did not start (health check never answered 200)", file=sys.stderr)
                        return 1
                order = servers if run % 2 else servers[::-1]
                for label, path in PATHS.items():
                    for server in order:
                        port = running[server].port
                        drive(
                            port, path, 3, args.connections, script
                        )  # warm-up: every worker compiles its templates
                        result = drive(port, path, args.duration, args.connections, script)
                        results.setdefault((server, label), []).append(result)
                        print(
                            f"run {run}  {server:9} {label:13} {result['rps']:8.1f} req/s  "
                            f"p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  "
                            f"errors {result['errors']:.0f}"
                        )
            finally:
                for process in running.values():
                    process.stop()
        report(results, servers, args.runs)
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def report(results: dict[tuple[str, str], list[dict[str, float]]], servers: list[str], runs: int) -> None:
    print(f"\nMedians of {runs} runs:")
    print(f"{'server':9} {'path':13} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    for (server, label), rows in results.items():
        m = {k: statistics.median(r[k] for r in rows) for k in ("rps", "p50_ms", "p95_ms")}
        errors = sum(r["errors"] for r in rows)
        print(f"{server:9} {label:13} {m['rps']:8.1f} {m['p50_ms']:8.1f} {m['p95_ms']:8.1f} {errors:7.0f}")
    if len(servers) == 2:
        # Each run measures both servers back to back, so the ratio within a run is what to compare: the load
        # from the rest of the machine drifts between runs far more than between two neighbouring measurements.
        a, b = "granian", "gunicorn"
        print(
            f"\nRatio {a} / {b}, run by run, then the median (req/s above 1: {a} serves more; latency above 1:"
        )
        print(f"{a} is slower):")
        for label in PATHS:
            pairs = list(zip(results[a, label], results[b, label], strict=True))
            for key, name in (("rps", "req/s"), ("p50_ms", "p50"), ("p95_ms", "p95")):
                ratios = [x[key] / y[key] for x, y in pairs if y[key]]
                each = " ".join(f"{r:.2f}" for r in ratios)
                print(f"  {label:13} {name:6} {each:>20}   median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
