"""The reference evaluator: ``evaluate(pack, unit, values, as_of=…, waivers=…)`` → ``UnitResult``.

Pure: no files, no clock. Per rule it decides applicability, checks required evidence, runs the grading
model and turns gaps into ``missing`` and failures into ``error`` — one bad rule never stops the unit,
and missing data is never a pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase
from typing import Any

from evaluator.compiled import CompiledPack, CompiledRule
from evaluator.evalplan import PackPlan, RulePlan, pack_plan
from evaluator.explain import fmt_number
from evaluator.expr import Context, EvalError, MissingData
from evaluator.expr.interp import months_before
from evaluator.fastmodel import made
from evaluator.grading import GRADERS, Graded, GradeEnv, evaluate_expr
from evaluator.rollup import build_unit_result
from schemas.result import Check, MissingItem, RuleResult, WaiverInfo
from schemas.rule import EvidenceRequirement, Veto
from schemas.unit import Unit, Waiver

CENT = Decimal("0.01")
ZERO = Decimal(0)


def q(value: Decimal) -> Decimal:
    """Official scores have two decimals, rounded half up (四舍五入)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class VetoOutcome:
    rule: CompiledRule
    incident: dict[str, Any]


@dataclass
class RuleEval:
    """A rule's result plus the exact values the roll-up needs."""

    result: RuleResult
    earned: Decimal
    maximum: Decimal
    counts_in_total: bool
    bonus: bool = False
    actual_earned: Decimal = Decimal(0)
    extra: dict[str, Any] = field(default_factory=dict)


def build_context(pack: CompiledPack, unit: Unit, values: dict[str, Any], as_of: dt.date) -> Context:
    return _unit_context(pack_plan(pack), unit, values, as_of)


RECORD_SECTIONS = {"evidence", "inspections", "surveys", "incidents"}


def _unit_context(plan: PackPlan, unit: Unit, values: dict[str, Any], as_of: dt.date) -> Context:
    records = unit.model_dump(include=RECORD_SECTIONS)  # one call for all four lists: expressions read plain dicts
    return Context(
        fields=values,
        builtins={"as_of": as_of, "period_start": unit.period.start, "period_end": unit.period.end},
        evidence=records["evidence"],
        inspections=records["inspections"],
        surveys=records["surveys"],
        incidents=records["incidents"],
        as_of=as_of,
        period=(unit.period.start, unit.period.end),
        labels=plan.field_labels,
    )


def evidence_gaps(requirements: list[EvidenceRequirement], unit: Unit, as_of: dt.date, labels: dict[str, str]) -> list[MissingItem]:
    return _evidence_gaps(requirements, unit, as_of, labels, {}) if requirements else []


def _window(req: EvidenceRequirement, unit: Unit, as_of: dt.date, memo: dict[Any, Any]) -> tuple[dt.date, dt.date, str]:
    """The requirement's date window and its text; the same few windows recur across a unit's rules."""
    key = ("window", req.window.within, req.window.months)
    found = memo.get(key)
    if found is None:
        if req.window.within == "period":
            found = (unit.period.start, unit.period.end, f"{unit.period.start}至{unit.period.end}")
        elif req.window.within == "months_before_as_of":
            start = months_before(as_of, req.window.months or 12)
            found = (start, as_of, f"{start}至{as_of}")
        else:
            found = (dt.date.min, dt.date.max, "不限日期")
        memo[key] = found
    return found


def _of_kind(unit: Unit, kind: str, memo: dict[Any, Any]) -> list[Any]:
    """The unit's evidence of one kind, in file order (grouped once per unit)."""
    by_kind = memo.get("evidence")
    if by_kind is None:
        by_kind = memo["evidence"] = {}
        for e in unit.evidence:
            by_kind.setdefault(e.kind, []).append(e)
    return by_kind.get(kind, [])


