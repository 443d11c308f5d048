"""The tamper-evident audit trail (issue 13, item 4): every audit row is sealed into its authority's hash chain as
it is written, `handover audit verify` names the first row changed, removed or inserted behind Handover's back,
and on PostgreSQL the database itself refuses UPDATE and DELETE of audit rows.

A DBA with the table owner's rights can switch the trigger off, as `trigger_off` does here: verify still sees
what they did."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sqlite3
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import ProgrammingError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import NOW
from tests.integration.test_integrity_under_concurrency import race, racing_db  # noqa: F401 (a fixture)

from handover.audit.chain import GENESIS, seal
from handover.audit.models import AuditChainHead, AuditEvent, Verb
from handover.audit.services import audit_listing, audit_record, snapshot
from handover.children.models import Child
from handover.organisation.models import ProtocolVersion, Role
from handover.organisation.services import authority_sync_from_protocol, staff_create

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


@contextlib.contextmanager
def trigger_off():
    """What the table's owner can do on PostgreSQL (and anyone can on SQLite, which has no such trigger)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # The test's own rows wait on deferred foreign key checks, which PostgreSQL settles before an ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_auditevent_append_only")
        try:
            yield
        finally:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_auditevent_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as failed:
        verify()
    return str(failed.value)


def chain_of(authority) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(authority=authority).order_by("sequence"))


@pytest.fixture
def trail(world, django_capture_on_commit_callbacks):
    """A few days' audit rows, each change committed and sealed: records read and changed, a listing, a change
    to staff, a sweep."""
    children = [world.child(f"AUD{i}", f"Audrey{i}") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        for i, child in enumerate(children):
            audit_record(actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, child=child, obj=child)
            audit_record(
                actor=world.ast_tm.user,
                verb=Verb.CHILD_CHANGED,
                at=NOW,
                child=child,
                obj=child,
                before={"first_name": child.first_name},
                after=snapshot(child, ("first_name", "date_of_birth")),
                detail=f"changed {i}",
            )
        audit_listing(actor=world.ast_tm, at=NOW, children=[c.pk for c in children], detail="My work")
        audit_record(
            actor=world.administrator, verb=Verb.STAFF_CHANGED, at=NOW, obj=world.ast_sw, detail="roles"
        )
        audit_record(
            actor=None, verb=Verb.SWEEP, at=NOW, after={"done": {"reminded": 2}}, detail="reminded 2"
        )
    return chain_of(world.authority)


# -- writing -------------------------------------------------------------------------------------------------------


def test_each_row_is_numbered_and_sealed_into_its_authoritys_chain(
    world, trail, django_capture_on_commit_callbacks
):
    other = authority_sync_from_protocol(protocol_name="central-bedfordshire")
    elsewhere = staff_create(authority=other, username="ola_cb", name="Ola Cb", roles=[(Role.AUDITOR, None)])
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(actor=elsewhere, verb=Verb.STAFF_CHANGED, at=NOW, obj=elsewhere)
        audit_record(actor=elsewhere, verb=Verb.STAFF_CHANGED, at=NOW, obj=elsewhere)

    # The child's authority, else the acting member of staff's; rows of no authority (the sweep) on their own.
    assert {r.verb for r in trail} >= {Verb.CHILD_VIEWED, Verb.CHILD_LISTED, Verb.STAFF_CHANGED}
    assert [r.sequence for r in trail] == list(range(1, len(trail) + 1))
    assert [r.sequence for r in chain_of(other)] == [1, 2]
    (sweep,) = AuditEvent.objects.filter(authority=None)
    assert (sweep.verb, sweep.sequence, sweep.previous_hash) == (Verb.SWEEP, 1, GENESIS)
    for rows in (trail, chain_of(other)):
        assert rows[0].previous_hash == GENESIS
        assert [r.previous_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
        head = AuditChainHead.objects.get(chain=rows[0].authority_id)
        assert (head.sequence, head.hash) == (rows[-1].sequence, rows[-1].hash)
    row = trail[1]
    assert row.hash == seal(
        authority=world.authority.pk,
        sequence=row.sequence,
        previous_hash=row.previous_hash,
        at=NOW,
        actor=world.ast_tm.user_id,
        verb="child_changed",
        child=row.child_id,
        object_type="children.Child",
        object_id=str(row.child_id),
        before=row.before,
        after=row.after,
        detail="changed 0",
    )


def statements(captured) -> list[str]:
    """What was asked of the database, transaction control left out (and executemany's "N times: " prefix)."""
    control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")
    sql = [re.sub(r"^\d+ times: ", "", q["sql"]) for q in captured.captured_queries]
    return [s for s in sql if not s.startswith(control)]


def test_a_change_pays_one_insert_and_its_seal_four_short_statements_after_it_commits(
    world, trail, django_capture_on_commit_callbacks
):
    """Inside the change's transaction an audit row is one INSERT and locks nothing; once it commits, one short
    transaction seals all its rows: lock the head, read the rows waiting, seal them, move the head on."""
    child = world.child("COST1", "Costa")
    shown = [c.pk for c in Child.objects.all()] * 40

    def five_rows():
        for i in range(5):
            audit_record(actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, child=child, detail=str(i))

    for write, rows in (
        (lambda: audit_record(actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, child=child), 1),
        (lambda: audit_listing(actor=world.ast_tm, at=NOW, children=shown, detail="Team caseload"), 1),
        (five_rows, 5),
    ):
        with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as change:
            write()
        assert statements(change) == [s for s in statements(change) if s.startswith(f'INSERT INTO "{TABLE}"')]
        assert len(statements(change)) == rows
        with CaptureQueriesContext(connection) as after:
            for callback in callbacks:
                callback()
        sql = statements(after)
        assert len(sql) == 4, sql
        assert sql[0].startswith('SELECT "audit_auditchainhead"') and sql[2].startswith(f'UPDATE "{TABLE}"')
        assert sql[3].startswith('UPDATE "audit_auditchainhead"')
        if connection.vendor == "postgresql":
            assert sql[0].endswith("FOR UPDATE")
    assert AuditEvent.objects.filter(sequence=None).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_read_is_committed_at_once_then_sealed_in_a_short_transaction_of_its_own(world):
    child = world.child("READ1", "Reade")
    audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="Team")  # the chain's first row
    with CaptureQueriesContext(connection) as read:
        audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="My work")
    sql = statements(read)
    assert sql[0].startswith(
        f'INSERT INTO "{TABLE}"'
    )  # committed alone: waiting on a locked chain loses none
    assert len(sql) == 5 and sql[1].startswith('SELECT "audit_auditchainhead"'), sql
    row = AuditEvent.objects.get(detail="My work")
    assert row.sequence == AuditChainHead.objects.get(chain=world.authority.pk).sequence == 2


