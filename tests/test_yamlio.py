"""Located YAML loading (evaluator/yamlio.py): positions of keys and values, and every refusal with its code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaluator import yamlio
from evaluator.errors import Location
from evaluator.yamlio import YamlProblem, load_yaml, read_text


def write(tmp_path: Path, text: str | bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problem(path: Path, prefix: str = "R") -> YamlProblem:
    with pytest.raises(YamlProblem) as info:
        load_yaml(path, prefix)
    return info.value


def test_values_and_keys_have_line_and_column(tmp_path: Path) -> None:
    """Every value and every key is located (1-based line and column); values know where they end on the line."""
    path = write(tmp_path, "rules:\n  - id: B-01\n    title: 年度方案\n    points: 4\n")
    doc = load_yaml(path)
    assert doc.data == {"rules": [{"id": "B-01", "title": "年度方案", "points": 4}]}
    assert doc.values[("rules", 0, "title")] == Location(str(path), 3, 12, 16)
    assert doc.keys[("rules", 0, "points")] == Location(str(path), 4, 5, 11)
    assert doc.values[("rules", 0)].line == 2


def test_locate_falls_back_to_the_parent(tmp_path: Path) -> None:
    """A missing key is reported where its mapping starts; the root is 1:1."""
    doc = load_yaml(write(tmp_path, "rules:\n  - id: B-01\n"))
    assert doc.locate(("rules", 0, "title")) == doc.values[("rules", 0)]
    assert doc.locate(("rules", 0, "title"), key=True) == doc.keys[("rules",)]  # nearest enclosing key
    assert doc.locate(("nothing",)).line == 1


def test_dates_and_scalars(tmp_path: Path) -> None:
    """YAML dates become dates (midnight timestamps too); numbers, booleans and null follow the safe schema."""
    doc = load_yaml(write(tmp_path, "a: 2024-01-31\nb: 2024-01-31 00:00:00\nc: 2024-01-31 08:30:00\nd: 1.5\ne: true\nf: ~\ng: '01'\n"))
    assert doc.data["a"] == dt.date(2024, 1, 31) and doc.data["b"] == dt.date(2024, 1, 31)
    assert doc.data["c"] == dt.datetime(2024, 1, 31, 8, 30)
    assert (doc.data["d"], doc.data["e"], doc.data["f"], doc.data["g"]) == (1.5, True, None, "01")


def test_bom_crlf_and_json_are_accepted(tmp_path: Path) -> None:
    """A UTF-8 BOM (Windows Notepad), CRLF line ends and JSON files load like plain YAML."""
    assert load_yaml(write(tmp_path, "\ufeffa: 1\r\nb: 甲\r\n")).data == {"a": 1, "b": "甲"}
    assert load_yaml(write(tmp_path, '{"a": [1, 2], "b": "乙"}', "f.json")).data == {"a": [1, 2], "b": "乙"}


def test_small_anchors_are_fine(tmp_path: Path) -> None:
    """Anchors and aliases of ordinary size are allowed; only explosive expansion is refused."""
    doc = load_yaml(write(tmp_path, "a: &x [1, 2]\nb: *x\n"))
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize(("text", "code", "line", "words"), [
    ("a:\n\tb: 1\n", "R001", 2, "制表符"),
    ("a: [1, 2\nb: 3\n", "R002", 2, "方括号"),
    ("a: {b: 1\nc: 2\n", "R002", 2, "花括号"),
    ("a: '未闭合\n", "R002", 2, "引号或括号未闭合"),
    ("a: 年度方案: 制定\n", "R002", 1, "冒号"),
    ("a: *nothing\n", "R002", 1, "未定义的别名"),
    ("a: 1\nb: 2\na: 3\n", "R003", 3, "重复的键 'a'（第一次出现在第 1 行）"),
    ("a:\n  b: 1\n  b: 2\n", "R003", 3, "重复的键 'b'"),
    ("a: 1\n<<: {b: 2}\n", "R006", 2, "合并键"),
    ("? [1, 2]\n: 3\n", "R007", 1, "此处应为单个值"),
    ("a: !!python/object/apply:os.system ['id']\n", "R008", 1, "!!python/object/apply:os.system"),
    ("a: !custom 1\n", "R008", 1, "!custom"),
    ("a: !!set {b: null}\n", "R008", 1, "!!set"),
    ("a: 1\n---\nb: 2\n", "R013", 3, "多余的 ---"),
])
def test_refusals_are_located(tmp_path: Path, text: str, code: str, line: int, words: str) -> None:
    """Syntax errors and unsafe constructs give a coded, located Chinese diagnostic."""
    diag = problem(write(tmp_path, text)).diagnostic
    assert (diag.code, diag.location.line) == (code, line)
    assert words in diag.message and diag.hint


def test_alias_bomb_is_stopped(tmp_path: Path) -> None:
    """Nine levels of ten aliases (10^9 nodes) stop at the node budget."""
    lines = ["- &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"- &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    diag = problem(write(tmp_path, "\n".join(lines) + "\n")).diagnostic
    assert diag.code == "R004" and str(yamlio.MAX_NODES) in diag.message


def test_deep_nesting_is_stopped(tmp_path: Path) -> None:
    diag = problem(write(tmp_path, "a: " + "[" * 70 + "]" * 70 + "\n")).diagnostic
    assert diag.code == "R005"


@pytest.mark.parametrize(("text", "message"), [("", "文件是空的"), ("   \n\n", "文件是空的"), ("# 只有注释\n", "只有注释")])
def test_empty_files(tmp_path: Path, text: str, message: str) -> None:
    diag = problem(write(tmp_path, text)).diagnostic
    assert diag.code == "R012" and message in diag.message and diag.hint


def test_unreadable_files(tmp_path: Path) -> None:
    """Missing, binary and GBK files are refused before parsing; the GBK one with the line of the first bad byte."""
    assert problem(tmp_path / "none.yaml").diagnostic.code == "R000"
    assert problem(write(tmp_path, b"PK\x03\x04\x00\x00binary")).diagnostic.code == "R010"
    diag = problem(write(tmp_path, "a: 1\nb: 测评\n".encode("gbk"))).diagnostic
    assert (diag.code, diag.location.line) == ("R011", 2) and "UTF-8" in (diag.hint or "")


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files over the limit are refused by size alone (the limit is lowered here to keep the test small)."""
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 100)
    diag = problem(write(tmp_path, "a: " + "1" * 200 + "\n")).diagnostic
    assert diag.code == "R009" and "上限" in diag.message


def test_unit_files_get_d_codes(tmp_path: Path) -> None:
    """The same checks on unit data / waiver files report D codes (exit 4 family), syntax errors included."""
    assert problem(write(tmp_path, "a:\n\tb: 1\n"), "D").diagnostic.code == "D001"
    assert problem(write(tmp_path, "a: 1\na: 2\n"), "D").diagnostic.code == "D003"
    assert problem(write(tmp_path, "a: !x 1\n"), "D").diagnostic.code == "D008"
    assert problem(write(tmp_path, ""), "D").diagnostic.code == "D012"


def test_read_text_strips_bom(tmp_path: Path) -> None:
    assert read_text(write(tmp_path, "\ufeffa: 1\n")) == "a: 1\n"
