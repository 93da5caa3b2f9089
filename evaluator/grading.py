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
from evaluator.explain import Said, comparison_said, describe, fmt_number, fmt_value
from evaluator.expr import CheckRecord, Context, EvalError, Expr, MissingData
from evaluator.expr.closures import compile_tree
from evaluator.expr.interp import Interpreter, rows_where
from evaluator.expr.nodes import Num, Str
from evaluator.expr.scope import Scope
from evaluator.fastmodel import made
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


def evaluate_expr(expr: Expr, ctx: Context, prep: dict[Any, Any]) -> tuple[Any, list[CheckRecord]]:
    """``expr.evaluate(ctx)`` through the closure compiled for it on first use (kept in the rule's plan).
    Only a plain ``Expr`` is compiled: a subclass (the durable engine's) keeps its own ``evaluate``."""
    found = prep.get(id(expr))
    if found is None or found[0] is not expr:
        if type(expr) is not Expr:
            return expr.evaluate(ctx)
        found = prep[id(expr)] = (expr, compile_tree(expr.tree))
    run = Interpreter(ctx)
    return found[1](run), run.records


@dataclass
class GradeEnv:
    rule: CompiledRule
    ctx: Context
    scope: Scope
    levels: dict[str, Decimal]
    points: Decimal
    judgement: Judgement | None = None
    prep: dict[Any, Any] = field(default_factory=dict)  # the rule plan's per-rule constants (texts, Decimals)

    def evaluate(self, path: str) -> tuple[Expr, Any, list[CheckRecord]]:
        expr = self.rule.expr(path)
        value, records = evaluate_expr(expr, self.ctx, self.prep)
        return expr, value, records

    def run(self, path: str) -> tuple[Any, list[Check]]:
        expr = self.rule.expr(path)
        value, records = evaluate_expr(expr, self.ctx, self.prep)
        return value, [_check(*said) for said in self.said(expr, value, records)]

    def run_said(self, path: str) -> tuple[Any, list[Said]]:
        """Like ``run`` for callers that only read the texts: no ``Check`` models are built."""
        expr, value, records = self.evaluate(path)
        return value, self.said(expr, value, records)

    def said(self, expr: Expr, value: Any, records: list[CheckRecord]) -> list[Said]:
        """``explain.said_for`` with each operand's description computed once per rule, not once per unit."""
        if records:
            return [self._said_record(record, expr) for record in records]
        if isinstance(value, bool):
            what, _ = self.describe(expr.tree, expr)
            ok = value is True
            return [Said(what, "是" if ok else "否", "是", ok, f"{what}：是" if ok else f"{what}：否（要求：是）")]
        return []

    def _said_record(self, record: CheckRecord, expr: Expr) -> Said:
        what, unit = self.describe(record.left, expr)
        obs = _value_text(record.observed, unit)
        right = record.right
        if isinstance(right, Num | Str):  # a written threshold: its text is the same for every unit
            key = ("expected", id(right), unit)
            found = self.prep.get(key)
            if found is None or found[0] is not right:
                found = self.prep[key] = (right, fmt_value(record.expected, unit))
            exp = found[1]
        else:
            exp = fmt_value(record.expected, unit)
        return comparison_said(what, obs, exp, record.op, record.ok)

    def describe(self, node: Any, expr: Expr) -> tuple[str, str | None]:
        key = ("describe", id(node), expr.source)  # the node lives in the rule's tree as long as the plan does
        found = self.prep.get(key)
        if found is None or found[0] is not node:
            found = self.prep[key] = (node, describe(node, expr, self.scope))
        return found[1]

    def constants(self, path: str, build: Callable[[], Any]) -> Any:
        """Per-rule constants of the grading block at ``path``, built on the first unit and kept in the plan."""
        found = self.prep.get(path)
        if found is None:
            found = self.prep[path] = build()
        return found

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


_NUMBER_TEXTS: dict[Decimal, str] = {}


