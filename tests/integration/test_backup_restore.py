"""Backups (issue 13, item 5): `handover backup PATH` copies the whole database with a manifest beside it, and
`handover restore PATH` puts it into an empty database, verifies the audit trail and compares every table's
rows with the manifest's. On SQLite (the online backup API) and, with DATABASE_URL set to it, PostgreSQL
(pg_dump and pg_restore into a database this test creates on the same server and drops afterwards)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from tests.integration.conftest import CIN_PLAN, NOW, TODAY
from tests.integration.test_audit_chain import handover, trail, trigger_off, url_of  # noqa: F401 (a fixture)

from handover.audit.backup import manifest_path
from handover.audit.models import AuditChainHead, AuditEvent
from handover.children.models import Child
from handover.transfers import services
from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def records(world, trail):  # noqa: F811 (the fixture)
    """Children, a proposed transfer with its events and deadlines, and audit rows."""
    child = world.child("BAK1", "Bakari")
    services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=child, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
    )
    return world


@pytest.fixture
def fresh(tmp_path):
    """A DATABASE_URL for an empty database of the suite's kind: a new file, or a new PostgreSQL database."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"handover_restore_{uuid.uuid4().hex[:12]}"
    server = dict(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url_of({**settings, "NAME": name})
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts_in(url: str) -> dict[str, int]:
    """Every table's rows in the database at `url`, counted without Handover."""
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {
                t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                for t in tables
                if "sqlite_" not in t
            }
    import psycopg

    with psycopg.connect(url) as db:
        tables = [
            n
            for (n,) in db.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def backup(path) -> str:
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    return out.getvalue()


def test_a_backup_restores_into_a_fresh_database_with_every_row(records, tmp_path, fresh):
    path = tmp_path / "handover.backup"
    said = backup(path)
    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    assert said.startswith(f"Backed up the database to {path} (")
    assert "Audit chains end: rows tied to no authority at number 1; Dorset County Council at number" in said
    assert manifest["created_at"] == "2026-11-24T10:00:00+00:00"  # the suite's clock
    assert manifest["database"] == connection.vendor
    counts = manifest["counts"]
    assert counts["children_child"] == Child.objects.count() == 4
    assert counts["transfers_transfer"] == Transfer.objects.count() == 1
    assert counts["audit_auditevent"] == AuditEvent.objects.count()
    assert [(c["name"], c["sequence"], c["hash"]) for c in manifest["audit_chains"]] == [
        (h.authority.name if h.authority else "rows tied to no authority", h.sequence, h.hash)
        for h in AuditChainHead.objects.order_by("chain")
    ]

    restored = handover(fresh, "restore", str(path), tmp_path=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert (
        "Audit trail: Dorset County Council: " in restored.stdout
        and ", intact (ends at number" in restored.stdout
    )
    assert re.search(
        r"^  children_child +4 +4$", restored.stdout, re.M
    )  # each table: in the backup, restored
    assert "Every table holds the rows the backup recorded" in restored.stdout
    assert counts_in(fresh) == counts  # counted again, without Handover
    checked = handover(fresh, "audit", "verify", "--against", str(manifest_path(path)), tmp_path=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "each passes through where it ended in the manifest" in checked.stdout

    again = handover(fresh, "restore", str(path), tmp_path=tmp_path)
    assert again.returncode == 1
    assert "Nothing restored: the database is not empty (" in again.stderr and "add --force" in again.stderr
    forced = handover(fresh, "restore", str(path), "--force", tmp_path=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert counts_in(fresh) == counts


def test_a_backup_never_overwrites_and_a_changed_backup_is_refused(records, tmp_path):
    path = tmp_path / "handover.backup"
    backup(path)
    with pytest.raises(CommandError, match="exists already: a backup never overwrites one"):
        backup(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not match its manifest: it was changed or damaged"):
        call_command("restore", str(path))
    manifest_path(path).unlink()
    with pytest.raises(CommandError, match=r"handover.backup.manifest.json is missing"):
        call_command("restore", str(path))
    assert Child.objects.count() == 4  # nothing was touched


def test_verify_against_a_backups_manifest_sees_a_chain_rewritten_since(records, tmp_path):
    """Someone removes the last audit row and moves the chain's head back to match: the chain alone looks
    intact, but it no longer passes through where it ended when the backup was made."""
    path = tmp_path / "handover.backup"
    backup(path)
    head = AuditChainHead.objects.get(chain=records.authority.pk)
    last, before = AuditEvent.objects.filter(authority=records.authority).order_by("-sequence")[:2]
    with trigger_off():
        AuditEvent.objects.filter(pk=last.pk).delete()
    AuditChainHead.objects.filter(pk=head.pk).update(sequence=before.sequence, hash=before.hash)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify", "--against", str(manifest_path(path)), stdout=io.StringIO())
    assert (
        f"Dorset County Council: number {last.sequence}, where the chain ended when it was written down, is gone"
        in str(failed.value)
    )
