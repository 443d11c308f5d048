"""Time enters at the boundary and is passed down: nothing below a request, a command or a task reads the clock.

A service that read the clock itself would stamp events with the machine's date, not the one it was given, and
the suite would pass only on the day a test was written (issue 9)."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "handover"

# Reading the real clock: only handover/clock.py (whose now() honours a fixed clock) and the command line's
# `--today` default may.
REAL_CLOCK = re.compile(
    r"timezone\.now\(|localdate\(\)|date\.today\(|datetime\.now\(|datetime\.utcnow\(|time\.time\("
)
REAL_CLOCK_ALLOWED = {"clock.py", "cli.py"}

# Reading Handover's clock: only the boundaries (a request, a management command, a background task).
BOUNDARY_CLOCK = re.compile(r"\bclock\.now\(")
BOUNDARIES = {"web/middleware.py", "transfers/bulk.py", "sweep/tasks.py"}  # tasks are boundaries


def _sources():
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if "/migrations/" in relative:
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_only_the_clock_module_reads_the_real_clock():
    offenders = [
        f"{name}:{n}: {line.strip()}"
        for name, text in _sources()
        if name not in REAL_CLOCK_ALLOWED
        for n, line in enumerate(text.splitlines(), 1)
        if REAL_CLOCK.search(line)
    ]
    assert offenders == []


def test_only_boundaries_read_handovers_clock():
    offenders = [
        f"{name}:{n}: {line.strip()}"
        for name, text in _sources()
        if name not in BOUNDARIES and "/management/commands/" not in name and name != "clock.py"
        for n, line in enumerate(text.splitlines(), 1)
        if BOUNDARY_CLOCK.search(line)
    ]
    assert offenders == []


def test_the_patterns_catch_a_clock_read():
    """The checks above would see the mistake they guard against."""
    assert REAL_CLOCK.search("    at=timezone.now(),")
    assert REAL_CLOCK.search("on = on or timezone.localdate()")
    assert BOUNDARY_CLOCK.search("now = clock.now()")
