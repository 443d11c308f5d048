"""Loading a protocol from its text (a stored version) goes through the same checks as loading the file, and
gives the same version for the same bytes."""

from __future__ import annotations

import pytest

from handover.domain.errors import ProtocolError
from handover.domain.protocol.clauses import parse_clauses, read_clauses
from handover.domain.protocol.loader import PROTOCOLS_DIR, load_protocol_text

DORSET = PROTOCOLS_DIR / "dorset.yaml"
SOURCE = PROTOCOLS_DIR / "dorset-transfer-protocol-2017.numbered.md"


@pytest.fixture(scope="module")
def texts() -> tuple[str, str]:
    return DORSET.read_text(encoding="utf-8"), SOURCE.read_text(encoding="utf-8")


def test_the_same_text_is_the_same_version_as_the_file(dorset, texts):
    text, clauses = texts
    stored = load_protocol_text(text, name="dorset (stored)", clauses=clauses)
    assert (stored.version, stored.sha256) == (dorset.version, dorset.sha256)
    assert stored.version.startswith("2017-07+") and dorset.version.endswith(dorset.sha256[:12])
    assert stored.pathways.keys() == dorset.pathways.keys()
    assert stored.clauses == dorset.clauses
    assert stored.path == "dorset (stored)"


def test_bytes_and_text_load_alike(texts):
    text, clauses = texts
    assert load_protocol_text(text.encode("utf-8"), name="x", clauses=clauses).sha256 == (
        load_protocol_text(text, name="x", clauses=clauses).sha256
    )


def test_the_numbered_copy_can_be_read_from_a_folder(dorset, texts):
    assert load_protocol_text(texts[0], name="dorset", base_dir=PROTOCOLS_DIR).version == dorset.version


def test_a_changed_text_is_another_version(dorset, texts):
    text, clauses = texts
    changed = text.replace('time: "10:00"', 'time: "10:30"')
    assert changed != text
    assert load_protocol_text(changed, name="x", clauses=clauses).version != dorset.version


def test_problems_name_the_text_and_the_element(texts):
    text, clauses = texts
    broken = text.replace("timeline: weekly_meeting, cites: [D-011]}", "timeline: nowhere, cites: [D-011]}")
    with pytest.raises(ProtocolError) as caught:
        load_protocol_text(broken, name="dorset (version 7)", clauses=clauses)
    assert "dorset (version 7): pathways[" in str(caught.value)
    assert "unknown timeline 'nowhere'" in str(caught.value)


def test_not_yaml_and_not_a_mapping_are_refused(texts):
    with pytest.raises(ProtocolError, match=r"stored: line \d+, column \d+: not valid YAML"):
        load_protocol_text("format: [unclosed", name="stored", clauses=texts[1])
    with pytest.raises(ProtocolError, match="stored: a protocol file is a YAML mapping"):
        load_protocol_text("- a list", name="stored", clauses=texts[1])


def test_without_its_numbered_copy_the_text_is_refused(texts):
    with pytest.raises(ProtocolError, match=r"source\.document: numbered copy .* not given with the text"):
        load_protocol_text(texts[0], name="stored")


def test_a_numbered_copy_missing_clauses_is_refused(texts):
    text, clauses = texts
    shortened = "\n".join(line for line in clauses.splitlines() if "**D-011**" not in line)
    with pytest.raises(ProtocolError, match="D-011"):
        load_protocol_text(text, name="stored", clauses=shortened)


def test_parse_clauses_reads_what_read_clauses_reads(texts):
    assert parse_clauses(texts[1]) == read_clauses(SOURCE)
