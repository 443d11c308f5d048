"""Integrity under concurrency: the "only one" rules hold when two requests arrive at the same moment.

Each race runs its calls in threads, each on its own database connection, released together by a barrier.
On PostgreSQL both transactions really run at once and the database's unique constraints settle the race; on
SQLite (a file, as deployed) the writers queue (BEGIN IMMEDIATE), so the second sees the first's rows, which
must give the same outcome. Either way the loser gets the refusal a later caller would get, and nothing is
written twice.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, listed_on

from handover.audit.models import AuditEvent
from handover.children.models import DocumentOnFile, Family, InvolvedProfessional
from handover.documents import letters
from handover.documents.models import Letter
from handover.domain.workflow import OPEN_STATES
from handover.transfers import case_requests, services
from handover.transfers.models import CaseRequest, Transfer, TransferEvent

OPEN = [s.value for s in OPEN_STATES]
ROUNDS = 3  # each round a fresh child: a race that only sometimes went wrong would show here


@pytest.fixture
def racing_db(transactional_db, tmp_path):
    """The database the racing connections share. PostgreSQL: the test database. SQLite: the suite's database is
    in memory (shared cache), where a second writer is refused at once ("database table is locked") instead
    of queueing, which is not how a deployed SQLite behaves; so here every connection, the main thread's and
    the racers', uses a copy in a file, with the deployed options (BEGIN IMMEDIATE, a 20 s busy timeout)."""
    if connection.vendor != "sqlite":
        yield
        return
    settings = connections.settings["default"]  # each thread's connection is made from this
    memory = settings["NAME"]
    keep = sqlite3.connect(memory, uri=True)  # the in-memory database lives as long as one connection does
    with sqlite3.connect(tmp_path / "race.sqlite3") as file:
        keep.backup(file)
    file.close()
    settings["NAME"] = str(tmp_path / "race.sqlite3")
    connection.close()  # no longer in memory, so this really closes; the next query opens the file
    try:
        yield
    finally:
        connection.close()
        settings["NAME"] = memory
        connection.ensure_connection()
        keep.close()


def race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run each call in its own thread and connection, all released at once; ("ok", result) or ("error", exc)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, object]] = [("not run", None)] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", call())
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing call never finished"
    return results


def one_won(results: list[tuple[str, object]]) -> tuple[object, services.ApplicationError]:
    """Exactly one call succeeded and the other was refused as bad input (not a database error)."""
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    (won,) = [value for kind, value in results if kind == "ok"]
    (lost,) = [value for kind, value in results if kind == "error"]
    assert isinstance(lost, services.ApplicationError), repr(lost)
    return won, lost


def propose(child, actor, **extra):
    return lambda: services.transfer_propose(
        now=NOW, actor=actor, child=child, event="assessment_concluded", on=TODAY, answers=CIN_PLAN, **extra
    )


