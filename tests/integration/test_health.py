"""The health check a load balancer polls: ok only when the database answers and is fully migrated; open to
anyone, so it says nothing else; never cached, never audited, no session."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from handover.audit.models import AuditEvent
from handover.web import health


@pytest.fixture
def unchecked(monkeypatch):
    """As in a process that has not yet seen every migration applied (the check is remembered once it passes)."""
    monkeypatch.setattr(health, "_migrated", False)


def test_ok_when_the_database_answers_and_is_migrated(client, db, unchecked):
    before = AuditEvent.objects.count()
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie: a probe has neither
    assert AuditEvent.objects.count() == before
    assert client.head("/health/").status_code == 200


def test_a_probe_may_only_read(client, db):
    assert client.post("/health/").status_code == 405


def test_503_naming_the_database_when_it_cannot_be_reached_and_nothing_of_the_error(
    client, db, monkeypatch, unchecked
):
    class Unreachable:
        def cursor(self):
            raise OperationalError('could not connect to server "db.internal" as user "handover_app"')

    monkeypatch.setattr(health, "connection", Unreachable())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert b"db.internal" not in response.content and b"handover_app" not in response.content


def test_503_while_a_migration_is_not_applied(client, db, unchecked):
    latest = next(node for node in MigrationLoader(connection).graph.leaf_nodes() if node[0] == "transfers")
    MigrationRecorder(connection).record_unapplied(*latest)  # as when new code is up before `migrate` has run
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "migrations not applied"}


def test_once_migrated_it_does_not_look_again_but_still_asks_the_database(client, db, monkeypatch, unchecked):
    assert client.get("/health/").status_code == 200
    assert health._migrated is True

    class Unreachable:
        def cursor(self):
            raise OperationalError("gone")

    monkeypatch.setattr(health, "connection", Unreachable())
    assert client.get("/health/").status_code == 503


def test_answers_during_maintenance_while_people_get_the_maintenance_page(client, db, settings):
    settings.HANDOVER_MAINTENANCE = True
    assert client.get("/").status_code == 503
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_plain_http_probe_is_answered_where_pages_redirect_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/sign-in/").status_code == 301
    assert client.get("/health/").status_code == 200
