"""The audit trail's seal and chain check, without a database (handover.audit.chain)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest

from handover.audit.chain import (
    GENESIS,
    Head,
    Row,
    canonical,
    check_chain,
    payload_digest,
    seal,
    seal_v1,
)

AT = dt.datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=ZoneInfo("Europe/London"))
FIELDS = dict(
    authority=1,
    sequence=7,
    previous_hash="a" * 64,
    at=AT,
    actor=3,
    verb="child_viewed",
    child=42,
    object_type="children.Child",
    object_id="42",
    before={"team": "assessment_east", "worker": 5},
    after={"team": "cin_cp_east", "worker": None},
    detail="Viewed the record",
)


def test_a_seal_is_the_sha256_of_a_pinned_serialisation():
    """The serialisation is fixed: a change to it would make every row already written fail verification. The
    payload (before, after, detail) is sealed through its own SHA-256, so it can be erased later (version 2)."""
    payload = (
        '{"after":{"team":"cin_cp_east","worker":null},"before":{"team":"assessment_east","worker":5},'
        '"detail":"Viewed the record"}'
    ).encode("ascii")
    pinned = (
        '{"actor":3,"at":"2026-11-24T10:00:00.123456Z","authority":1,"child":42,"object_id":"42",'
        '"object_type":"children.Child","payload":"'
        + hashlib.sha256(payload).hexdigest()
        + '","previous":"'
        + "a" * 64
        + '","sequence":7,"v":2,"verb":"child_viewed"}'
    ).encode("ascii")
    assert canonical(**FIELDS) == pinned
    assert seal(**FIELDS) == hashlib.sha256(pinned).hexdigest()


def test_version_1_seals_are_still_computed_as_they_were_for_the_migration_that_moves_chains_on():
    pinned = (
        '{"actor":3,"after":{"team":"cin_cp_east","worker":null},"at":"2026-11-24T10:00:00.123456Z",'
        '"authority":1,"before":{"team":"assessment_east","worker":5},"child":42,"detail":"Viewed the record",'
        '"object_id":"42","object_type":"children.Child","previous":"' + "a" * 64 + '","sequence":7,"v":1,'
        '"verb":"child_viewed"}'
    ).encode("ascii")
    assert seal_v1(**FIELDS) == hashlib.sha256(pinned).hexdigest()


def test_an_erased_row_keeps_its_seal_through_the_payloads_digest():
    digest = payload_digest(before=FIELDS["before"], after=FIELDS["after"], detail=FIELDS["detail"])
    erased = {**FIELDS, "before": None, "after": None, "detail": ""}
    assert seal(**erased, erased_payload_digest=digest) == seal(**FIELDS)
    # A digest that is not the erased payload's breaks the seal like any other change.
    assert seal(**erased, erased_payload_digest="0" * 64) != seal(**FIELDS)


@pytest.mark.parametrize(
    "field, other",
    [
        ("authority", 2),
        ("authority", None),
        ("sequence", 8),
        ("previous_hash", "b" * 64),
        ("at", AT + dt.timedelta(microseconds=1)),
        ("actor", 4),
        ("actor", None),
        ("verb", "child_changed"),
        ("child", 43),
        ("object_type", "transfers.Transfer"),
        ("object_id", "43"),
        ("before", {"team": "assessment_east", "worker": 6}),
        ("after", None),
        ("detail", "Viewed the record "),
    ],
)
def test_changing_anything_a_row_says_changes_its_seal(field, other):
    assert seal(**{**FIELDS, field: other}) != seal(**FIELDS)


def test_the_time_is_sealed_as_an_instant_whatever_zone_it_was_given_in():
    in_utc = AT.astimezone(dt.UTC)
    assert seal(**{**FIELDS, "at": in_utc}) == seal(**FIELDS)
    assert b'"at":"2026-11-24T10:00:00.123456Z"' in canonical(**FIELDS)
    with pytest.raises(ValueError, match="time zone"):
        seal(**{**FIELDS, "at": AT.replace(tzinfo=None)})


def test_json_is_sealed_as_either_database_gives_it_back():
    """Key order, tuples for lists, whole floats and integer keys read back differently from SQLite and
    PostgreSQL's jsonb: none of them may change the seal."""
    reordered = {"worker": 5, "team": "assessment_east"}
    assert seal(**{**FIELDS, "before": reordered}) == seal(**FIELDS)
    assert seal(**{**FIELDS, "after": {"children": (1, 2)}}) == seal(
        **{**FIELDS, "after": {"children": [1, 2]}}
    )
    assert seal(**{**FIELDS, "after": {"n": 1e20}}) == seal(**{**FIELDS, "after": {"n": 10**20}})
    assert seal(**{**FIELDS, "after": {1: "x"}}) == seal(**{**FIELDS, "after": {"1": "x"}})
    assert seal(**{**FIELDS, "after": {"n": 0.5}}) != seal(**{**FIELDS, "after": {"n": 1}})


