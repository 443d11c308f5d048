"""The command line: what a user types and reads, and the one-line errors with exit code 2."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from handover.cli import main
from handover.domain.protocol.coverage import coverage_markdown
from handover.domain.protocol.loader import bundled_protocols, load_protocol

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "re-referral.json"


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out = io.StringIO()
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = main(list(argv), stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue(), err.getvalue()


def test_protocol_check_reports_clause_coverage():
    code, out, _ = run("protocol", "check", "dorset")
    assert code == 0
    assert "OK dorset 2017-07+" in out and "all 191 clauses" in out


def test_protocol_check_of_a_broken_file_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: handover-protocol/2\n", encoding="utf-8")
    code, _, err = run("protocol", "check", str(bad))
    assert code == 1
    assert "bad.yaml: format: Input should be 'handover-protocol/1'" in err


def test_protocol_show_is_readable():
    code, out, _ = run("protocol", "show", "dorset")
    assert code == 0
    assert "Dorset County Council: Children's Social Care Transfer Protocol" in out
    assert "re_referral_within_3_months: when" in out and "history.closed_on within 3 months" in out
    assert "1. service manager after 5 working days" in out


def test_route_json_from_file_quotes_the_clause():
    code, out, _ = run("route", "--protocol", "dorset", "--file", str(EXAMPLE))
    assert code == 0
    data = json.loads(out)
    assert data["outcome"] == "route" and data["receiving_service"] == "cin_cp"
    assert data["rule"] == "re_referral_within_3_months"
    d083 = next(c for c in data["cites"] if c["id"] == "D-083")
    assert "closed within 3 months of the re referral" in d083["text"]


def test_deadlines_text_from_stdin():
    code, out, _ = run("deadlines", "-p", "dorset", "--text", stdin=EXAMPLE.read_text())
    assert code == 0
    assert "2026-11-25  Decision and transfer within a working day [due, 1 working days left]" in out


def test_readiness_names_what_blocks():
    situation = {
        "event": "care_order_made",
        "date": "2026-11-24",
        "history": {"current_service": "court"},
        "child": {"legal_status": "care_order", "plan": "cla", "birth_date": "2016-01-01"},
        "documents": {"court_order": "2026-11-24"},
    }
    code, out, _ = run("readiness", "-p", "dorset", "--today", "2026-11-24", stdin=json.dumps(situation))
    assert code == 0
    data = json.loads(out)
    assert data["readiness"]["ready"] is False
    assert "birth_certificate_copy" in data["readiness"]["blocking"]
    assert "legal_orders_on_file" not in data["readiness"]["blocking"]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "error: situation: not valid JSON (line 1, column 2"),
        ("[1, 2]", "error: situation: must be a JSON object"),
        (
            '{"event": "referral", "date": "2026-11-24", "child": {"star_sign": "leo"}}',
            "error: child.star_sign: is not a fact dorset's protocol declares",
        ),
        (
            '{"event": "referral", "date": "2026-11-24", "facts": {"mash_decision": "maybe"}}',
            "error: facts.mash_decision: must be one of assessment, early_help, contact_only; got 'maybe'",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(stdin, message):
    code, out, err = run("route", "-p", "dorset", stdin=stdin)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1


@pytest.mark.parametrize("name", sorted(bundled_protocols()))
def test_coverage_document_is_current_and_lists_every_clause(name):
    protocol = load_protocol(name)
    page = ROOT / "docs" / "protocols" / f"{name}.md"
    assert page.exists(), f"run: handover protocol coverage {name} > docs/protocols/{name}.md"
    text = page.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| ([A-Z]+-\d{3}) \|", text, flags=re.M))
    assert listed == set(protocol.clauses), sorted(set(protocol.clauses) - listed)
    assert "NOT COVERED" not in text
    assert text == coverage_markdown(protocol), f"stale: regenerate docs/protocols/{name}.md"
