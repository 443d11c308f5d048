"""`handover demo` prints its build time, in total and by phase, and the open transfers by sending service with
the largest sending team's count (issue 14); on a terminal it shows a bar for each long phase, elsewhere the plain
lines scripts and logs read."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-123456"


def test_the_command_prints_its_build_time_and_the_senders_with_bars_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    call_command("demo", "--size", "small", "--password", PASSWORD, stdout=out)
    text = out.getvalue()
    assert "500/500" in text and "30/30" in text  # the historic and open transfers' bars, done
    assert "s]" not in text  # not the plain lines' timestamps
    timing = next(line for line in text.splitlines() if line.startswith("Build time "))
    for phase in ("staff", "children", "historic transfers", "open transfers", "coming meetings"):
        assert f"{phase} " in timing
    assert "Open transfers by sending service: Assessment Service 30 (100%)" in text


def test_elsewhere_the_command_prints_plain_lines():
    out = io.StringIO()
    call_command(
        "demo", "--size", "small", "--password", PASSWORD, "--protocol", "central-bedfordshire", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert any(line.endswith("s]   500 historic transfers") for line in lines)
    assert "/500" not in out.getvalue()
    assert any(line.startswith("Build time ") and "open transfers " in line for line in lines)
    assert (
        "Open transfers by sending service: Assessment Team 30 (100%); the largest sending team: "
        in out.getvalue()
    )
