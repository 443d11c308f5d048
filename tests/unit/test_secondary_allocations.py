"""The protocol file's `secondary_allocations`: purposes of a worker beside the team holding the case, each citing
its clause (Dorset D-082, D-126, D-133/D-140/D-141; Central Bedfordshire C-029, C-030, C-035), checked at load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from handover.domain.errors import ProtocolError
from handover.domain.protocol.coverage import clause_map, coverage_markdown
from handover.domain.protocol.loader import PROTOCOLS_DIR, load_protocol
from handover.domain.rulebook import ChildRelation, RecordAction, record_refusal

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


def _purpose(data: dict, ident: str) -> tuple[int, dict]:
    i = next(i for i, item in enumerate(data["secondary_allocations"]) if item["id"] == ident)
    return i, data["secondary_allocations"][i]


def test_dorsets_purposes_cite_their_clauses():
    protocol = load_protocol("dorset")
    purposes = protocol.secondary_allocations
    assert list(purposes) == ["cse_missing", "family_finding", "personal_adviser"]
    assert purposes["cse_missing"].cites == ("D-082",)
    assert protocol.clauses["D-082"] == "CSE and missing secondary allocations."
    assert (purposes["family_finding"].who.value, purposes["family_finding"].services) == (
        "social_worker",
        ("aspire",),
    )
    assert "secondary allocation with a Family finding social worker" in protocol.clauses["D-126"]
    assert (purposes["personal_adviser"].who.value, purposes["personal_adviser"].services) == (
        "personal_adviser",
        ("leaving_care",),
    )
    # D-082 is encoded now, not outside the engine.
    assert clause_map(protocol)["D-082"] == ["secondary allocation `cse_missing`"]
    assert all("D-082" not in entry.clauses for entry in protocol.file.outside_engine)
    assert "| D-082 | CSE and missing secondary allocations. | secondary allocation `cse_missing` |" in (
        coverage_markdown(protocol)
    )


def test_central_bedfordshires_joint_working_is_three_purposes():
    protocol = load_protocol("central-bedfordshire")
    purposes = protocol.secondary_allocations
    assert {p: item.cites for p, item in purposes.items()} == {
        "cwd_co_working": ("C-029",),
        "uasc_assessment_support": ("C-030",),
        "sgo_joint_assessment": ("C-035", "C-036"),
    }
    assert "co worked between Assessment and CWD" in protocol.clauses["C-029"]
    assert purposes["cwd_co_working"].services == ("assessment", "cwd")
    assert purposes["uasc_assessment_support"].services == ()  # "other teams": any team
    assert purposes["sgo_joint_assessment"].services == ("fostering",)


def test_a_purpose_naming_an_unknown_service_is_refused(tmp_path, dorset_data):
    i, item = _purpose(dorset_data, "family_finding")
    item["services"] = ["aspire_adoption"]
    message = _problems(tmp_path, dorset_data)
    assert (
        f"broken.yaml: secondary_allocations[{i}].services[0]: unknown service 'aspire_adoption'" in message
    )


def test_a_purpose_whose_worker_holds_no_cases_is_refused(tmp_path, dorset_data):
    i, item = _purpose(dorset_data, "cse_missing")
    item["who"] = "team_manager"
    message = _problems(tmp_path, dorset_data)
    assert f"secondary_allocations[{i}].who: 'team_manager' does not hold cases" in message


def test_a_purpose_with_an_unknown_role_is_refused(tmp_path, dorset_data):
    i, item = _purpose(dorset_data, "cse_missing")
    item["who"] = "cse_worker"
    message = _problems(tmp_path, dorset_data)
    assert f"secondary_allocations[{i}].who: Input should be" in message


def test_a_purpose_without_cites_is_refused(tmp_path, dorset_data):
    i, item = _purpose(dorset_data, "cse_missing")
    del item["cites"]
    message = _problems(tmp_path, dorset_data)
    assert f"secondary_allocations[{i}].cites: Field required" in message


def test_a_purpose_citing_no_clause_of_the_source_is_refused(tmp_path, dorset_data):
    i, item = _purpose(dorset_data, "cse_missing")
    item["cites"] = ["D-999"]
    message = _problems(tmp_path, dorset_data)
    assert f"secondary_allocations[{i}].cites[0]: clause D-999 is not in" in message
    # ... and D-082, cited by nothing now, is neither encoded nor explained.
    assert "neither cited by an element nor listed under outside_engine: D-082" in message


def test_a_purpose_id_used_twice_is_refused(tmp_path, dorset_data):
    dorset_data["secondary_allocations"].append(dict(dorset_data["secondary_allocations"][0]))
    message = _problems(tmp_path, dorset_data)
    assert "secondary_allocations[3].id: id 'cse_missing' is used more than once" in message


@pytest.mark.parametrize(
    ("relation", "allowed"),
    [
        (ChildRelation(case_team_roles=frozenset({"team_manager"})), True),
        (ChildRelation(case_team_roles=frozenset({"practice_manager"})), True),
        (ChildRelation(providing_team_roles=frozenset({"team_manager"})), True),
        (ChildRelation(providing_team_roles=frozenset({"practice_manager"})), True),
        # The case holder, the worker's colleagues, business support, senior managers, read-only roles: no.
        (ChildRelation(allocated=True, case_team_roles=frozenset({"social_worker"})), False),
        (ChildRelation(providing_team_roles=frozenset({"social_worker", "business_support"})), False),
        (ChildRelation(senior_roles=frozenset({"service_director"})), False),
        (ChildRelation(case_team_roles=frozenset({"auditor"})), False),
        # A manager of a team holding only a secondary allocation is not the case-holding team's manager.
        (ChildRelation(holding_team_roles=frozenset({"team_manager"})), False),
    ],
)
def test_who_may_start_or_end_a_secondary_allocation(relation, allowed):
    refusal = record_refusal(RecordAction.SECONDARY_ALLOCATION, relation)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert refusal.rule == "record.secondary_allocation.role"


def test_a_secondary_pathway_names_the_purpose_its_allocation_records(tmp_path, dorset_data):
    dorset = load_protocol("dorset")
    assert dorset.pathways["lac_to_leaving_care"].purpose == "personal_adviser"  # D-140
    assert dorset.pathways["court_to_aspire_family_finding"].purpose == "family_finding"  # D-126
    pathways = dorset_data["pathways"]
    secondary = next(i for i, p in enumerate(pathways) if p["id"] == "lac_to_leaving_care")
    primary = next(i for i, p in enumerate(pathways) if p["id"] == "assessment_to_cin_cp")
    pathways[secondary]["purpose"] = "befriending"
    pathways[primary]["purpose"] = "personal_adviser"
    message = _problems(tmp_path, dorset_data)
    assert (
        f"pathways[{secondary}].purpose: unknown purpose 'befriending' (declare it under 'secondary_allocations')"
        in message
    )
    assert f"pathways[{primary}].purpose: only a secondary pathway records a purpose" in message
