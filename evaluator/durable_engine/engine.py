"""``--engine durable``: leaf truth values from durable-rules, everything else from the reference evaluator.

1. For every unit and every leaf, the leaf's operand is evaluated by the reference interpreter (missing data
   and type errors are the reference's); values that meet the data invariants become facts.
2. A ``LeafMatcher`` (durable-rules in a child process) returns the leaves that hold.
3. Each rule is evaluated by the reference engine (applicability, grading model, missing data, evidence,
   explanations) with its leaves answered from step 2. Every answer is checked against the reference's own
   comparison; a disagreement sends that rule back to the reference and names it in ``fallback``.

Rules without a single durable leaf are evaluated by the reference and named in ``fallback`` too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluator.api import LoadedUnit, effective_as_of
from evaluator.batch.disagreements import Disagreement as CellDisagreement
from evaluator.batch.disagreements import cents
from evaluator.compiled import CompiledPack, CompiledRule
from evaluator.durable_engine.leaves import Leaf, Unencodable, encode, kind_of, pack_leaves
from evaluator.durable_engine.matcher import DurableMatcher, LeafMatcher, UnitFacts
from evaluator.engine import (
    RuleEval,
    build_context,
    ctx_with,
    evaluate_rule,
    explanation_labels,
    finish_unit,
    settle,
)
from evaluator.expr import Context, EvalError, Expr, MissingData
from evaluator.expr.interp import CheckRecord, Interpreter, compare
from evaluator.expr.nodes import Node
from schemas.result import UnitResult
from schemas.unit import Waiver

NO_LEAF = "没有可由 durable-rules 判定的条件（无“字段 比较 常数”形式的条件），由参考评测器评测"
DISAGREE = "durable-rules 的判定与参考评测器不一致，本条改由参考评测器评测"


class Disagreement(Exception):
    """durable-rules answered a leaf differently from the reference comparison (never trusted alone)."""


@dataclass
class Answers:
    """What the matcher said for one unit: leaves sent to it and those that held."""

    sent: set[int]
    held: set[int]
    trust: bool = False  # True only to show what durable-rules alone would have given, after a disagreement


class LeafInterpreter(Interpreter):
    """The reference interpreter, except that a leaf's comparison is durable-rules' answer (cross-checked)."""

    def __init__(self, ctx: Context, leaves: dict[int, Leaf], answers: Answers):
        super().__init__(ctx)
        self.leaves = leaves
        self.answers = answers

    def eval(self, node: Node) -> Any:
        leaf = self.leaves.get(id(node))
        if leaf is None:
            return super().eval(node)
        if leaf.bare:
            value = super().eval(node)  # lookup: missing data raises exactly as in the reference
            return self._answer(leaf, value, value if isinstance(value, bool) else None)
        left, right = super().eval(leaf.node.left), super().eval(leaf.node.right)  # type: ignore[attr-defined]
        ok = compare(leaf.node.op, left, right)  # type: ignore[attr-defined]  # raises EvalError as the reference
        self.records.append(CheckRecord(leaf.node.left, leaf.node.op, leaf.node.right, left, right, self._answer(leaf, None, ok)))  # type: ignore[attr-defined]
        return self.records[-1].ok

    def _answer(self, leaf: Leaf, value: Any, reference: bool | None) -> Any:
        if reference is None:  # a bare operand that is not 是/否: the reference decides (it raises later)
            return value
        if leaf.index not in self.answers.sent:
            return reference  # value not sent (invariant) or batch invalid: the reference's comparison
        held = leaf.index in self.answers.held
        if held != reference and not self.answers.trust:
            raise Disagreement(f"{leaf.rule_id} {leaf.name}")
        return held


@dataclass(frozen=True)
class LeafExpr(Expr):
    """A compiled expression evaluated with ``LeafInterpreter`` for one unit."""

    leaves: dict[int, Leaf] = field(default_factory=dict)
    answers: Answers = field(default_factory=lambda: Answers(set(), set()))

    def evaluate(self, ctx: Context) -> tuple[Any, list[CheckRecord]]:
        interp = LeafInterpreter(ctx, self.leaves, self.answers)
        value = interp.eval(self.tree)
        return value, interp.records


@dataclass
class DurableOutcome:
    results: list[UnitResult]
    fallback: dict[str, str]
    leaves: int = 0
    facts_sent: int = 0
    invalid_units: dict[str, str] = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)
    restarts: int = 0
    cells: list[CellDisagreement] = field(default_factory=list)


def _operand_values(pack: CompiledPack, by_rule: dict[str, list[Leaf]], item: LoadedUnit, as_of: dt.date) -> dict[int, Any]:
    """Leaf index → operand value, for the leaves whose operand the reference can compute and durable encode."""
    base = build_context(pack, item.unit, item.values, as_of)
    values: dict[int, Any] = {}
    for rule_id, leaves in by_rule.items():
        rule = pack.rule(rule_id)
        assert rule is not None
        ctx = ctx_with(base, dict(rule.rule.params), Decimal(str(rule.rule.points)))
        for leaf in leaves:
            try:
                value = Interpreter(ctx).eval(leaf.operand)
                if kind_of(value) != kind_of(leaf.constant):
                    continue  # the reference raises a type error for this leaf; nothing to ask durable
                encode(value)
            except (MissingData, EvalError, Unencodable, ArithmeticError, ValueError, TypeError):
                continue
            values[leaf.index] = value
    return values


def _bind(rule: CompiledRule, leaves: dict[int, Leaf], answers: Answers) -> CompiledRule:
    exprs: dict[str, Expr] = {path: LeafExpr(e.source, e.tree, e.type, e.reads, leaves, answers) for path, e in rule.exprs.items()}
    return dataclasses.replace(rule, exprs=exprs)


def score_units_durable_detailed(pack: CompiledPack, units: list[LoadedUnit], as_of: dt.date | None, waivers: list[Waiver],
                                 matcher: LeafMatcher | None = None,
                                 substitutes: dict[str, tuple[Decimal, int]] | None = None) -> DurableOutcome:
    rules = [r for r in pack.scored_rules() if r.rule.status == "stable"]
    leaves = pack_leaves(pack, rules)
    by_rule: dict[str, list[Leaf]] = {}
    for leaf in leaves:
        by_rule.setdefault(leaf.rule_id, []).append(leaf)
    fallback = {r.id: NO_LEAF for r in rules if r.id not in by_rule}
    facts: list[UnitFacts] = []
    for uid, item in enumerate(units):
        facts.append((uid, _operand_values(pack, by_rule, item, effective_as_of(item.unit, as_of))))
    matcher = matcher or DurableMatcher(leaves)
    held = matcher.match(facts)
    invalid = dict(getattr(matcher, "invalid", {}))
    if hasattr(matcher, "invalid"):
        matcher.invalid.clear()  # a matcher reused for the next call (civic batch) starts with a clean record
    outcome = DurableOutcome([], fallback, len(leaves), sum(len(v) for _, v in facts), restarts=getattr(matcher, "restarts", 0))
    held_by_unit: dict[int, set[int]] = {}
    for uid, leaf_index in held:
        held_by_unit.setdefault(uid, set()).add(leaf_index)
    labels = explanation_labels(pack)
    for uid, item in enumerate(units):
        when = effective_as_of(item.unit, as_of)
        if uid in invalid:
            outcome.invalid_units[item.unit.unit.id] = invalid[uid]
        trusted = uid not in invalid
        answers = Answers(set(facts[uid][1]) if trusted else set(), held_by_unit.get(uid, set()) if trusted else set())
        ctx = build_context(pack, item.unit, item.values, when)
        evals: list[RuleEval] = []
        for rule in rules:
            ev = _evaluate(pack, rule, by_rule, answers, item, ctx, when, labels, outcome)
            evals.append(settle(ev, rule, item.unit, when, waivers, substitutes))
        outcome.results.append(finish_unit(pack, item.unit, ctx, evals, when))
    return outcome


def _evaluate(pack: CompiledPack, rule: CompiledRule, by_rule: dict[str, list[Leaf]], answers: Answers, item: LoadedUnit,
              ctx: Context, when: dt.date, labels: dict[str, str], outcome: DurableOutcome) -> RuleEval:
    leaves = by_rule.get(rule.id)
    if not leaves:
        return evaluate_rule(pack, rule, item.unit, ctx, item.values, when, labels)
    bound = _bind(rule, {id(leaf.node): leaf for leaf in leaves}, answers)
    try:
        return evaluate_rule(pack, bound, item.unit, ctx, item.values, when, labels)
    except Disagreement as exc:
        outcome.disagreements.append(f"{item.unit.unit.id} {exc}")
        outcome.fallback[rule.id] = DISAGREE
        reference = evaluate_rule(pack, rule, item.unit, ctx, item.values, when, labels)
        outcome.cells.append(_cell(pack, rule, leaves, answers, item, ctx, when, labels, reference, str(exc)))
        return reference


def _cell(pack: CompiledPack, rule: CompiledRule, leaves: list[Leaf], answers: Answers, item: LoadedUnit, ctx: Context,
          when: dt.date, labels: dict[str, str], reference: RuleEval, leaf: str) -> CellDisagreement:
    """The disagreement as a cell: what the rule would have scored on durable-rules' answers alone, beside the
    reference's (kept) result, so the batch report shows both as for the SQL engine."""
    trusting = Answers(answers.sent, answers.held, trust=True)
    bound = _bind(rule, {id(leaf.node): leaf for leaf in leaves}, trusting)
    try:
        engine = evaluate_rule(pack, bound, item.unit, ctx, item.values, when, labels).result
        engine_outcome, engine_points = engine.outcome, cents(engine.earned)
    except Exception:  # noqa: BLE001 - durable's answers led nowhere the reference can score: shown as an error
        engine_outcome, engine_points = "error", None
    detail = f"条件 {leaf.split(' ', 1)[-1]} 的判定不同"
    return CellDisagreement(item.unit.unit.id, rule.id, "durable", engine_outcome, engine_points,
                            reference.result.outcome, cents(reference.result.earned), detail)


def score_units_durable(pack: CompiledPack, units: list[LoadedUnit], as_of: dt.date | None, waivers: list[Waiver],
                        substitutes: dict[str, tuple[Decimal, int]] | None = None) -> tuple[list[UnitResult], dict[str, str]]:
    """Same contract as ``evaluator.sqlc.engine.score_units_sql``: results, and rule id → why it was
    evaluated by the reference. Raises ``UsageError`` (U054) when durable-rules is not installed."""
    require_durable()
    outcome = score_units_durable_detailed(pack, units, as_of, waivers, substitutes=substitutes)
    return outcome.results, outcome.fallback


def require_durable() -> None:
    import importlib.util

    from evaluator.errors import usage_error

    if importlib.util.find_spec("durable") is None or importlib.util.find_spec("durable_rules_engine") is None:
        raise usage_error("U054", "未安装 durable-rules 引擎（--engine durable）",
                          hint="pip install 'civic[durable]'（需要 gcc 与 Python 头文件；Python 3.13 起无法导入，请用默认引擎）")
