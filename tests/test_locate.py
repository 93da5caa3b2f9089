"""pydantic errors → located Chinese diagnostics (evaluator/locate.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from evaluator.errors import Diagnostic
from evaluator.locate import data_path, diagnostics_from_validation, keys_at
from evaluator.yamlio import load_yaml
from schemas.pack import PackFile
from schemas.rule import RuleFile
from schemas.tailoring import TailoringFile
from schemas.unit import Unit

RULE = """rules:
  - id: B-01
    node: "1"
    title: 年度方案
    points: 4
    method: 材料审核
    grading:
{grading}
    source: {{document: 测试}}
"""


def diagnose(tmp_path: Path, text: str, model: type[BaseModel] = RuleFile, prefix: str = "R1") -> list[Diagnostic]:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    doc = load_yaml(path)
    with pytest.raises(ValidationError) as info:
        model.model_validate(doc.data)
    return diagnostics_from_validation(info.value, doc, prefix)


def rule_with(grading: str) -> str:
    return RULE.format(grading="\n".join("      " + line for line in grading.splitlines()))


def brief(diags: list[Diagnostic]) -> list[tuple[str, int | None, int | None, str, str | None]]:
    return [(d.code, d.location.line, d.location.col, d.message, d.hint) for d in diags]


def test_missing_key_points_at_its_mapping(tmp_path: Path) -> None:
    """A missing required key is reported at the start of the mapping that should hold it."""
    diags = diagnose(tmp_path, RULE.format(grading="      model: pass_fail").replace("    title: 年度方案\n", ""))
    assert brief(diags) == [("R101", 2, 5, "缺少必填项 'title'", "在此处添加 title:"),
                            ("R101", 7, 7, "缺少必填项 'condition'", "在此处添加 condition:")]


def test_unknown_key_suggests_from_the_model_at_that_place(tmp_path: Path) -> None:
    """Inside a bands grading, 'valu' suggests 'value' — a key of Bands, not of some other model."""
    diags = diagnose(tmp_path, rule_with("model: bands\nvalu: 活动次数\nbands: [{level: A, at_least: 1}]"))
    assert ("R102", 9, 7, "未知的键 'valu'", "是否想写 'value'？") in brief(diags)  # not at the bands: list below
    assert not any(d.code == "R101" for d in diags)  # 'value' is not also reported missing


def test_unknown_key_without_suggestion_lists_the_allowed_keys(tmp_path: Path) -> None:
    diags = diagnose(tmp_path, rule_with("model: pass_fail\ncondition: 有方案\n说明: 待定"))
    assert brief(diags) == [("R102", 10, 7, "未知的键 '说明'", "此处可用的键：model、condition；自由内容请放在 meta: 下")]


def test_typo_of_same_word_is_not_suggested_back(tmp_path: Path) -> None:
    """'grade' under pack: suggests 'grades', never 'grade' itself."""
    text = ("pack: {id: a, title: t, edition: '1', source: {document: d}, unit_types: [机关], full_marks: 10, pass_mark: 6,"
            " methods: [材料审核], grade: []}\ncatalogue: [{code: '1', title: t, points: 10}]\n")
    assert brief(diagnose(tmp_path, text, PackFile)) == [("R102", 1, 127, "未知的键 'grade'", "是否想写 'grades'？")]


@pytest.mark.parametrize(("grading", "expected"), [
    ("model: ratio_\ncondition: x", ("R103", "未知的评分模型 'ratio_'",
                                     "可用模型：pass_fail、checklist、sample、problem_count、bands、deduction、linear、formula、worst_of、best_of、veto、manual")),
    ("condition: x", ("R103", "评分方式缺少 model", "添加 model: 写明评分模型，如 model: pass_fail")),
    ("model: deduction\ncount: x\nper: 0", ("R107", "'per' 应 > 0，实际是 0", None)),
    ("model: deduction\ncount: x\nper: 十", ("R106", "'per' 应为数值，实际是 '十'", "只写数字，如 85 或 12.5；不要写 % 或单位、不要用逗号作小数点")),
    ("model: veto\nincident_types: [甲]\nlookback_months: 二十四\neffect: {disqualify: true}",
     ("R106", "'lookback_months' 应为整数，实际是 '二十四'", "只写阿拉伯数字，如 12，不要写“十二”或单位")),
    ("model: veto\nincident_types: [甲]\nlookback_months: 1.5\neffect: {disqualify: true}",
     ("R106", "'lookback_months' 应为整数，实际是 1.5", "去掉小数部分")),
    ("model: veto\nincident_types: []\nlookback_months: 12\neffect: {disqualify: true}", ("R107", "'incident_types' 至少需要 1 项", None)),
    ("model: linear\nvalue: x\nzero_at: 5\nfull_at: 5", ("R105", "zero_at 与 full_at 不能相等", None)),
    ("model: pass_fail\ncondition: ''", ("R107", "'condition' 不能为空", None)),
    ("model: pass_fail\ncondition: [a, b]", ("R106", "'condition' 应为文字，实际是 列表（2 项，以 - 开头）", "文字可加引号")),
    ("model: worst_of\nparts: {a: 1}", ("R106", "'parts' 应为列表，实际是 映射（键: 值）", "列表每项一行，以 - 开头")),
])
def test_messages(tmp_path: Path, grading: str, expected: tuple[str, str, str | None]) -> None:
    """Each pydantic error type has a Chinese sentence with what was found and, where useful, what to do."""
    diags = diagnose(tmp_path, rule_with(grading))
    assert [(d.code, d.message, d.hint) for d in diags][:1] == [expected]


def test_choices_are_listed_in_chinese_style(tmp_path: Path) -> None:
    diags = diagnose(tmp_path, RULE.format(grading="      model: manual").replace("    points: 4\n", "    points: 4\n    status: 正式\n"))
    assert brief(diags) == [("R104", 6, 13, "'status' 的值 '正式' 不在可选范围内", "可选：draft、stable、deprecated")]


def test_list_items_are_named_by_position(tmp_path: Path) -> None:
    """An error on a list item itself says 第 N 项 (1-based)."""
    diags = diagnose(tmp_path, "tailoring: {id: a, title: t, pack: p, unselect: [B-01, [x]]}\n", TailoringFile)
    assert brief(diags)[0][3] == "'第 2 项' 应为文字，实际是 列表（1 项，以 - 开头）"


def test_unit_prefix_gives_d_codes(tmp_path: Path) -> None:
    """The same mapping serves unit data with D1xx codes."""
    diags = diagnose(tmp_path, "unit: {id: a, name: n, type: 机关, 地区: x}\nperiod: {start: 2024-01-01}\n", Unit, "D1")
    assert sorted(d.code for d in diags) == ["D101", "D102"]


def test_identical_problems_are_reported_once(tmp_path: Path) -> None:
    """pydantic may report one spot through several union branches; users see it once."""
    diags = diagnose(tmp_path, rule_with("model: bands\nvalue: x\nbands: [{level: A, at_least: 1}]\notherwise: [1]"))
    keys = [(str(d.location), d.message) for d in diags]
    assert len(keys) == len(set(keys))


def test_data_path_skips_union_tags() -> None:
    """pydantic's loc contains the discriminator tag (pass_fail); the file does not."""
    data: dict[str, Any] = {"rules": [{"grading": {"model": "pass_fail"}}]}
    assert data_path(data, ("rules", 0, "grading", "pass_fail", "condition")) == ("rules", 0, "grading", "condition")
    assert data_path(data, ("rules", 5, "x")) == ("rules", "x")  # located at rules: (the parent)
    bands = {"model": "bands", "bands": [{"level": "A"}]}
    assert data_path(bands, ("bands", "bands", 0, "level")) == ("bands", 0, "level")  # tag skipped once, key kept


def test_keys_at_walks_models_lists_dicts_and_unions() -> None:
    assert keys_at(RuleFile, ("rules", 0, "grading", "worst_of", "parts", 0)) == ["name", "grading"]
    assert keys_at(RuleFile, ("rules", 0, "evidence", 0, "window")) == ["within", "months"]
    assert keys_at(TailoringFile, ("tailoring", "rules", "任意规则")) == ["points", "params", "deadline_days", "severity"]
    assert keys_at(RuleFile, ("rules", 0, "title")) is None
    assert keys_at(RuleFile, ("rules", 0, "grading", "unknown_model")) is None
