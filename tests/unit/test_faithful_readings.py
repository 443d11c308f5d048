"""The faithful readings (issue 11): each encoding checked against its clause, with a case quoted from it.

Dorset 2017 (D-xxx) and Central Bedfordshire 2021 (C-xxx); the protocol files explain each reading where the
text needs reading together.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from handover.domain import deadlines, readiness, routing
from handover.domain.errors import ProtocolError, SituationError
from handover.domain.protocol.clauses import states_duration
from handover.domain.protocol.loader import PROTOCOLS_DIR, load_protocol
from handover.domain.situation import situation_facts

ON = "2026-11-24"  # a Tuesday


@pytest.fixture(scope="module")
def cb():
    return load_protocol("central-bedfordshire")


SCREENED = {"disability": False, "asylum_status": "none", "birth_date": "2014-05-01"}


def _facts(protocol, **situation):
    situation.setdefault("date", ON)
    return situation_facts(protocol, situation)


def _decide(protocol, **situation):
    return routing.route(protocol, _facts(protocol, **situation))


def _years_ago(years: int, days: int = 0) -> str:
    on = dt.date.fromisoformat(ON)
    return (on.replace(year=on.year - years) - dt.timedelta(days=days)).isoformat()


# -- 1. D-083/D-087: back to the team that held the case in social care; Early Help is not one -------------------


def test_d083_a_re_referral_goes_back_to_the_social_care_team_not_to_early_help(dorset):
    # D-083 "if the case has been closed within 3 months of the re referral the case will transfer back into the
    # team who held the case previously": the records layer leaves Early Help out of the history (its
    # `case_history: false`), so the team is the social care one (here CIN and CP, closed 10 weeks ago).
    decision = _decide(
        dorset,
        event="referral",
        child=SCREENED,
        history={"last_service": "cin_cp", "closed_on": "2026-09-15"},
        facts={"mash_decision": "assessment", "private_fostering_arrangement": False},
    )
    assert (decision.outcome, decision.receiving_service) == ("route", "cin_cp")
    assert dorset.outside_case_history == frozenset({"early_help"})


@pytest.mark.parametrize("key", ["last_service", "current_service"])
def test_d083_early_help_given_as_the_history_is_refused_with_the_reason(dorset, key):
    history = {key: "early_help"} | ({"closed_on": "2026-10-06"} if key == "last_service" else {})
    with pytest.raises(SituationError) as refused:
        _facts(
            dorset,
            event="referral",
            child=SCREENED,
            history=history,
            facts={"mash_decision": "assessment", "private_fostering_arrangement": False},
        )
    assert refused.value.field == f"history.{key}"
    assert "Early and Targeted Help" in refused.value.problem
    assert "not social care history" in refused.value.problem


def test_central_bedfordshire_still_counts_early_help_as_history_c032(cb):
    # C-032 counts a case "not known to Children's Services Safeguarding and Early Help": Early Help is history.
    assert cb.outside_case_history == frozenset()


# -- 2. D-129: the LAC team takes 5 to 16 year olds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "outcome"),
    [
        (_years_ago(1, 180), "no_rule"),  # 18 months old: not the LAC team's (the managers decide)
        (_years_ago(5), "route"),  # fifth birthday today
        (_years_ago(15, 364), "route"),
        (_years_ago(16), "no_rule"),  # 16: D-141 "All LAC age 16+ jointly allocated to 16+ Social Worker"
    ],
)
def test_d129_looked_after_children_aged_5_to_16_go_to_the_lac_team(dorset, born, outcome):
    # D-129 "Looked After Children (5-16 years) subject to Section 20 or Care Orders"
    for event, history, facts in (
        ("lgp_decision", {"current_service": "cin_cp"}, {"lgp_outcome": "looked_after_without_plo"}),
        ("care_order_made", {"current_service": "court"}, {}),
    ):
        decision = _decide(
            dorset,
            event=event,
            child={"birth_date": born, "disability": False, "asylum_status": "none"},
            history=history,
            facts=facts,
        )
        assert decision.outcome == outcome, (event, decision.reason)
        if outcome == "route":
            assert decision.receiving_service == "lac" and "D-129" in decision.rule.cites


# -- 3. D-168: one working day from the court's decision -----------------------------------------------------------


def test_d168_the_working_day_runs_from_the_courts_decision_not_the_viability_assessment(dorset):
    # D-168 "the Court orders an SGO assessment, then this will be referred within 1 working day from the
    # Court's decision irrespective of whether the sealed or draft order is received"
    facts = _facts(
        dorset,
        event="viability_assessment_concluded",
        date="2026-11-02",  # the negative viability assessment
        history={"current_service": "court"},
        facts={
            "viability_assessment": "negative",
            "sgo_assessment_court_ordered": True,
            "sgo_assessment_ordered_on": "2026-11-20",  # a Friday
        },
    )
    decision = routing.route(dorset, facts)
    assert decision.pathway.id == "court_to_aspire_court_ordered_sgo"
    steps = deadlines.timeline(dorset, facts, decision.pathway, today=dt.date(2026, 11, 20))
    assert steps[0].due == dt.date(2026, 11, 23)  # the Monday after the court's Friday decision
    assert steps[0].cites == ("D-125", "D-168")


# -- 4. D-171: a transfer in needs the chronology and genogram -----------------------------------------------------


def test_d171_a_transfer_in_needs_chronology_genogram_and_the_professional_network(dorset):
    # D-171 "Cross LA cases must have ... a current plan, chronology, genogram, details of the professional
    # network and previous conference minutes."
    facts = _facts(
        dorset,
        event="transfer_in_request",
        child=SCREENED,
        transfer={"from": "mash", "to": "cin_cp", "pathway": "mash_to_cin_cp_transfer_in"},
    )
    items = {i.id: i for i in readiness.assess(dorset, facts, on=dt.date(2026, 11, 24)).items}
    for needed in ("chronology", "genogram", "cross_authority_professional_network"):
        assert items[needed].blocking and items[needed].status == "missing", needed
    # A referral from the front door still needs neither (there is no file yet).
    facts = _facts(
        dorset,
        event="referral",
        child=SCREENED,
        history={"previously_known": False},
        facts={"mash_decision": "assessment", "private_fostering_arrangement": False},
        transfer={"from": "mash", "to": "assessment", "pathway": "mash_to_assessment"},
    )
    ids = {i.id for i in readiness.assess(dorset, facts, on=dt.date(2026, 11, 24)).items}
    assert not {"chronology", "genogram"} & ids


# -- 5. D-095: an unborn baby whose mother is looked after is the Assessment Team's ------------------------------


def test_d095_an_unborn_baby_whose_mother_is_looked_after_goes_to_assessment(dorset):
    # D-095 "Unborn babies whose mother has a LAC status." (Assessment Team core business)
    decision = _decide(
        dorset,
        event="referral",
        child={"expected_birth_date": "2027-02-01"},
        mother={"looked_after": True},
        history={"previously_known": False},
    )
    assert (decision.outcome, decision.receiving_service) == ("route", "assessment")
    assert decision.rule.id == "referral_unborn_mother_looked_after"
    # Not known whether the mother is looked after: Handover asks, rather than guessing.
    decision = _decide(
        dorset,
        event="referral",
        child={"expected_birth_date": "2027-02-01"},
        history={"previously_known": False},
        facts={"mash_decision": "contact_only"},
    )
    assert decision.outcome == "undetermined" and "mother.looked_after" in decision.missing_facts


# -- 6. D-025 with D-179: one coherent weekly timeline -------------------------------------------------------------


def test_d025_d179_the_handover_meeting_comes_before_the_formal_transfer(dorset):
    # D-179 "Any case identified for transfer at the meeting should expect formal transfer ... in no longer
    # than two weeks"; D-025 "the receiving Service has two weeks to identify receiving team and social worker.
    # A handover meeting is expected to take place within the next five working days."
    facts = _facts(
        dorset,
        event="assessment_concluded",
        date="2026-11-23",
        child=SCREENED,
        history={"current_service": "assessment"},
        facts={"assessment_outcome": "cin_plan"},
    )
    decision = routing.route(dorset, facts)
    steps = {
        s.id: s for s in deadlines.timeline(dorset, facts, decision.pathway, today=dt.date(2026, 11, 23))
    }
    assert "transfer_target" not in steps  # one two weeks, not two
    assert steps["transfer_meeting"].due == dt.date(2026, 11, 25)
    assert steps["formal_transfer"].due == dt.date(2026, 12, 9) and steps["formal_transfer"].transfer_by
    assert steps["receiving_worker_identified"].due == dt.date(2026, 12, 2)
    assert steps["handover_meeting"].due == dt.date(2026, 12, 9)
    assert steps["handover_meeting"].due <= steps["formal_transfer"].due


# -- 7. D-049: the PEP's ten working days are for emergency placements ----------------------------------------------


@pytest.mark.parametrize(("emergency", "shown"), [(True, True), (False, False)])
def test_d049_the_pep_deadline_applies_to_emergency_placements_only(dorset, emergency, shown):
    # D-049 "Personal Education Plans must be initiated prior to the child coming into care or if placed in an
    # emergency within ten working days"
    facts = _facts(
        dorset,
        event="becomes_looked_after",
        child=SCREENED,
        history={"current_service": "cin_cp"},
        facts={"emergency_placement": emergency},
    )
    found = {d.id: d for d in deadlines.standing_timescales(dorset, facts, today=dt.date(2026, 11, 24))}
    assert ("pep_initiated" in found) is shown
    if shown:
        assert found["pep_initiated"].due == dt.date(2026, 12, 8)


# -- 8. D-163 and D-147: repeating duties repeat ---------------------------------------------------------------------


def _nrpf(dorset, milestones=None, today="2026-11-24"):
    facts = _facts(
        dorset,
        event="assessment_concluded",
        child=SCREENED,
        history={"current_service": "assessment"},
        facts={"assessment_outcome": "no_intervention", "nrpf": True},
    )
    found = deadlines.standing_timescales(
        dorset, facts, today=dt.date.fromisoformat(today), milestones=milestones
    )
    return {d.id: d for d in found}["nrpf_monitoring_visit"]


def test_d163_nrpf_visits_repeat_every_six_months_from_the_last_visit(dorset):
    # D-163 "visited not less than every six months"
    first = _nrpf(dorset)
    assert first.due == dt.date(2027, 5, 24) and first.last_done is None
    visited = _nrpf(dorset, milestones={"nrpf_monitoring_visit": dt.date(2027, 3, 1)}, today="2027-03-01")
    assert visited.due == dt.date(2027, 9, 1)  # six months from the visit, not from the assessment
    assert visited.actual is None and visited.status == "due"  # never done for good
    assert visited.last_done == dt.date(2027, 3, 1)
    assert "every 6 months" in visited.basis


def test_d147_personal_adviser_contact_every_four_weeks_and_pathway_plan_six_monthly(dorset):
    # D-147 "Personal advisers will maintain regular contact (1 in 4 weeks), review the pathway plan on a
    # 6-monthly basis"
    facts = _facts(
        dorset,
        event="age_reached",
        child={**SCREENED, "birth_date": "2011-03-01", "plan": "cla"},
        history={"current_service": "lac"},
    )
    found = {d.id: d for d in deadlines.standing_timescales(dorset, facts, today=dt.date(2026, 11, 24))}
    assert found["personal_adviser_contact"].due == dt.date(2026, 12, 22)
    assert found["pathway_plan_review"].due == dt.date(2027, 5, 24)
    found = {
        d.id: d
        for d in deadlines.standing_timescales(
            dorset,
            facts,
            today=dt.date(2026, 12, 10),
            milestones={"personal_adviser_contact": dt.date(2026, 12, 10)},
        )
    }
    assert found["personal_adviser_contact"].due == dt.date(2027, 1, 7)


# -- 9. C-037: private fostering counts from when the arrangement began ---------------------------------------------


def test_c037_six_months_from_the_start_of_the_arrangement(cb):
    # C-037 "Case responsibility for support and oversight of private fostering arrangements will be
    # transferred to the Fostering Service after six months."
    facts = situation_facts(
        cb,
        {
            "event": "private_fostering_assessment_completed",
            "date": "2026-06-15",
            "history": {"current_service": "family_support"},
            "facts": {"private_fostering_arrangement": True, "private_fostering_began_on": "2026-03-02"},
        },
    )
    decision = routing.route(cb, facts)
    steps = deadlines.timeline(cb, facts, decision.pathway, today=dt.date(2026, 6, 15))
    assert steps[0].due == dt.date(2026, 9, 2)  # six months after 2 March, when the child moved in


# -- 10. D-159/D-163: a phone agreement or the weekly meeting, not both ----------------------------------------------


def test_d175_the_scsa_teams_transfers_go_through_the_weekly_meeting(dorset):
    # D-175 "Transfer Meetings for all Teams (excluding MASH and PLO and Court team ...)"
    for pathway in ("nrpf_to_separated_children", "separated_children_to_leaving_care"):
        spec = dorset.pathways[pathway]
        assert dorset.routes[spec.route].kind.value == "transfer_meeting"
        assert any(step.at for step in dorset.timelines[spec.timeline].steps)


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    source = data["source"]["document"]
    shutil.copy(PROTOCOLS_DIR / source, tmp_path / source)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _data(name: str) -> dict:
    return yaml.safe_load((PROTOCOLS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _problems(path: Path) -> str:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(str(path))
    return str(caught.value)


def test_the_loader_refuses_meeting_steps_on_a_pathway_agreed_another_way(tmp_path):
    data = _data("dorset")
    i = next(k for k, p in enumerate(data["pathways"]) if p["id"] == "nrpf_to_separated_children")
    data["pathways"][i]["route"] = "manager_phone_agreement"
    message = _problems(_write(tmp_path, "dorset", data))
    assert (
        f"pathways[{i}].timeline: timeline 'weekly_meeting' has a step at the 'transfer_meeting' meeting, but "
        "the route 'manager_phone_agreement' (manager agreement) does not go through a meeting" in message
    )


# -- 11. every timescale is the text's or a visible local setting ---------------------------------------------------


def test_the_loader_refuses_a_timescale_no_cited_clause_states(tmp_path):
    data = _data("dorset")
    i = next(k for k, t in enumerate(data["timelines"]) if t["id"] == "sixteen_plus")
    j = next(k for k, s in enumerate(data["timelines"][i]["steps"]) if s["id"] == "handover_meeting")
    data["timelines"][i]["steps"][j]["within"] = "2 weeks"  # D-139 and D-148 give no time
    data["local_settings"] = [s for s in data["local_settings"] if s["id"] != "personal_adviser_handover"]
    message = _problems(_write(tmp_path, "dorset", data))
    assert (
        f"timelines[{i}].steps[{j}].within: 2 weeks is not stated by the clauses it cites (D-139, D-148): cite "
        "the clause that states it, or make it the authority's own choice under local_settings" in message
    )


def test_the_loader_refuses_an_unknown_or_unused_local_setting(tmp_path):
    data = _data("central-bedfordshire")
    i = next(k for k, t in enumerate(data["timelines"]) if t["id"] == "agreed_transfer")
    data["timelines"][i]["steps"][0]["within"] = "local:agreed_transfers"
    message = _problems(_write(tmp_path, "central-bedfordshire", data))
    assert f"timelines[{i}].steps[0].within: no local setting 'agreed_transfers'" in message
    data = _data("central-bedfordshire")
    data["local_settings"].append(
        {"id": "spare", "name": "Spare", "value": "3 days", "why": "none", "cites": ["C-028"]}
    )
    assert "local setting 'spare' is not used by any step" in _problems(
        _write(tmp_path, "central-bedfordshire", data)
    )


@pytest.mark.parametrize(
    ("name", "step", "value", "clauses"),
    [
        ("dorset", "sixteen_plus.handover_meeting", "2 weeks", ("D-139", "D-148")),
        ("dorset", "managers_telephone_agreement.transferred", "5 working days", ("D-099", "D-118")),
        ("dorset", "out_of_authority.transfer_target", "2 weeks", ("D-185", "D-186", "D-187")),
        ("central-bedfordshire", "agreed_transfer.transferred", "10 working days", ("C-028",)),
        ("central-bedfordshire", "hub_decision.decision", "1 working day", ("C-029",)),
    ],
)
def test_timescales_the_source_does_not_state_are_local_settings(name, step, value, clauses):
    protocol = load_protocol(name)
    timeline, step_id = step.split(".")
    found = next(s for s in protocol.timelines[timeline].steps if s.id == step_id)
    setting = next(s for s in protocol.file.local_settings if s.id == found.local)
    assert str(found.within) == str(setting.value) == value
    assert set(clauses) <= set(setting.cites) and setting.why


def test_d165_a_relinquished_baby_moves_on_the_day_consent_is_obtained(dorset):
    # D-165 "the local authority will take primary casework responsibility until the formal witnessed CAFCASS
    # consent has been obtained" (no working day to count: the day it is obtained)
    facts = _facts(dorset, event="cafcass_consent_obtained", history={"current_service": "court"})
    decision = routing.route(dorset, facts)
    steps = deadlines.timeline(dorset, facts, decision.pathway, today=dt.date(2026, 11, 24))
    assert [(s.id, s.due) for s in steps] == [("transferred", dt.date(2026, 11, 24))]


@pytest.mark.parametrize(
    ("text", "amount", "unit", "stated"),
    [
        ("taking no longer than 2 weeks to formally transfer", 2, "weeks", True),
        ("no longer than two weeks from initial identification", 2, "weeks", True),
        ("24 hr decision to be made", 1, "working_days", True),
        ("at least 48 hours prior to transfer meeting", 2, "working_days", True),
        ("review the pathway plan on a 6-monthly basis", 6, "months", True),
        ("within 72 hours (3 working days) of the CiN meeting", 3, "working_days", True),
        ("A formal handover meeting should take place", 2, "weeks", False),
        ("no longer than 12 weeks", 2, "weeks", False),  # 12 is not 2
        ("seven days a week", 1, "days", False),
    ],
)
def test_a_clause_states_a_timescale_when_it_says_it_in_words_or_figures(text, amount, unit, stated):
    assert states_duration(text, amount, unit) is stated


# -- 12. D-182: the prospective social worker at the meeting is on the checklist -------------------------------------


def test_d182_the_prospective_worker_attending_is_on_the_checklist_without_blocking(dorset):
    # D-182 "the prospective allocated social worker from CIN and CP team, PLO and Court team will attend the CIN
    # meeting, ICPC, or Formal Pre-Proceedings meeting"
    facts = _facts(
        dorset,
        event="assessment_concluded",
        child=SCREENED,
        history={"current_service": "assessment"},
        facts={"assessment_outcome": "cin_plan"},
        transfer={"to": "cin_cp", "pathway": "assessment_to_cin_cp"},
    )
    items = {i.id: i for i in readiness.assess(dorset, facts, on=dt.date(2026, 11, 24)).items}
    assert items["prospective_worker_attended"].blocking is False
    assert "D-182" in items["prospective_worker_attended"].cites


# -- the engine says what the records system does: the ladder and the sibling rule --------------------------------


def test_a_decision_carries_the_ladder_and_the_sibling_rule_dorset(dorset):
    from handover.domain.explain import decision_data

    decision = _decide(
        dorset,
        event="assessment_concluded",
        child=SCREENED,
        history={"current_service": "assessment"},
        facts={"assessment_outcome": "cin_plan"},
    )
    data = decision_data(dorset, decision)
    # D-030/D-032: the Service Manager, then the Director.
    assert [(level["who_name"], level["after"]) for level in data["escalation"]] == [
        ("service manager", "5 working days"),
        ("service director", "10 working days"),
    ]
    # D-033: one social worker per family, with the exceptions it names.
    assert data["siblings"]["same_worker"] is True
    assert [c["id"] for c in data["siblings"]["cites"]] == ["D-033"]
    assert "Gang affiliation placing siblings at risk" in [
        e["name"] for e in data["siblings"]["permitted_exceptions"]
    ]


def test_a_decision_carries_the_ladder_central_bedfordshire_c008(cb):
    from handover.domain.explain import decision_data

    decision = routing.route(
        cb,
        situation_facts(
            cb,
            {
                "event": "cin_meeting_held",
                "date": "2026-06-15",
                "child": {"plan": "cin", "legal_status": "none"},
                "history": {"current_service": "court"},
            },
        ),
    )
    data = decision_data(cb, decision)
    # C-008: disputes between team managers go to the practice managers, then the heads of service.
    assert [level["who"] for level in data["escalation"]] == [
        "team_manager",
        "practice_manager",
        "head_of_service",
    ]


# -- D-170/D-187: a transfer in counts from the documents' arrival ----------------------------------------------


def test_d170_the_transfer_in_conference_counts_from_the_documents_not_the_first_call(dorset):
    # D-170 "the process from receipt of documentation to transfer in CP conference/CIN Meeting should take no
    # longer than 15 days"; D-187 "Request confirmation of receipt" (confirmed within a working day: local).
    facts = _facts(
        dorset,
        event="transfer_in_request",
        date="2026-11-02",  # the other authority's first call
        child=SCREENED,
        facts={"documents_received_on": "2026-11-10"},
    )
    decision = routing.route(dorset, facts)
    steps = {
        s.id: s for s in deadlines.timeline(dorset, facts, decision.pathway, today=dt.date(2026, 11, 10))
    }
    assert (
        steps["transfer_in_conference"].due == dt.date(2026, 11, 25)
        and steps["transfer_in_conference"].transfer_by
    )
    assert steps["receipt_confirmed"].due == dt.date(2026, 11, 11)
    # Before the documents arrive, there is no clock to run: Handover says what it is waiting for.
    facts = _facts(dorset, event="transfer_in_request", date="2026-11-02", child=SCREENED)
    steps = {
        s.id: s for s in deadlines.timeline(dorset, facts, decision.pathway, today=dt.date(2026, 11, 10))
    }
    assert steps["transfer_in_conference"].missing_facts == ("documents_received_on",)


# -- court report requests carry the court's own date --------------------------------------------------------------


@pytest.mark.parametrize("name", ["dorset", "central-bedfordshire"])
def test_a_court_report_request_is_due_on_the_date_the_court_set(name):
    # D-119 "Section 7 and Section S37 Court Reports as requested by the courts"; C-031 to C-034 likewise say who
    # writes the report, and the court's order its date.
    protocol = load_protocol(name)
    for event in ("section7_request", "section37_request"):
        facts = situation_facts(
            protocol,
            {
                "event": event,
                "date": ON,
                "history": {"previously_known": False},
                "facts": {"report_due_on": "2027-01-15"},
            },
        )
        found = {d.id: d for d in deadlines.standing_timescales(protocol, facts, today=dt.date(2026, 11, 24))}
        assert found["court_report_filed"].due == dt.date(2027, 1, 15)
        # Not yet known: Handover names what it needs.
        facts = situation_facts(
            protocol, {"event": event, "date": ON, "history": {"previously_known": False}}
        )
        found = {d.id: d for d in deadlines.standing_timescales(protocol, facts, today=dt.date(2026, 11, 24))}
        assert found["court_report_filed"].missing_facts == ("report_due_on",)


# -- transfer out (D-185 to D-188): another authority has no login, so its own route --------------------------------


def test_the_loader_refuses_a_transfer_to_another_authority_agreed_by_managers_here(tmp_path):
    data = _data("dorset")
    i = next(k for k, p in enumerate(data["pathways"]) if p["id"] == "to_another_authority")
    data["pathways"][i]["route"] = "manager_phone_agreement"
    message = _problems(_write(tmp_path, "dorset", data))
    assert (
        f"pathways[{i}].route: 'other_authority' is another authority, with no one to agree in Handover: use a "
        "route of kind 'another_authority'" in message
    )
    data = _data("dorset")
    j = next(k for k, p in enumerate(data["pathways"]) if p["id"] == "mash_to_previous_team")
    data["pathways"][j]["route"] = "referral_to_another_authority"
    data["pathways"][j]["to"] = {"service": "assessment"}
    message = _problems(_write(tmp_path, "dorset", data))
    assert (
        f"pathways[{j}].route: route 'referral_to_another_authority' is a referral to another authority, but "
        "'assessment' is a service of this authority" in message
    )


def test_a_family_moving_away_is_referred_in_writing_and_closes_on_receipt_d185_d187():
    dorset = load_protocol("dorset")
    pathway = dorset.pathways["to_another_authority"]
    assert dorset.routes[pathway.route].kind.value == "another_authority"
    assert pathway.transfer_point == "on confirmation of receipt by the other authority"