def _evidence_gaps(requirements: list[EvidenceRequirement], unit: Unit, as_of: dt.date, labels: dict[str, str],
                   memo: dict[Any, Any]) -> list[MissingItem]:
    gaps: list[MissingItem] = []
    for req in requirements:
        start, end, span = _window(req, unit, as_of, memo)
        of_kind = _of_kind(unit, req.kind, memo)
        ok = [e for e in of_kind if e.date is not None and start <= e.date <= end and (not req.caption_required or (e.caption or "").strip())]
        if len(ok) >= req.min_count:
            continue
        label = labels.get(req.kind, req.kind)
        reasons = []
        undated = sum(1 for e in of_kind if e.date is None)
        outside = sum(1 for e in of_kind if e.date is not None and not start <= e.date <= end)
        uncaptioned = sum(1 for e in of_kind if req.caption_required and not (e.caption or "").strip())
        if undated:
            reasons.append(f"{undated}份未注明日期")
        if outside:
            reasons.append(f"{outside}份不在期限内")
        if uncaptioned:
            reasons.append(f"{uncaptioned}份缺少文字说明")
        why = f"（{'，'.join(reasons)}）" if reasons else ""
        gaps.append(MissingItem(kind="evidence", name=req.kind,
                                detail=f"需要“{label}”至少{req.min_count}份（{span}），符合要求的只有{len(ok)}份{why}"))
    return gaps


def _missing_for(gap: MissingData, rule: CompiledRule, values: dict[str, Any], labels: dict[str, str]) -> list[MissingItem]:
    """All absent fields the rule reads, not only the first one that stopped the evaluation."""
    if gap.kind != "field":
        return [MissingItem(kind=gap.kind if gap.kind in ("inspection", "survey", "evidence", "judgement") else "field", name=gap.name, detail=gap.detail)]  # type: ignore[arg-type]
    names: set[str] = set()
    for expr in rule.exprs.values():
        names |= {n for n in expr.reads if n in labels and n not in values}
    names.add(gap.name.split(".")[0])
    return [MissingItem(kind="field", name=n, detail=f"未填报“{labels.get(n, n)}”") for n in sorted(names)]


def find_waiver(waivers: list[Waiver], unit_id: str, rule_id: str) -> Waiver | None:
    for waiver in waivers:
        if fnmatchcase(unit_id, waiver.unit) and fnmatchcase(rule_id, waiver.rule):
            return waiver
    return None


def _message(outcome: str, graded: Graded | None, missing: list[MissingItem], reason: str | None) -> str:
    if outcome == "not_applicable":
        return reason or "本条不适用"
    if outcome == "error":
        return f"无法评测：{reason}"
    if outcome == "missing":
        return "缺项：" + "；".join(m.detail for m in missing)
    if outcome == "manual_pending":
        return "待人工判定：" + "；".join(m.detail for m in missing)
    checks = graded.checks if graded else []
    if outcome == "pass":
        return f"符合要求：{checks[0].sentence}" if checks else "符合要求"
    return ("部分符合：" if outcome == "partial" else "不符合：") + ("；".join([c.sentence for c in checks if not c.ok]) or "未达到要求")


def evaluate_rule(pack: CompiledPack, rule: CompiledRule, unit: Unit, ctx: Context, values: dict[str, Any],
                  as_of: dt.date, labels: dict[str, str]) -> RuleEval:
    return _evaluate_rule(pack_plan(pack), rule, unit, ctx, values, as_of, labels)


def _evaluate_rule(plan: PackPlan, rule: CompiledRule, unit: Unit, ctx: Context, values: dict[str, Any],
                   as_of: dt.date, labels: dict[str, str]) -> RuleEval:
    return _evaluate_planned(plan, rule, plan.rule_plan(rule), unit, ctx, values, as_of, labels, {})


