import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine

from handover.domain.protocol.loader import load_protocol


def pytest_configure(config):
    """HANDOVER_TEST_MACHINE_DATE moves the machine's clock for the whole run (CI: the Thursday before Easter
    2027). Handover's own clock stays the suite's fixed one, so a test that passes only on one real date, or
    code that reads the real clock below the boundary, fails."""
    moved = os.environ.get("HANDOVER_TEST_MACHINE_DATE")
    if moved:
        day = dt.date.fromisoformat(moved)
        traveller = time_machine.travel(
            dt.datetime.combine(day, dt.time(9), tzinfo=ZoneInfo("Europe/London"))
        )
        traveller.start()
        config._handover_time_machine = traveller


def pytest_report_header(config):
    moved = os.environ.get("HANDOVER_TEST_MACHINE_DATE")
    return f"machine clock moved to {moved}" if moved else None


@pytest.fixture(scope="session")
def dorset():
    return load_protocol("dorset")