@pytest.mark.django_db(transaction=True)
def test_under_load_a_reads_row_waits_at_most_a_second_for_its_seal(world, settings, monkeypatch):
    """In production a process seals after a read at most once a second: the reads in between are one INSERT
    each, committed before the page goes out, and sealed in the order written by the next seal."""
    from handover.audit import services as audit_services

    settings.HANDOVER_AUDIT_READ_SEAL_SECONDS = 1.0
    clock = [1000.0]
    monkeypatch.setattr(audit_services.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(audit_services, "_last_read_seal", {})
    child = world.child("READ2", "Reade")
    audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="first")  # sealed at once
    clock[0] += 0.4
    with CaptureQueriesContext(connection) as read:
        audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="second")
        audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="third")
    assert [s[:6] for s in statements(read)] == ["INSERT", "INSERT"]
    waiting = AuditEvent.objects.filter(authority=world.authority, sequence=None)
    assert list(waiting.order_by("pk").values_list("detail", flat=True)) == ["second", "third"]
    clock[0] += 0.7  # a second after the first seal: the next read seals every row waiting
    audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="fourth")
    assert not waiting.exists()
    assert [r.detail for r in chain_of(world.authority)][-4:] == ["first", "second", "third", "fourth"]
    assert "intact" in verify()


@pytest.mark.django_db(transaction=True)
def test_the_sweep_seals_the_reads_left_waiting_when_the_pages_go_quiet(world, settings, monkeypatch):
    from handover.audit import services as audit_services
    from handover.sweep.services import sweep_run

    settings.HANDOVER_AUDIT_READ_SEAL_SECONDS = 1.0
    monkeypatch.setattr(audit_services.time, "monotonic", lambda: 1000.0)
    monkeypatch.setattr(audit_services, "_last_read_seal", {world.authority.pk: 1000.0})
    child = world.child("READ3", "Reade")
    audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail="last read of the day")
    assert AuditEvent.objects.get(detail="last read of the day").sequence is None
    sweep_run(now=NOW)
    assert AuditEvent.objects.get(detail="last read of the day").sequence is not None