def _evaluate_planned(plan: PackPlan, rule: CompiledRule, rp: RulePlan, unit: Unit, ctx: Context, values: dict[str, Any],
                      as_of: dt.date, labels: dict[str, str], memo: dict[Any, Any]) -> RuleEval:
    """One rule for one unit. ``memo`` holds what the unit's rules share (rule contexts, evidence by kind,
    date windows): one dict per unit, never reused for another unit."""
    r = rule.rule
    if r.applies_to and unit.unit.type not in r.applies_to:
        return _rule_eval(rule, rp, "not_applicable", ZERO, reason=rp.not_for_type + unit.unit.type)
    try:
        if rule.applicable is not None:
            applicable, _ = evaluate_expr(rule.applicable, ctx, rp.prep)
            if applicable is not True:
                return _rule_eval(rule, rp, "not_applicable", ZERO, reason=rp.not_applicable)
        env = GradeEnv(rule, _shared_rule_context(ctx, rp, memo), rp.scope, plan.levels, rp.points,
                       unit.judgements.get(r.id) if unit.judgements else None, rp.prep)
        graded = GRADERS[r.grading.model](r.grading, env, "grading")  # grading.grade(), one call less per rule
    except MissingData as gap:
        return _rule_eval(rule, rp, "missing", ZERO, missing=_missing_for(gap, rule, values, labels) + _evidence_gaps(r.evidence, unit, as_of, labels, memo))
    except EvalError as exc:
        return _rule_eval(rule, rp, "error", ZERO, reason=str(exc))
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError) as exc:  # defensive: one rule never stops a unit
        return _rule_eval(rule, rp, "error", ZERO, reason=f"计算出错（{type(exc).__name__}）")
    if graded.pending:
        return _rule_eval(rule, rp, "manual_pending", ZERO, graded, graded.missing)
    gaps = graded.missing + _evidence_gaps(r.evidence, unit, as_of, labels, memo) if r.evidence else graded.missing
    points = rp.points
    if gaps:
        shown = fmt_number(q(graded.earned))
        hint = made(Check, {"what": "按现有数据", "observed": f"{shown}分", "expected": f"{fmt_number(points)}分", "ok": False,
                            "sentence": f"补齐缺项前本条不得分；按现有数据可得{shown}分"})
        # 缺项 scores 0 as the formula and the hint above say; what the present data would earn is only shown.
        return _rule_eval(rule, rp, "missing", ZERO, graded, gaps, checks=[hint, *graded.checks])
    earned = max(ZERO, min(points, graded.earned))
    outcome = "pass" if earned == points else ("fail" if earned == 0 else "partial")
    return _rule_eval(rule, rp, outcome, earned, graded)


def _rule_eval(rule: CompiledRule, rp: RulePlan, outcome: str, earned: Decimal, graded: Graded | None = None,
               missing: list[MissingItem] | None = None, reason: str | None = None, checks: list[Check] | None = None) -> RuleEval:
    """The rule's result as the report shows it (rounded points, message, checks) plus the exact values for the roll-up."""
    r = rule.rule
    missing = missing or []
    earned = earned.quantize(CENT, rounding=ROUND_HALF_UP)  # q(), inlined: once per rule per unit
    maximum = ZERO if outcome == "not_applicable" else rp.points
    rr = made(RuleResult, {
        "rule_id": r.id, "code": r.code, "title": r.title, "node": r.node, "method": r.method, "outcome": outcome,
        "earned": float(earned), "max": float(maximum), "lost": float(maximum - earned), "level": graded.level if graded else None,
        "message": _message(outcome, graded, missing, reason),
        "checks": checks if checks is not None else (graded.checks if graded else []), "missing": missing,
        "waiver": None, "earned_without_waiver": None, "error": reason if outcome == "error" else None, "substituted": False,
    })
    return RuleEval(rr, earned, maximum, outcome != "not_applicable", rp.bonus, earned)


