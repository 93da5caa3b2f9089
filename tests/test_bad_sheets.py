"""Bad spreadsheets (xlsx and CSV) through ``civic batch`` and ``civic evaluate``: every case gets exactly the
expected located Chinese diagnostics (``file:Sheet!C14`` or ``file:line:col``) and exit code, never a traceback;
the good units of the same file are still scored, and the rejected ones are listed in summary.json and in the
sheet 未评分单位 of 汇总.xlsx.

Every folder under ``tests/bad_inputs/sheets/`` (except ``_base``) is one case, built by ``kit.build_case`` from
three fixed units and the case's edits (see ``tests/bad_inputs/sheets/kit.py``). The snapshot ``expected.txt``
holds, for each command, the exit code, everything printed to stderr, the units scored and the rejected entries.

To rewrite the snapshots after a deliberate wording change (then review the diff!)::

    CIVIC_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_bad_sheets.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli import main
from evaluator.loader import load_pack_or_raise
from tests.bad_inputs.sheets.kit import CASES_DIR, build_case, case_names, case_spec, summary_rows

UPDATE = os.environ.get("CIVIC_UPDATE_SNAPSHOTS") == "1"
OUTDIR = "结果"
#: Problems of a whole file, which have no cell to point at (the file cannot be opened or decoded at all).
FILE_LEVEL = {"D000", "D300", "D301", "D302", "D309"}
#: Problems of a whole sheet: a missing sheet, or a required field that has no row or column at all.
SHEET_LEVEL = {"D203", "D313"}
LOCATED = re.compile(r"(![A-Z]+\d+|:\d+:\d+)$")


@pytest.fixture(scope="module")
def pack() -> Any:
    return load_pack_or_raise("wmdw")


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _batch_section(inputs: list[str], result: Result, folder: Path) -> str:
    lines = [f"$ civic batch {' '.join(inputs)} --pack wmdw -o {OUTDIR}", f"exit: {result.exit_code}", result.stderr.rstrip("\n")]
    summary_file = folder / OUTDIR / "summary.json"
    if summary_file.is_file():
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        lines.append("已评分：" + ("、".join(r["id"] for r in sorted(summary["ranks"], key=lambda r: r["id"])) or "无"))
        lines.append("summary.json rejected:")
        lines += [f"- {r['unit'] or '（无编号）'} @ {r['source']} [{r['code']}]" for r in summary["rejected"]]
        lines.append("summary.json warnings: " + ("、".join(f"{w['code']}@{w['sheet'] or w['path']}" for w in summary["warnings"]) or "无"))
    return "\n".join(lines)


def _evaluate_section(inputs: list[str], result: Result) -> str:
    return "\n".join([f"$ civic evaluate {' '.join(inputs)} --pack wmdw", f"exit: {result.exit_code}", result.stderr.rstrip("\n")])


def _check_invariants(result: Result, folder: Path) -> None:
    """No traceback; bad units rejected with located reasons, listed in summary.json and 汇总.xlsx alike."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "E500" not in result.output, result.output
    summary_file = folder / OUTDIR / "summary.json"
    if not summary_file.is_file():
        assert result.exit_code in (2, 4), result.output  # usage error, or nothing could be read at all
        return
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert (result.exit_code == 4) == bool(summary["rejected"]), result.output
    for entry in summary["rejected"]:
        located = LOCATED.search(entry["source"]) or (entry["code"] in SHEET_LEVEL and ".xlsx:" in entry["source"])
        assert entry["code"] in FILE_LEVEL or located, f"未定位到单元格或行：{entry}"
        assert re.search(r"[\u4e00-\u9fff]", entry["message"]), entry
    rows = summary_rows(folder / OUTDIR / "汇总.xlsx", "未评分单位")
    if summary["rejected"]:
        assert [r[0] for r in rows] == list(range(1, len(summary["rejected"]) + 1))
        assert [(r[3], r[5]) for r in rows] == [(e["source"], e["message"]) for e in summary["rejected"]]
    lines = (folder / OUTDIR / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == summary["counts"]["units"]


@pytest.mark.parametrize("case", case_names())
def test_bad_sheet(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pack: Any) -> None:
    folder = tmp_path / case
    folder.mkdir()
    inputs = build_case(case, folder, pack) + [str(a) for a in case_spec(case).get("args", [])]
    monkeypatch.chdir(folder)
    batch = _invoke("batch", *inputs, "--pack", "wmdw", "-o", OUTDIR)
    _check_invariants(batch, folder)
    sections = [f"# {case_spec(case)['title']}", _batch_section(inputs, batch, folder)]
    if case_spec(case).get("evaluate", True):
        evaluate = _invoke("evaluate", *inputs, "--pack", "wmdw")
        assert evaluate.exception is None or isinstance(evaluate.exception, SystemExit), repr(evaluate.exception)
        assert "Traceback" not in evaluate.output and "E500" not in evaluate.output, evaluate.output
        assert evaluate.exit_code == batch.exit_code or batch.exit_code == 2, (evaluate.output, batch.output)
        sections.append(_evaluate_section(inputs, evaluate))
    actual = "\n\n".join(sections) + "\n"
    expected_file = CASES_DIR / case / "expected.txt"
    if UPDATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.is_file(), f"缺少 {expected_file}；运行 CIVIC_UPDATE_SNAPSHOTS=1 python -m pytest {Path(__file__).name}"
    assert actual == expected_file.read_text(encoding="utf-8")


def test_corpus_covers_the_issue() -> None:
    """At least 30 cases, in both layouts, and each names its case in a Chinese title."""
    names = case_names()
    assert len(names) >= 30, len(names)
    layouts = {case_spec(n).get("layout", "workbook") for n in names}
    assert {"workbook", "template", "csv"} <= layouts
    assert all(re.search(r"[\u4e00-\u9fff]", case_spec(n)["title"]) for n in names)


def test_a_missing_field_column_scores_as_missing_never_as_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pack: Any) -> None:
    """Without the column 禁烟标识齐全 the rule that reads it is 缺项 (0 points, listed) for every unit."""
    inputs = build_case("x309-missing-field-column", tmp_path, pack)
    monkeypatch.chdir(tmp_path)
    assert _invoke("batch", *inputs, "--pack", "wmdw", "-o", OUTDIR).exit_code == 0
    rules = [r for line in (tmp_path / OUTDIR / "results.jsonl").read_text(encoding="utf-8").splitlines()
             for r in json.loads(line)["rules"] if any("禁烟标识齐全" in m["name"] for m in r["missing"])]
    assert len(rules) == 3 and all(r["outcome"] == "missing" and r["earned"] == 0 for r in rules)