def _number_text(value: Decimal) -> str:
    """``fmt_number`` of a unit's value, remembered: its text depends only on the number (3 and 3.0 both read
    “3”), and counts and rates repeat across rules and units. Bounded, so odd data cannot grow it. Zero is not
    remembered: 0 and -0 are equal keys but read “0” and “-0”."""
    text = _NUMBER_TEXTS.get(value)
    if text is None:
        text = fmt_number(value)
        if value and len(_NUMBER_TEXTS) < 4096:
            _NUMBER_TEXTS[value] = text
    return text


def _value_text(value: Any, unit: str | None) -> str:
    """``fmt_value`` with numbers through ``_number_text``."""
    if type(value) is Decimal:
        return _number_text(value) + (unit or "")
    return fmt_value(value, unit)


def _check(what: str, observed: str, expected: str, ok: bool, sentence: str) -> Check:
    """A ``Check`` from texts this module formatted itself (always valid: no second validation)."""
    return made(Check, {"what": what, "observed": observed, "expected": expected, "ok": ok, "sentence": sentence})


def _missing(kind: str, name: str, detail: str) -> MissingItem:
    return made(MissingItem, {"kind": kind, "name": name, "detail": detail})


@grader("pass_fail")
def _pass_fail(g: PassFail, env: GradeEnv, path: str) -> Graded:
    value, checks = env.run(f"{path}.condition")
    if not isinstance(value, bool):
        raise EvalError(f"条件应得到“是/否”，实际是 {value!r}")
    return Graded(env.points if value else Decimal(0), None, checks)


@dataclass(frozen=True)
class _ChecklistPlan:
    items: tuple[tuple[str, str, str], ...]  # (expression path, label, condition text)
    count: int
    top_min: int
    expected: str
    levels: tuple[tuple[int, str], ...]  # the ladder, highest first
    otherwise: str


def _checklist_plan(g: Checklist, path: str) -> _ChecklistPlan:
    items = tuple((f"{path}.items.{i}.condition", f"第{i + 1}项“{item.text}”", item.condition) for i, item in enumerate(g.items))
    top = g.ladder[0]
    return _ChecklistPlan(items, len(g.items), top.min, f"{top.min}项为{top.level}", tuple((s.min, s.level) for s in g.ladder), g.otherwise)


@grader("checklist")
def _checklist(g: Checklist, env: GradeEnv, path: str) -> Graded:
    plan: _ChecklistPlan = env.constants(path, lambda: _checklist_plan(g, path))
    met = 0
    checks: list[Check] = []
    gaps: dict[tuple[Any, str], tuple[list[str], str]] = {}  # one 缺项 per absent field, naming every item it blocks
    for expr_path, label, condition in plan.items:
        try:
            expr, value, records = env.evaluate(expr_path)
        except MissingData as gap:
            gaps.setdefault((_kind(gap.kind), gap.name), ([], gap.detail))[0].append(label)
            checks.append(_check(label, "缺数据", "符合", False, f"{label}无法判断：{gap.detail}"))
            continue
        if value is True:  # a met item's sentence names no reasons: its comparisons need not be worded
            met += 1
            checks.append(_check(label, "符合", "符合", True, label + "符合"))
            continue
        detail = "；".join(c.sentence for c in env.said(expr, value, records) if not c.ok and c.what != condition)
        checks.append(_check(label, "不符合", "符合", False, f"{label}不符合" + (f"（{detail}）" if detail else "")))
    missing = [_missing(kind, name, f"{'、'.join(labels)}：{detail}") for (kind, name), (labels, detail) in gaps.items()]
    level = next((lv for minimum, lv in plan.levels if met >= minimum), plan.otherwise)
    summary = _check("符合项数", f"{met}/{plan.count}项", plan.expected, met >= plan.top_min, f"{plan.count}项中符合{met}项，评为{level}等")
    return Graded(env.fraction(level) * env.points, level, [summary, *checks], missing)


def _kind(kind: str) -> Any:
    return kind if kind in ("field", "evidence", "inspection", "survey", "judgement") else "field"


