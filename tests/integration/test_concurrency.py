"""Two people act on one transfer at the same moment: one succeeds, the other gets a clear conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from tests.integration.conftest import CIN_PLAN, NOW, TODAY

from handover.transfers import services
from handover.transfers.models import Transfer, TransferEvent


@pytest.mark.django_db(transaction=True)
def test_concurrent_actions_one_wins_nothing_lost(world):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent connections are tested on PostgreSQL (SQLite serialises writers)")
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=world.child("CC1", "Pat"),
        event="assessment_concluded",
        on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def take(name, actor, action, reason):
        try:
            barrier.wait(timeout=10)
            services.transfer_act(
                now=NOW,
                actor=actor,
                transfer=transfer,
                action=action,
                expected_version=1,
                reason=reason,
                on=TODAY,
            )
            outcomes[name] = "ok"
        except services.Conflict as exc:
            outcomes[name] = f"conflict: {exc}"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=take, args=("list", world.ast_tm, "list", "")),
        threading.Thread(target=take, args=("withdraw", world.ast_pm, "withdraw", "Family moved away")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["conflict", "ok"], outcomes
    loser = next(v for v in outcomes.values() if v.startswith("conflict"))
    assert "changed by someone else" in loser and "reload it" in loser
    stored = Transfer.objects.get(pk=transfer.pk)
    assert stored.version == 2
    winner = next(k for k, v in outcomes.items() if v == "ok")
    assert stored.state == ("listed" if winner == "list" else "withdrawn")
    assert list(TransferEvent.objects.filter(transfer=stored).values_list("action", flat=True)) == [
        "propose",
        winner,
    ]
