"""The rulebook for writes to a child's record, as pure predicates (no database)."""

import pytest

from handover.domain.roles import RoleName
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
    from handover.organisation.models import (
        Role,  # the records layer: imported here, the core's tests stay pure
    )

    assert {r.value for r in Role} == {r.value for r in RoleName}


def test_a_remedial_action_is_marked_done_by_its_owner_or_a_manager_of_either_team():
    from handover.domain.rulebook import Standing, TransferWrite, may_write, write_refusal

    done = TransferWrite.REMEDIAL_ACTION_DONE
    assert may_write(done, Standing(sending_roles=frozenset({"social_worker"}), owns_action=True))
    assert may_write(done, Standing(owns_action=True))  # the owner, wherever they work now
    assert may_write(done, Standing(receiving_roles=frozenset({"team_manager"})))
    assert may_write(done, Standing(sending_roles=frozenset({"practice_manager"})))
    refusal = write_refusal(done, Standing(sending_roles=frozenset({"social_worker", "business_support"})))
    assert refusal is not None and "its owner or a manager of either team" in str(refusal)
    assert not may_write(done, Standing(held_roles=frozenset({"service_manager"})))
