"""civic template → fill the workbook → civic evaluate: the filled template scores exactly like the YAML unit."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from evaluator.loader import load_pack_or_raise
from evaluator.template.layout import IDENTITY, MODE_LABELS
from evaluator.template.xlsx_writer import build_template

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "rules" / "wmdw" / "samples"


@pytest.fixture(scope="module")
def pack() -> Any:
    return load_pack_or_raise("wmdw")


def _identity_values(unit: dict[str, Any]) -> dict[str, Any]:
    ident = unit["unit"]
    region = ident.get("region", {})
    contacts = ident.get("contacts", {})
    return {
        "编号": ident["id"], "名称": ident["name"], "类型": ident["type"], "区划路径": "/".join(region.get("path", [])) or None,
        "区划代码": region.get("code"), "组别": ident.get("group"), "责任单位": "、".join(ident.get("responsible", [])) or None,
        "分管领导": contacts.get("分管领导"), "联络员": contacts.get("联络员"), "资料员": contacts.get("资料员"),
        "测评周期开始": unit["period"]["start"], "测评周期结束": unit["period"]["end"], "基准日": unit.get("as_of"),
        "测评方式": MODE_LABELS.get(unit.get("mode", "self")), "测评体系": unit.get("pack"),
    }


def _rows_by_header(ws: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value}


def _append(ws: Any, values: dict[str, Any]) -> None:
    columns = _rows_by_header(ws)
    row = ws.max_row + 1 if any(c.value for c in ws[ws.max_row]) or ws.max_row == 1 else ws.max_row
    row = next(r for r in range(2, ws.max_row + 2) if all(ws.cell(row=r, column=c).value is None for c in columns.values()))
    for header, value in values.items():
        if value is not None:
            ws.cell(row=row, column=columns[header], value=value)


def fill_template(data: bytes, unit: dict[str, Any], pack: Any) -> bytes:
    """Fill a generated template the way an officer would, cell by cell."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    info = wb["单位信息"]
    values = _identity_values(unit)
    for row in range(2, info.max_row + 1):
        label = info.cell(row=row, column=1).value
        if label in values:
            info.cell(row=row, column=2, value=values[label])
    sheet = wb["填报数据"]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    for name, value in unit.get("fields", {}).items():
        if pack.fields[name].type == "list":
            ws = wb[name]
            labels = {i.name: i.label or i.name for i in pack.fields[name].item_fields}
            for item in value:
                _append(ws, {labels[k]: v for k, v in item.items()})
        else:
            sheet.cell(row=rows[name], column=7, value=value)
    for item in unit.get("evidence", []):
        _append(wb["材料清单"], {"类型": item["kind"], "标题": item["title"], "日期": item.get("date"), "文件": item.get("file"),
                                "文字说明": item.get("caption"), "对应规则": item.get("rule")})
    for point in unit.get("inspections", []):
        base = {"点位类型": point["point_type"], "点位": point["point"], "地址": point.get("address"), "日期": point.get("date"),
                "检查人": point.get("inspector"), "抽查数": point.get("sampled"), "合格数": point.get("passed")}
        problems = point.get("problems") or [{}]
        for index, problem in enumerate(problems):
            row = dict(base) if index == 0 else {"点位类型": point["point_type"], "点位": point["point"], "日期": point.get("date")}
            row.update({"问题类型": problem.get("type"), "问题数": problem.get("count"), "问题描述": problem.get("description")})
            _append(wb["实地考察"], row)
    for survey in unit.get("surveys", []):
        _append(wb["问卷调查"], {"题目": survey["topic"], "样本数": survey["sample"], "满意人数": survey["satisfied"], "群体": survey.get("group")})
    for incident in unit.get("incidents", []):
        _append(wb["事件"], {"类型": incident["type"], "日期": incident["date"], "等级": incident.get("level"), "说明": incident.get("description")})
    for rule, judgement in unit.get("judgements", {}).items():
        _append(wb["人工判定"], {"规则": rule, "等级": judgement.get("level"), "得分": judgement.get("points"),
                                "说明": judgement.get("note"), "判定人": judgement.get("by")})
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _evaluate_json(path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["evaluate", str(path), "--pack", "wmdw", "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("sample", ["average", "weak", "strong"])
def test_filled_template_scores_like_the_yaml_sample(tmp_path: Path, pack: Any, sample: str) -> None:
    source = SAMPLES / f"{sample}.yaml"
    unit = yaml.safe_load(source.read_text(encoding="utf-8"))
    filled = tmp_path / f"{sample}.xlsx"
    filled.write_bytes(fill_template(build_template(pack), unit, pack))
    assert _evaluate_json(filled) == _evaluate_json(source)


def test_template_is_deterministic_and_has_the_promised_sheets(pack: Any) -> None:
    first, second = build_template(pack), build_template(pack)
    assert first == second
    wb = openpyxl.load_workbook(io.BytesIO(first))
    assert wb.sheetnames == ["说明", "单位信息", "填报数据", "节日活动", "材料清单", "实地考察", "问卷调查", "事件", "人工判定", "选项"]
    assert wb["选项"].sheet_state == "hidden"
    assert [c.value for c in wb["单位信息"]["A"]][1:] == [i.label for i in IDENTITY]
    fields = wb["填报数据"]
    assert fields.freeze_panes == "C2"
    names = [fields.cell(row=r, column=1).value for r in range(2, fields.max_row + 1)]
    assert names == [f.name for f in pack.file.fields]
    row = names.index("职工人数") + 2
    assert fields.cell(row=row, column=5).value == "必填"
    assert "在编在岗职工总数" in fields.cell(row=row, column=7).comment.text
    checks = {str(dv.sqref): dv for dv in fields.data_validations.dataValidation}
    kinds = {dv.type for dv in checks.values()}
    assert {"whole", "decimal", "list"} <= kinds
    percent = next(dv for dv in checks.values() if dv.type == "decimal" and (dv.formula1, dv.formula2) == ("0", "100"))
    assert f"G{names.index('投诉办结率') + 2}" in str(percent.sqref)
    evidence = wb["材料清单"]
    assert [c.value for c in evidence[1]] == ["类型", "标题", "日期", "文件", "文字说明", "对应规则"]
    drop = next(dv for dv in evidence.data_validations.dataValidation if dv.type == "list")
    assert drop.formula1.startswith("'选项'!$")


def test_unit_type_restricts_and_prefills(pack: Any) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(build_template(pack, "企业")))
    info = wb["单位信息"]
    row = next(r for r in range(2, info.max_row + 1) if info.cell(row=r, column=1).value == "类型")
    assert info.cell(row=row, column=2).value == "企业"


def test_yaml_skeleton_lists_every_field_and_reports_empty_identity(tmp_path: Path) -> None:
    out = tmp_path / "单位.yaml"
    result = CliRunner().invoke(main, ["template", "--pack", "wmdw", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert "职工人数" in data["fields"] and data["fields"]["职工人数"] is None
    assert "# 职工人数 · 整数 · 单位：人" in out.read_text(encoding="utf-8")
    evaluated = CliRunner().invoke(main, ["evaluate", str(out), "--pack", "wmdw"])
    assert evaluated.exit_code == 4
    assert "不能为空" in evaluated.output


def test_template_rejects_unknown_type_and_suffix(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_type = runner.invoke(main, ["template", "--pack", "wmdw", "--unit-type", "学校", "-o", str(tmp_path / "t.xlsx")])
    assert bad_type.exit_code == 2 and "可用：机关、事业单位、企业" in bad_type.output
    bad_suffix = runner.invoke(main, ["template", "--pack", "wmdw", "-o", str(tmp_path / "t.docx")])
    assert bad_suffix.exit_code == 2


def test_empty_template_is_reported_cell_by_cell(tmp_path: Path, pack: Any) -> None:
    path = tmp_path / "空.xlsx"
    path.write_bytes(build_template(pack))
    result = CliRunner().invoke(main, ["evaluate", str(path), "--pack", "wmdw"])
    assert result.exit_code == 4
    assert "空.xlsx:单位信息!B2" in result.output and "单位信息缺少“编号”" in result.output


def _filled(tmp_path: Path, pack: Any, edit: Any) -> Path:
    unit = yaml.safe_load((SAMPLES / "average.yaml").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(io.BytesIO(fill_template(build_template(pack), unit, pack)))
    edit(wb)
    path = tmp_path / "改.xlsx"
    wb.save(path)
    return path


def test_bad_cells_are_located(tmp_path: Path, pack: Any) -> None:
    def edit(wb: Any) -> None:
        ws = wb["填报数据"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "职工人数")
        ws.cell(row=row, column=7, value="八百")
        wb["材料清单"]["C2"] = "2024-13-45"
        wb["问卷调查"]["B2"] = "=1/0"

    result = CliRunner().invoke(main, ["evaluate", str(_filled(tmp_path, pack, edit)), "--pack", "wmdw"])
    assert result.exit_code == 4
    assert "改.xlsx:填报数据!G2" in result.output and "“职工人数”应为数值" in result.output
    assert "改.xlsx:材料清单!C2" in result.output
    assert "改.xlsx:问卷调查!B2" in result.output and "没有已保存的计算结果" in result.output


def test_dates_written_as_dates_and_merged_point_cells_read_back(tmp_path: Path, pack: Any) -> None:
    def edit(wb: Any) -> None:
        ws = wb["实地考察"]
        # 门诊收费窗口 has one problem row; add a second problem below it with the point cells merged
        ws.insert_rows(4)
        for col, value in ((8, "吸烟现象"), (9, 1)):
            ws.cell(row=4, column=col, value=value)
        ws.merge_cells("A3:A4")
        ws.merge_cells("B3:B4")
        wb["材料清单"]["C2"] = dt.datetime(2024, 2, 28)

    path = _filled(tmp_path, pack, edit)
    from evaluator.api import load_units
    from evaluator.errors import DiagnosticSink

    sink = DiagnosticSink()
    loaded = load_units([path], pack, sink)
    assert not sink.errors, [d.one_line() for d in sink.errors]
    window = next(i for i in loaded[0].unit.inspections if i.point == "门诊收费窗口")
    assert [p.type for p in window.problems] == ["不文明用语", "吸烟现象"]
    assert loaded[0].unit.evidence[0].date == dt.date(2024, 2, 28)
