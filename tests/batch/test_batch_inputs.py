"""Reading units from folders, many-unit workbooks and CSV (UTF-8, UTF-8 with BOM, GBK), with located errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from evaluator.batch.cells import detect_encoding
from evaluator.batch.loading import load_path
from evaluator.errors import DiagnosticSink, UnitDataError
from tests.batch.conftest import write_units


def _load(path: Path, pack: Any, encoding: str | None = None) -> tuple[list[Any], DiagnosticSink]:
    sink = DiagnosticSink()
    return list(load_path(path, pack, sink, encoding)), sink


def _units(items: list[Any]) -> dict[str, Any]:
    """Each unit as validated, with its field values as normalised (raw text from CSV and typed YAML differ)."""
    return {i.unit.unit.id: (i.unit.model_dump(exclude={"fields"}), i.values) for i in items if i.unit is not None}


def test_csv_and_workbook_read_exactly_like_yaml(tmp_path: Path, wmdw: Any) -> None:
    folder = write_units(wmdw, tmp_path / "yaml", 6)
    from_yaml = {}
    for path in sorted(folder.iterdir()):
        items, sink = _load(path, wmdw)
        assert not sink.errors
        from_yaml.update(_units(items))
    for fmt in ("csv", "xlsx"):
        items, sink = _load(write_units(wmdw, tmp_path / fmt, 6, fmt), wmdw)
        assert not sink.errors, [d.one_line() for d in sink.errors]
        assert _units(items) == from_yaml


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, wmdw: Any, encoding: str) -> None:
    source = write_units(wmdw, tmp_path / "src", 4, "csv")
    target = tmp_path / encoding
    target.mkdir()
    for path in source.parent.glob("*.csv"):
        (target / path.name).write_bytes(path.read_text(encoding="utf-8-sig").encode(encoding))
    items, sink = _load(target / "单位.csv", wmdw)
    assert not sink.errors and len(_units(items)) == 4
    assert detect_encoding(target / "单位.csv", None) == ("utf-8-sig" if encoding.startswith("utf") else "gb18030")


def test_wrong_encoding_option_is_a_located_error(tmp_path: Path, wmdw: Any) -> None:
    source = write_units(wmdw, tmp_path / "src", 2, "csv")
    path = tmp_path / "gbk.csv"
    path.write_bytes(source.read_text(encoding="utf-8-sig").encode("gbk"))
    with pytest.raises(UnitDataError) as caught:
        detect_encoding(path, "utf-8")
    assert "不能按 utf-8 编码读取" in caught.value.diagnostics[0].message
    assert caught.value.diagnostics[0].location.line == 1


def _workbook(tmp_path: Path, wmdw: Any, count: int = 4) -> tuple[Path, Any]:
    path = write_units(wmdw, tmp_path, count, "xlsx")
    return path, openpyxl.load_workbook(path)


def test_unknown_and_missing_columns(tmp_path: Path, wmdw: Any) -> None:
    path, wb = _workbook(tmp_path, wmdw)
    ws = wb["单位"]
    header = {c.value: c.column_letter for c in ws[1]}
    ws[f"{header['职工人数']}1"] = "职工总人数"
    ws[f"{header['名称']}1"] = None
    wb.save(path)
    items, sink = _load(path, wmdw)
    messages = [d.one_line() for d in sink.errors]
    assert any(f"单位.xlsx:单位!{header['职工人数']}1" in m and "未知的列“职工总人数”" in m and "是否想写“职工人数”" in m for m in messages)
    assert any("缺少必需的列：名称" in m for m in messages)
    assert all(i.unit is None for i in items)


def test_bad_cells_reject_only_their_unit(tmp_path: Path, wmdw: Any) -> None:
    path, wb = _workbook(tmp_path, wmdw)
    ws = wb["单位"]
    header = {c.value: c.column_letter for c in ws[1]}
    ws[f"{header['学习培训次数']}2"] = "十次"
    ws[f"{header['投诉办结率']}3"] = "=1/0"  # written by a program: no cached result
    ws[f"{header['职工人数']}4"] = "#DIV/0!"
    wb.save(path)
    items, sink = _load(path, wmdw)
    lines = [d.one_line() for d in sink.errors]
    assert any(f"单位!{header['学习培训次数']}2" in m and "应为数值" in m for m in lines)
    assert any(f"单位!{header['投诉办结率']}3" in m and "没有已保存的计算结果" in m for m in lines)
    assert any(f"单位!{header['职工人数']}4" in m for m in lines)
    assert [i.unit is not None for i in items] == [False, False, False, True]


def test_hidden_known_sheet_is_read_and_unknown_sheet_ignored_with_warnings(tmp_path: Path, wmdw: Any) -> None:
    path, wb = _workbook(tmp_path, wmdw, 2)
    wb["事件"].sheet_state = "hidden"
    wb.create_sheet("备注")["A1"] = "内部说明"
    wb.save(path)
    items, sink = _load(path, wmdw)
    warnings = [d.message for d in sink.warnings]
    assert "工作表「事件」是隐藏的，仍照常读取其中的数据" in warnings and "未知的工作表「备注」，已忽略" in warnings
    assert not sink.errors and len(_units(items)) == 2


def test_empty_main_sheet_is_a_warning_and_orphan_details_are_errors(tmp_path: Path, wmdw: Any) -> None:
    path, wb = _workbook(tmp_path, wmdw, 2)
    first_id = wb["单位"]["A2"].value
    wb["问卷调查"].append(["DW-不存在", "职工知晓率", 100, 90])
    wb.save(path)
    items, sink = _load(path, wmdw)
    orphan = next(d for d in sink.errors if d.code == "D318")
    assert "DW-不存在" in orphan.message and orphan.location.sheet == "问卷调查"
    assert first_id in _units(items)
    wb2 = openpyxl.Workbook()
    wb2.active.title = "单位"
    empty = tmp_path / "空.xlsx"
    wb2.save(empty)
    _, sink2 = _load(empty, wmdw)
    assert [d.code for d in sink2.items] == ["D319"] and not sink2.errors


def test_merged_point_cells_and_formulas_with_results(tmp_path: Path, wmdw: Any) -> None:
    path, wb = _workbook(tmp_path, wmdw, 1)
    ws = wb["实地考察"]
    uid = ws["A2"].value
    ws.insert_rows(3)
    ws["A3"], ws["I3"], ws["J3"] = uid, "吸烟现象", 2
    for col in "BC":
        ws.merge_cells(f"{col}2:{col}3")
    wb.save(path)
    items, sink = _load(path, wmdw)
    assert not sink.errors, [d.one_line() for d in sink.errors]
    first = items[0].unit.inspections[0]
    assert [p.type for p in first.problems][-1] == "吸烟现象" and first.problems[-1].count == 2


def test_old_xls_and_unknown_workbooks(tmp_path: Path, wmdw: Any) -> None:
    old = tmp_path / "名单.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0not really")
    _, sink = _load(old, wmdw)
    assert "另存为 .xlsx" in (sink.errors[0].hint or "")
    other = tmp_path / "其他.xlsx"
    openpyxl.Workbook().save(other)
    _, sink = _load(other, wmdw)
    assert sink.errors[0].code == "D309"


def test_detail_csv_files_are_not_read_as_units(tmp_path: Path, wmdw: Any) -> None:
    from evaluator.batch.sources import expand_inputs

    write_units(wmdw, tmp_path / "csv", 3, "csv")
    (tmp_path / "csv" / "~$单位.xlsx").write_bytes(b"lock")
    shutil.copy(Path(__file__), tmp_path / "csv" / "说明.py")
    files, problems = expand_inputs([tmp_path / "csv"], wmdw)
    assert [f.name for f in files] == ["单位.csv"] and not problems
