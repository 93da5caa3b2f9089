"""A hidden sheet that civic knows is read like a visible one: hiding 事件 must not hide a veto incident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from click.testing import CliRunner

from cli import main
from evaluator.batch.table_writer import XlsxTableWriter

BASE = Path(__file__).resolve().parents[1] / "bad_inputs" / "sheets" / "_base" / "WMDW-330106-00002.yaml"
INCIDENT = {"type": "职工刑事案件", "date": "2024-05-10", "level": "一般", "description": "职工因盗窃被判处有期徒刑"}


def _workbook(folder: Path, pack: Any, hide: str | None) -> Path:
    unit = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    unit["incidents"] = [INCIDENT]
    path = folder / "单位.xlsx"
    writer = XlsxTableWriter(path, pack)
    writer.add(unit)
    writer.close()
    if hide:
        book = openpyxl.load_workbook(path)
        book[hide].sheet_state = "hidden"
        book.save(path)
    return path


def _batch(folder: Path, book: Path) -> tuple[Any, dict[str, Any]]:
    result = CliRunner().invoke(main, ["batch", str(book), "--pack", "wmdw", "-o", str(folder / "out")])
    summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
    return result, summary


def test_hidden_incident_sheet_still_vetoes(tmp_path: Path, wmdw: Any) -> None:
    """The same unit scores the same whether its 事件 sheet is visible or hidden; the hidden one adds a D320 warning."""
    (tmp_path / "visible").mkdir()
    (tmp_path / "hidden").mkdir()
    _, shown = _batch(tmp_path / "visible", _workbook(tmp_path / "visible", wmdw, None))
    result, hidden = _batch(tmp_path / "hidden", _workbook(tmp_path / "hidden", wmdw, "事件"))
    assert result.exit_code == 0, result.output
    assert "工作表「事件」是隐藏的，仍照常读取其中的数据" in result.output
    assert [w["code"] for w in hidden["warnings"]] == ["D320"]
    assert hidden["ranks"] == shown["ranks"]
    lines = (tmp_path / "hidden" / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    unit = json.loads(lines[0])
    assert [(v["rule_id"], v["incident"], v["effect"]) for v in unit["vetoes"]] == [("WMDW-V-02", "职工刑事案件", "取消资格")]
    assert unit["disqualified"] is True


def test_hidden_unknown_sheet_is_ignored_with_warning(tmp_path: Path, wmdw: Any) -> None:
    book = _workbook(tmp_path, wmdw, None)
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("草稿").append(["随便写的"])
    wb["草稿"].sheet_state = "hidden"
    wb.save(book)
    result, summary = _batch(tmp_path, book)
    assert "工作表「草稿」是隐藏的，且不是本测评体系的工作表，已忽略" in result.output
    assert [w["code"] for w in summary["warnings"]] == ["D320"]


def test_terminal_shows_at_most_twenty_warnings_of_a_code(tmp_path: Path, wmdw: Any) -> None:
    """25 workbooks with a hidden 事件 sheet: 20 warnings printed, a line for the other 5; summary.json has all 25."""
    folder = tmp_path / "收回"
    folder.mkdir()
    for n in range(25):
        (folder / str(n)).mkdir()
        book = _workbook(folder / str(n), wmdw, "事件")
        unit = yaml.safe_load(BASE.read_text(encoding="utf-8"))
        wb = openpyxl.load_workbook(book)
        wb["单位"]["A2"] = f"{unit['unit']['id'][:-2]}{n:02d}"
        wb.save(folder / f"单位{n:02d}.xlsx")
    for n in range(25):
        (folder / str(n) / "单位.xlsx").unlink()
        (folder / str(n)).rmdir()
    result = CliRunner().invoke(main, ["batch", str(folder), "--pack", "wmdw", "-o", str(tmp_path / "out")])
    assert result.output.count("warning[D320]") == 20, result.output
    assert "……另有 5 条 D320 警告未逐条显示" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["warnings"]) == 25
