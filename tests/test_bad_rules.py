"""Bad rule files: each case gets the exact located Chinese diagnostics and exit code, never a traceback.

Every directory under ``tests/bad_inputs/rules/`` except ``_base`` is one case. The test copies the small
valid pack ``_base/`` to a temporary folder, lays the case's files over it (same relative paths; a file
``_delete.txt`` lists files to remove; ``tailoring.yaml`` is passed as ``--tailoring``), runs
``civic lint pack -f parsable`` through click's CliRunner from that folder — so paths in the output are
short and stable — and compares with the case's ``expected.txt`` (first line ``exit: N``).
A case may also carry ``expected_human.txt``: the same run with the human code-frame format.

To rewrite the snapshots after a deliberate wording change (then review the diff!)::

    CIVIC_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_bad_rules.py
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from tests.bad_inputs.rules.corpus import BASE, CASES_DIR, build_case, case_names

UPDATE = os.environ.get("CIVIC_UPDATE_SNAPSHOTS") == "1"


def _lint(pack: Path, fmt: str) -> Result:
    args = ["lint", pack.name, "-f", fmt]
    if (pack / "tailoring.yaml").is_file():
        args += ["--tailoring", f"{pack.name}/tailoring.yaml"]
    return CliRunner().invoke(main, args)


def _snapshot(result: Result) -> str:
    return f"exit: {result.exit_code}\n{result.output}"


def _check(result: Result, expected_file: Path) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "error[E500]" not in result.output
    actual = _snapshot(result)
    if UPDATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.is_file(), f"缺少快照 {expected_file}（用 CIVIC_UPDATE_SNAPSHOTS=1 生成后审阅）"
    assert actual == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", case_names())
def test_bad_rule_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parsable diagnostics and the exit code of each case equal its snapshot."""
    pack = build_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    _check(_lint(pack, "parsable"), CASES_DIR / case / "expected.txt")


@pytest.mark.parametrize("case", sorted(p.parent.name for p in CASES_DIR.glob("*/expected_human.txt")))
def test_bad_rule_human_frame(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The human code-frame format (source line and caret) of a few cases equals its snapshot."""
    pack = build_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    _check(_lint(pack, "human"), CASES_DIR / case / "expected_human.txt")


def test_corpus_is_large_enough() -> None:
    """The brief asks for at least 40 bad cases, at least 3 of them with a human-format snapshot."""
    assert len(case_names()) >= 40
    assert len(list(CASES_DIR.glob("*/expected_human.txt"))) >= 3


def test_every_error_case_exits_3_and_is_located() -> None:
    """Every case named after an error code exits 3, and every diagnostic line starts with a file path."""
    for case in case_names():
        text = (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8")
        first, *lines = text.splitlines()
        if case.startswith("r") or case.startswith("multi"):
            assert first == "exit: 3", case
        for line in lines:
            if "[error]" in line or "[warning]" in line:
                assert line.startswith("pack/") or line.startswith("命令行"), (case, line)


def test_base_pack_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base every case starts from passes lint with no warnings, so each case shows only its own problem."""
    pack = tmp_path / "pack"
    shutil.copytree(BASE, pack)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", "pack", "--strict", "-f", "parsable"])
    assert result.exit_code == 0, result.output
    assert "[error]" not in result.output and "[warning]" not in result.output


def test_json_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``-f json`` prints only a JSON list (no summary line) with code, severity, message, hint and location."""
    pack = build_case("multi-errors-in-several-files", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", pack.name, "-f", "json"])
    assert result.exit_code == 3
    items = json.loads(result.stdout)
    assert [(i["code"], i["path"], i["line"], i["col"]) for i in items] == [
        ("R102", "pack/pack.yaml", 10, 3), ("R001", "pack/rules/extra.yaml", 2, 1), ("R106", "pack/rules/main.yaml", 5, 13)]
    assert items[0] == {"code": "R102", "severity": "error", "message": "未知的键 'grade'", "hint": "是否想写 'grades'？",
                        "path": "pack/pack.yaml", "line": 10, "col": 3, "sheet": None, "cell": None}
    assert "\\u" not in result.stdout


def test_strict_turns_warnings_into_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings alone exit 0; with --strict they exit 1 (the documented gate code)."""
    pack = build_case("w312-fixtures-one-sided", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["lint", pack.name]).exit_code == 0
    assert CliRunner().invoke(main, ["lint", pack.name, "--strict"]).exit_code == 1


def test_every_case_in_every_format_has_no_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All three formats on a sample of structurally different cases: a clean exit code, never a traceback."""
    monkeypatch.chdir(tmp_path)
    for index, case in enumerate(["r005-deep-nesting", "r011-gbk-file", "r200-expr-too-deep", "r221-tailoring-unknown-rule"]):
        pack = build_case(case, tmp_path / str(index))
        for fmt in ("human", "parsable", "json"):
            args = ["lint", str(pack.relative_to(tmp_path)), "-f", fmt]
            if (pack / "tailoring.yaml").is_file():
                args += ["--tailoring", str(pack.relative_to(tmp_path) / "tailoring.yaml")]
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 3 and "Traceback" not in result.output, (case, fmt, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit)
