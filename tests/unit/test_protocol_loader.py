"""Malformed protocol files fail with messages that name the file, the element path and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from handover.domain.errors import ProtocolError
from handover.domain.protocol.loader import PROTOCOLS_DIR, bundled_protocols, load_protocol

DORSET = PROTOCOLS_DIR / "dorset.yaml"
SOURCE = PROTOCOLS_DIR / "dorset-transfer-protocol-2017.numbered.md"


def _write(tmp_path: Path, data: dict) -> Path:
    shutil.copy(SOURCE, tmp_path / SOURCE.name)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def dorset_data() -> dict:
    return yaml.safe_load(DORSET.read_text(encoding="utf-8"))


def _problems(path: Path) -> str:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(str(path))
    return str(caught.value)


def _index(items: list[dict], ident: str) -> int:
    return next(i for i, item in enumerate(items) if item["id"] == ident)


def test_bundled_protocols_load():
    assert {"dorset"} <= set(bundled_protocols())
    for name in bundled_protocols():
        assert load_protocol(name).clauses


def test_unknown_team_in_pathway(tmp_path, dorset_data):
    i = _index(dorset_data["pathways"], "assessment_to_cin_cp")
    dorset_data["pathways"][i]["to"] = {"service": "cin_and_cp"}
    message = _problems(_write(tmp_path, dorset_data))
    assert f"broken.yaml: pathways[{i}].to.service: unknown service 'cin_and_cp'" in message


def test_rule_reading_an_undeclared_fact(tmp_path, dorset_data):
    i = _index(dorset_data["rules"], "referral_to_early_help")
    dorset_data["rules"][i]["when"] = {
        "all": [{"fact": "mash_decision", "is": "early_help"}, {"fact": "mood", "is": "sad"}]
    }
    message = _problems(_write(tmp_path, dorset_data))
    assert f"rules[{i}].when.all[1].fact: reads fact 'mood', which is not declared" in message


def test_enum_value_not_declared(tmp_path, dorset_data):
    i = _index(dorset_data["rules"], "referral_to_early_help")
    dorset_data["rules"][i]["when"] = {"fact": "mash_decision", "is": "earlyhelp"}
    message = _problems(_write(tmp_path, dorset_data))
    assert f"rules[{i}].when.is: unknown value 'earlyhelp' for mash_decision" in message


def test_two_rules_that_can_both_fire_with_different_outcomes(tmp_path, dorset_data):
    i = _index(dorset_data["rules"], "referral_to_chad")
    dorset_data["rules"][i]["overrides"] = []
    message = _problems(_write(tmp_path, dorset_data))
    assert (
        "rules 'referral_to_chad' and 'referral_to_assessment' can both fire on event 'referral'" in message
    )
    assert "chad_eligible=True" in message and "mash_decision=assessment" in message


def test_a_service_no_pathway_reaches(tmp_path, dorset_data):
    dorset_data["services"].append(
        {
            "id": "youth_justice",
            "name": "Youth Justice",
            "kind": "cin_cp",
            "cites": ["D-001"],
            "teams": [{"id": "yot", "name": "YOT"}],
        }
    )
    message = _problems(_write(tmp_path, dorset_data))
    assert (
        f"services[{len(dorset_data['services']) - 1}]: no pathway reaches service 'youth_justice'" in message
    )


def test_impossible_timescales(tmp_path, dorset_data):
    meeting = _index(dorset_data["meetings"], "transfer_meeting")
    dorset_data["meetings"][meeting]["cutoff"] = "6 working days"
    timeline = _index(dorset_data["timelines"], "weekly_meeting")
    steps = dorset_data["timelines"][timeline]["steps"]
    formal = _index(steps, "formal_transfer")
    steps[formal]["after"] = "handover_meeting"  # comes later: a cycle in waiting
    sixteen = _index(dorset_data["timelines"], "sixteen_plus")
    dorset_data["timelines"][sixteen]["steps"][0]["at_age"] = "30 years"
    message = _problems(_write(tmp_path, dorset_data))
    assert (
        f"meetings[{meeting}].cutoff: a cut-off of 6 working days before a weekly meeting reaches back"
        in message
    )
    assert (
        f"timelines[{timeline}].steps[{formal}].after: anchored on step 'handover_meeting', which comes later"
        in message
    )
    assert f"timelines[{sixteen}].steps[0].at_age: 30 years is past the age (25)" in message


def test_bad_duration_text(tmp_path, dorset_data):
    dorset_data["timescales"][0]["within"] = "3 fortnights"
    message = _problems(_write(tmp_path, dorset_data))
    assert "timescales[0].within" in message and "cannot read duration '3 fortnights'" in message


def test_citation_of_a_clause_that_does_not_exist(tmp_path, dorset_data):
    dorset_data["rules"][0]["cites"] = ["D-999"]
    message = _problems(_write(tmp_path, dorset_data))
    assert "rules[0].cites[0]: clause D-999 is not in dorset-transfer-protocol-2017.numbered.md" in message


def test_a_clause_neither_encoded_nor_explained(tmp_path, dorset_data):
    dorset_data["outside_engine"] = [e for e in dorset_data["outside_engine"] if "D-029" not in e["clauses"]]
    message = _problems(_write(tmp_path, dorset_data))
    assert "outside_engine:" in message and "D-029" in message and "neither cited" in message


def test_unknown_key_and_missing_section(tmp_path, dorset_data):
    dorset_data["pathways"][0]["colour"] = "blue"
    del dorset_data["rules"]
    message = _problems(_write(tmp_path, dorset_data))
    assert "pathways[0].colour: unknown key (not part of the protocol format)" in message
    assert "rules: Field required" in message


def test_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("format: handover-protocol/1\nservices: [unclosed\n", encoding="utf-8")
    message = _problems(path)
    assert "bad.yaml: line 3, column 1: not valid YAML" in message


def test_no_such_protocol():
    with pytest.raises(ProtocolError, match="no such protocol file or bundled protocol"):
        load_protocol("atlantis")


def test_all_problems_reported_at_once(tmp_path, dorset_data):
    dorset_data["pathways"][0]["route"] = "carrier_pigeon"
    dorset_data["rules"][0]["event"] = "earthquake"
    message = _problems(_write(tmp_path, dorset_data))
    assert "pathways[0].route: unknown route 'carrier_pigeon'" in message
    assert "rules[0].event: unknown event 'earthquake'" in message


def test_a_step_nothing_can_close_is_refused(tmp_path, dorset_data):
    timeline = _index(dorset_data["timelines"], "weekly_meeting")
    steps = dorset_data["timelines"][timeline]["steps"]
    target = _index(steps, "handover_meeting")
    steps[target]["completed_by"] = (
        "list"  # due after the worker, not at a meeting: no listing could close it
    )
    message = _problems(_write(tmp_path, dorset_data))
    assert (
        f"timelines[{timeline}].steps[{target}].completed_by: step 'handover_meeting' is closed by listing the case "
        "for a meeting, but is not due at a meeting or before a step at one: nothing could close it"
    ) in message


def test_a_step_closed_by_something_unknown_is_refused(tmp_path, dorset_data):
    timeline = _index(dorset_data["timelines"], "weekly_meeting")
    steps = dorset_data["timelines"][timeline]["steps"]
    told = _index(steps, "family_told")
    steps[told]["completed_by"] = "posted"
    message = _problems(_write(tmp_path, dorset_data))
    assert (
        f"timelines[{timeline}].steps[{told}].completed_by: Value error, 'posted' cannot close a step: use one of "
        "list, agree, identify_worker, record_handover, complete, letters_send, manual, 'document:<document type>' "
        "or 'key_event:<event>'"
    ) in message


def test_what_closes_each_step_of_the_bundled_timelines():
    from handover.transfers.services import step_completed_by

    timeline = load_protocol("dorset").timelines["weekly_meeting"]
    closed_by = {step.id: step_completed_by(step, timeline.transfer_by) for step in timeline.steps}
    assert closed_by == {
        "transfer_meeting": "agree",
        "early_warning_cutoff": "list",
        "receiving_worker_identified": "identify_worker",
        "handover_meeting": "record_handover",
        "formal_transfer": "complete",
        "introductions_planned": "manual",
        "family_told": "letters_send",
    }


@pytest.mark.parametrize(
    ("closer", "problem"),
    [
        (
            "document:passport",
            "is closed by a 'passport' document, but the protocol declares no such document type",
        ),
        (
            "key_event:moon_landing",
            "is closed by the key event 'moon_landing', but the protocol declares no such event",
        ),
    ],
)
def test_a_step_closed_by_a_document_or_key_event_the_protocol_does_not_declare_is_refused(
    tmp_path, dorset_data, closer, problem
):
    timeline = _index(dorset_data["timelines"], "weekly_meeting")
    steps = dorset_data["timelines"][timeline]["steps"]
    target = _index(steps, "handover_meeting")
    steps[target]["completed_by"] = closer
    message = _problems(_write(tmp_path, dorset_data))
    assert f"timelines[{timeline}].steps[{target}].completed_by: step 'handover_meeting' {problem}" in message


def test_timescales_closed_by_a_document_on_file():
    """Dorset's assessment (D-093) and PEP (D-049), Central Bedfordshire's placement plan (C-018), health
    assessment referral (C-019) and PEP request (C-020), and both authorities' court reports (D-119, C-034) are
    done when that document is on the child's file."""
    closers = {
        name: {t.spec.id: t.spec.completed_by for t in load_protocol(name).timescales if t.spec.completed_by}
        for name in ("dorset", "central-bedfordshire")
    }
    assert closers == {
        "dorset": {
            "court_report_filed": "document:court_report",
            "assessment_completed": "document:child_and_family_assessment",
            "pep_initiated": "document:pep",
        },
        "central-bedfordshire": {
            "court_report_filed": "document:court_report",
            "placement_plan": "document:placement_plan",
            "health_assessment_referral": "document:health_assessment_referral",
            "pep_requested": "document:pep_request",
        },
    }


