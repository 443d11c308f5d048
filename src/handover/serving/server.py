"""`handover serve --production`: Handover under granian, the WSGI server chosen by measurement (bench/serving.py,
docs/performance.md), with its settings from the command line or the environment (docs/deployment.md).

Granian's own messages are JSON lines on standard error like the application's; its access log stays off, since
handover.serving.access writes Handover's own (no query strings)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APPLICATION = "handover.serving.wsgi:application"
DEFAULT_BIND = "127.0.0.1:8000"
# Threads per worker that run requests: two keep a core busy while one waits on the database, and more would
# queue for Python's interpreter lock (bench/serving.py could tell 2 from 4 apart by nothing but the noise). Each
# holds its own database connection: workers x threads is the most Handover opens.
DEFAULT_THREADS = 2
DEFAULT_HEADER_TIMEOUT = 10  # seconds a client has to send its request's headers (granian allows 1 to 60)
DEFAULT_GRACEFUL_TIMEOUT = 30  # seconds requests under way get to finish when the server stops

GRANIAN_LOGGING = {
    "formatters": {"json": {"()": "handover.serving.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"}
    },
    "loggers": {
        "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


class ServeError(ValueError):
    """A bad option: one line naming the option (and its environment variable) and the rule."""


@dataclass(frozen=True)
class Options:
    host: str | None
    port: int | None
    socket: str | None  # a Unix socket's path, for a proxy on the same machine
    workers: int
    threads: int
    header_timeout: int
    graceful_timeout: int


def cores() -> int:
    """The cores this process may run on (a container's or a cgroup's CPU set, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse(
    argv: Sequence[str], environ: Mapping[str, str] | None = None, *, cpus: int | None = None
) -> Options:
    environ = os.environ if environ is None else environ
    cpus = cpus or cores()
    parser = argparse.ArgumentParser(
        prog="handover serve --production",
        description="Serve Handover with granian: production settings from the environment, JSON logs.",
    )
    parser.add_argument(
        "--bind",
        metavar="ADDRESS",
        help=f"HOST:PORT ([::]:PORT for IPv6) or unix:PATH (env HANDOVER_BIND; default {DEFAULT_BIND})",
    )
    parser.add_argument(
        "--workers", metavar="N", help=f"processes, one per core (env HANDOVER_WORKERS; default here {cpus})"
    )
    parser.add_argument(
        "--threads",
        metavar="N",
        help=f"request threads per process (env HANDOVER_THREADS; default {DEFAULT_THREADS})",
    )
    parser.add_argument(
        "--header-timeout",
        metavar="SECONDS",
        help="time a client has to send a request's headers, 1 to 60 "
        f"(env HANDOVER_HEADER_TIMEOUT; default {DEFAULT_HEADER_TIMEOUT})",
    )
    parser.add_argument(
        "--graceful-timeout",
        metavar="SECONDS",
        help="on stopping, time requests under way get to finish "
        f"(env HANDOVER_GRACEFUL_TIMEOUT; default {DEFAULT_GRACEFUL_TIMEOUT})",
    )
    args = parser.parse_args(list(argv))

    def value(option: str, env: str, default: Any) -> tuple[str, Any]:
        given = getattr(args, option.lstrip("-").replace("-", "_"))
        if given is not None:
            return option, given
        if environ.get(env):
            return env, environ[env]
        return option, default

    host, port, socket = _bind(*value("--bind", "HANDOVER_BIND", DEFAULT_BIND))
    return Options(
        host=host,
        port=port,
        socket=socket,
        workers=_whole(*value("--workers", "HANDOVER_WORKERS", cpus), low=1, high=256),
        threads=_whole(*value("--threads", "HANDOVER_THREADS", DEFAULT_THREADS), low=1, high=256),
        header_timeout=_whole(
            *value("--header-timeout", "HANDOVER_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT), low=1, high=60
        ),
        graceful_timeout=_whole(
            *value("--graceful-timeout", "HANDOVER_GRACEFUL_TIMEOUT", DEFAULT_GRACEFUL_TIMEOUT),
            low=1,
            high=1800,
        ),
    )


def _whole(name: str, raw: Any, *, low: int, high: int) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ServeError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(text)


_HOST_PORT = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d{1,5})")


def _bind(name: str, raw: str) -> tuple[str | None, int | None, str | None]:
    if raw.startswith("unix:") and len(raw) > len("unix:"):
        return None, None, raw.removeprefix("unix:")
    match = _HOST_PORT.fullmatch(raw)
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise ServeError(
            f"{name} must be HOST:PORT (e.g. 127.0.0.1:8000 or [::]:8000), port 1 to 65535, or unix:PATH, "
            f"not {raw!r}"
        )
    return match["ipv6"] or match["host"], int(match["port"]), None


def granian_options(options: Options) -> dict[str, Any]:
    """The keyword arguments for `granian.Granian` (kept apart from starting it, so a test can read them)."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    where: dict[str, Any] = (
        {"uds": Path(options.socket)} if options.socket else {"address": options.host, "port": options.port}
    )
    return {
        "target": APPLICATION,
        "interface": Interfaces.WSGI,
        **where,
        "workers": options.workers,
        "blocking_threads": options.threads,
        "websockets": False,
        "http1_settings": HTTP1Settings(header_read_timeout=options.header_timeout * 1000),
        "workers_kill_timeout": options.graceful_timeout,
        # A worker that dies (out of memory, a crash in a library) is replaced; one that dies again within
        # seconds stops the server instead of looping.
        "respawn_failed_workers": True,
        "log_access": False,
        "log_dictconfig": GRANIAN_LOGGING,
    }


def serve(argv: Sequence[str]) -> int:
    try:
        options = parse(argv)
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handover.config.settings")
    from django.conf import settings

    if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        print(
            f"error: the static files are not collected into {settings.STATIC_ROOT}: "
            "run `handover manage collectstatic --noinput` first",
            file=sys.stderr,
        )
        return 2
    from handover.domain.errors import ProtocolError

    # Load the application here, once: a broken protocol file stops the server with its message before it
    # listens (exit code 1, as `handover protocol check`), and the workers, forked from this process, start with
    # everything loaded.
    try:
        import handover.serving.wsgi  # noqa: F401
    except ProtocolError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    from granian import Granian

    Granian(**granian_options(options)).serve()
    return 0