@grader("sample")
def _sample(g: Sample, env: GradeEnv, path: str) -> Graded:
    point_type = g.point_type
    sampled = passed = 0
    for r in rows_where(env.ctx, "inspections", "point_type", point_type):
        sampled += int(r.get("sampled", 0))
        passed += int(r.get("passed", 0))
    if sampled < g.min_sampled:
        raise MissingData("inspection", point_type, f"“{point_type}”抽查对象 {sampled} 个，少于要求的 {g.min_sampled} 个")
    if passed > sampled:
        raise EvalError(f"“{point_type}”合格数 {passed} 大于抽查数 {sampled}")
    level = next((step.level for step in g.ladder if passed >= step.min), g.otherwise)
    top = g.ladder[0]
    check = _check(f"{point_type}合格数", f"{passed}/{sampled}", f"≥{top.min}为{top.level}", passed >= top.min,
                   f"抽查{point_type}{sampled}个，合格{passed}个，评为{level}等")
    return Graded(env.fraction(level) * env.points, level, [check])


@grader("problem_count")
def _problem_count(g: ProblemCount, env: GradeEnv, path: str) -> Graded:
    count, checks = env.number(f"{path}.count")
    level = next((step.level for step in g.ladder if count <= step.max), g.otherwise)
    best = g.ladder[0]
    shown = _number_text(count)
    checks.append(_check("问题数", f"{shown}例", f"≤{best.max}例为{best.level}", count <= best.max, f"发现问题{shown}例，评为{level}等"))
    return Graded(env.fraction(level) * env.points, level, checks)


_BAND_TESTS: tuple[tuple[str, str, Callable[[Decimal, Decimal], bool]], ...] = (
    ("at_least", "≥", lambda value, bound: value >= bound), ("more_than", ">", lambda value, bound: value > bound),
    ("at_most", "≤", lambda value, bound: value <= bound), ("less_than", "<", lambda value, bound: value < bound),
)


def _band_hits(band: Any, value: Decimal) -> bool:
    return all(test(value, Decimal(str(getattr(band, name)))) for name, _sign, test in _BAND_TESTS if getattr(band, name) is not None)


def _band_text(band: Any) -> str:
    parts = [f"{sign}{fmt_number(getattr(band, name))}" for name, sign, _test in _BAND_TESTS if getattr(band, name) is not None]
    return "且".join(parts) or "任意值"


@dataclass(frozen=True)
class _Band:
    tests: tuple[tuple[Callable[[Decimal, Decimal], bool], Decimal], ...]
    earned: Decimal
    level: str | None
    tail: str  # the sentence after the observed value: “，落在“≥90”档，评为A等”
    top: bool


@dataclass(frozen=True)
class _BandsPlan:
    what: str
    unit: str | None
    expected: str
    bands: tuple[_Band, ...]
    otherwise_earned: Decimal
    otherwise_level: str | None
    otherwise_tail: str


def _bands_plan(g: Bands, env: GradeEnv, path: str) -> _BandsPlan:
    expr = env.rule.expr(f"{path}.value")
    what, unit = describe(expr.tree, expr, env.scope)
    bands = []
    for band in g.bands:
        earned = env.fraction(band.level) * env.points if band.level else Decimal(str(band.points))
        tag = f"{band.level}等" if band.level else f"{fmt_number(earned)}分"
        tests = tuple((test, Decimal(str(getattr(band, name)))) for name, _sign, test in _BAND_TESTS if getattr(band, name) is not None)
        bands.append(_Band(tests, earned, band.level, f"，落在“{_band_text(band)}”档，评为{tag}", band is g.bands[0]))
    other = g.otherwise
    return _BandsPlan(
        what, unit, f"{_band_text(g.bands[0])}为最高档", tuple(bands),
        env.fraction(other) * env.points if isinstance(other, str) else Decimal(str(other)),
        other if isinstance(other, str) else None,
        f"，未达到任何分档，评为{other if isinstance(other, str) else fmt_number(other) + '分'}",
    )