# -- one open transfer per child --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_proposals_for_one_child_make_one_open_transfer(racing_db, world):
    for n in range(ROUNDS):
        child = world.child(f"RACE{n}", f"Race{n}")
        proposal, refusal = one_won(race(propose(child, world.ast_sw), propose(child, world.ast_tm)))
        (opened,) = Transfer.objects.filter(child=child, state__in=OPEN)
        assert proposal.transfers == [opened]
        assert refusal.errors == {
            "child": f"{child.name} already has an open transfer ({opened.pk}, proposed)"
        }
        assert TransferEvent.objects.filter(transfer__child=child).count() == 1
        assert AuditEvent.objects.filter(child=child, verb="transfer_proposed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sibling_group_racing_a_single_proposal_is_proposed_whole_or_not_at_all(racing_db, world):
    for n in range(ROUNDS):
        family = Family.objects.create(authority=world.authority, name=f"Racefamily{n}")
        older = world.child(f"SIBA{n}", f"Older{n}", family=family)
        younger = world.child(f"SIBB{n}", f"Younger{n}", family=family)
        together = propose(older, world.ast_sw, with_siblings=[younger])
        alone = propose(younger, world.ast_tm, separation_reasons={older.pk: "Older stays for now"})
        results = race(together, alone)
        won, refusal = one_won(results)
        open_for = {c: Transfer.objects.filter(child=c, state__in=OPEN).count() for c in (older, younger)}
        if results[0][0] == "ok":  # the group won: both siblings move, the single proposal is refused
            assert open_for == {older: 1, younger: 1}
            assert len({t.sibling_group for t in won.transfers}) == 1 and len(won.transfers) == 2
            assert (
                set(refusal.errors) == {"child"} and "already has an open transfer" in refusal.errors["child"]
            )
        else:  # the single proposal won: nothing of the group is left behind, not even the older child's
            assert open_for == {older: 0, younger: 1}
            assert refusal.errors == {"with_siblings": "a sibling already has an open transfer"}
            assert not TransferEvent.objects.filter(transfer__child=older).exists()


# -- one open case request per child ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_case_requests_for_one_child_make_one_open_request(racing_db, world):
    for n in range(ROUNDS):
        child = world.child(f"ASK{n}", f"Ask{n}")

        def ask(actor, team, child=child):
            return lambda: case_requests.case_request_create(
                now=NOW, actor=actor, child=child, requesting_team=team, reason="Ongoing CIN work"
            )

        request, refusal = one_won(
            race(
                ask(world.cin_tm, world.teams["cin_cp_east"]),
                ask(world.cin_west_tm, world.teams["cin_cp_west"]),
            )
        )
        assert list(CaseRequest.objects.filter(child=child, status="open")) == [request]
        assert refusal.errors == {"child": "there is already an open request for this child"}
        assert AuditEvent.objects.filter(child=child, verb="case_requested").count() == 1


# -- letters written once ---------------------------------------------------------------------------------------


def ready_for_letters(world, identifier: str) -> Transfer:
    """A transfer with the receiving worker named and the date agreed, a family and two professionals."""
    monday = dt.date(2026, 11, 23)
    transfer = listed_on(world, identifier, monday)
    child = transfer.child
    child.address = "1 Example Road\nExampletown EX1 1AA"
    child.save()
    InvolvedProfessional.objects.create(
        child=child, name="Dr Ada Example", role="GP", address="2 Surgery Lane"
    )
    InvolvedProfessional.objects.create(child=child, name="Ben Example", role="Head teacher")
    world.cin_sw.phone = "01234 567890"
    world.cin_sw.save()
    transfer = services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="agree",
        expected_version=transfer.version,
        to_team=world.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    return services.transfer_act(
        now=NOW,
        actor=world.cin_tm,
        transfer=transfer,
        action="identify_worker",
        expected_version=transfer.version,
        worker=world.cin_sw,
    )


@pytest.mark.django_db(transaction=True)
def test_letters_asked_for_twice_at_once_are_written_once(racing_db, world):
    transfer = ready_for_letters(world, "letrace")

    def send(actor):
        return lambda: letters.letters_send(
            now=NOW, actor=actor, transfer=Transfer.objects.get(pk=transfer.pk)
        )

    results = race(send(world.ast_sw), send(world.business_support))
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    first, second = (value for _, value in results)
    assert [x.pk for x in first] == [x.pk for x in second]  # both callers see the one set
    assert sorted([len(first.written), len(second.written)]) == [0, 3]
    assert Letter.objects.filter(transfer=transfer).count() == 3
    assert DocumentOnFile.objects.filter(child=transfer.child, document_type="transfer_letter").count() == 3
    assert AuditEvent.objects.filter(child=transfer.child, verb="document_written").count() == 3


# -- the same rules without a race: the constraints themselves, and the refusal they turn into -------------------


@pytest.mark.django_db
def test_a_second_request_for_the_same_letters_returns_them_and_a_new_recipient_gets_one(world):
    transfer = ready_for_letters(world, "letagain")
    sent = letters.letters_send(now=NOW, actor=world.ast_sw, transfer=transfer)
    assert len(sent) == len(sent.written) == 3
    tomorrow = NOW + dt.timedelta(days=1)  # a day later the letter says the same, bar its date: not rewritten
    again = letters.letters_send(now=tomorrow, actor=world.ast_sw, transfer=transfer)
    assert [x.pk for x in again] == [x.pk for x in sent] and again.written == []
    InvolvedProfessional.objects.create(child=transfer.child, name="Cy Example", role="Health visitor")
    more = letters.letters_send(now=tomorrow, actor=world.ast_sw, transfer=transfer)
    assert [x.addressee for x in more.written] == ["Cy Example"]
    assert len(more) == 4 and Letter.objects.filter(transfer=transfer).count() == 4


@pytest.mark.django_db
def test_a_double_click_on_write_the_letters_writes_them_once_and_says_so(world):
    transfer = ready_for_letters(world, "letclick")
    client = Client()
    client.force_login(world.ast_sw.user)
    first = client.post(f"/transfers/{transfer.pk}/letters/", follow=True).content.decode()
    second = client.post(f"/transfers/{transfer.pk}/letters/", follow=True).content.decode()
    assert "3 letters written and kept on file." in first
    assert "The letters were already written (3 letters on file); nothing was written again." in second
    assert Letter.objects.filter(transfer=transfer).count() == 3


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_letter(world):
    transfer = ready_for_letters(world, "letdup")
    family = next(
        x for x in letters.letters_send(now=NOW, actor=world.ast_sw, transfer=transfer) if not x.professional
    )
    document = DocumentOnFile.objects.create(
        child=transfer.child,
        document_type="transfer_letter",
        title="copy",
        dated=TODAY,
        recorded_by=world.ast_sw,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(
            transfer=transfer,
            recipient="family",
            addressee=family.addressee,
            docx=b"",
            pdf=b"",
            document=document,
            generated_by=world.ast_sw,
            generated_at=NOW,
            content_digest=family.content_digest,
        )


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_transfer_and_the_service_says_so(world, monkeypatch):
    child = world.child("CON1", "Con")
    (first,) = propose(child, world.ast_sw)().transfers
    # As if the check had run before the first proposal committed: the constraint is what refuses.
    monkeypatch.setattr(services, "_refuse_if_open", lambda child, kind: None)
    with transaction.atomic():  # a caller's transaction: it survives the refusal (the service's savepoint)
        with pytest.raises(services.ApplicationError) as refused:
            propose(child, world.ast_tm)()
        assert Transfer.objects.filter(child=child).count() == 1
    assert refused.value.errors == {
        "child": f"Con Testfamily already has an open transfer ({first.pk}, proposed)"
    }
    services.transfer_act(
        now=NOW,
        actor=world.ast_pm,
        transfer=first,
        action="withdraw",
        expected_version=1,
        reason="Moved away",
    )
    (second,) = propose(child, world.ast_tm)().transfers  # closed transfers do not count
    assert Transfer.objects.filter(child=child, state__in=OPEN).get() == second


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_case_request_and_the_service_says_so(world, monkeypatch):
    child = world.child("CON2", "Cas")
    case_requests.case_request_create(
        now=NOW,
        actor=world.cin_tm,
        child=child,
        requesting_team=world.teams["cin_cp_east"],
        reason="CIN work",
    )
    real = case_requests._open_request_exists
    calls = []

    def missed_once(c):  # the check inside the transaction misses it; the constraint does not
        calls.append(c)
        return len(calls) > 1 and real(c)

    monkeypatch.setattr(case_requests, "_open_request_exists", missed_once)
    with transaction.atomic():  # a caller's transaction: it survives the refusal (the service's savepoint)
        with pytest.raises(services.ApplicationError) as refused:
            case_requests.case_request_create(
                now=NOW,
                actor=world.lac_tm,
                child=child,
                requesting_team=world.teams["lac_team"],
                reason="In care",
            )
        assert CaseRequest.objects.filter(child=child).count() == 1
    assert refused.value.errors == {"child": "there is already an open request for this child"}
