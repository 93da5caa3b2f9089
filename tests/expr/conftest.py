"""A small scope and unit context shared by the expression-language tests (no pack files needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from evaluator.expr import Context, compile_expr
from evaluator.expr.scope import BOOL, DATE, LIST, NUMBER, TEXT, NameInfo, Scope

AS_OF = dt.date(2024, 12, 31)


def make_scope() -> Scope:
    """Fields of every type, one list field with records, and one entry in each pack vocabulary."""
    record = {
        "参与人数": NameInfo(NUMBER, "参与人数", "人"),
        "类型": NameInfo(TEXT, "类型"),
        "日期": NameInfo(DATE, "日期"),
        "达标": NameInfo(BOOL, "达标"),
        "职工人数": NameInfo(NUMBER, "记录中的职工人数"),
    }
    names = {
        "职工人数": NameInfo(NUMBER, "职工人数", "人"),
        "注册人数": NameInfo(NUMBER, "注册志愿者人数", "人"),
        "占比": NameInfo(NUMBER, "占比", "%"),
        "单位简称": NameInfo(TEXT, "单位简称"),
        "类别": NameInfo(TEXT, "类别", values=("机关", "企业")),
        "有方案": NameInfo(BOOL, "有方案"),
        "有制度": NameInfo(BOOL, "有制度"),
        "成立日期": NameInfo(DATE, "成立日期"),
        "绿地面积": NameInfo(NUMBER, "绿地面积", "平方米"),  # in the dictionary, never submitted by the test unit
        "活动记录": NameInfo(LIST, "活动记录", items=record),
        "空记录": NameInfo(LIST, "空记录", items=record),
    }
    return Scope(
        names,
        point_types=frozenset({"办公区域", "服务窗口"}),
        survey_topics=frozenset({"职工知晓率"}),
        evidence_kinds=frozenset({"年度方案", "活动照片"}),
        incident_types=frozenset({"弄虚作假"}),
    ).with_params({"目标占比": 30, "口径": "年末"})


def _rows() -> list[dict[str, Any]]:
    return [
        {"参与人数": Decimal(120), "类型": "春节", "日期": dt.date(2024, 2, 6), "达标": True},
        {"参与人数": Decimal(40), "类型": "重阳节", "日期": dt.date(2024, 10, 10), "达标": False},
        {"参与人数": Decimal(90), "类型": "端午节", "日期": dt.date(2024, 6, 8), "达标": True, "职工人数": Decimal(7)},
    ]


def make_context(**overrides: Any) -> Context:
    """One realistic unit: normalised values (Decimal numbers, dates), evidence, inspections, surveys, incidents."""
    fields: dict[str, Any] = {
        "职工人数": Decimal(860), "注册人数": Decimal(215), "占比": Decimal("12.5"), "单位简称": "区人民医院",
        "类别": "机关", "有方案": True, "有制度": False, "成立日期": dt.date(1998, 5, 1),
        "活动记录": _rows(), "空记录": [],
    }
    fields.update(overrides.pop("fields", {}))
    base: dict[str, Any] = {
        "fields": fields,
        "params": {"目标占比": Decimal(30), "口径": "年末"},
        "builtins": {"as_of": AS_OF, "period_start": dt.date(2024, 1, 1), "period_end": AS_OF,
                     "points": Decimal(5), "分值": Decimal(5)},
        "evidence": [
            {"kind": "年度方案", "date": dt.date(2024, 2, 28)},
            {"kind": "年度方案", "date": dt.date(2023, 6, 1)},
            {"kind": "活动照片", "date": None},
        ],
        "inspections": [
            {"point_type": "办公区域", "sampled": 5, "passed": 4, "problems": []},
            {"point_type": "服务窗口", "sampled": 8, "passed": 7,
             "problems": [{"type": "不文明用语", "count": 1}, {"type": "乱堆乱放", "count": 2}, {"type": "乱堆乱放"}]},
        ],
        "surveys": [{"topic": "职工知晓率", "sample": 100, "satisfied": 84}],
        "incidents": [{"type": "弄虚作假", "date": dt.date(2023, 3, 1)}],
        "as_of": AS_OF,
        "period": (dt.date(2024, 1, 1), AS_OF),
        "labels": {"职工人数": "职工人数"},
    }
    base.update(overrides)
    return Context(**base)


def run(source: str, ctx: Context | None = None) -> Any:
    """Compile against the shared scope and evaluate against ``ctx`` (default: the realistic unit)."""
    value, _ = compile_expr(source, make_scope()).evaluate(ctx or make_context())
    return value


@pytest.fixture
def scope() -> Scope:
    return make_scope()
