"""Where the large demo's open transfers start (issue 14): every service the protocol passes children on from
sends some, assessment the most, and no team more than about 15% of them, so no team's pages are unrepresentative.
Tested on the weighting and on the order children are taken in, without building the large demo."""

from __future__ import annotations

from collections import Counter

import pytest

from handover.onboarding.demo import (
    MOST_FROM_ONE_TEAM,
    OPEN_MOVES,
    SENDING_SHARE,
    Senders,
    capped_shares,
    moves_from,
    routes_from,
    sending_shares,
)
from handover.organisation.models import Service, Team
from handover.organisation.protocol import protocol_named


def holding_teams(protocol) -> list[Team]:
    """The authority's own teams holding cases (not the front door's, not external ones), unsaved, as the demo
    reads them from the protocol file."""
    teams, pk = [], 0
    for s, spec in enumerate(protocol.file.services, 1):
        service = Service(pk=s, code=spec.id, name=spec.name, kind=spec.kind.value, external=spec.external)
        if spec.external or spec.kind.value == "front_door":
            continue
        for team in spec.teams:
            pk += 1
            teams.append(Team(pk=pk, service=service, code=team.id, name=team.name))
    return teams


def by_service(shares: dict[Team, float]) -> Counter:
    total: Counter = Counter()
    for team, share in shares.items():
        total[team.service.code] += share
    return total


def test_capped_shares_move_what_a_team_cannot_take_to_the_others():
    shares = capped_shares({"a": 45, "b": 25, "c": 20, "d": 10}, cap=0.35)
    assert sum(shares.values()) == pytest.approx(1)
    assert shares["a"] == pytest.approx(0.35)
    # What "a" could not take goes to the others in proportion: b, c and d keep their ratios.
    assert shares["b"] / shares["c"] == pytest.approx(25 / 20)
    assert shares["c"] / shares["d"] == pytest.approx(2)


def test_capped_shares_never_stretch_a_small_team_more_than_twice():
    # "a" and "b" at the cap; what is left is more than c and d had, but they take no more than twice theirs.
    shares = capped_shares({"a": 60, "b": 30, "c": 5, "d": 5}, cap=0.4, stretch=2)
    assert shares["a"] == pytest.approx(0.4) and shares["b"] == pytest.approx(0.4)
    assert shares["c"] == pytest.approx(0.1) and shares["d"] == pytest.approx(0.1)


def test_capped_shares_raise_the_limits_alike_where_the_teams_cannot_share_it():
    # Four teams cannot each send at most 15%: the limits rise together, in proportion.
    shares = capped_shares({"a": 70, "b": 10, "c": 10, "d": 10}, cap=0.15)
    assert sum(shares.values()) == pytest.approx(1)
    assert max(shares.values()) < 0.7
    assert shares["b"] == pytest.approx(shares["c"]) == pytest.approx(shares["d"])
    assert capped_shares({"only": 3}, cap=0.15) == {"only": 1}
    assert capped_shares({}, cap=0.15) == {}


def test_dorset_every_sending_service_sends_and_no_team_more_than_15_percent():
    protocol = protocol_named("dorset")
    shares = sending_shares(protocol, holding_teams(protocol))
    assert sum(shares.values()) == pytest.approx(1)
    assert max(shares.values()) <= MOST_FROM_ONE_TEAM + 1e-9
    services = by_service(shares)
    # Every service the protocol passes children on from; the 16+ service passes none on in Dorset.
    assert set(services) == {
        "assessment",
        "cin_cp",
        "court",
        "lac",
        "chad",
        "private_fostering",
        "separated_children",
    }
    # Assessment sends the most (its two teams at the cap: 30%, level with CIN and CP), then court and LAC.
    assert services["assessment"] == pytest.approx(0.30)
    assert services["assessment"] >= max(services.values()) - 1e-9
    assert services["court"] > services["separated_children"] > services["chad"]


def test_central_bedfordshire_one_assessment_team_sends_the_most():
    protocol = protocol_named("central-bedfordshire")
    shares = sending_shares(protocol, holding_teams(protocol))
    assert sum(shares.values()) == pytest.approx(1)
    services = by_service(shares)
    assert set(services) == {"assessment", "family_support", "court", "leaving_care"}
    biggest = max(shares.values())
    assessment = next(share for team, share in shares.items() if team.service.code == "assessment")
    assert assessment == pytest.approx(biggest)
    # Six sending teams cannot keep to 15% each; still no team more than a fifth, and leaving care, with a small
    # share of the caseload's moves, stays small.
    assert biggest < 0.2
    assert services["leaving_care"] < 0.1


@pytest.mark.parametrize("name", ["dorset", "central-bedfordshire"])
def test_every_sending_service_has_a_move_the_protocol_routes(name):
    protocol = protocol_named(name)
    for team in holding_teams(protocol):
        for move in moves_from(protocol, team.service):
            assert routes_from(protocol, move.event, team.service.code), (team, move)


def test_every_move_is_one_a_bundled_protocol_makes():
    protocols = [protocol_named(name) for name in ("dorset", "central-bedfordshire")]
    for move in OPEN_MOVES:
        assert move.kind in SENDING_SHARE, move
        assert any(
            routes_from(protocol, move.event, spec.id)
            for protocol in protocols
            for spec in protocol.file.services
            if spec.kind.value == move.kind
        ), move


def test_senders_keep_every_team_to_its_share_as_the_work_is_made():
    a, b, c = (Team(pk=n, name=n) for n in ("a", "b", "c"))
    shares = {a: 0.5, b: 0.3, c: 0.2}
    candidates = {team: [(team, i) for i in range(100)] for team in shares}
    made: Counter = Counter()
    taken = []
    for n, (team, i) in enumerate(Senders(shares, candidates, made)):
        taken.append((team, i))
        if n % 7 == 3:
            continue  # refused: the same team's next child is tried
        made[team] += 1
        if sum(made.values()) == 60:
            break
    assert made == Counter({a: 30, b: 18, c: 12})
    for team in shares:  # each team's children in the order given, none skipped
        assert [i for t, i in taken if t == team] == list(range(len([1 for t, _ in taken if t == team])))


def test_senders_pass_over_a_team_whose_children_run_out():
    a, b = Team(pk=1, name="a"), Team(pk=2, name="b")
    made: Counter = Counter()
    for team, _ in Senders({a: 0.5, b: 0.5}, {a: [(a, 0), (a, 1)], b: [(b, i) for i in range(10)]}, made):
        made[team] += 1
    assert made == Counter({a: 2, b: 10})
