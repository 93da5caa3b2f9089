"""Grading models: one function per ``model`` in ``GRADERS``. Each turns a rule's data into points.

A grader returns a ``Graded`` (earned points before rounding, level, checks). It raises ``MissingData``
when a value it needs is absent and ``EvalError`` when the value cannot be computed; the engine turns
those into the outcomes ``missing`` and ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluator.compiled import CompiledRule
from evaluator.explain import Said, checks_for, fmt_number, fmt_value, said_for
from evaluator.expr import Context, EvalError, MissingData
from evaluator.expr.scope import Scope
from schemas.result import Check, MissingItem
from schemas.rule import (
    Bands,
    Checklist,
    Combine,
    Deduction,
    Formula,
    Linear,
    Manual,
    PassFail,
    ProblemCount,
    Sample,
)
from schemas.unit import Judgement


@dataclass
class Graded:
    earned: Decimal
    level: str | None = None
    checks: list[Check] = field(default_factory=list)
    missing: list[MissingItem] = field(default_factory=list)
    pending: bool = False


@dataclass
class GradeEnv:
    rule: CompiledRule
    ctx: Context
    scope: Scope
    levels: dict[str, Decimal]
    points: Decimal
    judgement: Judgement | None = None

    def run(self, path: str) -> tuple[Any, list[Check]]:
        expr = self.rule.expr(path)
        value, records = expr.evaluate(self.ctx)
        return value, checks_for(expr, value, records, self.scope)

    def run_said(self, path: str) -> tuple[Any, list[Said]]:
        """Like ``run`` for callers that only read the texts: no ``Check`` models are built."""
        expr = self.rule.expr(path)
        value, records = expr.evaluate(self.ctx)
        return value, said_for(expr, value, records, self.scope)

    def number(self, path: str) -> tuple[Decimal, list[Check]]:
        value, checks = self.run(path)
        if isinstance(value, bool) or not isinstance(value, Decimal):
            raise EvalError(f"{self.rule.expr(path).source} 应得到数值，实际是 {value!r}")
        return value, checks

    def fraction(self, level: str) -> Decimal:
        return self.levels[level]


Grader = Callable[[Any, GradeEnv, str], Graded]
GRADERS: dict[str, Grader] = {}


def grader(*names: str) -> Callable[[Grader], Grader]:
    def register(fn: Grader) -> Grader:
        for name in names:
            GRADERS[name] = fn
        return fn

    return register


def grade(grading: Any, env: GradeEnv, path: str = "grading") -> Graded:
    return GRADERS[grading.model](grading, env, path)


@grader("pass_fail")
def _pass_fail(g: PassFail, env: GradeEnv, path: str) -> Graded:
    value, checks = env.run(f"{path}.condition")
    if not isinstance(value, bool):
        raise EvalError(f"条件应得到“是/否”，实际是 {value!r}")
    return Graded(env.points if value else Decimal(0), None, checks)


@grader("checklist")
def _checklist(g: Checklist, env: GradeEnv, path: str) -> Graded:
    met = 0
    checks: list[Check] = []
    gaps: dict[tuple[Any, str], tuple[list[str], str]] = {}  # one 缺项 per absent field, naming every item it blocks
    for index, item in enumerate(g.items):
        label = f"第{index + 1}项“{item.text}”"
        try:
            value, item_checks = env.run_said(f"{path}.items.{index}.condition")
        except MissingData as gap:
            gaps.setdefault((_kind(gap.kind), gap.name), ([], gap.detail))[0].append(label)
            checks.append(Check(what=label, observed="缺数据", expected="符合", ok=False, sentence=f"{label}无法判断：{gap.detail}"))
            continue
        ok = value is True
        met += ok
        detail = "；".join(c.sentence for c in item_checks if not c.ok and c.what != item.condition) if not ok else ""
        checks.append(Check(what=label, observed="符合" if ok else "不符合", expected="符合", ok=ok,
                            sentence=f"{label}{'符合' if ok else '不符合'}" + (f"（{detail}）" if detail else "")))
    missing = [MissingItem(kind=kind, name=name, detail=f"{'、'.join(labels)}：{detail}") for (kind, name), (labels, detail) in gaps.items()]
    level = next((step.level for step in g.ladder if met >= step.min), g.otherwise)
    summary = Check(what="符合项数", observed=f"{met}/{len(g.items)}项", expected=f"{g.ladder[0].min}项为{g.ladder[0].level}", ok=met >= g.ladder[0].min,
                    sentence=f"{len(g.items)}项中符合{met}项，评为{level}等")
    return Graded(env.fraction(level) * env.points, level, [summary, *checks], missing)


def _kind(kind: str) -> Any:
    return kind if kind in ("field", "evidence", "inspection", "survey", "judgement") else "field"


@grader("sample")
def _sample(g: Sample, env: GradeEnv, path: str) -> Graded:
    rows = [r for r in env.ctx.inspections if r.get("point_type") == g.point_type]
    sampled = sum(int(r.get("sampled", 0)) for r in rows)
    passed = sum(int(r.get("passed", 0)) for r in rows)
    if sampled < g.min_sampled:
        raise MissingData("inspection", g.point_type, f"“{g.point_type}”抽查对象 {sampled} 个，少于要求的 {g.min_sampled} 个")
    if passed > sampled:
        raise EvalError(f"“{g.point_type}”合格数 {passed} 大于抽查数 {sampled}")
    level = next((step.level for step in g.ladder if passed >= step.min), g.otherwise)
    top = g.ladder[0]
    check = Check(what=f"{g.point_type}合格数", observed=f"{passed}/{sampled}", expected=f"≥{top.min}为{top.level}", ok=passed >= top.min,
                  sentence=f"抽查{g.point_type}{sampled}个，合格{passed}个，评为{level}等")
    return Graded(env.fraction(level) * env.points, level, [check])


@grader("problem_count")
def _problem_count(g: ProblemCount, env: GradeEnv, path: str) -> Graded:
    count, checks = env.number(f"{path}.count")
    level = next((step.level for step in g.ladder if count <= step.max), g.otherwise)
    best = g.ladder[0]
    checks.append(Check(what="问题数", observed=f"{fmt_number(count)}例", expected=f"≤{best.max}例为{best.level}", ok=count <= best.max,
                        sentence=f"发现问题{fmt_number(count)}例，评为{level}等"))
    return Graded(env.fraction(level) * env.points, level, checks)


def _band_hits(band: Any, value: Decimal) -> bool:
    tests = (
        (band.at_least, lambda b: value >= b), (band.more_than, lambda b: value > b),
        (band.at_most, lambda b: value <= b), (band.less_than, lambda b: value < b),
    )
    return all(test(Decimal(str(bound))) for bound, test in tests if bound is not None)


def _band_text(band: Any) -> str:
    parts = []
    for bound, sign in ((band.at_least, "≥"), (band.more_than, ">"), (band.at_most, "≤"), (band.less_than, "<")):
        if bound is not None:
            parts.append(f"{sign}{fmt_number(bound)}")
    return "且".join(parts) or "任意值"


@grader("bands")
def _bands(g: Bands, env: GradeEnv, path: str) -> Graded:
    value, checks = env.number(f"{path}.value")
    expr = env.rule.expr(f"{path}.value")
    from evaluator.explain import describe

    what, unit = describe(expr.tree, expr, env.scope)
    for band in g.bands:
        if _band_hits(band, value):
            earned = env.fraction(band.level) * env.points if band.level else Decimal(str(band.points))
            tag = f"{band.level}等" if band.level else f"{fmt_number(earned)}分"
            top = g.bands[0]
            checks.append(Check(what=what, observed=fmt_value(value, unit), expected=f"{_band_text(top)}为最高档", ok=band is top,
                                sentence=f"{what}为{fmt_value(value, unit)}，落在“{_band_text(band)}”档，评为{tag}"))
            return Graded(earned, band.level, checks)
    other = g.otherwise
    earned = env.fraction(other) * env.points if isinstance(other, str) else Decimal(str(other))
    checks.append(Check(what=what, observed=fmt_value(value, unit), expected=f"{_band_text(g.bands[0])}为最高档", ok=False,
                        sentence=f"{what}为{fmt_value(value, unit)}，未达到任何分档，评为{other if isinstance(other, str) else fmt_number(other) + '分'}"))
    return Graded(earned, other if isinstance(other, str) else None, checks)


@grader("deduction")
def _deduction(g: Deduction, env: GradeEnv, path: str) -> Graded:
    count, checks = env.number(f"{path}.count")
    if count < 0:
        raise EvalError(f"问题处数不能为负数：{fmt_number(count)}")
    cap = Decimal(str(g.cap)) if g.cap is not None else env.points
    deducted = min(count * Decimal(str(g.per)), cap, env.points)
    checks.append(Check(what="扣分", observed=f"{fmt_number(count)}处", expected="0处", ok=count == 0,
                        sentence=f"发现{fmt_number(count)}处，每处扣{fmt_number(g.per)}分，共扣{fmt_number(deducted)}分" + ("（扣完为止）" if deducted == env.points and count else "")))
    return Graded(env.points - deducted, None, checks)


@grader("linear")
def _linear(g: Linear, env: GradeEnv, path: str) -> Graded:
    value, checks = env.number(f"{path}.value")
    zero, full = Decimal(str(g.zero_at)), Decimal(str(g.full_at))
    fraction = (value - zero) / (full - zero)
    fraction = max(Decimal(0), min(Decimal(1), fraction))
    expr = env.rule.expr(f"{path}.value")
    from evaluator.explain import describe

    what, unit = describe(expr.tree, expr, env.scope)
    checks.append(Check(what=what, observed=fmt_value(value, unit), expected=f"{fmt_value(full, unit)}得满分", ok=fraction == 1,
                        sentence=f"{what}为{fmt_value(value, unit)}（{fmt_value(zero, unit)}得0分，{fmt_value(full, unit)}得满分），得分比例{fmt_number(fraction * 100)}%"))
    return Graded(fraction * env.points, None, checks)


@grader("formula")
def _formula(g: Formula, env: GradeEnv, path: str) -> Graded:
    value, checks = env.number(f"{path}.score")
    clamped = max(Decimal(0), min(env.points, value))
    checks.append(Check(what="公式得分", observed=fmt_number(value), expected=f"0–{fmt_number(env.points)}", ok=clamped == env.points,
                        sentence=f"按公式 {env.rule.expr(f'{path}.score').source} 计得{fmt_number(value)}分" + ("（已限定在本条分值范围内）" if clamped != value else "")))
    return Graded(clamped, None, checks)


@grader("worst_of", "best_of")
def _combine(g: Combine, env: GradeEnv, path: str) -> Graded:
    parts: list[tuple[str, Graded]] = []
    for index, part in enumerate(g.parts):
        parts.append((part.name, grade(part.grading, env, f"{path}.parts.{index}.grading")))
    pick = min if g.model == "worst_of" else max
    name, chosen = pick(parts, key=lambda item: item[1].earned)
    checks: list[Check] = []
    for part_name, result in parts:
        tag = f"{result.level}等" if result.level else f"{fmt_number(result.earned)}分"
        for check in result.checks:
            checks.append(check.model_copy(update={"sentence": f"{part_name}：{check.sentence}"}))
        if not result.checks:
            checks.append(Check(what=part_name, observed=tag, expected="最高档", ok=result.earned == env.points, sentence=f"{part_name}：{tag}"))
    word = "最差" if g.model == "worst_of" else "最好"
    checks.insert(0, Check(what="综合", observed=name, expected="", ok=chosen.earned == env.points,
                           sentence=f"按{word}一项（{name}）计：{chosen.level + '等' if chosen.level else fmt_number(chosen.earned) + '分'}"))
    return Graded(chosen.earned, chosen.level, checks)


@grader("manual")
def _manual(g: Manual, env: GradeEnv, path: str) -> Graded:
    judgement = env.judgement
    if judgement is None or (judgement.level is None and judgement.points is None):
        guidance = f"（判定指引：{g.guidance}）" if g.guidance else ""
        return Graded(Decimal(0), None, [], [MissingItem(kind="judgement", name=env.rule.id, detail=f"尚无人工判定结果{guidance}")], pending=True)
    if judgement.level is not None:
        if judgement.level not in env.levels:
            raise EvalError(f"人工判定等级 '{judgement.level}' 未在测评体系中定义（可用：{'、'.join(env.levels)}）")
        earned = env.fraction(judgement.level) * env.points
    else:
        earned = Decimal(str(judgement.points))
        if earned > env.points:
            raise EvalError(f"人工判定得分 {fmt_number(earned)} 超过本条分值 {fmt_number(env.points)}")
    who = f"（{judgement.by}）" if judgement.by else ""
    note = f"：{judgement.note}" if judgement.note else ""
    tag = f"{judgement.level}等" if judgement.level else f"{fmt_number(earned)}分"
    check = Check(what="人工判定", observed=tag, expected="", ok=earned == env.points, sentence=f"人工判定{who}为{tag}{note}")
    return Graded(earned, judgement.level, [check])
