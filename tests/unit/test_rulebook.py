"""The rulebook for writes to a child's record, as pure predicates (no database)."""

import pytest

from handover.domain.rulebook import ChildRelation, RecordAction, may, record_refusal

CASES = [
    (RecordAction.CHANGE, ChildRelation(allocated=True), True),
    (RecordAction.CHANGE, ChildRelation(holding_team_roles=frozenset({"business_support"})), True),
    (RecordAction.CHANGE, ChildRelation(receiving_team_roles=frozenset({"team_manager"})), True),
    (RecordAction.CHANGE, ChildRelation(senior_roles=frozenset({"service_director"})), True),
    (RecordAction.CHANGE, ChildRelation(), False),
    (RecordAction.CHANGE, ChildRelation(holding_team_roles=frozenset({"auditor"})), False),
    (RecordAction.CLOSE, ChildRelation(holding_team_roles=frozenset({"team_manager"})), True),
    (
        RecordAction.CLOSE,
        ChildRelation(allocated=True, holding_team_roles=frozenset({"social_worker"})),
        False,
    ),
    (
        RecordAction.CLOSE,
        ChildRelation(holding_team_roles=frozenset({"team_manager"}), open_transfer=True),
        False,
    ),
]


@pytest.mark.parametrize("action, relation, allowed", CASES)
def test_record_rules(action, relation, allowed):
    assert may(action, relation) is allowed


def test_a_refusal_names_its_rule():
    refusal = record_refusal(
        RecordAction.CLOSE, ChildRelation(holding_team_roles=frozenset({"team_manager"}), open_transfer=True)
    )
    assert refusal.rule == "record.close.open_transfer" and "open transfer" in str(refusal)


def test_role_names_are_defined_once():
    """The records layer's role choices are the core's role names, neither more nor fewer."""
    import django

    django.setup()
    from handover.domain.roles import RoleName
    from handover.organisation.models import Role

    assert {r.value for r in Role} == {r.value for r in RoleName}
