"""Evaluation: every whitelisted function with its edge cases, missing-data semantics, exact decimals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from evaluator.expr import compile_expr
from evaluator.expr.errors import EvalError, MissingData
from evaluator.expr.functions import FUNCTIONS
from tests.expr.conftest import make_context, make_scope, run

D = Decimal

VALUES: list[tuple[str, Any]] = [
    # aggregates over the 3 activity records (参与人数 120, 40, 90; 达标 true, false, true)
    ("count(活动记录)", D(3)),
    ("count(活动记录, 参与人数 >= 90)", D(2)),
    ("count(空记录)", D(0)),
    ("count(空记录, 达标)", D(0)),
    ("sum(活动记录, 参与人数)", D(250)),
    ("sum(活动记录, 参与人数, 达标)", D(210)),
    ("sum(空记录, 参与人数)", D(0)),
    ("avg(活动记录, 参与人数, 达标)", D(105)),
    ("min(活动记录, 参与人数)", D(40)),
    ("max(活动记录, 参与人数, 类型 != '春节')", D(90)),
    ("min(3, 1.5, 2)", D("1.5")),
    ("max(职工人数, 注册人数)", D(860)),
    ("any(活动记录, 类型 == '重阳节')", True),
    ("any(活动记录, 参与人数 > 1000)", False),
    ("any(空记录, 达标)", False),
    ("all(活动记录, 参与人数 >= 40)", True),
    ("all(活动记录, 达标)", False),
    ("all(空记录, 达标)", False),  # no records is not "all met"
    ("sum(活动记录, 职工人数, exists(职工人数) and 类型 == '端午节')", D(7)),  # the record's own 职工人数
    # presence
    ("exists(占比)", True),
    ("exists(绿地面积)", False),
    ("coalesce(绿地面积, 0)", D(0)),
    ("coalesce(占比, 0)", D("12.5")),
    # scalars
    ("len(单位简称)", D(5)),
    ("len(活动记录)", D(3)),
    ("len(空记录)", D(0)),
    ("abs(-2.5)", D("2.5")),
    ("round(2.5)", D(3)),  # 四舍五入, not banker's rounding
    ("round(0.125, 2)", D("0.13")),
    ("round(-2.5)", D(-3)),
    ("ratio(注册人数, 职工人数)", D(215) / D(860) * 100),
    ("ratio(1, 3)", D(1) / D(3) * 100),
    ("date('2024-01-31')", dt.date(2024, 1, 31)),
    ("days_between(date('2024-01-01'), as_of)", D(365)),
    ("days_between(as_of, date('2024-01-01'))", D(-365)),
    ("year(成立日期)", D(1998)),
    ("contains(单位简称, '医院')", True),
    ("contains(单位简称, '学校')", False),
    # unit records (evidence, inspections, surveys, incidents)
    ("evidence_count('年度方案')", D(1)),  # only the 2024 one is inside the period
    ("evidence_count('年度方案', 24)", D(2)),  # look back 24 months from as_of
    ("evidence_count('活动照片')", D(0)),  # an undated item never counts
    ("problems('服务窗口')", D(4)),  # 1 + 2 + 1 (count defaults to 1)
    ("problems('服务窗口', '乱堆乱放')", D(3)),
    ("problems('办公区域')", D(0)),
    ("sampled('服务窗口')", D(8)),
    ("passed('办公区域')", D(4)),
    ("inspected('服务窗口')", D(1)),
    ("survey_rate('职工知晓率')", D(84)),
    ("survey_sample('职工知晓率')", D(100)),
    ("incidents('弄虚作假')", D(0)),  # 2023 is outside the 2024 period
    ("incidents('弄虚作假', 24)", D(1)),
    # operators, keywords, params, builtins
    ("0.1 + 0.2 == 0.3", True),  # exact decimals
    ("1 / 3 * 3 == 1", False),  # 28 significant digits, not fractions: documented
    ("注册人数 / 职工人数 * 100 >= 目标占比 且 非 有制度", False),
    ("ratio(注册人数, 职工人数) ≥ 25 或 有制度", True),
    ("类别 in ['机关', '企业']", True),
    ("类别 not in ['机关', '企业']", False),
    ("'医院' in 单位简称", True),
    ("口径 == '年末'", True),
    ("points * 0.4", D("2.0")),
    ("分值 == points", True),
    ("period_start < period_end", True),
    ("成立日期 < date('2000-01-01')", True),
    ("有方案 == true", True),
    ("[1, 2]", [D(1), D(2)]),
]


@pytest.mark.parametrize(("source", "expected"), VALUES, ids=[s for s, _ in VALUES])
def test_value(source: str, expected: Any) -> None:
    """Each expression evaluates to the exact value (Decimals compared exactly)."""
    value = run(source)
    assert value == expected and type(value) is type(expected)


def test_every_function_is_exercised() -> None:
    """Every function in FUNCTIONS appears in the value table above (add a row when adding a function)."""
    used = {m for source, _ in VALUES for m in re.findall(r"([a-z_]+)\(", source)}
    assert set(FUNCTIONS) <= used, sorted(set(FUNCTIONS) - used)


ERRORS: list[tuple[str, str]] = [
    ("avg(空记录, 参与人数)", "没有记录，无法计算平均值"),
    ("avg(活动记录, 参与人数, 参与人数 > 1000)", "没有记录，无法计算平均值"),
    ("min(空记录, 参与人数)", "没有记录，无法取最值"),
    ("ratio(职工人数, 0)", "分母为零"),
    ("职工人数 / 0", "除数为零"),
    ("职工人数 * 1000000000000 * 1000", "超出允许的数值范围"),
    ("round(占比, 7)", "位数应在 0–6 之间"),
    ("date('2024/01/31')", "日期写法不正确"),
    ("date('2024-02-30')", "日期写法不正确"),
    ("evidence_count('年度方案', 100000000000)", "无法计算回溯日期"),
    ("有方案 and 1 > 0 and len(单位简称) == 5 and 占比", "此处需要“是/否”"),
    ("null < null", "不能比较大小"),
    ("null == 单位简称", "类型不同"),
    ("coalesce(绿地面积, null) == 1", "类型不同"),
]


@pytest.mark.parametrize(("source", "message"), ERRORS, ids=[s for s, _ in ERRORS])
def test_impossible_computations_are_eval_errors(source: str, message: str) -> None:
    """What cannot be computed raises EvalError (outcome ``error``), never a Python exception."""
    with pytest.raises(EvalError) as info:
        run(source)
    assert message in str(info.value)


def test_membership_type_errors_are_eval_errors() -> None:
    """``in`` on a text with a non-text left side is an EvalError, not a TypeError."""
    ctx = make_context(fields={"类别": 3})
    with pytest.raises(EvalError):
        compile_expr("类别 in 单位简称", make_scope()).evaluate(ctx)


MISSING: list[tuple[str, str, str]] = [
    ("职工人数 > 10", "field", "职工人数"),
    ("ratio(注册人数, 职工人数) >= 13", "field", "注册人数"),
    ("problems('服务窗口')", "inspection", "服务窗口"),
    ("sampled('服务窗口')", "inspection", "服务窗口"),
    ("passed('服务窗口')", "inspection", "服务窗口"),
    ("survey_rate('职工知晓率')", "survey", "职工知晓率"),
    ("survey_sample('职工知晓率')", "survey", "职工知晓率"),
]


@pytest.mark.parametrize(("source", "kind", "name"), MISSING, ids=[s for s, _, _ in MISSING])
def test_absent_data_is_missing_not_false(source: str, kind: str, name: str) -> None:
    """Absent fields, inspections or surveys raise MissingData (outcome ``missing``), never a pass or a fail."""
    ctx = make_context(fields={"职工人数": None, "注册人数": None}, inspections=[], surveys=[])
    ctx.fields.pop("注册人数")
    with pytest.raises(MissingData) as info:
        compile_expr(source, make_scope()).evaluate(ctx)
    assert (info.value.kind, info.value.name) == (kind, name)


def test_zero_survey_sample_is_missing() -> None:
    """A survey with 0 valid answers cannot give a rate: missing, not 0 %."""
    ctx = make_context(surveys=[{"topic": "职工知晓率", "sample": 0, "satisfied": 0}])
    with pytest.raises(MissingData):
        compile_expr("survey_rate('职工知晓率') >= 80", make_scope()).evaluate(ctx)


def test_missing_record_field_is_missing() -> None:
    """A record without the field an aggregate reads makes the whole value missing."""
    ctx = make_context(fields={"活动记录": [{"类型": "春节"}]})
    with pytest.raises(MissingData):
        compile_expr("sum(活动记录, 参与人数)", make_scope()).evaluate(ctx)


def test_short_circuit_skips_missing_operands() -> None:
    """and stops at the first false operand, or at the first true one: the rest is not read."""
    ctx = make_context(fields={"职工人数": None})
    scope = make_scope()
    assert compile_expr("有制度 and 职工人数 > 1", scope).evaluate(ctx)[0] is False
    assert compile_expr("有方案 or 职工人数 > 1", scope).evaluate(ctx)[0] is True
    with pytest.raises(MissingData):
        compile_expr("有方案 and 职工人数 > 1", scope).evaluate(ctx)


def test_comparisons_are_recorded_for_explanations() -> None:
    """Each comparison is kept with observed and expected values; per-record ones inside aggregates are not."""
    _, records = compile_expr("ratio(注册人数, 职工人数) >= 目标占比 or count(活动记录, 参与人数 > 50) >= 2",
                              make_scope()).evaluate(make_context())
    assert [(r.op, r.ok) for r in records] == [(">=", False), (">=", True)]
    assert records[0].observed == D(215) / D(860) * 100 and records[0].expected == D(30)


def test_results_are_decimal_not_float() -> None:
    """Arithmetic stays in Decimal: 12.5 + 0.1 is exactly 12.6."""
    value = run("占比 + 0.1")
    assert isinstance(value, Decimal) and value == D("12.6")
