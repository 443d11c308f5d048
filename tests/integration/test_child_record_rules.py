"""Writes to a child's record need a relation to the child, not only a role that can write (issue 9).

One table: who may change or close the record of a child held by Ava (assessment, East), before and after a
transfer to the CIN/CP service is proposed."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.children.models import KeyEvent
from handover.children.services import child_close, child_record_add, child_update
from handover.domain.errors import ApplicationError
from handover.organisation.access import AccessDenied
from handover.transfers import services

CHANGE = [
    ("ast_sw", True, "the allocated worker"),
    ("ast_sw2", True, "a worker in the team holding the child"),
    ("ast_tm", True, "the holding team's manager"),
    ("business_support", True, "business support of the holding team"),
    ("director", True, "a senior manager over the authority"),
    ("cin_sw", False, "a worker in another team"),
    ("cin_tm", False, "another team's manager, before any transfer"),
    ("lac_tm", False, "a manager in an unrelated service"),
    ("service_manager", False, "a service manager of another service"),
    ("auditor", False, "an auditor (read only)"),
    ("administrator", False, "an administrator (no access to children)"),
]


@pytest.mark.parametrize("person, allowed, who", CHANGE)
def test_who_may_add_to_a_childs_record(world, person, allowed, who):
    child = world.child("r1", "Rhea")
    add = lambda: child_record_add(  # noqa: E731
        now=NOW,
        actor=getattr(world, person),
        child=child,
        kind="key_events",
        values={"event_type": "cin_review", "date": TODAY},
    )
    if allowed:
        add()
        assert KeyEvent.objects.filter(child=child).count() == 1, who
    else:
        with pytest.raises(AccessDenied):
            add()
        assert not KeyEvent.objects.filter(child=child).exists(), who


@pytest.mark.parametrize("person, allowed", [("ast_sw", True), ("cin_sw", False), ("auditor", False)])
def test_who_may_rename_a_child(world, person, allowed):
    child = world.child("r2", "Rhea")
    if allowed:
        child_update(now=NOW, actor=getattr(world, person), child=child, values={"first_name": "Rhian"})
        child.refresh_from_db()
        assert child.first_name == "Rhian"
    else:
        with pytest.raises(AccessDenied):
            child_update(now=NOW, actor=getattr(world, person), child=child, values={"first_name": "Rhian"})
        child.refresh_from_db()
        assert child.first_name == "Rhea"


def test_the_receiving_team_may_add_to_the_record_once_a_transfer_is_proposed(world):
    child = world.child("r3", "Rhea")
    values = {"event_type": "cin_review", "date": TODAY}
    with pytest.raises(AccessDenied):
        child_record_add(now=NOW, actor=world.cin_tm, child=child, kind="key_events", values=values)
    services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=child, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
    )
    child_record_add(now=NOW, actor=world.cin_tm, child=child, kind="key_events", values=values)
    assert KeyEvent.objects.filter(child=child).count() == 1


@pytest.mark.parametrize(
    "person, allowed", [("ast_tm", True), ("director", True), ("ast_sw", False), ("cin_tm", False)]
)
def test_who_may_close_a_childs_record(world, person, allowed):
    child = world.child("r4", "Rhea")
    if allowed:
        child_close(now=NOW, actor=getattr(world, person), child=child, reason="Case closed after review")
        child.refresh_from_db()
        assert child.closed_on == TODAY
    else:
        with pytest.raises(AccessDenied):
            child_close(now=NOW, actor=getattr(world, person), child=child, reason="Case closed after review")
        child.refresh_from_db()
        assert child.closed_on is None and child.allocations.filter(end__isnull=True).exists()


def test_a_child_with_an_open_transfer_cannot_be_closed(world):
    """Closing would end the allocation the transfer moves from, leaving it with nothing to transfer."""
    child = world.child("r5", "Rhea")
    services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=child, event="assessment_concluded", on=TODAY, answers=CIN_PLAN
    )
    with pytest.raises(AccessDenied, match="open transfer"):
        child_close(now=NOW, actor=world.ast_tm, child=child, reason="Case closed")
    assert child.allocations.filter(end__isnull=True).exists()


def test_a_case_transfer_summary_cannot_be_uploaded_as_a_bare_document(world):
    """Readiness counts the summary only when its manager has authorised it (D-181)."""
    child = world.child("r6", "Rhea")
    with pytest.raises(ApplicationError) as refused:
        child_record_add(
            now=NOW,
            actor=world.ast_tm,
            child=child,
            kind="documents",
            values={"document_type": "transfer_summary", "title": "Summary", "dated": dt.date(2026, 11, 20)},
        )
    assert "document_type" in refused.value.errors