# -- the `workers` setting (D-026: a qualified worker) ----------------------------------------------------------


def test_dorset_requires_a_registered_social_worker_citing_d026():
    workers = load_protocol("dorset").file.workers
    assert workers.registration_required and workers.cites == ("D-026",)
    assert load_protocol("central-bedfordshire").file.workers is None  # its text does not require it


@pytest.mark.parametrize(
    ("workers", "expected"),
    [
        (
            {"registration_required": "yes", "cites": ["D-026"]},
            "workers.registration_required: Input should be",
        ),
        ({"registration_required": True}, "workers.cites: Field required"),
        ({"registration_required": True, "cites": []}, "workers.cites: Tuple should have at least 1 item"),
        ({"registration_required": True, "cites": ["D-999"]}, "workers.cites[0]: clause D-999 is not in"),
        (
            {"registration_required": True, "cites": ["D-026"], "only_for": "cp"},
            "workers.only_for: unknown key (not part of the protocol format)",
        ),
        (
            {
                "registration_required": True,
                "cites": ["D-026"],
                "applies_when": {"fact": "mood", "is": "sad"},
            },
            "workers.applies_when.fact: reads fact 'mood', which is not declared",
        ),
        (
            {
                "registration_required": True,
                "cites": ["D-026"],
                "applies_when": {"fact": "child.plan", "is": "sometimes"},
            },
            "workers.applies_when.is: unknown value 'sometimes' for child.plan",
        ),
        (
            {
                "registration_required": True,
                "cites": ["D-026"],
                "applies_when": {"fact": "history.open", "is": True},
            },
            "workers.applies_when: reads 'history.open', which is not on the child's record",
        ),
        (
            {
                "registration_required": False,
                "cites": ["D-026"],
                "applies_when": {"fact": "child.plan", "is": "cp"},
            },
            "workers.applies_when: says when registration is required, but registration_required is false",
        ),
    ],
)
def test_a_bad_workers_setting_is_refused_with_its_place(tmp_path, dorset_data, workers, expected):
    dorset_data["workers"] = workers
    assert expected in _problems(_write(tmp_path, dorset_data))


def test_d026_must_be_cited_or_explained(tmp_path, dorset_data):
    del dorset_data["workers"]
    message = _problems(_write(tmp_path, dorset_data))
    assert "neither cited by an element nor listed under outside_engine: D-026" in message
