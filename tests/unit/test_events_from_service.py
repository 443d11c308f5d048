"""What can happen to a child in the service that holds them (routing.events_from): the events a rule routes from
that service come first, the others a person may still propose (the managers decide), and events that arrive at
another service (a referral at the front door) are not offered at all. Cases from both bundled protocols."""

from __future__ import annotations

import datetime as dt

import pytest

from handover.domain.protocol.loader import load_protocol
from handover.domain.routing import events_from, route

ROUTED, OTHER, NOT_OFFERED = "routed", "something else", "not offered"

PROTOCOLS = {name: load_protocol(name) for name in ("dorset", "central-bedfordshire")}

CASES = [
    # Dorset: the MASH takes referrals and court requests (D-083 to D-090); the Assessment Service concludes
    # assessments (D-093, D-103); the court team acts on orders (D-123, D-127); LAC on leaving care (D-132).
    ("dorset", "mash", "referral", ROUTED),
    ("dorset", "mash", "section7_request", ROUTED),
    ("dorset", "mash", "assessment_concluded", OTHER),
    ("dorset", "assessment", "assessment_concluded", ROUTED),
    ("dorset", "assessment", "icpc_held", ROUTED),
    ("dorset", "assessment", "becomes_looked_after", ROUTED),
    ("dorset", "assessment", "referral", NOT_OFFERED),
    ("dorset", "assessment", "section37_request", NOT_OFFERED),
    ("dorset", "assessment", "care_order_made", OTHER),
    ("dorset", "cin_cp", "becomes_looked_after", ROUTED),
    ("dorset", "cin_cp", "icpc_held", OTHER),
    ("dorset", "cin_cp", "transfer_in_request", NOT_OFFERED),
    ("dorset", "court", "care_order_made", ROUTED),
    ("dorset", "court", "placement_order_made", ROUTED),
    ("dorset", "court", "ceases_looked_after", OTHER),
    ("dorset", "lac", "ceases_looked_after", ROUTED),
    ("dorset", "lac", "age_reached", ROUTED),
    ("dorset", "lac", "assessment_concluded", OTHER),
    ("dorset", "private_fostering", "child_protection_concerns", ROUTED),
    ("dorset", "chad", "moves_to_another_authority", ROUTED),
    ("dorset", "chad", "icpc_held", OTHER),
    # Central Bedfordshire: the Hub takes contacts (C-029 to C-039); Assessment moves a case on after the CIN
    # meeting or the ICPC (C-043, C-044); Family Support after a private fostering assessment (C-037).
    ("central-bedfordshire", "hub", "referral", ROUTED),
    ("central-bedfordshire", "hub", "cp_transfer_in_request", ROUTED),
    ("central-bedfordshire", "hub", "cin_meeting_held", OTHER),
    ("central-bedfordshire", "assessment", "cin_meeting_held", ROUTED),
    ("central-bedfordshire", "assessment", "icpc_held", ROUTED),
    ("central-bedfordshire", "assessment", "referral", NOT_OFFERED),
    ("central-bedfordshire", "assessment", "sgo_assessment_request", NOT_OFFERED),
    ("central-bedfordshire", "assessment", "private_fostering_assessment_completed", OTHER),
    ("central-bedfordshire", "family_support", "private_fostering_assessment_completed", ROUTED),
    ("central-bedfordshire", "family_support", "care_proceedings_issued", ROUTED),
    ("central-bedfordshire", "family_support", "icpc_held", OTHER),
    ("central-bedfordshire", "family_support", "section7_request", NOT_OFFERED),
    ("central-bedfordshire", "early_help", "cin_meeting_held", OTHER),
]


def _where(protocol, service, event) -> str:
    offered = events_from(protocol, service)
    if event in offered.routed:
        return ROUTED
    return OTHER if event in offered.others else NOT_OFFERED


@pytest.mark.parametrize(("name", "service", "event", "expected"), CASES, ids=lambda v: str(v))
def test_where_an_event_is_offered_for_a_child_held_by_a_service(name, service, event, expected):
    assert _where(PROTOCOLS[name], service, event) == expected


@pytest.mark.parametrize("name", PROTOCOLS)
def test_every_event_is_offered_once_in_the_files_order_or_arrives_elsewhere(name):
    protocol = PROTOCOLS[name]
    order = list(protocol.events)
    for service in protocol.services:
        offered = events_from(protocol, service)
        assert not set(offered.routed) & set(offered.others)
        for listed in (offered.routed, offered.others):
            assert list(listed) == sorted(listed, key=order.index)
        left_out = set(order) - set(offered.routed) - set(offered.others)
        assert all(protocol.events[e].arrives_at not in (None, service) for e in left_out)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_the_lists_agree_with_routing(name):
    """An event listed as routed from a service has a rule that may fire from there; one under "Something
    else" has none, so the router answers that the managers decide (no rule), whatever else is known."""
    protocol = PROTOCOLS[name]
    for service in protocol.services:
        offered = events_from(protocol, service)
        for event in offered.routed + offered.others:
            source = protocol.events[event].arrives_at or service
            facts = {"event": event, "event.date": dt.date(2026, 11, 24), "transfer.from": source}
            outcome = route(protocol, facts).outcome
            assert (outcome == "no_rule") == (event in offered.others), (service, event, outcome)
