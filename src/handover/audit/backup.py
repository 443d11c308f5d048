"""`handover backup` and `handover restore`: a whole-database copy with a manifest beside it, and a restore that
checks what it brought back.

SQLite: the online backup API (a consistent copy while Handover runs). PostgreSQL: `pg_dump --format=custom`,
run on a snapshot exported from a REPEATABLE READ transaction, so the row counts and audit chain ends written in
the manifest are those of the very moment the dump shows. The manifest (`PATH.manifest.json`) holds when the
backup was made, its size and SHA-256, the rows in every table and where each audit chain ended. A restore
refuses a file that no longer matches its manifest, and a database that already holds data unless forced; it
then verifies the audit chains, checks each ends where the manifest says, and compares every table's rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from handover.audit.models import AuditChainHead
from handover.audit.services import audit_seal_waiting
from handover.audit.verify import NO_AUTHORITY, Verified, audit_verify, heads_kept

FORMAT = "handover-backup/1"
# Filled by `migrate` itself: a freshly migrated database is still empty.
MIGRATE_FILLS = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead, in a sentence saying why and what to do."""


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- backup ----------------------------------------------------------------------------------------------------


def backup(path: Path, *, now: dt.datetime, using: str = "default") -> dict[str, Any]:
    """Copy the database to `path` and write its manifest beside it; return the manifest."""
    path = Path(path)
    connection = connections[using]
    if path.exists() or manifest_path(path).exists():
        raise BackupError(f"{path} exists already: a backup never overwrites one, so give it a new name")
    if not path.parent.is_dir():
        raise BackupError(f"there is no folder {path.parent} to put the backup in")
    if connection.in_atomic_block:
        raise BackupError("a backup cannot be made inside a transaction")
    audit_seal_waiting()  # so the manifest's chain ends cover every row committed before the copy
    partial = path.with_name(f".{path.name}.partial")
    try:
        if connection.vendor == "sqlite":
            counts, chains = _sqlite_backup(connection, partial)
        elif connection.vendor == "postgresql":
            counts, chains = _postgres_backup(connection, partial)
        else:
            raise BackupError(f"backups are made of SQLite or PostgreSQL databases, not {connection.vendor}")
        os.replace(partial, path)  # only a finished copy ever has the backup's name
    finally:
        partial.unlink(missing_ok=True)
    manifest = {
        "format": FORMAT,
        "database": connection.vendor,
        "file": path.name,
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        "created_at": now.astimezone(dt.UTC).isoformat(),
        "counts": counts,
        "audit_chains": chains,
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def _sqlite_backup(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict[str, int], list[dict]]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # the online backup API: a consistent copy while others write
        # Counted in the copy, not the live database, which may have moved on since.
        tables = [
            name
            for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if not name.startswith("sqlite_")
        ]
        # bandit B608: the table names are the copy's own, from its catalogue (Handover's migrations made them).
        counts = {t: copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # nosec B608
        head = AuditChainHead._meta
        authority = head.get_field("authority").related_model._meta.db_table
        chains = [
            _chain(chain, sequence, digest, name)
            for chain, sequence, digest, name in copy.execute(
                # bandit B608: two of Handover's own models' table names; nothing from outside.
                f'SELECT h.chain, h.sequence, h.hash, a.name FROM "{head.db_table}" h '  # nosec B608
                f'LEFT JOIN "{authority}" a ON a.id = h.authority_id ORDER BY h.chain'
            )
        ]
    finally:
        copy.close()
    return counts, chains


def _chain(chain: int, sequence: int, digest: str, name: str | None) -> dict[str, Any]:
    return {"chain": chain, "name": name or NO_AUTHORITY, "sequence": sequence, "hash": digest}


def _postgres_backup(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict[str, int], list[dict]]:
    _need("pg_dump")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # pg_dump reads the snapshot this transaction exports, so the counts below are of what it dumps.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(target)],
            connection,
            "pg_dump",
        )
        counts = _counts(connection)
        chains = [
            _chain(h.chain, h.sequence, h.hash, h.authority.name if h.authority else None)
            for h in AuditChainHead.objects.using(connection.alias)
            .select_related("authority")
            .order_by("chain")
        ]
    return counts, chains


def _need(program: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} is not installed: install PostgreSQL's client programs (Debian: postgresql-client, "
            "the same major version as the server)"
        )