@pytest.mark.django_db(transaction=True)
def test_simultaneous_writers_number_their_rows_one_at_a_time(racing_db, world):  # noqa: F811
    """Services writing several rows in a transaction, and page reads writing one in none, all at once."""
    children = [world.child(f"RACE{i}", f"Racer{i}") for i in range(4)]
    before = AuditEvent.objects.filter(authority=world.authority).count()

    def service(child):
        def write():
            with transaction.atomic():
                for i in range(5):
                    audit_record(
                        actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, child=child, detail=str(i)
                    )

        return write

    def reads(child):
        def read():
            for i in range(5):
                audit_listing(actor=world.ast_tm, at=NOW, children=[child.pk], detail=f"page {i}")

        return read

    results = race(*(service(c) for c in children[:2]), *(reads(c) for c in children[2:]))
    assert [kind for kind, _ in results] == ["ok"] * 4, results
    rows = chain_of(world.authority)
    assert [r.sequence for r in rows] == list(range(1, before + 21))
    assert "intact" in verify()


# -- verify --------------------------------------------------------------------------------------------------------


def test_verify_says_the_trail_is_intact_and_how_much_it_checked(world, trail):
    out = verify()
    total = AuditEvent.objects.count()
    assert f"The audit trail is intact: {total:,} rows checked in 2 chains." in out
    assert f"Dorset County Council: {len(trail)} rows, intact (ends at number {len(trail)})" in out


def test_verify_seals_rows_left_waiting_and_says_so(world, trail, django_capture_on_commit_callbacks):
    """A process cut off between a change's commit and its seal leaves the change's rows waiting."""
    with django_capture_on_commit_callbacks():  # never run: as if the process died at the commit
        audit_record(actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, detail="cut off")
    out = verify()
    assert "Sealed 1 row that was waiting (written a moment ago, or cut off between commit and seal)" in out
    assert AuditEvent.objects.get(detail="cut off").sequence == len(trail) + 1
    assert "The audit trail is intact" in out


@pytest.mark.parametrize("how", ["SQL UPDATE", "a save that skips the service"])
def test_verify_names_a_row_changed_behind_handovers_back(world, trail, how):
    row = trail[3]
    with trigger_off():
        if how == "SQL UPDATE":
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {TABLE} SET detail = %s WHERE id = %s", ["nothing to see", row.pk])
        else:
            row.after = {"first_name": "Someone else"}
            row.save(update_fields=["after"])
    message = verify_fails()
    assert message.startswith("The audit trail has been tampered with:")
    assert (
        f"Dorset County Council: row {row.pk} (number {row.sequence}) no longer matches its seal: it was changed "
        "after it was written" in message
    )
    assert (
        f"Row {row.pk} was recorded on 24 November 2026 at 10:00, by {world.ast_tm.user.username}" in message
    )


def test_verify_names_where_a_row_was_removed(world, trail):
    gone, after = trail[4], trail[5]
    with trigger_off():
        AuditEvent.objects.filter(pk=gone.pk).delete()
    message = verify_fails()
    assert (
        f"number {gone.sequence} is missing after row {trail[3].pk}, before row {after.pk}: rows were removed"
        in message
    )


def test_verify_sees_rows_removed_from_the_end(world, trail):
    with trigger_off():
        AuditEvent.objects.filter(pk__in=[r.pk for r in trail[-2:]]).delete()
    message = verify_fails()
    assert (
        f"numbers {len(trail) - 1} to {len(trail)} are missing at the end, after row {trail[-3].pk}"
        in message
    )


def test_verify_names_a_row_inserted_behind_handovers_back(world, trail):
    """A row added with a seal that fits the chain (the attacker knows the method) but without moving the head,
    and one added with a made-up seal after moving the head as well."""
    last = trail[-1]
    fields = dict(
        authority=world.authority.pk,
        sequence=last.sequence + 1,
        previous_hash=last.hash,
        at=NOW,
        actor=world.director.user_id,
        verb="child_viewed",
        child=None,
        object_type="",
        object_id="",
        before=None,
        after=None,
        detail="never happened",
    )
    forged = AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                authority_id=world.authority.pk,
                sequence=fields["sequence"],
                previous_hash=last.hash,
                hash=seal(**fields),
                at=NOW,
                actor_id=world.director.user_id,
                verb="child_viewed",
                detail="never happened",
            )
        ]
    )[0]
    message = verify_fails()
    assert (
        f"the chain's recorded end is number {last.sequence}, but rows up to number {forged.sequence} "
        f"(from row {forged.pk}) follow it: they were inserted" in message
    )
    AuditChainHead.objects.filter(chain=world.authority.pk).update(sequence=forged.sequence, hash="f" * 64)
    with trigger_off():
        AuditEvent.objects.filter(pk=forged.pk).update(hash="f" * 64)
    assert f"row {forged.pk} (number {forged.sequence}) no longer matches its seal" in verify_fails()


