"""Central Bedfordshire (March 2021): routing, deadlines and readiness against the clauses they encode.

Each routing case's id quotes the clause it tests (central-bedfordshire-case-transfers-2021.numbered.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from handover.domain.deadlines import standing_timescales, timeline
from handover.domain.protocol.coverage import clause_map
from handover.domain.protocol.loader import load_protocol
from handover.domain.readiness import assess
from handover.domain.routing import route
from handover.domain.situation import situation_facts

ON = dt.date(2026, 6, 15)  # a Monday; every routing case happens on this day


def _ago(**kwargs: int) -> str:
    return (ON - dt.timedelta(**kwargs)).isoformat()


def _months_ago(months: int) -> str:
    total = ON.year * 12 + ON.month - 1 - months
    return dt.date(total // 12, total % 12 + 1, ON.day).isoformat()


@pytest.fixture(scope="module")
def cb():
    return load_protocol("central-bedfordshire")


def _facts(protocol, situation: dict[str, Any]) -> dict[str, Any]:
    return situation_facts(protocol, {"date": ON.isoformat(), **situation})


def _route(protocol, situation: dict[str, Any]):
    return route(protocol, _facts(protocol, situation))


# A new referral of a child not known before, with nothing special about it.
NEW_CHILD = {"asylum_status": "none", "disability": False}
NOT_KNOWN = {"previously_known": False}
NO_PF = {"private_fostering_arrangement": False}

# (situation, outcome, services: the receiving service or the candidates to decide between, rule)
ROUTING_CASES = [
    # Section 7 and Section 37 reports.
    pytest.param(
        {"event": "section7_request", "history": {"current_service": "cwd"}},
        "route",
        ("cwd",),
        "section7_open_or_recently_closed",
        id="C-031 case is open: 'will be dealt with by the last allocated team'",
    ),
    pytest.param(
        {"event": "section7_request", "history": {"last_service": "cwd", "closed_on": _ago(weeks=11)}},
        "route",
        ("cwd",),
        "section7_open_or_recently_closed",
        id="C-031 closed 11 weeks ago: 'has been open within the last 12 weeks' -> last allocated team",
    ),
    pytest.param(
        {"event": "section7_request", "history": {"current_service": "family_support"}},
        "route",
        ("family_support",),
        "section7_allocated_in_family_support",
        id="C-034 'allocated to a social worker in the Family Support Service, the allocated social worker'",
    ),
    pytest.param(
        {
            "event": "section7_request",
            "child": {"disability": False},
            "history": {"last_service": "family_support", "closed_on": _ago(weeks=12)},
        },
        "route",
        ("assessment",),
        "section7_closed_or_not_known",
        id="C-032 closed exactly 12 weeks: 'closed for 12 weeks or more then the Assessment Team'",
    ),
    pytest.param(
        {
            "event": "section7_request",
            "child": {"disability": False},
            "history": {"last_service": "family_support", "closed_on": _ago(weeks=30)},
        },
        "route",
        ("assessment",),
        "section7_closed_or_not_known",
        id="C-032 closed 30 weeks: 'closed for 12 weeks or more then the Assessment Team'",
    ),
    pytest.param(
        {"event": "section7_request", "child": {"disability": False}, "history": NOT_KNOWN},
        "route",
        ("assessment",),
        "section7_closed_or_not_known",
        id="C-032 '(or not known to Children's Services...)' -> the Assessment Team",
    ),
    pytest.param(
        {"event": "section7_request", "child": {"disability": True}, "history": NOT_KNOWN},
        "decide",
        ("assessment", "cwd"),
        "section7_closed_or_not_known_disabled_child",
        id="C-032 'the Assessment Team, or Children With Disabilities (CWD, if applicable)'",
    ),
    pytest.param(
        {
            "event": "section37_request",
            "child": {"disability": False},
            "history": {"last_service": "early_help", "closed_on": _ago(weeks=13)},
        },
        "route",
        ("assessment",),
        "section37_closed_or_not_known",
        id="C-033 'closed for 12 weeks or more then the Assessment Team ... will complete the Section 37'",
    ),
    pytest.param(
        {"event": "section37_request", "history": {"last_service": "early_help", "closed_on": _ago(weeks=4)}},
        "route",
        ("early_help",),
        "section37_open_or_recently_closed",
        id="C-031 Section 37 'open within the last 12 weeks will be dealt with by the last allocated team'",
    ),
    # Referrals.
    pytest.param(
        {
            "event": "referral",
            "child": {"asylum_status": "none", "disability": True},
            "history": NOT_KNOWN,
            "facts": {**NO_PF, "hub_outcome": "assessment"},
        },
        "decide",
        ("assessment", "cwd"),
        "referral_disabled_child",
        id="C-029 'the Hub Team Manager will discuss and agree with a CWD representative ... within which team'",
    ),
    pytest.param(
        {"event": "referral", "child": {"asylum_status": "unaccompanied_seeking_asylum"}},
        "route",
        ("leaving_care",),
        "referral_unaccompanied_child",
        id="C-030 'All Unaccompanied children ... will be allocated and assessed by ... the Leaving Care Service'",
    ),
    pytest.param(
        {
            "event": "referral",
            "child": NEW_CHILD,
            "history": NOT_KNOWN,
            "facts": {**NO_PF, "hub_outcome": "assessment"},
        },
        "route",
        ("assessment",),
        "referral_to_assessment",
        id="C-029 a child without disabilities goes to the Assessment Team",
    ),
    pytest.param(
        {
            "event": "referral",
            "child": NEW_CHILD,
            "history": NOT_KNOWN,
            "facts": {**NO_PF, "hub_outcome": "early_help"},
        },
        "route",
        ("early_help",),
        "referral_to_early_help",
        id="C-038 threshold 'allocated to Early Help intervention or the Assessment Team'",
    ),
    pytest.param(
        {
            "event": "referral",
            "child": {"asylum_status": "none", "locality": "south"},
            "history": {"last_service": "family_support", "closed_on": _months_ago(2)},
        },
        "route",
        ("family_support",),
        "re_referral_closed_to_family_support",
        id="C-042 'New referrals received within three months of a case closing to Family Support'",
    ),
    pytest.param(
        {
            "event": "referral",
            "child": NEW_CHILD,
            "history": {"last_service": "family_support", "closed_on": _months_ago(4)},
            "facts": {**NO_PF, "hub_outcome": "assessment"},
        },
        "route",
        ("assessment",),
        "referral_to_assessment",
        id="C-042 four months after closing the three-month rule no longer applies",
    ),
    pytest.param(
        {
            "event": "referral",
            "child": NEW_CHILD,
            "history": {"last_service": "early_help", "closed_on": _months_ago(1)},
            "facts": {**NO_PF, "hub_outcome": "assessment"},
        },
        "decide",
        ("assessment", "family_support"),
        "re_referral_closed_to_early_help",
        id="C-041 'the Assessment Team Manager will review ... transferred to the previous Family Support Team'",
    ),
    pytest.param(
        {
            "event": "referral",
            "child": NEW_CHILD,
            "history": NOT_KNOWN,
            "facts": {"private_fostering_arrangement": True, "hub_outcome": "assessment"},
        },
        "route",
        ("family_support",),
        "referral_private_fostering",
        id="C-037 'Private fostering assessments are completed by the Family Support Team'",
    ),
    # Special Guardianship.
    pytest.param(
        {"event": "sgo_assessment_request", "history": NOT_KNOWN},
        "route",
        ("fostering",),
        "sgo_child_not_known_or_closed",
        id="C-035 'child is not known ... undertaken jointly by the Assessment and Fostering teams'",
    ),
    pytest.param(
        {"event": "sgo_assessment_request", "history": {"current_service": "family_support"}},
        "route",
        ("fostering",),
        "sgo_child_allocated_or_recently_open",
        id="C-036 'If the child has a Social Worker ... completed by the Fostering Team'",
    ),
    # Transfers in from another authority.
    pytest.param(
        {"event": "cin_transfer_in_request", "facts": {"hub_outcome": "assessment"}},
        "route",
        ("assessment",),
        "cin_transfer_in_to_assessment",
        id="C-038 'reviewed by the Hub ... allocated to Early Help intervention or the Assessment Team'",
    ),
    pytest.param(
        {"event": "cp_transfer_in_request", "child": {"locality": "north"}},
        "route",
        ("family_support",),
        "cp_transfer_in_to_family_support",
        id="C-039 'Requests will be reviewed by the relevant locality Family Support Team'",
    ),
    # Section 4a.
    pytest.param(
        {
            "event": "cin_meeting_held",
            "child": {"plan": "cin", "disability": False},
            "history": {"current_service": "assessment"},
        },
        "route",
        ("family_support",),
        "cin_meeting_assessment_to_family_support",
        id="C-043 'reallocated to the Family Support Team Social Worker within 72 hours ... of the CiN meeting'",
    ),
    pytest.param(
        {
            "event": "cin_meeting_held",
            "child": {"plan": "cin", "disability": True},
            "history": {"current_service": "assessment"},
        },
        "decide",
        ("family_support", "cwd"),
        "cin_meeting_assessment_disabled_child",
        id="C-043 'Child in Need (including disabled children)': Family Support or CWD",
    ),
    pytest.param(
        {
            "event": "icpc_held",
            "child": {"plan": "cp", "disability": False},
            "history": {"current_service": "assessment"},
        },
        "route",
        ("family_support",),
        "icpc_assessment_to_family_support",
        id="C-045 'The Family Support Team Social Worker is allocated at the Initial Child Protection Case Conference'",
    ),
    pytest.param(
        {
            "event": "pre_birth_assessment_concluded",
            "child": {"expected_birth_date": "2026-09-01"},
            "siblings": {"in_care_proceedings": False, "care_proceedings_ended_on": _months_ago(13)},
            "history": {"current_service": "assessment"},
            "facts": {"ongoing_social_work_indicated": True, "proceedings_at_birth_recommended": False},
        },
        "decide",
        ("family_support", "court"),
        "unborn_ongoing_social_work",
        id="C-048 'joint consideration should be completed with' the Family Support or Court and Permanence PM",
    ),
    # Section 4b.
    pytest.param(
        {
            "event": "pre_birth_assessment_concluded",
            "child": {"expected_birth_date": "2026-09-01"},
            "siblings": {"in_care_proceedings": False, "care_proceedings_ended_on": _months_ago(11)},
            "history": {"current_service": "family_support"},
            "facts": {"ongoing_social_work_indicated": True, "proceedings_at_birth_recommended": True},
        },
        "route",
        ("court",),
        "unborn_proceedings_at_birth",
        id="C-054 'care proceedings at birth are recommended ... and parents' children ... recently (within 12 "
        "months) subject to Care Proceedings'",
    ),
    pytest.param(
        {
            "event": "pre_birth_assessment_concluded",
            "siblings": {"in_care_proceedings": True},
            "history": {"current_service": "assessment"},
            "facts": {"proceedings_at_birth_recommended": True},
        },
        "route",
        ("court",),
        "unborn_proceedings_at_birth",
        id="C-054 'care proceedings at birth are recommended ... and parents' children currently ... subject to "
        "Care Proceedings'",
    ),
    pytest.param(
        {
            "event": "pre_birth_assessment_concluded",
            "siblings": {"in_care_proceedings": False},
            "history": {"current_service": "assessment"},
            "facts": {"proceedings_at_birth_recommended": True, "ongoing_social_work_indicated": True},
        },
        "decide",
        ("family_support", "court"),
        "unborn_ongoing_social_work",
        id="C-054 reads 'and': proceedings at birth recommended but no sibling in proceedings is not enough",
    ),
    pytest.param(
        {
            "event": "pre_birth_assessment_concluded",
            "siblings": {"in_care_proceedings": True},
            "history": {"current_service": "assessment"},
            "facts": {"proceedings_at_birth_recommended": False, "ongoing_social_work_indicated": True},
        },
        "decide",
        ("family_support", "court"),
        "unborn_ongoing_social_work",
        id="C-054 reads 'and': a sibling in proceedings without proceedings at birth recommended is not enough",
    ),
    pytest.param(
        {"event": "care_proceedings_issued", "history": {"current_service": "family_support"}},
        "route",
        ("court",),
        "care_proceedings_to_court",
        id="C-053 'The Social Worker from Court or Leaving Care Teams will be allocated by the Case Management Hearing'",
    ),
    pytest.param(
        {
            "event": "reunification_unlikely_agreed",
            "child": {"legal_status": "s20"},
            "history": {"current_service": "assessment"},
        },
        "decide",
        ("court", "leaving_care"),
        "s20_reunification_unlikely",
        id="C-055 'transfer to the Court or Leaving Care Team when ... an unlikely prospect of reunification'",
    ),
    # Section 4c.
    pytest.param(
        {
            "event": "cin_meeting_held",
            "child": {"plan": "cin", "legal_status": "special_guardianship_order"},
            "history": {"current_service": "court"},
        },
        "route",
        ("family_support",),
        "ceasing_looked_after_with_cin_plan",
        id="C-056 'ceasing to be Looked After (Includes ... Special Guardianship Order that include a CiN Plans)'",
    ),
    pytest.param(
        {
            "event": "cin_meeting_held",
            "child": {"plan": "cin", "legal_status": "supervision_order"},
            "history": {"current_service": "leaving_care"},
        },
        "route",
        ("family_support",),
        "ceasing_looked_after_supervision_order",
        id="C-059 'Supervision Orders: ... the relevant Family Support Team Manager will ... attend the final hearing'",
    ),
    # Private fostering after six months.
    pytest.param(
        {
            "event": "private_fostering_assessment_completed",
            "history": {"current_service": "family_support"},
            "facts": {"private_fostering_arrangement": True},
        },
        "route",
        ("fostering",),
        "private_fostering_to_fostering",
        id="C-037 'transferred to the Fostering Service after six months'",
    ),
]


@pytest.mark.parametrize(("situation", "outcome", "services", "rule"), ROUTING_CASES)
def test_routing(cb, situation, outcome, services, rule):
    decision = _route(cb, situation)
    assert decision.outcome == outcome, decision.reason
    assert decision.rule is not None and decision.rule.id == rule
    if outcome == "route":
        assert decision.receiving_service == services[0]
    else:
        assert decision.receiving_service is None
        assert set(decision.candidate_services) == set(services)
    assert decision.missing_facts == ()
    assert set(decision.rule.cites) <= set(decision.cites)


def test_disabled_child_at_referral_is_decided_by_hub_team_manager_and_cwd_representative(cb):
    # C-029: "the Hub Team Manager will discuss and agree with a CWD representative"
    decision = _route(
        cb,
        {
            "event": "referral",
            "child": {"asylum_status": "none", "disability": True},
            "history": NOT_KNOWN,
            "facts": {**NO_PF, "hub_outcome": "assessment"},
        },
    )
    assert [str(d) for d in decision.decided_by] == ["team manager (hub)", "CWD representative"]
    assert "C-029" in decision.cites


def test_re_referral_goes_to_the_previous_locality_team(cb):
    # C-042: "referred to the team previously allocated at point of closing"
    decision = _route(
        cb,
        {
            "event": "referral",
            "child": {"asylum_status": "none", "locality": "south"},
            "history": {"last_service": "family_support", "closed_on": _months_ago(3)},
        },
    )
    assert decision.receiving_service == "family_support"
    assert decision.teams == ("family_support_south",)
    assert decision.pathway.route == "manager_agreement"
    assert "Professional judgement" in decision.pathway.note


def test_sgo_report_for_an_allocated_child_is_a_secondary_allocation(cb):
    # C-036: Fostering reports on the adults; the current allocated team contributes on the child.
    decision = _route(
        cb, {"event": "sgo_assessment_request", "history": {"current_service": "family_support"}}
    )
    assert decision.pathway.secondary is True
    joint = _route(cb, {"event": "sgo_assessment_request", "history": NOT_KNOWN})
    assert joint.pathway.secondary is False


def test_section7_missing_facts_are_listed_not_guessed(cb):
    # C-031/C-032: whether the case is open or closed 12 weeks or more decides the team; ask, don't guess.
    decision = _route(cb, {"event": "section7_request", "history": {"last_service": "family_support"}})
    assert decision.outcome == "undetermined"
    assert decision.receiving_service is None
    assert {"history.open", "history.closed_on", "child.disability"} <= set(decision.missing_facts)


def test_referral_missing_facts_are_listed(cb):
    decision = _route(cb, {"event": "referral", "history": NOT_KNOWN})
    assert decision.outcome == "undetermined"
    assert {"child.asylum_status", "private_fostering_arrangement", "hub_outcome"} <= set(
        decision.missing_facts
    )


# -- deadlines ------------------------------------------------------------------------------------------


CIN_MEETING = dt.date(2026, 5, 22)  # Friday before the spring bank holiday (Monday 25 May 2026)


@pytest.mark.parametrize(
    "current_service",
    [
        pytest.param("assessment", id="C-043 'within 72 hours (3 working days) of the CiN meeting'"),
        pytest.param("court", id="C-057 'reallocated within 72 hours (3 working days) of the CiN meeting'"),
    ],
)
def test_reallocation_three_working_days_after_cin_meeting(cb, current_service):
    facts = situation_facts(
        cb,
        {
            "event": "cin_meeting_held",
            "date": CIN_MEETING.isoformat(),
            "child": {"plan": "cin", "disability": False, "legal_status": "none"},
            "history": {"current_service": current_service},
        },
    )
    decision = route(cb, facts)
    assert decision.receiving_service == "family_support"
    steps = {d.id: d for d in timeline(cb, facts, decision.pathway, today=CIN_MEETING)}
    assert steps["cin_meeting"].due == CIN_MEETING
    assert steps["reallocated"].due == dt.date(2026, 5, 28)  # Tue 26, Wed 27, Thu 28
    assert steps["reallocated"].transfer_by
    assert steps["reallocated"].status == "due"
    # "Two weeks' notice needs to be provided for the CiN meeting."
    assert steps["cin_meeting_notice"].due == dt.date(2026, 5, 8)


def test_care_proceedings_allocated_by_the_case_management_hearing(cb):
    # C-053: "will be allocated by the Case Management Hearing"
    facts = _facts(
        cb,
        {
            "event": "care_proceedings_issued",
            "history": {"current_service": "assessment"},
            "facts": {"first_ico_hearing_date": "2026-06-17", "case_management_hearing_date": "2026-06-29"},
        },
    )
    decision = route(cb, facts)
    steps = {d.id: d for d in timeline(cb, facts, decision.pathway, today=ON)}
    assert steps["first_ico_hearing"].due == dt.date(2026, 6, 17)
    assert steps["allocated_by_cmh"].due == dt.date(2026, 6, 29)
    assert steps["allocated_by_cmh"].transfer_by


def test_private_fostering_moves_to_fostering_six_months_after_notification(cb):
    # C-037: "transferred to the Fostering Service after six months"
    facts = _facts(
        cb,
        {
            "event": "private_fostering_assessment_completed",
            "history": {"current_service": "family_support"},
            "facts": {"private_fostering_arrangement": True, "private_fostering_began_on": "2026-05-04"},
        },
    )
    decision = route(cb, facts)
    (step,) = timeline(cb, facts, decision.pathway, today=ON)
    assert step.due == dt.date(2026, 11, 4)
    assert step.transfer_by


def test_looked_after_timescales(cb):
    # C-009 with C-017 to C-020: done before a transfer, counted from the day the child became looked after
    # (Friday 22 May 2026; bank holiday Monday 25 May), on the transfer when care proceedings are issued (C-053).
    facts = situation_facts(
        cb,
        {
            "event": "care_proceedings_issued",
            "date": "2026-06-03",
            "child": {"legal_status": "s20", "looked_after_since": "2026-05-22"},
            "history": {"current_service": "family_support"},
        },
    )
    due = {d.id: d.due for d in standing_timescales(cb, facts, today=dt.date(2026, 6, 3))}
    assert {
        k: due[k]
        for k in (
            "placement_planning_meeting",
            "placement_plan",
            "health_assessment_referral",
            "pep_requested",
        )
    } == {
        "placement_planning_meeting": dt.date(2026, 5, 25),  # 72 hours
        "placement_plan": dt.date(2026, 6, 1),  # 5 working days
        "health_assessment_referral": dt.date(2026, 5, 27),  # 5 days
        "pep_requested": dt.date(2026, 6, 8),  # 10 working days
    }


def test_looked_after_timescales_are_not_shown_for_a_child_long_in_care(cb):
    facts = situation_facts(
        cb,
        {
            "event": "care_proceedings_issued",
            "date": "2026-06-03",
            "child": {"legal_status": "s20", "looked_after_since": "2025-01-10"},
            "history": {"current_service": "family_support"},
        },
    )
    shown = {d.id for d in standing_timescales(cb, facts, today=dt.date(2026, 6, 3))}
    assert not shown & {
        "placement_planning_meeting",
        "placement_plan",
        "health_assessment_referral",
        "pep_requested",
    }


# -- readiness -------------------------------------------------------------------------------------------


def _readiness(cb, documents: dict[str, dt.date], **child: Any):
    facts = _facts(
        cb,
        {
            "event": "cin_meeting_held",
            "child": {"plan": "cin", "disability": False, **child},
            "history": {"current_service": "assessment"},
            "transfer": {
                "from": "assessment",
                "to": "family_support",
                "pathway": "assessment_to_family_support_cin",
            },
            "facts": {"lpm_or_plo_instigated": False},
        },
    )
    return assess(cb, facts, on=ON, documents=documents)


@pytest.mark.parametrize(
    ("months_old", "status"),
    [
        pytest.param(
            10, "stale", id="C-012 10 months old: 'should be updated if it is more than 9 months old'"
        ),
        pytest.param(8, "met", id="C-012 8 months old is recent enough"),
    ],
)
def test_child_and_family_assessment_age(cb, months_old, status):
    written = dt.date.fromisoformat(_months_ago(months_old))
    readiness = _readiness(cb, {"child_and_family_assessment": written})
    item = next(i for i in readiness.items if i.id == "child_and_family_assessment")
    assert item.status == status
    assert item.blocks is (status != "met")
    assert item.cites == ("C-012",)
    assert (item in readiness.blocking) is (status != "met")


def test_looked_after_items_apply_only_to_looked_after_children(cb):
    # C-017 to C-023 concern looked after children.
    looked_after = {"placement_plan", "pep_requested", "care_or_pathway_plan", "expert_funding_agreed"}
    in_need = {i.id for i in _readiness(cb, {}).items}
    assert not looked_after & in_need
    cla = {i.id for i in _readiness(cb, {}, plan="cla").items}
    assert looked_after <= cla


def test_transfer_checklist_is_complete_before_ready(cb):
    # C-024 transfer summary, C-025 joint supervision and handover visit, C-027 signed off by the manager.
    readiness = _readiness(cb, {"child_and_family_assessment": ON})
    blocking = {i.id for i in readiness.blocking}
    assert {
        "transfer_summary",
        "joint_case_supervision",
        "handover_visit",
        "signed_off_by_transferring_manager",
        "cin_plan_agreed",
        "chronology",
    } <= blocking
    assert not readiness.ready


def test_lpm_or_plo_never_delays_the_transfer(cb):
    # C-047: "Case transfer should not be delayed by the LPM or PLO process."
    facts = _facts(
        cb,
        {
            "event": "cin_meeting_held",
            "child": {"plan": "cin"},
            "transfer": {"from": "assessment", "to": "family_support"},
            "facts": {"lpm_or_plo_instigated": True},
        },
    )
    item = next(i for i in assess(cb, facts, on=ON).items if i.id == "lpm_or_plo_attended")
    assert item.status == "missing"
    assert not item.blocks


# -- the file as a whole ---------------------------------------------------------------------------------


def test_every_clause_is_encoded_or_explained(cb):
    encoded = clause_map(cb)
    outside = {c for entry in cb.file.outside_engine for c in entry.clauses}
    assert list(cb.clauses) == [f"C-{n:03d}" for n in range(1, 60)]
    assert [c for c in cb.clauses if not encoded[c] and c not in outside] == []
    assert outside == {"C-001", "C-002", "C-003", "C-004", "C-009"}


def test_siblings_share_a_worker_unless_not_in_the_childs_best_interest(cb):
    # C-006: "the children will have the same Social Worker, unless ... not in the child's best interest"
    assert cb.file.siblings.same_worker
    (exception,) = cb.file.exceptions
    assert exception.allows == "siblings_with_different_workers"
    assert exception.cites == ("C-006",)


def test_escalation_ladder(cb):
    # C-008: Team Managers -> Practice Managers -> Heads of Service for final decision.
    ladder = [(level.who.value, level.final) for level in cb.file.escalation]
    assert ladder == [("team_manager", False), ("practice_manager", False), ("head_of_service", True)]
