"""The pure parts of issue 9's bad-input rules: text caps and NUL (domain/text.py), the JSON depth and NUL walk,
CSV decoding (UTF-8 with or without Excel's byte order mark, nothing else), and XLSX text cells that are never
formulas. The pages, the API and the command line using them are tested in tests/integration/test_bad_input.py."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from handover.documents.rendering import Sheet, render_xlsx
from handover.domain import text
from handover.onboarding.importing import NotUTF8, decode_csv


def test_text_problem_names_the_field_and_the_rule():
    assert text.text_problem("reason", "fine", text.REASON) is None
    assert text.text_problem("reason", None, text.REASON) is None
    assert text.text_problem("reason", "r" * 2_000, text.REASON) is None
    assert text.text_problem("reason", "r" * 2_001, text.REASON) == "reason must be 2,000 characters or less"
    assert (
        text.text_problem("work_undertaken", "a\x00b", text.SUMMARY)
        == "work undertaken must not contain the null character (U+0000)"
    )
    assert text.text_errors(reason=("ok", 10), minutes=("m" * 11, 10)) == {
        "minutes": "minutes must be 10 characters or less"
    }


def test_json_problem_finds_nul_in_values_and_keys_by_path():
    assert text.json_problem({"answers": {"facts": {"a": ["x", "y"]}}}) is None
    assert text.json_problem({"answers": {"facts": {"a": ["x", "y\x00"]}}}) == (
        "answers.facts.a.1",
        "answers.facts.a.1 must not contain the null character (U+0000)",
    )
    assert text.json_problem({"answers": {"x\x00": 1}}) == (
        "answers",
        "answers must not contain the null character (U+0000) in a key",
    )
    assert text.json_problem("\x00") == ("", "the request must not contain the null character (U+0000)")


def test_json_problem_walks_any_depth_without_recursion():
    deep: list = []
    for _ in range(100_000):  # far past Python's recursion limit
        deep = [deep]
    assert text.json_problem({"reason": deep}) == ("reason", "nested more than 20 levels deep")
    shallow: dict = {}
    node = shallow
    for _ in range(19):
        node["x"] = {}
        node = node["x"]
    assert text.json_problem({"a": shallow}) is None


def test_csv_is_utf8_with_or_without_the_byte_order_mark():
    assert decode_csv("team_name\nÉquipe\n".encode(), "t.csv") == "team_name\nÉquipe\n"
    assert decode_csv("team_name\nÉquipe\n".encode("utf-8-sig"), "t.csv") == "team_name\nÉquipe\n"


@pytest.mark.parametrize(
    ("encoding", "says"),
    [
        ("latin-1", "byte 0xc9 at position 10 is not UTF-8"),
        ("cp1252", "byte 0xc9 at position 10 is not UTF-8"),
        ("utf-16", "byte 0xff at position 0 is not UTF-8"),
        ("utf-16-le", "NUL bytes (UTF-16?)"),
    ],
)
def test_csv_in_another_encoding_is_refused_in_one_line_naming_the_file(encoding, says):
    with pytest.raises(NotUTF8) as refused:
        # Without a byte order mark, UTF-16 of plain ASCII is valid UTF-8, but full of NULs.
        sample = "team_name\nEquipe\n" if encoding == "utf-16-le" else "team_name\nÉquipe\n"
        decode_csv(sample.encode(encoding), "staff/teams.csv")
    message = str(refused.value)
    assert message.startswith("staff/teams.csv: expected UTF-8 text") and says in message
    assert "\n" not in message


def test_xlsx_text_is_a_string_cell_never_a_formula():
    values = ['=HYPERLINK("http://example.invalid","x")', "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)"]
    values += ["\tTab", "plain", "bell\x07"]
    book = load_workbook(
        io.BytesIO(render_xlsx([Sheet("=Sheet", ("=header",), [(v,) for v in values], heading="=heading")]))
    )
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]
    by_value = {c.value: c for c in cells}
    for value in [*values[:6], "=header", "=heading"]:
        assert by_value[value].quotePrefix, value
    assert not by_value["plain"].quotePrefix
    assert "bell\ufffd" in by_value  # a control character XML cannot hold is shown, not a crash
