"""Production settings: refuse to start without secrets; Django's deployment checks are clean."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys


def _django(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))
    }
    clean.update(DJANGO_SETTINGS_MODULE="handover.config.settings", **env)
    return subprocess.run(
        [sys.executable, "-m", "django", *args], env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _django("check", HANDOVER_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "HANDOVER_SECRET_KEY must be set" in result.stderr


def test_production_needs_allowed_hosts(tmp_path):
    result = _django("check", HANDOVER_SECRET_KEY=secrets.token_urlsafe(64), HANDOVER_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "HANDOVER_ALLOWED_HOSTS" in result.stderr


def test_deployment_checks_are_clean(tmp_path):
    result = _django(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        HANDOVER_SECRET_KEY=secrets.token_urlsafe(64),
        HANDOVER_ALLOWED_HOSTS="handover.example.invalid",
        HANDOVER_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_collectstatic_builds_the_hashed_assets(tmp_path):
    result = _django(
        "collectstatic",
        "--noinput",
        HANDOVER_SECRET_KEY=secrets.token_urlsafe(64),
        HANDOVER_ALLOWED_HOSTS="handover.example.invalid",
        HANDOVER_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text(encoding="utf-8")
    assert "handover/handover.css" in manifest and "handover/govuk-frontend.min.js" in manifest
