"""The PostgreSQL chores the benchmarks share: a statement run with psql on the server, and the name of a
database a benchmark may drop (never the test suite's `test` or `test_*`)."""

import os
import re
import subprocess
import urllib.parse


def postgres_admin(url: str, sql: str, database: str = "postgres") -> str:
    """Run one statement with psql, by default on the server's maintenance database."""
    parts = urllib.parse.urlsplit(url)
    command = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    command += ["-U", parts.username or "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql]
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout.strip()


def postgres_name(url: str) -> str:
    """The database named in `url`, if a benchmark may drop it; else the script stops, saying why."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name == "test" or name.startswith("test_"):
        raise SystemExit(f"--postgres: {name!r} is not a database this may drop (nor test or test_*)")
    return name


def postgres_fresh(url: str) -> str:
    """Drop the database named in `url` and make it again, empty. Returns its name."""
    name = postgres_name(url)
    postgres_admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    postgres_admin(url, f"CREATE DATABASE {name}")
    return name