def test_the_serialisation_is_ascii_with_sorted_keys_and_no_spaces():
    text = canonical(**{**FIELDS, "object_type": "Zoë’s record"}).decode("ascii")
    assert "\\u00eb" in text and " " not in text.replace("Zo\\u00eb\\u2019s record", "")
    assert text.index('"actor"') < text.index('"at"') < text.index('"payload"') < text.index('"verb"')


# -- the chain --------------------------------------------------------------------------------------------------


def chain(n: int, authority: int | None = 1) -> list[Row]:
    rows, previous = [], GENESIS
    for i in range(1, n + 1):
        fields = {
            **FIELDS,
            "authority": authority,
            "sequence": i,
            "previous_hash": previous,
            "detail": f"r{i}",
        }
        row = Row(
            pk=100 + i,
            authority=authority,
            sequence=i,
            previous_hash=previous,
            hash=seal(**fields),
            at=AT,
            actor=3,
            verb="child_viewed",
            child=42,
            object_type="children.Child",
            object_id="42",
            before=FIELDS["before"],
            after=FIELDS["after"],
            detail=f"r{i}",
        )
        rows.append(row)
        previous = row.hash
    return rows


def head_of(rows: list[Row]) -> Head:
    return Head(rows[-1].sequence, rows[-1].hash) if rows else Head(0, GENESIS)


def resealed(row: Row) -> Row:
    return dataclasses.replace(row, hash=row.recomputed())


def test_an_intact_chain_passes_and_says_where_it_ends():
    rows = chain(5)
    checked = check_chain(rows, head_of(rows))
    assert checked.problem is None and checked.rows == 5 and checked.last == head_of(rows)
    assert check_chain([], None).problem is None
    assert check_chain([], Head(0, GENESIS)).problem is None


def test_a_changed_row_is_named():
    rows = chain(5)
    head = head_of(rows)
    rows[2] = dataclasses.replace(rows[2], detail="nothing to see")
    problem = check_chain(rows, head).problem
    assert (problem.kind, problem.row, problem.sequence) == ("altered", 103, 3)
    assert "row 103 (number 3) no longer matches its seal" in problem.message


def test_a_changed_and_resealed_row_is_caught_by_the_row_after_it():
    rows = chain(5)
    head = head_of(rows)
    rows[2] = resealed(dataclasses.replace(rows[2], detail="nothing to see"))
    problem = check_chain(rows, head).problem
    assert (problem.kind, problem.row) == ("inserted", 104)
    assert (
        "does not follow row 103" in problem.message and "row 103 was changed and resealed" in problem.message
    )


def test_a_removed_row_leaves_a_gap_that_is_named():
    rows = chain(5)
    head = head_of(rows)
    del rows[1]
    problem = check_chain(rows, head).problem
    assert (problem.kind, problem.row, problem.sequence) == ("removed", 103, 2)
    assert problem.message == "number 2 is missing after row 101, before row 103: rows were removed"
    first_gone = chain(5)[2:]
    assert (
        "numbers 1 to 2 are missing at the start of the chain"
        in check_chain(first_gone, head).problem.message
    )


