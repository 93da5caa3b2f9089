"""Grading models → SQL. Each rule becomes two columns: its outcome and its earned points (DECIMAL, 2 places).

The CASE that assembles the outcome follows ``engine.evaluate_rule`` step by step: unit type, applicability,
missing/error raised while grading, manual pending, checklist and evidence gaps, then pass/partial/fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlglot import exp

from evaluator.compiled import CompiledPack, CompiledRule
from evaluator.sqlc.compile_expr import Ctx, T, compile_expression, seq
from evaluator.sqlc.sql import (
    FALSE,
    TRUE,
    Unsupported,
    and_,
    case,
    dtype,
    greatest,
    least,
    not_,
    num,
    or_,
    paren,
    round_decimal,
)
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


@dataclass(frozen=True)
class G:
    """A graded rule before the outcome CASE: earned (unclamped), raised missing/error, gaps, pending."""

    earned: exp.Expression
    miss: exp.Expression = FALSE
    err: exp.Expression = FALSE
    gaps: exp.Expression = FALSE
    pending: exp.Expression = FALSE


@dataclass
class RuleEnv:
    rule: CompiledRule
    ctx: Ctx
    levels: dict[str, Decimal]
    points: Decimal

    def expr(self, path: str) -> T:
        return compile_expression(self.rule.expr(path).tree, self.ctx)

    def level_points(self, level: str) -> exp.Expression:
        return num(self.levels[level] * self.points)


GradeFn = Callable[[Any, RuleEnv, str], G]
SQL_GRADERS: dict[str, GradeFn] = {}


def sql_grader(*names: str) -> Callable[[GradeFn], GradeFn]:
    def register(fn: GradeFn) -> GradeFn:
        for name in names:
            SQL_GRADERS[name] = fn
        return fn

    return register


def grade_sql(grading: Any, env: RuleEnv, path: str = "grading") -> G:
    fn = SQL_GRADERS.get(grading.model)
    if fn is None:
        raise Unsupported(f"评分模型 {grading.model}")
    return fn(grading, env, path)


@sql_grader("pass_fail")
def _pass_fail(g: PassFail, env: RuleEnv, path: str) -> G:
    cond = env.expr(f"{path}.condition")
    return G(case((cond.val, num(env.points)), default=num(0)), cond.miss, cond.err)


def _ladder(count: exp.Expression, steps: Sequence[tuple[exp.Expression, str]], otherwise: str, env: RuleEnv) -> exp.Expression:
    return case(*[(cond, env.level_points(level)) for cond, level in steps], default=env.level_points(otherwise))


@sql_grader("checklist")
def _checklist(g: Checklist, env: RuleEnv, path: str) -> G:
    items = [env.expr(f"{path}.items.{i}.condition") for i in range(len(g.items))]
    met: exp.Expression = num(0)
    for item in items:
        met = exp.Add(this=paren(met), expression=case((and_(item.ok, item.val), num(1)), default=num(0)))
    steps = [(exp.GTE(this=paren(met), expression=num(step.min)), step.level) for step in g.ladder]
    return G(_ladder(met, steps, g.otherwise, env), FALSE, or_(*[i.err for i in items]), or_(*[i.miss for i in items]))


@sql_grader("sample")
def _sample(g: Sample, env: RuleEnv, path: str) -> G:
    sampled = exp.Coalesce(this=env.ctx.need("pt_s", g.point_type), expressions=[num(0)])
    passed = exp.Coalesce(this=env.ctx.need("pt_p", g.point_type), expressions=[num(0)])
    miss = exp.LT(this=sampled, expression=num(g.min_sampled))
    err = and_(not_(miss), exp.GT(this=passed, expression=sampled))
    steps = [(exp.GTE(this=passed, expression=num(step.min)), step.level) for step in g.ladder]
    return G(_ladder(passed, steps, g.otherwise, env), miss, err)


@sql_grader("problem_count")
def _problem_count(g: ProblemCount, env: RuleEnv, path: str) -> G:
    count = env.expr(f"{path}.count")
    steps = [(exp.LTE(this=paren(count.val), expression=num(step.max)), step.level) for step in g.ladder]
    return G(_ladder(count.val, steps, g.otherwise, env), count.miss, count.err)


def _band_condition(band: Any, value: exp.Expression) -> exp.Expression:
    tests = []
    for bound, build in ((band.at_least, exp.GTE), (band.more_than, exp.GT), (band.at_most, exp.LTE), (band.less_than, exp.LT)):
        if bound is not None:
            tests.append(build(this=paren(value), expression=num(Decimal(str(bound)))))
    return and_(*tests)


@sql_grader("bands")
def _bands(g: Bands, env: RuleEnv, path: str) -> G:
    value = env.expr(f"{path}.value")
    whens = []
    for band in g.bands:
        earned = env.level_points(band.level) if band.level else num(Decimal(str(band.points)))
        whens.append((_band_condition(band, value.val), earned))
    other = env.level_points(g.otherwise) if isinstance(g.otherwise, str) else num(Decimal(str(g.otherwise)))
    return G(case(*whens, default=other), value.miss, value.err)


@sql_grader("deduction")
def _deduction(g: Deduction, env: RuleEnv, path: str) -> G:
    count = env.expr(f"{path}.count")
    cap = num(Decimal(str(g.cap))) if g.cap is not None else num(env.points)
    deducted = least(exp.Mul(this=paren(count.val), expression=num(Decimal(str(g.per)))), cap, num(env.points))
    negative = and_(count.ok, exp.LT(this=paren(count.val), expression=num(0)))
    return G(exp.Sub(this=num(env.points), expression=deducted), count.miss, or_(count.err, negative))


def _fraction(value: exp.Expression, zero: Decimal, full: Decimal) -> exp.Expression:
    ratio = exp.Div(this=paren(exp.Sub(this=paren(value), expression=num(zero))), expression=num(full - zero))
    cleaned = exp.Cast(this=exp.Round(this=ratio, decimals=exp.Literal.number(9)), to=dtype("DECIMAL(38,10)"))
    return greatest(num(0), least(num(1), cleaned))


@sql_grader("linear")
def _linear(g: Linear, env: RuleEnv, path: str) -> G:
    value = env.expr(f"{path}.value")
    fraction = _fraction(value.val, Decimal(str(g.zero_at)), Decimal(str(g.full_at)))
    return G(exp.Mul(this=fraction, expression=num(env.points)), value.miss, value.err)


@sql_grader("formula")
def _formula(g: Formula, env: RuleEnv, path: str) -> G:
    score = env.expr(f"{path}.score")
    return G(score.val, score.miss, score.err)


@sql_grader("worst_of", "best_of")
def _combine(g: Combine, env: RuleEnv, path: str) -> G:
    parts = [grade_sql(p.grading, env, f"{path}.parts.{i}.grading") for i, p in enumerate(g.parts)]
    if any(not isinstance(p.pending, exp.Boolean) or p.gaps is not FALSE for p in parts):
        raise Unsupported("worst_of/best_of 中含人工判定或清单")
    chosen = least(*[p.earned for p in parts]) if g.model == "worst_of" else greatest(*[p.earned for p in parts])
    acc = T(parts[0].earned, parts[0].miss, parts[0].err)
    for part in parts[1:]:
        acc = seq(acc, T(part.earned, part.miss, part.err), chosen)
    return G(chosen, acc.miss, acc.err)


@sql_grader("manual")
def _manual(g: Manual, env: RuleEnv, path: str) -> G:
    level = env.ctx.need("jl", env.rule.id)
    points = env.ctx.need("jp", env.rule.id)
    known = exp.In(this=level, expressions=[exp.Literal.string(k) for k in env.levels])
    by_level = case(*[(exp.EQ(this=level, expression=exp.Literal.string(k)), num(v * env.points)) for k, v in env.levels.items()], default=num(0))
    has_level = exp.Not(this=exp.Is(this=level, expression=exp.Null()))
    has_points = exp.Not(this=exp.Is(this=points, expression=exp.Null()))
    earned = case((has_level, by_level), default=exp.Coalesce(this=points, expressions=[num(0)]))
    err = or_(and_(has_level, not_(known)), and_(not_(has_level), has_points, exp.GT(this=points, expression=num(env.points))))
    return G(earned, FALSE, err, FALSE, and_(not_(has_level), not_(has_points)))


def evidence_gaps(rule: CompiledRule, ctx: Ctx) -> exp.Expression:
    gaps = []
    for req in rule.rule.evidence:
        caption = "1" if req.caption_required else "0"
        column = ctx.need("ev_req", req.kind, req.window.within, str(req.window.months or 12), caption)
        gaps.append(exp.LT(this=column, expression=num(req.min_count)))
    return or_(*gaps)


NARROW = "DECIMAL(18,10)"


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def constant_of(e: exp.Expression | None) -> Decimal | None:
    """The value of a numeric constant built by ``num`` (a CAST of a number literal), else None."""
    if isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal) and not e.this.is_string:
        return Decimal(e.this.this)
    return None


@dataclass(frozen=True)
class CompiledSQL:
    """One rule in SQL, in two stages so the grading expression is computed once per unit.

    ``status`` is the outcome decided before any points (not_applicable, missing, error, manual_pending) or
    NULL; ``earned`` is the unclamped graded value. ``outcome_of``/``points_of`` finish the rule from the
    clamped earned value, whatever column or expression holds it. ``outcome``/``points`` are the one-stage
    forms of the same, over the whole expressions.
    """

    rule_id: str
    status: exp.Expression
    earned: exp.Expression
    max_points: Decimal

    def clamp(self, earned: exp.Expression) -> exp.Expression:
        """Earned points within [0, max]; DECIMAL(18,10) (64-bit in DuckDB) as max ≤ 1000 — rounding a
        128-bit DECIMAL(38,10) doubled the cost of the whole query."""
        return exp.Cast(this=greatest(num(0), least(num(self.max_points), earned)), to=dtype(NARROW))

    def outcome_of(self, status: exp.Expression, clamped: exp.Expression,
                   literal: Callable[[str], exp.Expression] = exp.Literal.string) -> exp.Expression:
        """pass / fail / partial from the clamped value unless ``status`` decided already. The constants have the
        clamped value's 64-bit type (a DECIMAL(38,10) constant would widen every comparison to 128 bits);
        ``literal`` builds the outcome value (text, or DuckDB's one-byte ENUM)."""
        graded = case((exp.EQ(this=clamped, expression=num(self.max_points, NARROW)), literal("pass")),
                      (exp.EQ(this=clamped, expression=num(0, NARROW)), literal("fail")),
                      default=literal("partial"))
        return exp.Coalesce(this=status, expressions=[graded]) if not isinstance(status, exp.Null) else graded

    def points_of(self, clamped: exp.Expression) -> exp.Expression:
        return round_decimal(clamped, 2, "DECIMAL(18,9)")

    def ladder(self) -> tuple[list[tuple[exp.Expression, Decimal]], Decimal] | None:
        """``earned`` as (condition, constant) steps and a default constant, when it is a CASE of constants (the
        ladder of a checklist, sample, problem count, bands or pass/fail) whose clamped values all have ≤ 9
        places; None otherwise. Such a rule's outcome and points per step are then known here
        (``finish_constant``), so the query picks a step instead of clamping and rounding every value."""
        earned = self.earned
        if isinstance(earned, exp.Case) and not earned.args.get("this"):
            steps = [(branch.this, constant_of(branch.args["true"])) for branch in earned.args.get("ifs") or []]
            default = constant_of(earned.args.get("default"))
        else:
            steps, default = [], constant_of(earned)
        known = [(cond, v) for cond, v in steps if v is not None]
        if default is None or len(known) < len(steps):
            return None
        if any(_places(self.clamped_constant(v)) > 9 for v in [*(v for _, v in known), default]):
            return None
        return known, default

    def clamped_constant(self, value: Decimal) -> Decimal:
        return max(Decimal(0), min(self.max_points, value))

    def finish_constant(self, value: Decimal) -> tuple[str, Decimal]:
        """The outcome and points ``outcome_of``/``points_of`` give for the constant earned ``value``: the same
        clamp, the same comparisons and the same rounding (ROUND half away from zero = ROUND_HALF_UP on a
        non-negative value; its 9-place cleaning is the identity on ≤ 9 places)."""
        clamped = self.clamped_constant(value)
        outcome = "pass" if clamped == self.max_points else "fail" if clamped == 0 else "partial"
        return outcome, clamped.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def outcome(self) -> exp.Expression:
        return self.outcome_of(self.status, self.clamp(self.earned))

    @property
    def points(self) -> exp.Expression:
        return self.points_of(self.clamp(self.earned))


def compile_rule_sql(pack: CompiledPack, rule: CompiledRule, needs: set[Any]) -> CompiledSQL:
    r = rule.rule
    points = Decimal(str(r.points))
    ctx = Ctx(pack.scope.with_params(dict(r.params)), dict(r.params), points, set())
    env = RuleEnv(rule, ctx, {k: Decimal(str(v)) for k, v in pack.meta.levels.items()}, points)
    applies: exp.Expression = TRUE
    if r.applies_to:
        applies = exp.In(this=ctx.need("unit_type"), expressions=[exp.Literal.string(t) for t in r.applies_to])
    app = compile_expression(rule.applicable.tree, ctx) if rule.applicable is not None else T(TRUE)
    graded = grade_sql(r.grading, env)
    gaps = or_(graded.gaps, evidence_gaps(rule, ctx))
    status = case(
        (not_(applies), exp.Literal.string("not_applicable")),
        (app.miss, exp.Literal.string("missing")),
        (app.err, exp.Literal.string("error")),
        (not_(exp.EQ(this=paren(app.val), expression=TRUE)) if app.val is not TRUE else FALSE, exp.Literal.string("not_applicable")),
        (graded.miss, exp.Literal.string("missing")),
        (graded.err, exp.Literal.string("error")),
        (graded.pending, exp.Literal.string("manual_pending")),
        (gaps, exp.Literal.string("missing")),
        default=exp.Null(),
    )
    needs |= ctx.needs
    return CompiledSQL(r.id, status, graded.earned, points)
