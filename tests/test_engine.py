"""The reference evaluator end to end on small test packs, against hand-computed totals.

``tests/data/enginepack``: methods 材料审核 40 / 实地考察 40 / 问卷调查 20 (rules E-01…E-04 = 40 points of
材料审核, E-05/E-06 = 40 of 实地考察, E-07 = 20 of 问卷调查), a bonus node (E-08, 5 points, cap 3), and
vetoes (V-DQ disqualify, V-CAP cap 60, V-DED deduct 5, V-LVL deduct 2 for 重大 only).
Base score = Σ weight_m × earned_m / max_m over methods that have any applicable rule, rescaled to 100.
``tests/data/compositepack``: total = own × 0.7 + 未成年人 × 0.2 (gate ≥ 85) + 社会评价 × 0.1.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import InvalidOperation
from typing import Any

import pytest

from evaluator import grading
from evaluator.api import effective_as_of
from schemas.unit import Waiver
from tests.data.kit import AS_OF, evaluate_unit, make_unit, pack_named, rule_result

GOOD: dict[str, Any] = {
    "fields": {"注册人数": 60, "应注册人数": 100, "安全培训": "是", "有食堂": "是", "获奖次数": 1},
    "evidence": [
        {"kind": "方案", "title": "2024年工作方案", "date": "2024-03-01"},
        {"kind": "照片", "title": "义务劳动", "date": "2024-05-01", "caption": "2024年5月1日 厂区 义务劳动"},
        {"kind": "照片", "title": "升旗仪式", "date": "2024-10-01", "caption": "2024年10月1日 广场 升旗仪式"},
        {"kind": "证书", "title": "市级先进集体", "date": "2018-01-01"},
    ],
    "inspections": [
        {"point_type": "车间", "point": "一车间", "sampled": 2, "passed": 2},
        {"point_type": "食堂", "point": "职工食堂", "sampled": 1, "passed": 1},
    ],
    "surveys": [{"topic": "满意度", "sample": 100, "satisfied": 95}],
}


def variant(**changes: Any) -> dict[str, Any]:
    """GOOD with some fields changed (``fields={...}`` merges) or sections replaced."""
    data = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if key == "fields":
            data["fields"].update(value)
        else:
            data[key] = value
    return data


def engine(data: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("unit_type", "企业")
    return evaluate_unit(pack_named("enginepack"), data, **kwargs)


def outcomes(result: Any) -> dict[str, str]:
    return {r.rule_id: r.outcome for r in result.rules}


# ── outcomes ──────────────────────────────────────────────────────────────────────────────────────────

def test_good_unit_passes_everything_and_bonus_is_capped() -> None:
    result = engine(GOOD)
    assert set(outcomes(result).values()) == {"pass"}
    assert result.counts == {"pass": 8}
    assert rule_result(result, "E-08").earned == 5          # the rule itself earns its 5 points …
    assert (result.base_score, result.total) == (103, 103)  # … but only 3 count: 100 + min(5, 3)
    assert (result.grade, result.passed, result.disqualified) == ("优秀", True, False)
    assert result.deficiencies == [] and result.rectifications == []


def test_every_outcome_appears_with_its_reason() -> None:
    data = variant(fields={"应注册人数": 0, "安全培训": "否", "有食堂": "否"}, surveys=[],
                   inspections=[{"point_type": "车间", "point": "一车间", "sampled": 2, "passed": 1}])
    result = engine(data)
    assert outcomes(result) == {
        "E-01": "pass", "E-02": "pass", "E-03": "error", "E-04": "fail", "E-05": "partial", "E-06": "not_applicable",
        "E-07": "missing", "E-08": "pass", "V-DQ": "pass", "V-CAP": "pass", "V-DED": "pass", "V-LVL": "pass",
    }
    assert rule_result(result, "E-03").message == "无法评测：比例的分母为零，无法计算"
    assert rule_result(result, "E-06").message == "不满足适用条件：有食堂"
    assert rule_result(result, "E-07").message == "缺项：没有“满意度”的问卷调查结果"
    assert result.counts == {"error": 1, "fail": 1, "missing": 1, "not_applicable": 1, "partial": 1, "pass": 3}


def test_applies_to_makes_rules_not_applicable_for_other_unit_types() -> None:
    result = engine(GOOD, unit_type="机关")
    e04 = rule_result(result, "E-04")
    assert (e04.outcome, e04.earned, e04.max, e04.lost) == ("not_applicable", 0, 0, 0)
    assert e04.message == "本条仅适用于企业，本单位为机关"
    assert rule_result(result, "E-05").outcome == "not_applicable"


def test_manual_pending_and_waived_outcomes() -> None:
    pending = evaluate_unit(pack_named("gradepack"), {"fields": {"开关": True}})
    assert rule_result(pending, "G-MAN").outcome == "manual_pending"
    assert pending.counts["manual_pending"] == 1
    waiver = Waiver(unit="T-001", rule="E-04", reason="本年度停产改造", approved_by="市文明办", approved_at=dt.date(2024, 6, 1))
    waived = engine(variant(fields={"安全培训": "否"}), waivers=[waiver])
    assert rule_result(waived, "E-04").outcome == "waived"


def test_a_rule_that_raises_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:

    def broken(*args: Any) -> Any:
        raise InvalidOperation("模拟的计算异常")

    monkeypatch.setitem(grading.GRADERS, "sample", broken)
    result = engine(GOOD)
    e05 = rule_result(result, "E-05")
    assert (e05.outcome, e05.earned, e05.error) == ("error", 0, "计算出错（InvalidOperation）")
    assert [r for r in result.rules if r.outcome == "error"] == [e05]
    # 实地考察: E-05 0/20 + E-06 20/20 → 40 × 0.5 = 20; 材料审核 40; 问卷调查 20; bonus 3.
    assert result.total == 83


def test_error_scores_zero_and_is_not_a_rectification() -> None:
    result = engine(variant(fields={"应注册人数": 0}))
    assert rule_result(result, "E-03").earned == 0
    assert result.total == 93  # 材料审核 30/40 → 30, +40 +20 +3
    assert "E-03" not in {r.rule_id for r in result.rectifications}


# ── evidence windows ──────────────────────────────────────────────────────────────────────────────────

def _with_evidence(*items: dict[str, Any]) -> dict[str, Any]:
    keep = [e for e in GOOD["evidence"] if e["kind"] not in {i["kind"] for i in items}]
    return variant(evidence=keep + list(items))


@pytest.mark.parametrize(("date", "outcome"), [
    ("2023-12-31", "missing"), ("2024-01-01", "pass"), ("2024-12-31", "pass"), ("2025-01-01", "missing"),
])
def test_period_window_includes_both_ends(date: str, outcome: str) -> None:
    result = engine(_with_evidence({"kind": "方案", "title": "方案", "date": date}))
    assert rule_result(result, "E-01").outcome == outcome


def _photos(*dates: str, caption: str | None = "说明") -> dict[str, Any]:
    return _with_evidence(*({"kind": "照片", "title": f"照片{d}", "date": d, "caption": caption} for d in dates))


def test_months_before_as_of_window() -> None:
    # 12 months before 2024-12-31 → 2023-12-31 … 2024-12-31 inclusive.
    assert rule_result(engine(_photos("2023-12-31", "2024-12-31")), "E-02").outcome == "pass"
    result = engine(_photos("2023-12-30", "2024-12-31"))
    e02 = rule_result(result, "E-02")
    assert e02.outcome == "missing"
    assert e02.missing[0].detail == "需要“活动照片”至少2份（2023-12-31至2024-12-31），符合要求的只有1份（1份不在期限内）"


def test_months_before_as_of_moves_with_as_of() -> None:
    late = engine(_photos("2024-05-01", "2024-10-01"), as_of=dt.date(2025, 6, 30))
    assert rule_result(late, "E-02").missing[0].detail.startswith("需要“活动照片”至少2份（2024-06-30至2025-06-30），符合要求的只有1份")


def test_caption_required() -> None:
    e02 = rule_result(engine(_photos("2024-03-01", "2024-04-01", caption="   ")), "E-02")
    assert e02.outcome == "missing"
    assert e02.missing[0].detail.endswith("符合要求的只有0份（2份缺少文字说明）")


def test_undated_evidence_never_counts_even_without_a_window() -> None:
    ok = engine(_with_evidence({"kind": "证书", "title": "老证书", "date": "1990-01-01"}))
    assert rule_result(ok, "E-08").outcome == "pass"
    undated = rule_result(engine(_with_evidence({"kind": "证书", "title": "证书"})), "E-08")
    assert undated.outcome == "missing"
    assert undated.missing[0].detail == "需要“获奖证书”至少1份（不限日期），符合要求的只有0份（1份未注明日期）"


def test_missing_evidence_is_missing_not_fail_even_when_condition_holds() -> None:
    e01 = rule_result(engine(variant(evidence=[e for e in GOOD["evidence"] if e["kind"] != "方案"])), "E-01")
    assert (e01.outcome, e01.earned) == ("missing", 0)
    assert [(m.kind, m.name) for m in e01.missing] == [("evidence", "方案")]


# ── vetoes ────────────────────────────────────────────────────────────────────────────────────────────

def _incident(kind: str, date: str, level: str | None = None) -> dict[str, Any]:
    return variant(incidents=[{"type": kind, "date": date, "level": level, "description": "测试事件"}])


@pytest.mark.parametrize(("kind", "date", "level", "total"), [
    ("安全事故", "2024-06-01", None, 98),    # inside 12 months: 103 − 5
    ("安全事故", "2023-12-31", None, 98),    # first day of the window
    ("安全事故", "2023-12-30", None, 103),   # one day before the window
    ("安全事故", "2025-01-05", None, 103),   # after as_of: not part of this assessment
    ("负面舆情", "2024-06-30", None, 60),    # 6-month window starts 2024-06-30: capped at 60
    ("负面舆情", "2024-06-29", None, 103),
    ("环境事件", "2024-02-01", "重大", 101),
    ("环境事件", "2024-02-01", "一般", 103),
    ("环境事件", "2024-02-01", None, 103),
])
def test_veto_effects_inside_and_outside_the_look_back_window(kind: str, date: str, level: str | None, total: float) -> None:
    result = engine(_incident(kind, date, level))
    assert result.total == total
    assert result.disqualified is False
    assert bool(result.vetoes) == (total != 103)


def test_veto_result_names_the_incident_and_effect() -> None:
    result = engine(_incident("安全事故", "2024-06-01"))
    v = rule_result(result, "V-DED")
    assert (v.outcome, v.earned, v.max) == ("fail", 0, 0)
    assert v.message == "2024-06-01发生“安全事故”（测试事件），在回溯12个月内：总分扣5分"
    assert [(h.rule_id, h.date, h.effect) for h in result.vetoes] == [("V-DED", "2024-06-01", "总分扣5分")]
    assert rule_result(engine(GOOD), "V-DED").message == "2023-12-31至2024-12-31（回溯12个月）内无安全事故"


def test_disqualify_keeps_the_score_but_fails_the_unit() -> None:
    result = engine(_incident("刑事案件", "2024-02-01"))
    assert (result.total, result.grade, result.passed, result.disqualified) == (103, "取消资格", False, True)
    assert engine(_incident("刑事案件", "2023-12-01")).disqualified is False


def test_deductions_apply_before_caps_whatever_the_rule_order() -> None:
    data = variant(incidents=[{"type": "负面舆情", "date": "2024-09-01"}, {"type": "安全事故", "date": "2024-06-01"}])
    assert engine(data).total == 60          # min(103 − 5, 60); not min(103, 60) − 5 = 55
    low = copy.deepcopy(data)
    low["fields"].update({"安全培训": "否"})  # 93 − 5 = 88 → cap 60
    assert engine(low).total == 60
    low["surveys"] = []                        # 73 − 5 = 68 → cap 60
    assert engine(low).total == 60


def test_total_never_negative() -> None:
    data = {"fields": {"安全培训": "否", "有食堂": "否"}, "incidents": [{"type": "安全事故", "date": "2024-06-01"}]}
    assert engine(data).total == 0


# ── method weights, N/A policy, bonus ─────────────────────────────────────────────────────────────────

def test_method_weights_with_partial_methods() -> None:
    result = engine(variant(fields={"安全培训": "否"}, surveys=[{"topic": "满意度", "sample": 100, "satisfied": 85}]))
    methods = {m.method: (m.earned, m.max, m.weight, m.weighted) for m in result.methods}
    assert methods == {"材料审核": (30, 40, 40, 30), "实地考察": (40, 40, 40, 40), "问卷调查": (13.2, 20, 20, 13.2)}
    assert result.total == 86.2  # 30 + 40 + 13.2 + bonus 3


def _no_field_work() -> dict[str, Any]:
    """A 机关 without a canteen: every 实地考察 rule is not applicable; no award (bonus 0); 满意度 85 % (B)."""
    return variant(fields={"有食堂": "否", "获奖次数": 0}, surveys=[{"topic": "满意度", "sample": 100, "satisfied": 85}])


def test_method_fully_not_applicable_redistributes_its_weight() -> None:
    result = engine(_no_field_work(), unit_type="机关")
    methods = {m.method: (m.earned, m.max, m.weighted) for m in result.methods}
    assert methods["实地考察"] == (0, 0, None)
    # (40 × 30/30 + 20 × 13.2/20) × 100 / 60 = 53.2 × 5/3 = 88.666… → 88.67
    assert result.total == 88.67


def test_na_policy_full_marks_counts_not_applicable_as_earned() -> None:
    pack = pack_named("enginepack", fresh=True)
    pack.file.pack = pack.meta.model_copy(update={"na_policy": "full_marks"})
    unit, values = make_unit(pack, _no_field_work(), unit_type="机关")
    from evaluator.engine import evaluate

    result = evaluate(pack, unit, values, as_of=AS_OF)
    # 材料审核 30 + E-04 10 = 40/40; 实地考察 E-05 20 + E-06 20 = 40/40; 问卷调查 13.2/20 → 93.2
    assert result.total == 93.2
    assert rule_result(result, "E-04").outcome == "not_applicable"  # still shown as not applicable


def test_bonus_cap_zero_means_bonus_does_not_count() -> None:
    pack = pack_named("enginepack", fresh=True)
    pack.file.pack = pack.meta.model_copy(update={"bonus_cap": 0})
    unit, values = make_unit(pack, GOOD, unit_type="企业")
    from evaluator.engine import evaluate

    assert evaluate(pack, unit, values, as_of=AS_OF).total == 100


def test_catalogue_rollup_per_node() -> None:
    result = engine(variant(fields={"安全培训": "否"}))
    nodes = {n.code: (n.depth, n.earned, n.max, n.rate) for n in result.nodes}
    assert nodes == {
        "1": (1, 30, 40, 75), "1-1": (2, 20, 20, 100), "1-2": (2, 10, 20, 50), "2": (1, 40, 40, 100),
        "3": (1, 20, 20, 100), "B": (1, 5, 5, 100), "V": (1, 0, 0, 0),
    }


# ── composite components and gates ────────────────────────────────────────────────────────────────────

def _composite(**fields: Any) -> Any:
    return evaluate_unit(pack_named("compositepack"), {"fields": fields})


@pytest.mark.parametrize(("own", "minor", "social", "total", "disqualified"), [
    (90, 90, 80, 89, False),     # 63 + 18 + 8
    (90, 85, 80, 88, False),     # gate met exactly: 63 + 17 + 8
    (90, 84.99, 80, 88, True),   # just below the gate: 63 + 16.998 + 8 = 87.998 → 88.00, but disqualified
    (100, 100, 100, 100, False),
    (0, 100, 0, 20, False),
])
def test_composite_blend_and_gate(own: float, minor: float, social: float, total: float, disqualified: bool) -> None:
    result = _composite(本体系得分=own, 未成年人得分=minor, 社会评价得分=social)
    assert result.total == total
    assert result.disqualified is disqualified
    gate = next(c for c in result.components if c.id == "wcn")
    assert gate.gate_passed is (not disqualified)


def test_composite_missing_component_fails_the_gate_with_a_note() -> None:
    result = _composite(本体系得分=90, 社会评价得分=80)
    assert result.total == 71  # 63 + 0 + 8
    assert result.disqualified and result.grade == "取消资格"
    comp = next(c for c in result.components if c.id == "wcn")
    assert (comp.score, comp.gate_passed) == (None, None)
    assert result.notes == ["未成年人思想道德建设：未填报“未成年人得分”，无法计入总分，门槛视为未通过"]


# ── waivers ───────────────────────────────────────────────────────────────────────────────────────────

def _waiver(rule: str = "E-04", unit: str = "T-001", expires: dt.date | None = dt.date(2025, 6, 30)) -> Waiver:
    return Waiver(unit=unit, rule=rule, reason="本年度停产改造，经批准暂不考核", approved_by="市文明办",
                  approved_at=dt.date(2024, 6, 1), expires=expires)


FAILING_E04 = variant(fields={"安全培训": "否"})


def test_valid_waiver_scores_full_and_keeps_the_actual_result_visible() -> None:
    result = engine(FAILING_E04, waivers=[_waiver()])
    e04 = rule_result(result, "E-04")
    assert (e04.outcome, e04.earned, e04.lost, e04.earned_without_waiver) == ("waived", 10, 0, 0)
    assert e04.waiver is not None and e04.waiver.expired is False and e04.waiver.approved_by == "市文明办"
    assert e04.message.startswith("已豁免（本年度停产改造，经批准暂不考核，市文明办批准）；实际结果：不符合")
    assert (result.total, result.total_without_waivers) == (103, 93)
    assert "E-04" not in {r.rule_id for r in result.rectifications}


def test_waiver_expiring_on_as_of_is_still_valid() -> None:
    result = engine(FAILING_E04, waivers=[_waiver(expires=AS_OF)])
    assert rule_result(result, "E-04").outcome == "waived"


def test_expired_waiver_reverts_with_a_message() -> None:
    result = engine(FAILING_E04, waivers=[_waiver(expires=dt.date(2024, 12, 30))])
    e04 = rule_result(result, "E-04")
    assert e04.outcome == "fail"
    assert e04.waiver is not None and e04.waiver.expired is True
    assert e04.message.endswith("（豁免已于2024-12-30过期，恢复按实际结果计分）")
    assert result.notes == ["规则 E-04 的豁免已于 2024-12-30 过期，已恢复按实际结果计分"]
    assert result.total == result.total_without_waivers == 93
    assert "E-04" in {r.rule_id for r in result.rectifications}


def test_wildcard_waivers() -> None:
    data = variant(fields={"安全培训": "否"}, surveys=[])
    everything = engine(data, waivers=[_waiver(rule="*", unit="*")])
    assert {r.rule_id for r in everything.rules if r.outcome == "waived"} == {"E-04", "E-07"}
    assert (everything.total, everything.total_without_waivers) == (103, 73)
    assert all(r.outcome == "pass" for r in everything.rules if r.rule_id.startswith("V-"))
    # a waived gap stays visible in the 缺项清单 (nothing to recover while waived) and is not a rectification
    assert [(d.rule_id, d.name, d.points_recoverable) for d in everything.deficiencies] == [("E-07", "满意度", 0)]
    assert everything.rectifications == []
    pattern = engine(data, waivers=[_waiver(rule="E-0?")])
    assert {r.rule_id for r in pattern.rules if r.outcome == "waived"} == {"E-04", "E-07"}
    other_unit = engine(data, waivers=[_waiver(rule="*", unit="T-999")])
    assert not [r for r in other_unit.rules if r.outcome == "waived"]


def test_waiver_does_not_touch_passing_or_not_applicable_rules() -> None:
    result = engine(GOOD, unit_type="机关", waivers=[_waiver(rule="E-0*")])
    assert rule_result(result, "E-01").outcome == "pass" and rule_result(result, "E-01").waiver is None
    assert rule_result(result, "E-04").outcome == "not_applicable"


# ── 缺项清单 and 整改清单 ─────────────────────────────────────────────────────────────────────────────

LISTS = {
    "fields": {"注册人数": 60, "应注册人数": 100, "安全培训": "否", "有食堂": "是", "获奖次数": 0},
    "evidence": [
        {"kind": "照片", "title": "义务劳动", "date": "2024-05-01", "caption": "2024年5月1日 厂区 义务劳动"},
        {"kind": "证书", "title": "市级先进集体", "date": "2018-01-01"},
    ],
    "inspections": [
        {"point_type": "车间", "point": "一车间", "sampled": 2, "passed": 1},
        {"point_type": "食堂", "point": "职工食堂", "sampled": 1, "passed": 0, "problems": [{"type": "生熟不分"}]},
    ],
}


def test_deficiency_list_sorted_by_points_recoverable() -> None:
    result = engine(LISTS)
    rows = [(d.rule_id, d.kind, d.name, d.points_recoverable, d.period) for d in result.deficiencies]
    assert rows == [
        ("E-07", "survey", "满意度", 20, "2024-01-01至2024-12-31"),
        ("E-01", "evidence", "方案", 10, "2024-01-01至2024-12-31"),
        ("E-02", "evidence", "照片", 10, "2024-01-01至2024-12-31"),
    ]


def test_rectification_list_sorted_by_points_then_due_date() -> None:
    result = engine(LISTS)
    rows = [(r.rule_id, r.points_recoverable, r.due, r.role, r.severity) for r in result.rectifications]
    assert rows == [
        ("E-07", 20, "2025-03-01", "窗口科室", "中"),    # as_of + 60
        ("E-01", 10, "2025-01-15", "办公室", "高"),      # + 15
        ("E-02", 10, "2025-01-30", "宣传部门", "中"),    # + 30
        ("E-04", 10, "2025-01-30", "联络员", "中"),      # no rectification in the rule: defaults, 30 days
        ("E-05", 6.8, "2025-01-07", "生产部门", "中"),   # B: 20 − 13.2
        ("E-06", 5, "2025-01-20", "后勤部门", "低"),     # one problem × 5
    ]
    e04 = next(r for r in result.rectifications if r.rule_id == "E-04")
    assert e04.requirement == "对照测评标准“企业安全培训”整改到位"
    assert [r.problem for r in result.rectifications] == [
        "缺项：没有“满意度”的问卷调查结果",
        "缺项：需要“年度方案”至少1份（2024-01-01至2024-12-31），符合要求的只有0份",
        "缺项：需要“活动照片”至少2份（2023-12-31至2024-12-31），符合要求的只有1份",
        "不符合：安全培训：否（要求：是）",
        "部分符合：抽查车间2个，合格1个，评为B等",
        "部分符合：发现1处，每处扣5分，共扣5分",
    ]
    assert "E-08" not in {r.rule_id for r in result.rectifications}  # a missed bonus is not a rectification
    assert result.total == 38.2  # 材料审核 10 + 实地考察 28.2 + 问卷调查 0
    assert result.grade == "不合格"


def test_due_dates_follow_as_of() -> None:
    result = engine(LISTS, as_of=dt.date(2025, 3, 15))
    assert {r.rule_id: r.due for r in result.rectifications}["E-01"] == "2025-03-30"


def test_effective_as_of_prefers_command_line_then_unit_then_period_end() -> None:
    pack = pack_named("enginepack")
    unit, _ = make_unit(pack, {"as_of": "2024-11-30"})
    assert effective_as_of(unit, dt.date(2025, 1, 1)) == dt.date(2025, 1, 1)
    assert effective_as_of(unit, None) == dt.date(2024, 11, 30)
    bare, _ = make_unit(pack, {})
    assert effective_as_of(bare, None) == AS_OF


def test_results_built_without_validation_are_valid_models() -> None:
    """The engine builds result models from values it computed (``evaluator.fastmodel.made``), skipping a
    second validation. Every shipped pack's samples, with a waiver and a peer substitute in play, must give
    results that validation accepts unchanged: same JSON, byte for byte, and equal models."""
    from evaluator.engine import evaluate
    from evaluator.errors import DiagnosticSink
    from evaluator.loader import load_pack_or_raise
    from evaluator.unitdata import load_unit_file
    from schemas.result import UnitResult
    from tests.conftest import RULES

    checked = 0
    for pack_dir in sorted(p for p in RULES.iterdir() if (p / "pack.yaml").exists()):
        pack = load_pack_or_raise(pack_dir)
        first = next(r for r in pack.scored_rules() if r.rule.status == "stable")
        waiver = Waiver(unit="*", rule=first.id, reason="疫情停业", approved_by="区文明办", approved_at=dt.date(2024, 6, 1))
        for sample in sorted((pack_dir / "samples").glob("*.yaml")):
            unit, values = load_unit_file(sample, pack, DiagnosticSink())
            assert unit is not None
            result = evaluate(pack, unit, values, as_of=effective_as_of(unit, None), waivers=[waiver])
            text = result.model_dump_json(indent=2)
            again = UnitResult.model_validate_json(text)
            assert again.model_dump_json(indent=2) == text, sample
            assert again == result
            checked += 1
    assert checked >= 10


def test_inspection_index_matches_a_scan_even_for_unhashable_values() -> None:
    """``rows_where`` answers from a per-unit index; malformed rows whose value cannot be a dict key make it
    fall back to the scan it replaces, with the same rows in the same order."""
    from evaluator.expr.interp import Context, rows_where

    rows = [{"point_type": "主干道", "n": 1}, {"point_type": "背街小巷", "n": 2}, {"point_type": "主干道", "n": 3}, {"n": 4}]
    ctx = Context(fields={}, inspections=rows)
    assert [r["n"] for r in rows_where(ctx, "inspections", "point_type", "主干道")] == [1, 3]
    assert [r["n"] for r in rows_where(ctx, "inspections", "point_type", None)] == [4]
    assert rows_where(ctx, "inspections", "point_type", "集贸市场") == []
    odd = Context(fields={}, inspections=[*rows, {"point_type": ["主干道"], "n": 5}])
    assert [r["n"] for r in rows_where(odd, "inspections", "point_type", "主干道")] == [1, 3]
    assert [r["n"] for r in rows_where(odd, "inspections", "point_type", ["主干道"])] == [5]
    assert [r["n"] for r in rows_where(ctx, "inspections", "point_type", ["主干道"])] == []