def test_rows_removed_from_the_end_are_seen_by_the_head():
    rows = chain(5)
    problem = check_chain(rows[:3], head_of(rows)).problem
    assert (problem.kind, problem.row, problem.sequence) == ("removed", None, 4)
    assert problem.message == "numbers 4 to 5 are missing at the end, after row 103: rows were removed"
    everything = check_chain([], head_of(rows)).problem
    assert everything.kind == "removed" and "every row of the chain" in everything.message


def test_a_row_inserted_at_the_end_with_a_good_seal_is_seen_by_the_head():
    rows = chain(6)
    problem = check_chain(rows, head_of(rows[:5])).problem
    assert (problem.kind, problem.row, problem.sequence) == ("inserted", 106, 6)
    assert "recorded end is number 5" in problem.message


def test_a_row_inserted_with_a_repeated_number_is_named():
    rows = chain(4)
    intruder = dataclasses.replace(rows[2], pk=999, detail="added later")
    problem = check_chain([*rows[:3], intruder, rows[3]], head_of(rows)).problem
    assert (problem.kind, problem.row) == ("inserted", 999)
    assert "repeats number 3" in problem.message


def test_a_replaced_last_row_is_seen_by_the_head():
    rows = chain(3)
    head = head_of(rows)
    rows[2] = resealed(dataclasses.replace(rows[2], detail="replaced"))
    problem = check_chain(rows, head).problem
    assert (problem.kind, problem.row) == ("altered", 103)
    assert "not the row the chain ended with" in problem.message


def test_rows_without_a_recorded_end_were_inserted():
    problem = check_chain(chain(2), None).problem
    assert problem.kind == "inserted" and "no recorded end" in problem.message


def erased(row: Row) -> Row:
    """The row as erasure leaves it: no payload, the payload's digest in its place, the seal untouched."""
    digest = payload_digest(before=row.before, after=row.after, detail=row.detail)
    return dataclasses.replace(row, before=None, after=None, detail="", erased_payload_digest=digest)


def erasure_row(rows: list[Row], child: int = 42) -> Row:
    last = rows[-1]
    fields = {**FIELDS, "sequence": last.sequence + 1, "previous_hash": last.hash, "verb": "child_erased"}
    fields.update(child=child, before=None, after={"erased": True}, detail="")
    return Row(
        pk=last.pk + 1,
        authority=1,
        sequence=fields["sequence"],
        previous_hash=last.hash,
        hash=seal(**fields),
        at=AT,
        actor=3,
        verb="child_erased",
        child=child,
        object_type=fields["object_type"],
        object_id=fields["object_id"],
        before=None,
        after={"erased": True},
        detail="",
    )


def test_rows_erased_with_their_childs_record_still_verify_and_are_counted():
    rows = chain(4)
    rows = [*map(erased, rows)]
    rows.append(erasure_row(rows))
    checked = check_chain(rows, head_of(rows))
    assert checked.problem is None and checked.erased == 4


def test_a_payload_erased_without_an_erasure_of_the_childs_record_is_named():
    rows = chain(4)
    rows[1] = erased(rows[1])
    checked = check_chain(rows, head_of(rows))
    assert checked.problem is not None and checked.problem.kind == "erased"
    assert checked.problem.row == rows[1].pk
    assert "no erasure of its child's record" in checked.problem.message


def test_an_erasure_of_another_child_does_not_explain_an_erased_row():
    rows = chain(3)
    rows[0] = erased(rows[0])
    rows.append(erasure_row(rows, child=43))
    assert check_chain(rows, head_of(rows)).problem.kind == "erased"


def test_a_payload_replaced_by_a_made_up_digest_breaks_the_seal():
    rows = chain(3)
    rows[1] = dataclasses.replace(erased(rows[1]), erased_payload_digest="f" * 64)
    rows.append(erasure_row(rows))
    checked = check_chain(rows, head_of(rows))
    assert checked.problem.kind == "altered" and checked.problem.row == rows[1].pk
