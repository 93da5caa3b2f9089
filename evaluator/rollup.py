"""Roll rule results up into a unit result: per catalogue node, per method, weights, bonus, composite
components and gates, vetoes, grade, and the 缺项清单 / 整改清单.

The formula (also in docs/scoring.md and every report):
  base = Σ_m W_m × E_m / M_m over methods with weights, else full_marks × E / M   (rescale policy)
  total = min(base + min(bonus, bonus_cap), full_marks + bonus_cap) → composite blend → vetoes
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from evaluator.compiled import CompiledPack, CompiledRule
from evaluator.evalplan import PackPlan, pack_plan
from evaluator.expr import Context, EvalError, ExprError, MissingData
from evaluator.fastmodel import made
from schemas.result import (
    ComponentScore,
    DeficiencyItem,
    MethodScore,
    NodeScore,
    RectificationItem,
    RuleResult,
    UnitResult,
    UnitSummary,
    VetoHit,
)
from schemas.unit import Unit

if TYPE_CHECKING:
    from evaluator.engine import RuleEval

CENT = Decimal("0.01")
ZERO = Decimal(0)


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def formula_text(pack: CompiledPack) -> str:
    meta = pack.meta
    na = "不适用条目从分母中剔除后按比例折算" if meta.na_policy == "rescale" else "不适用条目按满分计"
    if meta.method_weights:
        weights = "＋".join(f"{w:g}×{m}得分率" for m, w in meta.method_weights.items())
        base = f"基本分 = {weights}（得分率 = 该方法实得分 ÷ 该方法适用满分）"
    else:
        base = f"基本分 = {meta.full_marks:g} × 实得分 ÷ 适用满分"
    parts = [base, na, "豁免条目按不扣分计（另列不含豁免的得分）", "缺项、待人工判定与无法评测条目按 0 分计"]
    if meta.bonus_cap:
        parts.append(f"奖励分另加，封顶 {meta.bonus_cap:g} 分")
    if meta.composite:
        comps = "，".join(f"{c.title}按 {c.weight:.0%} 计入" + (f"（须≥{c.gate.at_least:g}分，否则取消资格）" if c.gate else "") for c in meta.composite.components)
        parts.append(f"总分 = 本体系得分 × {1 - sum(c.weight for c in meta.composite.components):.0%} ＋ {comps}")
    parts.append("否决项：回溯期内发生负面清单事件按规定扣分、封顶或取消资格")
    parts.append("各条得分与总分均保留两位小数（四舍五入）")
    return "；".join(parts) + "。"


def _method_sums(pack: CompiledPack, plan: PackPlan, evals: list[RuleEval]) -> dict[str, list[Decimal]]:
    """Per method: [earned, earned without waivers, maximum] of the rules inside the base score, summed in rule
    order (both earned columns in one pass; the sums are exact, so the order never changes a digit)."""
    by_method: dict[str, list[Decimal]] = {}
    for ev in evals:
        if ev.bonus or not ev.counts_in_total:
            continue
        sums = by_method.get(ev.result.method)
        if sums is None:
            by_method[ev.result.method] = [ZERO + ev.earned, ZERO + ev.actual_earned, ZERO + ev.maximum]
        else:
            sums[0] += ev.earned
            sums[1] += ev.actual_earned
            sums[2] += ev.maximum
    if pack.meta.na_policy == "full_marks":
        for ev in evals:
            if not ev.counts_in_total and not ev.bonus:
                rule_points = plan.rule_plan(plan.rules_by_id[ev.result.rule_id]).points
                sums = by_method.setdefault(ev.result.method, [ZERO, ZERO, ZERO])
                sums[0] += rule_points
                sums[1] += rule_points
                sums[2] += rule_points
    return by_method


def _weighted_base(plan: PackPlan, by_method: dict[str, list[Decimal]], column: int) -> Decimal:
    """The base score from the method sums: ``column`` 0 with waivers, 1 without."""
    weights = plan.method_weights
    full = plan.full_marks
    if weights:
        live = {m: w for m, w in weights.items() if m in by_method and by_method[m][2] > 0}
        total_w = sum(live.values(), ZERO)
        if total_w == 0:
            return ZERO
        scale = full / total_w
        return sum((w * scale * by_method[m][column] / by_method[m][2] for m, w in live.items()), ZERO)
    earned = sum((sums[column] for sums in by_method.values()), ZERO)
    maximum = sum((sums[2] for sums in by_method.values()), ZERO)
    return full * earned / maximum if maximum else ZERO


def _bonus(plan: PackPlan, evals: list[RuleEval], use_actual: bool) -> Decimal:
    got = sum(((ev.actual_earned if use_actual else ev.earned) for ev in evals if ev.bonus and ev.counts_in_total), ZERO)
    return min(got, plan.bonus_cap)


def _components(plan: PackPlan, ctx: Context) -> tuple[list[ComponentScore], list[str]]:
    scores: list[ComponentScore] = []
    notes: list[str] = []
    for comp, expr in plan.components:
        value: Decimal | None = None
        try:
            if isinstance(expr, ExprError):  # compiled once in the plan; each unit's notes still say why
                notes.append(f"{comp.title}：得分无法计算（{expr}）")
            else:
                raw, _ = expr.evaluate(ctx)
                value = raw if isinstance(raw, Decimal) else None
        except MissingData as gap:
            notes.append(f"{comp.title}：{gap.detail}，无法计入总分，门槛视为未通过")
        except (EvalError, ExprError) as exc:
            notes.append(f"{comp.title}：得分无法计算（{exc}）")
        gate = comp.gate.at_least if comp.gate else None
        passed = None if value is None else (gate is None or value >= Decimal(str(gate)))
        scores.append(made(ComponentScore, {"id": comp.id, "title": comp.title, "score": float(q(value)) if value is not None else None,
                                            "weight": comp.weight, "gate": gate, "gate_passed": passed if comp.gate else None}))
    return scores, notes


def _total(plan: PackPlan, evals: list[RuleEval], base: Decimal, components: list[ComponentScore],
           vetoes: list[tuple[CompiledRule, RuleResult, dict[str, Any] | None]], use_actual: bool) -> tuple[Decimal, Decimal, bool]:
    own = min(q(base) + _bonus(plan, evals, use_actual), plan.full_marks + plan.bonus_cap)
    total = own
    disqualified = False
    if components:
        weight_sum = sum((Decimal(str(c.weight)) for c in components), ZERO)
        total = own * (1 - weight_sum) + sum((Decimal(str(c.weight)) * Decimal(str(c.score or 0)) for c in components), ZERO)
        disqualified = any(c.gate is not None and c.gate_passed is not True for c in components)
    effects = [rule.rule.grading.effect for rule, _result, hit in vetoes if hit is not None]  # type: ignore[union-attr]
    # All deductions first, then the lowest cap: the total must not depend on the order of rules in the files.
    for effect in effects:
        if effect.deduct:
            total -= Decimal(str(effect.deduct))
    for effect in effects:
        if effect.cap is not None:
            total = min(total, Decimal(str(effect.cap)))
        disqualified = disqualified or effect.disqualify
    return q(max(total, ZERO)), q(own), disqualified


def _node_layout(pack: CompiledPack, plan: PackPlan) -> tuple[list[tuple[str, str, int]], dict[str, tuple[int, ...]]]:
    """The catalogue in report order (code, title, depth) and, per node code, the positions of the node and its
    ancestors in that order: computed once per plan (the plan is rebuilt when the catalogue is replaced)."""
    layout = plan.walk.get("nodes")
    if layout is None:
        rows = [(code, info.node.title, info.depth) for code, info in pack.nodes.items()]
        position = {code: index for index, (code, _title, _depth) in enumerate(rows)}
        chains = {code: tuple(position[c] for c in chain) for code, chain in plan.chains.items()}
        layout = plan.walk["nodes"] = (rows, chains)
    return layout


def _nodes(pack: CompiledPack, plan: PackPlan, evals: list[RuleEval]) -> list[NodeScore]:
    rows, chains = _node_layout(pack, plan)
    earned: list[Decimal | None] = [None] * len(rows)  # None: no rule under the node (0, as the sums start at 0)
    maximum: list[Decimal] = [ZERO] * len(rows)
    for ev in evals:
        for index in chains.get(ev.result.node, ()):
            e = earned[index]
            if e is None:
                earned[index] = ZERO + ev.earned
                maximum[index] = ZERO + ev.maximum
            else:
                earned[index] = e + ev.earned
                maximum[index] += ev.maximum
    result = []
    for (code, title, depth), e, m in zip(rows, earned, maximum, strict=True):
        if e is None:
            e = ZERO
        result.append(made(NodeScore, {
            "code": code, "title": title, "depth": depth, "earned": float(e.quantize(CENT, rounding=ROUND_HALF_UP)),
            "max": float(m.quantize(CENT, rounding=ROUND_HALF_UP)),
            "rate": float((e / m * 100).quantize(CENT, rounding=ROUND_HALF_UP)) if m else 0.0}))  # q(), inlined: 3 per node
    return result


def _due(as_of: dt.date, days: int) -> str:
    return (as_of + dt.timedelta(days=days)).isoformat()


def _lists(plan: PackPlan, unit: Unit, evals: list[RuleEval], as_of: dt.date) -> tuple[list[DeficiencyItem], list[RectificationItem]]:
    deficiencies: list[DeficiencyItem] = []
    rectifications: list[RectificationItem] = []
    period = f"{unit.period.start}至{unit.period.end}"
    dues: dict[int, str] = {}  # deadline in days → due date: a handful of distinct deadlines per pack
    for ev in evals:
        r = ev.result
        listed = r.outcome in ("fail", "partial", "missing") and not ev.bonus
        if not r.missing and not listed:  # most rules pass: nothing to list, nothing to compute
            continue
        recoverable = float(q(Decimal(str(r.max)) - Decimal(str(r.earned if r.outcome != "waived" else r.max))))
        for item in r.missing:
            deficiencies.append(made(DeficiencyItem, {"rule_id": r.rule_id, "code": r.code, "title": r.title, "kind": item.kind,
                                                      "name": item.name, "detail": item.detail, "period": period,
                                                      "points_recoverable": recoverable}))
        if not listed:
            continue
        rule = plan.rules_by_id.get(r.rule_id)
        rect = rule.rule.rectification if rule else None
        days = rect.deadline_days if rect else 30
        rectifications.append(made(RectificationItem, {
            "rule_id": r.rule_id, "code": r.code, "title": r.title, "node": r.node,
            "requirement": rect.requirement if rect else f"对照测评标准“{r.title}”整改到位",
            "role": rect.role if rect else "联络员", "due": dues.get(days) or dues.setdefault(days, _due(as_of, days)),
            "severity": rect.severity if rect else "中", "points_recoverable": recoverable, "problem": r.message,
        }))
    deficiencies.sort(key=lambda d: (-d.points_recoverable, d.rule_id, d.name))
    rectifications.sort(key=lambda x: (-x.points_recoverable, x.due, x.rule_id))
    return deficiencies, rectifications


def _grade(plan: PackPlan, total: Decimal, disqualified: bool) -> str:
    if disqualified:
        return "取消资格"
    for minimum, label in plan.grades:
        if total >= minimum:
            return label
    return "达标" if total >= plan.pass_mark else "未达标"


def build_unit_result(pack: CompiledPack, unit: Unit, ctx: Context, evals: list[RuleEval],
                      vetoes: list[tuple[CompiledRule, RuleResult, dict[str, Any] | None]], as_of: dt.date) -> UnitResult:
    plan = pack_plan(pack)
    components, notes = _components(plan, ctx)
    by_method = _method_sums(pack, plan, evals)
    total, own, disqualified = _total(plan, evals, _weighted_base(plan, by_method, 0), components, vetoes, use_actual=False)
    total_actual, _, _ = _total(plan, evals, _weighted_base(plan, by_method, 1), components, vetoes, use_actual=True)
    weights = pack.meta.method_weights or {}
    methods = []
    for method in pack.meta.methods:
        e, _actual, m = by_method.get(method, (ZERO, ZERO, ZERO))
        w = weights.get(method)
        methods.append(made(MethodScore, {"method": method, "earned": float(q(e)), "max": float(q(m)), "weight": w,
                                          "weighted": float(q(Decimal(str(w)) * e / m)) if w is not None and m else None}))
    counts: dict[str, int] = {}
    for ev in evals:
        outcome = ev.result.outcome
        counts[outcome] = counts.get(outcome, 0) + 1
    deficiencies, rectifications = _lists(plan, unit, evals, as_of)
    veto_hits = [
        made(VetoHit, {"rule_id": rule.id, "title": rule.rule.title, "incident": hit["incident"].type,
                       "date": hit["incident"].date.isoformat(), "effect": hit["effect"]})
        for rule, _r, hit in vetoes if hit is not None
    ]
    for ev in evals:
        if ev.result.waiver and ev.result.waiver.expired:
            notes.append(f"规则 {ev.result.rule_id} 的豁免已于 {ev.result.waiver.expires} 过期，已恢复按实际结果计分")
    passed = total >= plan.pass_mark and not disqualified
    ident = unit.unit
    summary = made(UnitSummary, {"id": ident.id, "name": ident.name, "type": ident.type, "region": list(ident.region.path),
                                 "region_code": ident.region.code, "group": ident.group, "responsible": list(ident.responsible)})
    return made(UnitResult, {
        "unit": summary, "period": f"{unit.period.start}至{unit.period.end}", "as_of": as_of.isoformat(), "total": float(total),
        "total_without_waivers": float(total_actual), "base_score": float(own), "grade": _grade(plan, total, disqualified),
        "passed": passed, "disqualified": disqualified, "counts": dict(sorted(counts.items())), "vetoes": veto_hits,
        "components": components, "nodes": _nodes(pack, plan, evals), "methods": methods,
        "rules": [ev.result for ev in evals] + [v[1] for v in vetoes], "deficiencies": deficiencies,
        "rectifications": rectifications, "notes": notes,
    })