def ctx_with(ctx: Context, params: dict[str, Any], points: Decimal) -> Context:
    converted = {k: Decimal(str(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in params.items()}
    return _rule_context(ctx, converted, points)


def _shared_rule_context(ctx: Context, rp: RulePlan, memo: dict[Any, Any]) -> Context:
    """The rule's context; rules without params and with the same points (the plan shares one ``Decimal`` per
    written value) see the same context, so it is made once per unit. Nothing writes to a context."""
    if rp.params:
        return _rule_context(ctx, rp.params, rp.points)
    key = id(rp.points)
    found = memo.get(key)
    if found is None or found[0] is not rp.points:
        found = memo[key] = (rp.points, _rule_context(ctx, rp.params, rp.points))
    return found[1]


def _rule_context(ctx: Context, params: dict[str, Any], points: Decimal) -> Context:
    """The unit's context plus one rule's params (already Decimal) and its points (``points``/``分值``)."""
    return Context(
        fields=ctx.fields, params=params, builtins={**ctx.builtins, "points": points, "分值": points},
        evidence=ctx.evidence, inspections=ctx.inspections, surveys=ctx.surveys, incidents=ctx.incidents,
        as_of=ctx.as_of, period=ctx.period, labels=ctx.labels, memo=ctx.memo,
    )


def apply_waiver(ev: RuleEval, waiver: Waiver | None, as_of: dt.date) -> RuleEval:
    if waiver is None or ev.result.outcome in ("pass", "not_applicable"):
        return ev
    expired = waiver.expires is not None and waiver.expires < as_of
    info = WaiverInfo(reason=waiver.reason, approved_by=waiver.approved_by, approved_at=waiver.approved_at.isoformat(),
                      expires=waiver.expires.isoformat() if waiver.expires else None, expired=expired)
    if expired:
        message = f"{ev.result.message}（豁免已于{waiver.expires}过期，恢复按实际结果计分）"
        ev.result = ev.result.model_copy(update={"waiver": info, "message": message})
        return ev
    actual = ev.earned
    ev.result = ev.result.model_copy(update={
        "outcome": "waived", "waiver": info, "earned": float(ev.maximum), "lost": 0.0,
        "earned_without_waiver": float(actual),
        "message": f"已豁免（{waiver.reason}，{waiver.approved_by}批准）；实际结果：{ev.result.message}",
    })
    ev.actual_earned = actual
    ev.earned = ev.maximum
    return ev


def check_veto(rule: CompiledRule, unit: Unit, as_of: dt.date) -> tuple[RuleResult, dict[str, Any] | None]:
    grading = rule.rule.grading
    assert isinstance(grading, Veto)
    start = months_before(as_of, grading.lookback_months)
    hits = [i for i in unit.incidents if i.type in grading.incident_types and start <= i.date <= as_of
            and (grading.min_level is None or level_at_least(i.level, grading.min_level))]
    hits.sort(key=lambda i: (i.date, i.type))
    r = rule.rule
    if not hits:
        return _veto_result(r, "pass", f"{start}至{as_of}（回溯{grading.lookback_months}个月）内无{'、'.join(grading.incident_types)}"), None
    hit = hits[-1]
    effect = describe_effect(grading)
    message = f"{hit.date}发生“{hit.type}”{('（' + hit.description + '）') if hit.description else ''}，在回溯{grading.lookback_months}个月内：{effect}"
    return _veto_result(r, "fail", message), {"incident": hit, "effect": effect}


def _veto_result(r: Any, outcome: str, message: str) -> RuleResult:
    """A veto rule's line: no points of its own (its effect applies to the total)."""
    return made(RuleResult, {
        "rule_id": r.id, "code": r.code, "title": r.title, "node": r.node, "method": r.method, "outcome": outcome,
        "earned": 0.0, "max": 0.0, "lost": 0.0, "level": None, "message": message, "checks": [], "missing": [],
        "waiver": None, "earned_without_waiver": None, "error": None, "substituted": False,
    })


INCIDENT_LEVELS = ("一般", "较大", "重大", "特别重大")  # 国务院《生产安全事故报告和调查处理条例》的事故等级


def level_at_least(level: str | None, minimum: str) -> bool:
    """``min_level`` means “at least”: 特别重大 ≥ 重大 ≥ 较大 ≥ 一般; other level words must match exactly."""
    if level is None:
        return False
    if level in INCIDENT_LEVELS and minimum in INCIDENT_LEVELS:
        return INCIDENT_LEVELS.index(level) >= INCIDENT_LEVELS.index(minimum)
    return level == minimum


def describe_effect(grading: Veto) -> str:
    parts = []
    if grading.effect.disqualify:
        parts.append("取消资格")
    if grading.effect.deduct:
        parts.append(f"总分扣{fmt_number(grading.effect.deduct)}分")
    if grading.effect.cap is not None:
        parts.append(f"总分不超过{fmt_number(grading.effect.cap)}分")
    return "，".join(parts)


def substitutable(rule: CompiledRule, unit: Unit, ev: RuleEval) -> bool:
    """Only a rule its applicability condition switched off is substituted (社区无小区) — never one whose
    ``applies_to`` excludes this unit type (a 街道 is not scored on 小区 rules at all)."""
    type_ok = not rule.rule.applies_to or unit.unit.type in rule.rule.applies_to
    return rule.rule.na_substitute == "peer_average" and ev.result.outcome == "not_applicable" and type_ok


def substitute_peer_average(ev: RuleEval, rule: CompiledRule, fraction: Decimal, peers: int) -> RuleEval:
    """Batch only: a not-applicable rule with ``na_substitute: peer_average`` is scored at the average earned
    fraction of the units of the same batch where it applied (docs/batch.md); flagged ``substituted``."""
    points = Decimal(str(rule.rule.points))
    earned = q(points * fraction)
    message = f"{ev.result.message}；按同批 {peers} 个适用单位的平均得分率 {fmt_number(q(fraction * 100))}% 替代计分"
    ev.result = ev.result.model_copy(update={"earned": float(earned), "max": float(points), "lost": float(points - earned),
                                             "substituted": True, "message": message})
    return RuleEval(ev.result, earned, points, True, ev.bonus, earned)


def explanation_labels(pack: CompiledPack) -> dict[str, str]:
    """Field and evidence-kind labels, the words explanations use for them (kept in the pack's plan)."""
    return pack_plan(pack).labels


def settle(ev: RuleEval, rule: CompiledRule, unit: Unit, as_of: dt.date, waivers: list[Waiver],
           substitutes: dict[str, tuple[Decimal, int]] | None) -> RuleEval:
    """What happens to a graded rule before the roll-up, in the reference's order: the batch's peer average for a
    condition-based N/A first, then the unit's waiver. Every engine goes through here."""
    if substitutes and rule.id in substitutes and substitutable(rule, unit, ev):
        ev = substitute_peer_average(ev, rule, *substitutes[rule.id])
    if waivers:
        ev = apply_waiver(ev, find_waiver(waivers, unit.unit.id, rule.id), as_of)
    return ev


def finish_unit(pack: CompiledPack, unit: Unit, ctx: Context, evals: list[RuleEval], as_of: dt.date) -> Any:
    """The stable veto rules checked, then the unit's result rolled up from ``evals`` (one per stable scored rule)."""
    _, veto_rules = pack_plan(pack).stable_rules(pack.rules)
    vetoes = [(rule, *check_veto(rule, unit, as_of)) for rule in veto_rules]
    return build_unit_result(pack, unit, ctx, evals, vetoes, as_of)


def evaluate(pack: CompiledPack, unit: Unit, values: dict[str, Any], *, as_of: dt.date,
             waivers: list[Waiver] | None = None, substitutes: dict[str, tuple[Decimal, int]] | None = None) -> Any:
    """Evaluate one unit. ``values`` are the normalised field values from ``unitdata.check_fields``.
    ``substitutes`` (rule id → peer average fraction, peer count) is given by ``civic batch`` only."""
    waivers = waivers or []
    plan = pack_plan(pack)
    ctx = _unit_context(plan, unit, values, as_of)
    scored, _ = plan.stable_rules(pack.rules)
    labels = plan.labels
    memo: dict[Any, Any] = {}
    evals = [settle(_evaluate_planned(plan, rule, rp, unit, ctx, values, as_of, labels, memo), rule, unit, as_of, waivers, substitutes)
             for rule, rp in scored]
    return finish_unit(pack, unit, ctx, evals, as_of)
