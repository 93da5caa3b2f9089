"""Every grading model of ``evaluator/grading.py`` against a hand-computed table.

The pack ``tests/data/gradepack`` has one rule per model (and per variant). Each row below is
(rule, unit data, outcome, earned points, level); the points were computed by hand from the rule:
level points = fraction (A 1 / B 0.66 / C 0.33 / C# 0) × rule points, rounded half up to two decimals.
Rows cover 0 and full marks, thresholds met exactly, empty lists, missing fields (→ ``missing``, 0 points),
division by zero (→ ``error``), both directions of ``linear``, deduction caps and floors (扣完为止),
worst_of/best_of, and manual judgements given as a level, as points, or absent.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from evaluator.errors import DiagnosticSink
from evaluator.grading import GRADERS
from evaluator.unitdata import check_fields
from schemas.rule import GRADING_MODELS
from tests.data.kit import grade_rule, make_unit, pack_named

PACK = "gradepack"


def f(**fields: Any) -> dict[str, Any]:
    """Unit data with only ``fields``."""
    return {"fields": fields}


def insp(point_type: str, sampled: int, passed: int, *problems: tuple[str, int]) -> dict[str, Any]:
    return {"point_type": point_type, "point": f"{point_type}{sampled}{passed}", "sampled": sampled, "passed": passed,
            "problems": [{"type": kind, "count": count} for kind, count in problems]}


# (rule, data, outcome, earned, level) — hand-computed.
TABLE: list[tuple[str, dict[str, Any], str, float, str | None]] = [
    # pass_fail: the condition holds → full points, else 0; absent field → missing, never pass.
    ("G-PF", f(开关="是"), "pass", 5, None),
    ("G-PF", f(开关=True), "pass", 5, None),
    ("G-PF", f(开关="否"), "fail", 0, None),
    ("G-PF", f(), "missing", 0, None),
    ("G-PF-CMP", f(甲=10), "pass", 5, None),             # threshold met exactly (≥)
    ("G-PF-CMP", f(甲=9.99), "fail", 0, None),
    ("G-PF-CMP", f(甲=0), "fail", 0, None),
    # checklist: 3 items, 3=A 2=B 1=C else C#, 6 points.
    ("G-CL", f(项一=True, 项二=True, 项三=True), "pass", 6, "A"),
    ("G-CL", f(项一=True, 项二=True, 项三=False), "partial", 3.96, "B"),
    ("G-CL", f(项一=False, 项二=True, 项三=False), "partial", 1.98, "C"),
    ("G-CL", f(项一=False, 项二=False, 项三=False), "fail", 0, "C#"),
    ("G-CL", f(项一=True, 项二=True), "missing", 0, "B"),   # 补齐缺项前不得分; the level shows what the data reach
    # sample: ≥4 sampled; passed 4=A 3=B 2=C else C#, 3 points; records of one type add up.
    ("G-SMP", {"inspections": [insp("楼道", 4, 4)]}, "pass", 3, "A"),
    ("G-SMP", {"inspections": [insp("楼道", 2, 2), insp("楼道", 2, 1)]}, "partial", 1.98, "B"),
    ("G-SMP", {"inspections": [insp("楼道", 4, 2)]}, "partial", 0.99, "C"),
    ("G-SMP", {"inspections": [insp("楼道", 5, 1)]}, "fail", 0, "C#"),
    ("G-SMP", {"inspections": [insp("楼道", 4, 0)]}, "fail", 0, "C#"),
    ("G-SMP", {"inspections": [insp("楼道", 3, 3)]}, "missing", 0, None),   # fewer sampled than required
    ("G-SMP", {"inspections": []}, "missing", 0, None),                     # empty list
    ("G-SMP", {"inspections": [insp("窗口", 9, 9)]}, "missing", 0, None),   # other point type only
    # problem_count: 0=A 1=B 2=C else C#, 10 points.
    ("G-PC", {"inspections": [insp("窗口", 3, 3)]}, "pass", 10, "A"),
    ("G-PC", {"inspections": [insp("窗口", 3, 3, ("脏乱", 0))]}, "pass", 10, "A"),   # a problem row counting 0
    ("G-PC", {"inspections": [insp("窗口", 3, 2, ("脏乱", 1))]}, "partial", 6.6, "B"),
    ("G-PC", {"inspections": [insp("窗口", 3, 2, ("脏乱", 1)), insp("窗口", 2, 1, ("无标识", 1))]}, "partial", 3.3, "C"),
    ("G-PC", {"inspections": [insp("窗口", 3, 0, ("脏乱", 3))]}, "fail", 0, "C#"),
    ("G-PC", {"inspections": [insp("楼道", 3, 0, ("脏乱", 3))]}, "missing", 0, None),
    # bands with levels: ≥90 A, >80 B, ≥60 C, else C#; 5 points.
    ("G-BANDS-L", f(比率=100), "pass", 5, "A"),
    ("G-BANDS-L", f(比率=90), "pass", 5, "A"),
    ("G-BANDS-L", f(比率=89.99), "partial", 3.3, "B"),
    ("G-BANDS-L", f(比率="85%"), "partial", 3.3, "B"),   # "85%" in a percent field is 85
    ("G-BANDS-L", f(比率=80.01), "partial", 3.3, "B"),
    ("G-BANDS-L", f(比率=80), "partial", 1.65, "C"),     # "more than 80" excludes 80
    ("G-BANDS-L", f(比率=60), "partial", 1.65, "C"),
    ("G-BANDS-L", f(比率=59.99), "fail", 0, "C#"),
    ("G-BANDS-L", f(比率=0), "fail", 0, "C#"),
    ("G-BANDS-L", f(), "missing", 0, None),
    # bands with points: ≥100 → 4; [50, 100) → 2.5; otherwise 0.5.
    ("G-BANDS-P", f(甲=150), "pass", 4, None),
    ("G-BANDS-P", f(甲=100), "pass", 4, None),
    ("G-BANDS-P", f(甲=99.99), "partial", 2.5, None),
    ("G-BANDS-P", f(甲=50), "partial", 2.5, None),
    ("G-BANDS-P", f(甲=49.99), "partial", 0.5, None),
    ("G-BANDS-P", f(甲=-100), "partial", 0.5, None),
    # deduction 0.5 per problem from 2 points, no cap: 扣完为止 (never below 0).
    ("G-DED", f(次数=0), "pass", 2, None),
    ("G-DED", f(次数=1), "partial", 1.5, None),
    ("G-DED", f(次数=3), "partial", 0.5, None),
    ("G-DED", f(次数=4), "fail", 0, None),
    ("G-DED", f(次数=100), "fail", 0, None),
    ("G-DED", f(), "missing", 0, None),
    # deduction 1 per problem from 5 points, at most 3 deducted.
    ("G-DED-CAP", f(次数=0), "pass", 5, None),
    ("G-DED-CAP", f(次数=2), "partial", 3, None),
    ("G-DED-CAP", f(次数=3), "partial", 2, None),
    ("G-DED-CAP", f(次数=4), "partial", 2, None),
    ("G-DED-CAP", f(次数=1000), "partial", 2, None),
    # deduction whose count comes out negative is a data error, not a bonus.
    ("G-DED-NEG", f(甲=-1), "error", 0, None),
    ("G-DED-NEG", f(甲=0.5), "partial", 1.5, None),
    ("G-DED-NEG", f(甲=2), "fail", 0, None),
    # linear upward: 0 → 0, 20 → 5 points, clamped outside.
    ("G-LIN-UP", f(甲=-5), "fail", 0, None),
    ("G-LIN-UP", f(甲=0), "fail", 0, None),
    ("G-LIN-UP", f(甲=0.1), "partial", 0.03, None),   # 0.025 rounds half up to 0.03
    ("G-LIN-UP", f(甲=10), "partial", 2.5, None),
    ("G-LIN-UP", f(甲=20), "pass", 5, None),
    ("G-LIN-UP", f(甲=25), "pass", 5, None),
    # linear downward (lower is better): 10 → 0, 2 → 4 points.
    ("G-LIN-DOWN", f(甲=1), "pass", 4, None),
    ("G-LIN-DOWN", f(甲=2), "pass", 4, None),
    ("G-LIN-DOWN", f(甲=4), "partial", 3, None),
    ("G-LIN-DOWN", f(甲=6), "partial", 2, None),
    ("G-LIN-DOWN", f(甲=9), "partial", 0.5, None),
    ("G-LIN-DOWN", f(甲=10), "fail", 0, None),
    ("G-LIN-DOWN", f(甲=12), "fail", 0, None),
    # formula 分子/分母×6, clamped to [0, 6]; division by zero is an error for this rule only.
    ("G-FORM", f(分子=1, 分母=2), "partial", 3, None),
    ("G-FORM", f(分子=1, 分母=3), "partial", 2, None),     # 1.999… rounds to 2.00
    ("G-FORM", f(分子=1, 分母=7), "partial", 0.86, None),  # 0.857…
    ("G-FORM", f(分子=2, 分母=2), "pass", 6, None),
    ("G-FORM", f(分子=3, 分母=2), "pass", 6, None),        # 9 clamped to 6
    ("G-FORM", f(分子=-1, 分母=2), "fail", 0, None),       # −3 clamped to 0
    ("G-FORM", f(分子=0, 分母=5), "fail", 0, None),
    ("G-FORM", f(分子=1, 分母=0), "error", 0, None),
    ("G-FORM", f(分子=1), "missing", 0, None),
    # worst_of / best_of over two bands (≤1 A, ≤2 B, else C), 3 points.
    ("G-WORST", f(鼠密度=0.5, 蚊密度=1), "pass", 3, "A"),
    ("G-WORST", f(鼠密度=0.5, 蚊密度=1.5), "partial", 1.98, "B"),
    ("G-WORST", f(鼠密度=3, 蚊密度=0.5), "partial", 0.99, "C"),
    ("G-WORST", f(鼠密度=0.5), "missing", 0, None),
    ("G-BEST", f(鼠密度=3, 蚊密度=1.5), "partial", 1.98, "B"),
    ("G-BEST", f(鼠密度=0.5, 蚊密度=3), "pass", 3, "A"),
    ("G-BEST", f(鼠密度=3, 蚊密度=2.5), "partial", 0.99, "C"),
    # manual: a level, points, or nothing (→ manual_pending, never pass).
    ("G-MAN", {"judgements": {"G-MAN": {"level": "A", "by": "测评员"}}}, "pass", 5, "A"),
    ("G-MAN", {"judgements": {"G-MAN": {"level": "B"}}}, "partial", 3.3, "B"),
    ("G-MAN", {"judgements": {"G-MAN": {"level": "C"}}}, "partial", 1.65, "C"),
    ("G-MAN", {"judgements": {"G-MAN": {"level": "C#"}}}, "fail", 0, "C#"),
    ("G-MAN", {"judgements": {"G-MAN": {"points": 2}}}, "partial", 2, None),
    ("G-MAN", {"judgements": {"G-MAN": {"points": 5}}}, "pass", 5, None),
    ("G-MAN", {"judgements": {"G-MAN": {"points": 0}}}, "fail", 0, None),
    ("G-MAN", {}, "manual_pending", 0, None),
    ("G-MAN", {"judgements": {"G-MAN": {"note": "还没看"}}}, "manual_pending", 0, None),
    ("G-MAN", {"judgements": {"G-MAN": {"level": "优"}}}, "error", 0, None),
    ("G-MAN", {"judgements": {"G-MAN": {"points": 6}}}, "error", 0, None),
]


@pytest.mark.parametrize(("rule", "data", "outcome", "earned", "level"), TABLE,
                         ids=[f"{i:03d}-{row[0]}-{row[2]}" for i, row in enumerate(TABLE)])
def test_hand_computed_table(rule: str, data: dict[str, Any], outcome: str, earned: float, level: str | None) -> None:
    result = grade_rule(pack_named(PACK), rule, data)
    assert (result.outcome, result.earned, result.level) == (outcome, earned, level), result.message
    assert result.lost == pytest.approx(result.max - result.earned)
    assert result.message  # every result carries a plain Chinese sentence


def test_table_covers_every_registered_model() -> None:
    """A new grader without a row here fails this test (veto is scored by the engine, see test_engine)."""
    pack = pack_named(PACK)
    used = {pack.rule(row[0]).rule.grading.model for row in TABLE}  # type: ignore[union-attr]
    assert set(GRADERS) == set(GRADING_MODELS) - {"veto"}
    assert used == set(GRADERS)


def test_missing_lists_every_absent_field_once() -> None:
    pack = pack_named(PACK)
    result = grade_rule(pack, "G-CL", f())
    assert [(m.kind, m.name) for m in result.missing] == [("field", "项一"), ("field", "项二"), ("field", "项三")]
    result = grade_rule(pack, "G-FORM", f())
    assert sorted(m.name for m in result.missing) == ["分子", "分母"]
    result = grade_rule(pack, "G-SMP", {"inspections": [insp("楼道", 3, 3)]})
    assert [(m.kind, m.name) for m in result.missing] == [("inspection", "楼道")]
    assert "少于要求的 4 个" in result.missing[0].detail


def test_missing_checklist_shows_what_present_data_would_earn() -> None:
    result = grade_rule(pack_named(PACK), "G-CL", f(项一=True, 项二=True))
    assert result.earned == 0
    assert result.checks[0].sentence == "补齐缺项前本条不得分；按现有数据可得3.96分"


def test_division_by_zero_is_an_error_with_reason() -> None:
    result = grade_rule(pack_named(PACK), "G-FORM", f(分子=1, 分母=0))
    assert result.outcome == "error"
    assert result.error and "除数为零" in result.error
    assert result.message.startswith("无法评测：")


def test_negative_count_error_names_the_value() -> None:
    result = grade_rule(pack_named(PACK), "G-DED-NEG", f(甲=-1))
    assert result.error == "问题处数不能为负数：-1"


def test_passed_more_than_sampled_is_an_error_in_the_grader() -> None:
    """The loader rejects this (D207); the grader guards as well for data built in code."""
    result = grade_rule(pack_named(PACK), "G-SMP", {"inspections": [insp("楼道", 4, 5)]}, checked=False)
    assert result.outcome == "error"
    assert "合格数 5 大于抽查数 4" in (result.error or "")


def test_manual_pending_lists_the_judgement_with_guidance() -> None:
    result = grade_rule(pack_named(PACK), "G-MAN", {})
    assert [(m.kind, m.name) for m in result.missing] == [("judgement", "G-MAN")]
    assert "判定指引：整体观察" in result.missing[0].detail


def test_explanations_give_observed_and_expected() -> None:
    pack = pack_named(PACK)
    assert "落在“>80”档，评为B等" in grade_rule(pack, "G-BANDS-L", f(比率=85)).message
    assert "发现3处，每处扣1分，共扣3分" in grade_rule(pack, "G-DED-CAP", f(次数=3)).message
    assert "共扣2分（扣完为止）" in grade_rule(pack, "G-DED", f(次数=9)).message
    assert "按最差一项（蚊）计：B等" in grade_rule(pack, "G-WORST", f(鼠密度=0.5, 蚊密度=1.5)).message
    assert "已限定在本条分值范围内" in grade_rule(pack, "G-FORM", f(分子=3, 分母=2)).checks[-1].sentence


def test_params_are_read_from_the_rule() -> None:
    pack = pack_named(PACK, fresh=True)
    rule = pack.rule("G-PF-CMP")
    assert rule is not None
    rule.rule = rule.rule.model_copy(update={"params": {"门槛": 12}})
    assert grade_rule(pack, "G-PF-CMP", f(甲=10)).outcome == "fail"
    assert grade_rule(pack, "G-PF-CMP", f(甲=12)).outcome == "pass"


@pytest.mark.parametrize("raw", [math.nan, math.inf, -math.inf, "NaN", "inf", "-Infinity", "１e９９"])
def test_nan_and_infinity_are_rejected_at_load(raw: Any) -> None:
    pack = pack_named(PACK)
    unit, _ = make_unit(pack, f(甲=raw), checked=False)
    sink = DiagnosticSink()
    values = check_fields(pack, unit, None, sink, "单位.yaml")
    assert "甲" not in values
    assert [d.code for d in sink.errors] == ["D202"]
    assert "甲" in sink.errors[0].message


def test_remembered_number_texts_equal_fmt_number() -> None:
    """Graders remember number texts by value; equal values must read the same as ``fmt_number`` says, in any
    order of first use — including 0 and -0, which are equal but read differently."""
    from decimal import Decimal as D

    from evaluator.explain import fmt_number
    from evaluator.grading import _number_text, _value_text

    values = [D("-0"), D("0"), D("0.00"), D("-0.00"), D("3"), D("3.0"), D("3.10"), D("3.1"), D("-2.5"), D("1E+2"),
              D("100"), D("-0.001"), D("0.005"), D("2.675"), D("99.995")]
    for value in values + values[::-1]:
        assert _number_text(value) == fmt_number(value), value
        assert _value_text(value, "%") == fmt_number(value) + "%"
    assert _value_text(True, None) == "是"
