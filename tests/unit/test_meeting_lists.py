"""A meeting's `lists`: the pathways whose children it discusses by age (Dorset's monthly 16+ meeting, D-137).
The loader refuses a pathway it does not know, and one whose timeline gives no age to list children by."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from handover.domain.errors import ProtocolError
from handover.domain.protocol.loader import PROTOCOLS_DIR, load_protocol

DORSET = PROTOCOLS_DIR / "dorset.yaml"
SOURCE = PROTOCOLS_DIR / "dorset-transfer-protocol-2017.numbered.md"


@pytest.fixture
def dorset_data() -> dict:
    return yaml.safe_load(DORSET.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, data: dict) -> str:
    shutil.copy(SOURCE, tmp_path / SOURCE.name)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(str(path))
    return str(caught.value)


def _sixteen_plus(data: dict) -> int:
    return next(i for i, m in enumerate(data["meetings"]) if m["id"] == "sixteen_plus_meeting")


def test_dorsets_monthly_meeting_lists_the_personal_adviser_pathway(dorset):
    assert dorset.meetings["sixteen_plus_meeting"].lists == ("lac_to_leaving_care",)
    assert dorset.meetings["transfer_meeting"].lists == ()


def test_lists_naming_an_unknown_pathway(tmp_path, dorset_data):
    i = _sixteen_plus(dorset_data)
    dorset_data["meetings"][i]["lists"] = ["lac_to_leaving_care", "lac_to_sixteen_plus"]
    message = _problems(tmp_path, dorset_data)
    assert f"broken.yaml: meetings[{i}].lists[1]: unknown pathway 'lac_to_sixteen_plus'" in message


def test_lists_naming_a_pathway_with_no_age_in_its_timeline(tmp_path, dorset_data):
    i = _sixteen_plus(dorset_data)
    dorset_data["meetings"][i]["lists"] = ["assessment_to_cin_cp"]
    message = _problems(tmp_path, dorset_data)
    assert (
        f"broken.yaml: meetings[{i}].lists[0]: pathway 'assessment_to_cin_cp' has no step due at an age "
        "(at_age) in its timeline 'weekly_meeting'"
    ) in message


def _panel(data: dict) -> int:
    return next(i for i, r in enumerate(data["routes"]) if r["id"] == "legal_gateway_panel")


def test_dorsets_panel_records_its_decision_as_an_event_and_an_outcome_fact(dorset):
    assert (
        dorset.routes["legal_gateway_panel"].records.event,
        dorset.routes["legal_gateway_panel"].records.outcome,
    ) == (
        "lgp_decision",
        "lgp_outcome",
    )


def test_a_panel_record_naming_an_unknown_event_or_a_non_enum_fact(tmp_path, dorset_data):
    i = _panel(dorset_data)
    dorset_data["routes"][i]["records"] = {"event": "panel_sat", "outcome": "s47_required"}
    message = _problems(tmp_path, dorset_data)
    assert f"broken.yaml: routes[{i}].records.event: unknown event 'panel_sat'" in message
    assert f"broken.yaml: routes[{i}].records.outcome: 's47_required' must be a declared enum fact" in message


def test_only_a_panel_route_records_a_decision(tmp_path, dorset_data):
    i = next(i for i, r in enumerate(dorset_data["routes"]) if r["kind"] == "direct")
    dorset_data["routes"][i]["records"] = {"event": "lgp_decision", "outcome": "lgp_outcome"}
    assert f"broken.yaml: routes[{i}].records: only a panel route records a decision" in _problems(
        tmp_path, dorset_data
    )
