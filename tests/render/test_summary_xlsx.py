"""汇总.xlsx read back with openpyxl: sheets, headers, ranks with ties, known values, print formatting, determinism."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from evaluator.compiled import CompiledPack
from evaluator.render import xlsx_style
from evaluator.render.batch_stats import display_width
from evaluator.render.summary_xlsx import render_summary_xlsx
from schemas.result import RunReport

from .conftest import SCRIPT_NAME, TIED_RANKS

SHEETS = ["排名", "区域汇总", "类型汇总", "项目得分矩阵", "规则失分率", "缺项清单", "整改清单", "未评分单位", "计分说明"]
RANKING_HEADERS = ["总排名", "组内排名", "区县内排名", "编号", "名称", "类型", "区域", "组别", "责任单位", "总分", "等级",
                   "是否达标", "不含豁免得分", "缺项数", "整改项数", "备注"]


def _load(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def _records(wb: Workbook, sheet: str) -> list[dict[str, object]]:
    rows = list(wb[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def sample_wb(sample_report: RunReport, wmdw_pack: CompiledPack) -> Workbook:
    return _load(render_summary_xlsx(sample_report, wmdw_pack))


@pytest.fixture(scope="module")
def tied_wb(tied_report: RunReport, wmdw_pack: CompiledPack) -> Workbook:
    return _load(render_summary_xlsx(tied_report, wmdw_pack))


def test_sheet_names_and_ranking_header(sample_wb: Workbook) -> None:
    assert sample_wb.sheetnames == SHEETS
    assert [c.value for c in sample_wb["排名"][1]] == RANKING_HEADERS


def test_ties_share_a_rank_and_the_next_rank_skips(tied_wb: Workbook) -> None:
    records = _records(tied_wb, "排名")
    assert {r["编号"]: r["总排名"] for r in records} == TIED_RANKS
    assert [r["总排名"] for r in records] == sorted(TIED_RANKS.values()), "rows are listed in rank order"
    tied_top = [r["编号"] for r in records if r["总排名"] == 1]
    assert tied_top == ["DW-00000", "DW-00007"], "equal totals are listed by unit id"
    names = [r["名称"] for r in records]
    assert SCRIPT_NAME in names, "names are written verbatim (Excel does not interpret markup)"


def test_known_values_of_the_samples(sample_wb: Workbook, sample_report: RunReport) -> None:
    hospital = next(u for u in sample_report.units if u.unit.id == "DW-330105-014")
    row = next(r for r in _records(sample_wb, "排名") if r["编号"] == "DW-330105-014")
    assert row["总分"] == hospital.total
    assert row["名称"] == "某区人民医院"
    assert row["是否达标"] == ("达标" if hospital.passed else "未达标")
    assert row["整改项数"] == len(hospital.rectifications)
    city = next(r for r in _records(sample_wb, "区域汇总") if r["层级"] == "市")
    assert city["区域"] == "浙江省/杭州市" and city["单位数"] == 3
    passed = sum(1 for u in sample_report.units if u.passed)
    assert city["达标单位数"] == passed
    assert city["及格率"] == pytest.approx(round(passed / 3 * 100, 2) / 100)
    levels = {r["层级"] for r in _records(sample_wb, "区域汇总")}
    assert levels == {"市", "区县", "街道"}


def test_matrix_has_the_maximum_in_the_header(sample_wb: Workbook, wmdw_pack: CompiledPack) -> None:
    header = [c.value for c in sample_wb["项目得分矩阵"][1]]
    assert header[:3] == ["总排名", "编号", "名称"] and header[-1] == "总分"
    assert "01 学雷锋活动（满分14）" in header
    strong = next(r for r in _records(sample_wb, "项目得分矩阵") if r["编号"] == "DW-330102-001")
    assert strong["01 学雷锋活动（满分14）"] == 14


def test_lists_cover_every_item_with_status(sample_wb: Workbook, sample_report: RunReport) -> None:
    rect = _records(sample_wb, "整改清单")
    assert len(rect) == sum(len(u.rectifications) for u in sample_report.units)
    assert {r["状态"] for r in rect} == {"未整改"}
    assert all(r["整改期限"] and r["责任单位"] for r in rect)
    missing = _records(sample_wb, "缺项清单")
    assert len(missing) == sum(len(u.deficiencies) for u in sample_report.units)
    rejected = _records(sample_wb, "未评分单位")
    assert rejected[0]["来源"] == "单位/坏文件.xlsx" and rejected[0]["错误代码"] == "D104"


def test_failure_rates_are_sorted_and_located(sample_wb: Workbook) -> None:
    rows = _records(sample_wb, "规则失分率")
    rates = [r["失分率"] for r in rows]
    assert rates == sorted(rates, reverse=True)
    worst = rows[0]
    assert worst["失分单位数"] <= worst["适用单位数"]
    assert worst["失分率"] == pytest.approx(round(worst["失分单位数"] / worst["适用单位数"], 4))
    assert "杭州市/" in worst["失分最多的区县"]


def test_method_sheet_names_formula_and_hash(sample_wb: Workbook, sample_report: RunReport) -> None:
    info = {r["项目"]: r["内容"] for r in _records(sample_wb, "计分说明")}
    assert info["计分方法"] == sample_report.formula
    assert info["内容指纹"] == sample_report.pack.content_hash
    assert "相同" in info["排名规则"]


def test_print_formatting(sample_wb: Workbook) -> None:
    for name in SHEETS:
        ws = sample_wb[name]
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.page_setup.orientation == "landscape", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
    ranking = sample_wb["排名"]
    assert ranking["A2"].font.name == "等线"
    widest_region = max(display_width(str(c.value)) for c in ranking["G"][1:])
    assert ranking.column_dimensions["G"].width >= min(widest_region, 44), "CJK text counts double in widths"
    rules = {str(cf.sqref): [r.type for r in cf.rules] for cf in ranking.conditional_formatting}
    assert any(ref.startswith("L2") and "cellIs" in types for ref, types in rules.items()), "未达标 is coloured"
    heat = [r.type for cf in sample_wb["规则失分率"].conditional_formatting for r in cf.rules]
    assert "colorScale" in heat


def test_deterministic_bytes_and_fixed_properties(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    first = render_summary_xlsx(sample_report, wmdw_pack)
    assert first == render_summary_xlsx(sample_report, wmdw_pack)
    wb = _load(first)
    assert wb.properties.created.date().isoformat() == sample_report.as_of
    assert wb.properties.modified == wb.properties.created
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_empty_report_still_renders(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    empty = sample_report.model_copy(update={"units": []})
    wb = _load(render_summary_xlsx(empty, wmdw_pack))
    assert wb["排名"]["A2"].value == "无"
    assert wb["整改清单"]["A2"].value == "无整改项"


def test_lists_longer_than_a_sheet_continue_on_new_sheets(sample_report: RunReport, wmdw_pack: CompiledPack,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_style, "MAX_DATA_ROWS", 10)
    wb = _load(render_summary_xlsx(sample_report, wmdw_pack))
    parts = [name for name in wb.sheetnames if name.startswith("整改清单")]
    total = sum(len(u.rectifications) for u in sample_report.units)
    assert parts[0] == "整改清单" and parts[1] == "整改清单（续1）" and len(parts) == -(-total // 10)
    assert sum(wb[name].max_row - 1 for name in parts) == total
    assert all([c.value for c in wb[name][1]][0] == "单位编号" for name in parts)