@grader("bands")
def _bands(g: Bands, env: GradeEnv, path: str) -> Graded:
    value, checks = env.number(f"{path}.value")
    plan: _BandsPlan = env.constants(path, lambda: _bands_plan(g, env, path))
    observed = _value_text(value, plan.unit)
    for band in plan.bands:
        if all(test(value, bound) for test, bound in band.tests):
            checks.append(_check(plan.what, observed, plan.expected, band.top, f"{plan.what}为{observed}{band.tail}"))
            return Graded(band.earned, band.level, checks)
    checks.append(_check(plan.what, observed, plan.expected, False, f"{plan.what}为{observed}{plan.otherwise_tail}"))
    return Graded(plan.otherwise_earned, plan.otherwise_level, checks)


@grader("deduction")
def _deduction(g: Deduction, env: GradeEnv, path: str) -> Graded:
    count, checks = env.number(f"{path}.count")
    if count < 0:
        raise EvalError(f"问题处数不能为负数：{fmt_number(count)}")
    cap, per, per_text = env.constants(path, lambda: (
        Decimal(str(g.cap)) if g.cap is not None else env.points, Decimal(str(g.per)), fmt_number(g.per)))
    deducted = min(count * per, cap, env.points)
    shown = _number_text(count)
    checks.append(_check("扣分", f"{shown}处", "0处", count == 0,
                         f"发现{shown}处，每处扣{per_text}分，共扣{_number_text(deducted)}分" + ("（扣完为止）" if deducted == env.points and count else "")))
    return Graded(env.points - deducted, None, checks)


@grader("linear")
def _linear(g: Linear, env: GradeEnv, path: str) -> Graded:
    value, checks = env.number(f"{path}.value")
    zero, full = Decimal(str(g.zero_at)), Decimal(str(g.full_at))
    fraction = (value - zero) / (full - zero)
    fraction = max(Decimal(0), min(Decimal(1), fraction))
    expr = env.rule.expr(f"{path}.value")
    what, unit = env.describe(expr.tree, expr)
    checks.append(_check(what, fmt_value(value, unit), f"{fmt_value(full, unit)}得满分", fraction == 1,
                         f"{what}为{fmt_value(value, unit)}（{fmt_value(zero, unit)}得0分，{fmt_value(full, unit)}得满分），得分比例{fmt_number(fraction * 100)}%"))
    return Graded(fraction * env.points, None, checks)


@grader("formula")
def _formula(g: Formula, env: GradeEnv, path: str) -> Graded:
    value, checks = env.number(f"{path}.score")
    clamped = max(Decimal(0), min(env.points, value))
    checks.append(_check("公式得分", fmt_number(value), f"0–{fmt_number(env.points)}", clamped == env.points,
                         f"按公式 {env.rule.expr(f'{path}.score').source} 计得{fmt_number(value)}分" + ("（已限定在本条分值范围内）" if clamped != value else "")))
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
            checks.append(_check(check.what, check.observed, check.expected, check.ok, f"{part_name}：{check.sentence}"))
        if not result.checks:
            checks.append(_check(part_name, tag, "最高档", result.earned == env.points, f"{part_name}：{tag}"))
    word = "最差" if g.model == "worst_of" else "最好"
    checks.insert(0, _check("综合", name, "", chosen.earned == env.points,
                            f"按{word}一项（{name}）计：{chosen.level + '等' if chosen.level else fmt_number(chosen.earned) + '分'}"))
    return Graded(chosen.earned, chosen.level, checks)


@grader("manual")
def _manual(g: Manual, env: GradeEnv, path: str) -> Graded:
    judgement = env.judgement
    if judgement is None or (judgement.level is None and judgement.points is None):
        guidance = f"（判定指引：{g.guidance}）" if g.guidance else ""
        return Graded(Decimal(0), None, [], [_missing("judgement", env.rule.id, f"尚无人工判定结果{guidance}")], pending=True)
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
    check = _check("人工判定", tag, "", earned == env.points, f"人工判定{who}为{tag}{note}")
    return Graded(earned, judgement.level, [check])
