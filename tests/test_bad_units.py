"""Bad unit-data files: each case gets exactly the expected located Chinese diagnostics and exit code,
never a traceback, and a batch still scores its good units.

Every directory under ``tests/bad_inputs/units/`` is one case. The test copies it to a temporary folder,
runs ``civic evaluate <its unit files> --pack wmdw`` from there through click's CliRunner (so the paths in
messages are short and stable) and compares ``exit: N`` plus everything printed to stderr — the human
code-frame diagnostics and the summary line — with the case's ``expected.txt``. A case may give its own
arguments in ``args.txt`` (one per line). Cases named ``ok-*`` are inputs that are accepted and normalised
(BOM, full-width digits, 2024/1/5 and 2024年1月5日 dates) and must score with exit 0.

To rewrite the snapshots after a deliberate wording change (then review the diff!)::

    CIVIC_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_bad_units.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from evaluator.api import load_units
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack_or_raise

CASES_DIR = Path(__file__).resolve().parent / "bad_inputs" / "units"
UPDATE = os.environ.get("CIVIC_UPDATE_SNAPSHOTS") == "1"
CONTROL_FILES = {"expected.txt", "args.txt"}


def _enormous(folder: Path) -> None:
    """A unit file just over the 10 MB limit, made at test time so the repository stays small."""
    line = "# " + "很长的备注" * 20 + "\n"
    body = "unit: {id: DW-T-999, name: 某区图书馆, type: 事业单位}\n" + line * (10 * 1024 * 1024 // len(line.encode()) + 10)
    (folder / "单位.yaml").write_text(body, encoding="utf-8")


GENERATED: dict[str, Callable[[Path], None]] = {"d009-enormous-file": _enormous}


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def _run(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    folder = tmp_path / case
    shutil.copytree(CASES_DIR / case, folder, ignore=shutil.ignore_patterns(*CONTROL_FILES))
    if case in GENERATED:
        GENERATED[case](folder)
    args_file = CASES_DIR / case / "args.txt"
    if args_file.is_file():
        args = args_file.read_text(encoding="utf-8").split("\n")
        args = [a for a in args if a]
    else:
        args = [*sorted(p.name for p in folder.iterdir()), "--pack", "wmdw"]
    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, ["evaluate", *args])


_PACK_LIST = re.compile(r"可用：[a-z0-9, \-]+；")


def _snapshot(result: Result) -> str:
    """exit code + stderr; the list of installed packs (it grows as packs are added) is replaced by a marker."""
    stderr = result.stderr
    if "U001" in stderr:
        assert re.search(r"可用：[^；]*\bwmdw\b", stderr), stderr
        stderr = _PACK_LIST.sub("可用：<已安装的测评体系>；", stderr)
    return f"exit: {result.exit_code}\n{stderr}"


@pytest.mark.parametrize("case", _case_names())
def test_bad_unit_file(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(case, tmp_path, monkeypatch)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "E500" not in result.output
    expected_file = CASES_DIR / case / "expected.txt"
    if UPDATE:
        expected_file.write_text(_snapshot(result), encoding="utf-8")
    assert expected_file.is_file(), f"缺少 {expected_file}；运行 CIVIC_UPDATE_SNAPSHOTS=1 python -m pytest {Path(__file__).name}"
    assert _snapshot(result) == expected_file.read_text(encoding="utf-8")
    if case.startswith("ok-"):
        assert result.exit_code == 0 and result.stderr == ""
        assert "总分：" in result.stdout
        return
    assert result.exit_code in (2, 4)
    blocks = [b for b in result.stderr.split("\n\n") if b.startswith("error[")]
    assert blocks, "每个坏文件都至少有一条诊断"
    for block in blocks:
        assert re.search(r"^  --> \S", block, re.M), f"诊断缺少位置：{block}"
    if result.exit_code == 4:
        assert re.search(r"\d+ 个单位数据文件有错误，未评分；其余 \d+ 个已评分。$", result.stderr.strip())


def test_corpus_is_large_enough() -> None:
    names = _case_names()
    rejected = [n for n in names if (CASES_DIR / n / "expected.txt").read_text(encoding="utf-8").startswith("exit: 4")]
    assert len(rejected) >= 40, len(rejected)
    assert all((CASES_DIR / n / "expected.txt").is_file() for n in names)


def test_batch_scores_the_good_unit_and_lists_the_bad_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run("batch-good-and-bad", tmp_path, monkeypatch)
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert [u["unit"]["id"] for u in report["units"]] == ["DW-T-400"]
    assert [(r["source"], r["code"]) for r in report["rejected"]] == [("坏.yaml", "D202")]
    assert "“职工人数”应为数值，实际是 '三十八'" in report["rejected"][0]["message"]


def _load(case: str) -> list:  # type: ignore[type-arg]
    pack = load_pack_or_raise("wmdw")
    sink = DiagnosticSink()
    units = load_units(sorted((CASES_DIR / case).glob("单位.*")), pack, sink)
    assert not sink.items, [d.one_line() for d in sink.items]
    return units


def test_full_width_digits_and_percent_signs_are_normalised() -> None:
    [item] = _load("ok-fullwidth-digits")
    assert item.values == {"职工人数": Decimal(45), "人均学习学时": Decimal("34.5"), "投诉办结率": Decimal(96)}


def test_dates_in_many_formats_are_read_exactly() -> None:
    [item] = _load("ok-dates-in-many-formats")
    assert (item.unit.period.start, item.unit.period.end) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert [e.date for e in item.unit.evidence] == [dt.date(2024, 1, 5), dt.date(2024, 3, 1)]
    assert [r["日期"] for r in item.values["节日活动"]] == [dt.date(2024, 2, 10), dt.date(2024, 6, 10), dt.date(2024, 9, 17)]


def test_bom_and_json_are_accepted() -> None:
    assert _load("ok-bom")[0].unit.unit.name == "某区图书馆"
    [item] = _load("ok-json")
    assert item.values["投诉办结率"] == Decimal("95.2") and item.values["学雷锋纳入考核"] is True


def test_future_date_check_follows_the_as_of_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A January 2025 document is fine when the unit is assessed on --as-of 2025-01-31, wrong at 2024-12-31."""
    unit = tmp_path / "单位.yaml"
    unit.write_text("unit: {id: DW-T-500, name: 某区图书馆, type: 事业单位}\nperiod: {start: 2024-01-01, end: 2024-12-31}\n"
                    "fields: {职工人数: 45}\nevidence:\n  - {kind: 工作总结, title: 2024年工作总结, date: 2025-01-10}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    late = CliRunner().invoke(main, ["evaluate", "单位.yaml", "--pack", "wmdw", "--as-of", "2025-01-31"])
    assert late.exit_code == 0, late.stderr
    early = CliRunner().invoke(main, ["evaluate", "单位.yaml", "--pack", "wmdw"])
    assert early.exit_code == 4
    assert "材料“2024年工作总结”的日期 2025-01-10 晚于评测基准日 2024-12-31" in early.stderr
