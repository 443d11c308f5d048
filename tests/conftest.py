import pytest

from handover.domain.protocol.loader import load_protocol


@pytest.fixture(scope="session")
def dorset():
    return load_protocol("dorset")