def handover(database_url: str, *args: str, tmp_path) -> subprocess.CompletedProcess:
    """Run the `handover` command line in a process of its own on `database_url` (the suite's fixed clock;
    system checks skipped: they are not what these tests are about)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "handover.config.test_settings",
        "DATABASE_URL": database_url,
        "HANDOVER_VAR_DIR": str(tmp_path),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    return subprocess.run(
        [sys.executable, "-m", "handover.cli", *args, "--skip-checks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def url_of(settings: dict) -> str:
    """A DATABASE_URL for a PostgreSQL database of the suite's server."""
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{quote(settings['USER'])}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def shared_database_url(tmp_path) -> str:
    """The test database as another process can open it: PostgreSQL's test database as it is; SQLite's (in
    memory, this process only) copied to a file."""
    if connection.vendor == "postgresql":
        return url_of(connection.settings_dict)
    connection.ensure_connection()
    copy = tmp_path / "copy.sqlite3"
    with contextlib.closing(sqlite3.connect(copy)) as file:
        connection.connection.backup(file)
    return f"sqlite:///{copy}"


@pytest.mark.django_db(transaction=True)
def test_verify_exits_non_zero_from_the_command_line(world, trail, tmp_path):
    """What an operator runs: `handover audit verify`, exit code 0 when intact, 1 and the reason when not."""
    url = shared_database_url(tmp_path)
    intact = handover(url, "audit", "verify", tmp_path=tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert (
        f"The audit trail is intact: {AuditEvent.objects.count()} rows checked in 2 chains." in intact.stdout
    )
    row = trail[2]
    if connection.vendor == "postgresql":
        with trigger_off():
            AuditEvent.objects.filter(pk=row.pk).update(detail="edited")
    else:
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db, db:
            db.execute(f"UPDATE {TABLE} SET detail = 'edited' WHERE id = ?", [row.pk])
    broken = handover(url, "audit", "verify", tmp_path=tmp_path)
    assert broken.returncode == 1
    assert "The audit trail has been tampered with:" in broken.stderr
    assert (
        f"Dorset County Council: row {row.pk} (number {row.sequence}) no longer matches its seal"
        in broken.stderr
    )


# -- PostgreSQL refuses ---------------------------------------------------------------------------------------------


def test_postgresql_refuses_to_change_or_remove_an_audit_row_but_seals_it_once(
    world, trail, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; SQLite relies on verify alone")
    row = trail[0]
    with django_capture_on_commit_callbacks() as callbacks:  # written, not sealed yet
        waiting = audit_record(actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, detail="just now")
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=row.pk).update(detail="nothing to see"),
        lambda: AuditEvent.objects.filter(pk=row.pk).delete(),
        lambda: AuditEvent.objects.filter(pk=row.pk).update(hash="f" * 64),  # resealed
        lambda: AuditEvent.objects.filter(pk=waiting.pk).update(detail="changed before its seal"),
        lambda: AuditEvent.objects.filter(pk=waiting.pk).update(
            sequence=99, hash="f" * 64, detail="and sealed"
        ),
    ):
        with pytest.raises(ProgrammingError, match="The audit trail is append-only"), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=row.pk).detail == row.detail
    (seal_it,) = callbacks
    seal_it()
    assert AuditEvent.objects.get(pk=waiting.pk).sequence == len(trail) + 1
    assert "intact" in verify()


# -- upgrading -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_chain_are_sealed_when_the_database_is_upgraded(world):
    """Migration 0008 seals the rows already there, in the order they were written, so verify passes on an
    upgraded database: the child's authority, else the acting member of staff's, else the record's."""
    child = world.child("OLD1", "Olive")
    version = ProtocolVersion.objects.filter(authority=world.authority).first()
    before_chain = [("audit", "0006_staff_changed_verb")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before_chain)
    try:
        Old = executor.loader.project_state(before_chain).apps.get_model("audit", "AuditEvent")
        written = [
            Old.objects.create(at=NOW, actor_id=world.ast_sw.user_id, verb="child_viewed", child_id=child.pk),
            Old.objects.create(at=NOW, actor_id=world.administrator.user_id, verb="staff_changed"),
            Old.objects.create(at=NOW, verb="sweep", after={"done": {"reminded": 1.0}}),
            Old.objects.create(
                at=NOW,
                verb="protocol_published",
                object_type="organisation.ProtocolVersion",
                object_id=str(version.pk),
            ),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    sealed = {r.pk: r for r in AuditEvent.objects.filter(pk__in=[w.pk for w in written])}
    assert [sealed[w.pk].authority_id for w in written] == [world.authority.pk] * 2 + [
        None,
        world.authority.pk,
    ]
    assert "intact" in verify()
    audit_record(actor=world.ast_sw, verb=Verb.CHILD_VIEWED, at=NOW, child=child)  # new rows carry on
    assert "intact" in verify()