def _run(command: list[str], connection: BaseDatabaseWrapper, program: str) -> None:
    """Run a PostgreSQL client program against the connection's database; the password goes in the
    environment, never on the command line where `ps` shows it."""
    s = connection.settings_dict
    args = [*command, "--no-password", "--dbname", s["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if s.get(key):
            args += [option, str(s[key])]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    if s.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = s["OPTIONS"]["sslmode"]
    # bandit B603: pg_dump or pg_restore, given an argument list (no shell), the password in the environment.
    done = subprocess.run(args, env=env, capture_output=True, text=True)  # nosec B603
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        raise BackupError(f"{program} failed: {said[-1] if said else f'exit code {done.returncode}'}")


def _counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    with connection.cursor() as cursor:
        # SQLite's own tables (sqlite_sequence, sqlite_stat1) are left out, as in the backup's count.
        tables = sorted(
            t for t in connection.introspection.table_names(cursor) if not t.startswith("sqlite_")
        )
        counts = {}
        for table in tables:
            # bandit B608: a table name from the database's own catalogue, quoted by the backend.
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # nosec B608
            counts[table] = cursor.fetchone()[0]
    return counts


# -- restore ---------------------------------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict[str, Any]
    counts: dict[str, int]
    verified: Verified
    chain_ends: list[str]  # chains that no longer pass through where the manifest says they ended
    unapplied: list[str] = field(default_factory=list)  # migrations this version has that the backup had not

    @property
    def differences(self) -> dict[str, tuple[int | None, int | None]]:
        recorded = self.manifest["counts"]
        return {
            t: (recorded.get(t), self.counts.get(t))
            for t in sorted(set(recorded) | set(self.counts))
            if recorded.get(t) != self.counts.get(t)
        }

    @property
    def intact(self) -> bool:
        return not self.differences and not self.chain_ends and self.verified.intact


def read_manifest(path: Path) -> dict[str, Any]:
    path = Path(path)
    beside = manifest_path(path)
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    try:
        manifest = json.loads(beside.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{beside.name} is missing: restore only a backup made by `handover backup`, with its manifest beside it"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BackupError(f"{beside.name} cannot be read ({exc}): it is not a backup's manifest") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{beside.name} is not a manifest written by `handover backup`")
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(
            f"{path.name} does not match its manifest: it was changed or damaged after the backup was made"
        )
    return manifest


def tables_holding_data(using: str = "default") -> list[str]:
    connection = connections[using]
    return [t for t, n in _counts(connection).items() if n and t not in MIGRATE_FILLS]


def restore(path: Path, *, force: bool = False, using: str = "default") -> Restored:
    """Replace the (empty) database with the backup at `path`, then check it against the manifest."""
    path = Path(path)
    manifest = read_manifest(path)
    connection = connections[using]
    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"{path.name} is a backup of a {_vendor(manifest['database'])} database; this one is "
            f"{_vendor(connection.vendor)}"
        )
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a transaction")
    holding = tables_holding_data(using)
    if holding and not force:
        shown = ", ".join(holding[:5]) + (f" and {len(holding) - 5} more" if len(holding) > 5 else "")
        raise BackupError(
            f"the database is not empty ({shown} hold rows): restore only into an empty database, or add "
            "--force to replace everything in it"
        )
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)  # replaces every page of the database
        finally:
            source.close()
    else:
        _need("pg_restore")
        has_tables = bool(connection.introspection.table_names())
        connection.close()
        # One transaction: a restore that fails leaves the database as it was. --clean first drops what a
        # migrated (or forced) database already has; owners and grants are the deployment's (docs/security.md).
        command = ["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
        if has_tables:
            command += ["--clean", "--if-exists"]
        _run([*command, str(path)], connection, "pg_restore")
    executor = MigrationExecutor(connection)
    unapplied = [
        f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())
    ]
    return Restored(
        manifest=manifest,
        counts=_counts(connection),
        verified=audit_verify(),
        chain_ends=heads_kept(manifest["audit_chains"]),
        unapplied=unapplied,
    )


def _vendor(name: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(name, name)
