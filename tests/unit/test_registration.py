"""A social worker's Social Work England registration: the number's format, whether it is current on a day, and
the rule that only a registered social worker is named as a child's social worker where the protocol requires it.

Dorset D-026: "Looked After Children and Children subject to a Child Protection Plan will always have an
appropriately qualified worker allocated to them."
"""

from __future__ import annotations

import datetime as dt

import pytest

from handover.domain.registration import (
    EXPIRES_FIELD,
    NUMBER_FIELD,
    NUMBER_RULE,
    Registration,
    normalise_number,
    number_problem,
    registration_problems,
)
from handover.domain.rulebook import qualified_worker_refusal

ON = dt.date(2026, 11, 24)  # the suite's fixed day; nothing here reads the clock


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SW123456", "SW123456"),
        ("sw123456", "SW123456"),  # lower-case: stored upper-case
        ("Sw1", "SW1"),
        ("  SW98765 ", "SW98765"),  # spaces around it: trimmed
        ("SW012345", "SW12345"),  # HCPC's leading zeros: dropped, as Social Work England shows the number
        ("SW000001", "SW1"),
        ("", ""),  # none given: allowed (managers and other roles have none)
        ("   ", ""),
    ],
)
def test_a_registration_number_is_stored_as_the_register_shows_it(typed, stored):
    assert number_problem(typed) is None
    assert normalise_number(typed) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("SW1234567", "too many digits"),
        ("SW 123456", "a space inside it"),
        ("SW12 34", "a space inside it"),
        ("123456", "no SW"),
        ("SW", "no digits"),
        ("SWE123456", "not SW"),
        ("HCPC123456", "another register's"),
        ("SW12345A", "a letter among the digits"),
        ("SW-12345", "a dash"),
        ("SW000000", "all zeros"),
        ("SW١٢٣", "digits that are not 0-9"),
        ("SW123\x00", "a NUL"),
        ("\u017fW123", "a long s, which matches s only ignoring case in Unicode"),
    ],
)
def test_a_malformed_number_is_refused_with_the_rule(typed, why):
    problem = number_problem(typed)
    assert problem is not None, why
    assert NUMBER_RULE in problem
    with pytest.raises(ValueError, match="Social Work England registration number is SW followed by"):
        normalise_number(typed)


def test_a_long_value_is_not_echoed_back():
    problem = number_problem("SW" + "9" * 500)
    assert problem == f"the value given is not one: {NUMBER_RULE}"


def test_problems_name_the_field():
    assert registration_problems("SW123", dt.date(2027, 11, 30)) == {}
    assert registration_problems("", None) == {}
    assert set(registration_problems("SW1234567", None)) == {NUMBER_FIELD}
    assert registration_problems("", dt.date(2027, 11, 30)) == {
        EXPIRES_FIELD: "an expiry date needs the registration number it belongs to"
    }


@pytest.mark.parametrize(
    ("registration", "gap"),
    [
        (Registration("SW123", dt.date(2027, 11, 30)), None),
        (Registration("SW123", ON), None),  # current up to and including its expiry day
        (Registration("SW123", None), None),  # no expiry recorded
        (
            Registration("SW123", dt.date(2026, 3, 3)),
            "Social Work England registration expired on 3 March 2026",
        ),
        (
            Registration("SW123", ON - dt.timedelta(days=1)),
            "Social Work England registration expired on 23 November 2026",
        ),
        (Registration("", None), "no Social Work England registration number on their staff record"),
        (
            Registration("sw 12", None),  # stored before the format was checked
            "'sw 12' on their staff record is not a Social Work England registration number",
        ),
    ],
)
def test_a_registration_is_current_up_to_its_expiry_day(registration, gap):
    assert registration.gap(ON) == gap


def test_only_a_registered_social_worker_where_the_protocol_requires_one():
    expired = Registration("SW123", dt.date(2026, 3, 3))
    assert qualified_worker_refusal(
        worker="Alex Smith", registration=expired, on=ON, required_by=("D-026",)
    ) == (
        "Alex Smith is not a registered social worker (Social Work England registration expired on "
        "3 March 2026) — D-026 requires a qualified social worker"
    )
    # Where the protocol does not require it, anyone the other rules allow may be named.
    assert qualified_worker_refusal(worker="Alex Smith", registration=expired, on=ON, required_by=()) is None
    assert (
        qualified_worker_refusal(
            worker="Alex Smith", registration=Registration("SW123", None), on=ON, required_by=("D-026",)
        )
        is None
    )


@pytest.mark.parametrize(
    ("facts", "required"),
    [
        ({"child.legal_status": "care_order", "child.plan": "none"}, True),  # looked after
        ({"child.legal_status": "s20", "child.plan": "none"}, True),
        ({"child.legal_status": "none", "child.plan": "cp"}, True),  # child protection plan
        ({"child.legal_status": "none", "child.plan": "cla"}, True),
        ({"child.legal_status": "none", "child.plan": "cin"}, False),  # D-026 says nothing of CIN
        ({"child.legal_status": "supervision_order", "child.plan": "cin"}, False),  # not looked after
        ({"child.legal_status": "special_guardianship_order", "child.plan": "none"}, False),
        ({}, True),  # unknown counts as required: the check errs towards a qualified worker
    ],
)
def test_dorset_requires_a_registered_social_worker_for_looked_after_and_cp_children(dorset, facts, required):
    assert dorset.workers.registration_required_by(facts) == (("D-026",) if required else ())


def test_either_the_record_or_the_transfers_facts_can_require_it(dorset):
    cin = {"child.legal_status": "none", "child.plan": "cin"}
    cp = {"child.legal_status": "none", "child.plan": "cp"}
    assert dorset.workers.registration_required_by(cin, cp) == ("D-026",)
    assert dorset.workers.registration_required_by(cin, cin) == ()
