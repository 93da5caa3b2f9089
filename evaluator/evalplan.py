"""What evaluating a unit needs that does not depend on the unit: computed once per pack, reused per unit.

The engine used to rebuild these for every rule of every unit (label dicts, ``Decimal`` levels, each rule's
scope with its params, bonus flags, node chains, linear rule look-ups). A batch scores the same pack
hundreds of thousands of times, so they are computed once here and kept on the pack.

The plan remembers the exact objects it was computed from (pack file, meta, scope, nodes, rule list and
every rule model). Tailoring and some tests swap those objects for edited copies; the next ``pack_plan``
call sees the swap and rebuilds, so a plan can never describe a pack that has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from evaluator.expr import Expr, ExprError, compile_expr
from evaluator.expr.scope import Scope

if TYPE_CHECKING:
    from evaluator.compiled import CompiledPack, CompiledRule
    from schemas.pack import Component


def decimal(value: float | int) -> Decimal:
    """Pack numbers are floats; scores are exact decimals of their written form (0.66, not 0.66000000000000003)."""
    return Decimal(str(value))


@dataclass(frozen=True)
class RulePlan:
    """One rule's unit-independent parts, as ``engine.evaluate_rule`` uses them."""

    points: Decimal
    params: dict[str, Any]  # as expressions see them: numbers as Decimal
    scope: Scope  # the pack's names plus this rule's params (labels for explanations)
    bonus: bool  # under a bonus catalogue node: outside the full-marks denominator


@dataclass(frozen=True)
class PackPlan:
    source: tuple[Any, ...]
    field_labels: dict[str, str]  # field name → label (what an absent field is called)
    labels: dict[str, str]  # field labels plus evidence kind labels
    levels: dict[str, Decimal]  # level → fraction of the points
    rules_by_id: dict[str, CompiledRule]
    rule_plans: dict[int, RulePlan]  # id(CompiledRule) → plan; the source keeps every rule alive
    chains: dict[str, tuple[str, ...]]  # node code → the code and its ancestors, nearest first
    full_marks: Decimal
    bonus_cap: Decimal
    pass_mark: Decimal
    method_weights: dict[str, Decimal] | None
    grades: tuple[tuple[Decimal, str], ...]  # (minimum, label), highest minimum first
    components: tuple[tuple[Component, Expr | ExprError], ...]  # composite parts with their compiled score

    def rule_plan(self, rule: CompiledRule) -> RulePlan:
        return self.rule_plans[id(rule)]


def _source(pack: CompiledPack) -> tuple[Any, ...]:
    """The objects a plan depends on; compared by identity (``is``), never by value."""
    return (pack.file, pack.meta, pack.scope, pack.nodes, pack.rules, *pack.rules, *(r.rule for r in pack.rules))


def _is_current(plan: PackPlan | None, source: tuple[Any, ...]) -> bool:
    return plan is not None and len(plan.source) == len(source) and all(a is b for a, b in zip(plan.source, source, strict=True))


def pack_plan(pack: CompiledPack) -> PackPlan:
    """The pack's plan, built on first use and rebuilt whenever a part of the pack was replaced."""
    source = _source(pack)
    plan = pack.plan_cache
    if not _is_current(plan, source):
        plan = build_plan(pack, source)
        pack.plan_cache = plan
    return plan


def _chain(pack: CompiledPack, code: str) -> tuple[str, ...]:
    chain: list[str] = []
    current: str | None = code
    while current is not None and current in pack.nodes:
        chain.append(current)
        current = pack.nodes[current].parent
    return tuple(chain)


def _rule_plan(pack: CompiledPack, rule: CompiledRule, chains: dict[str, tuple[str, ...]]) -> RulePlan:
    r = rule.rule
    params = {k: decimal(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in r.params.items()}
    chain = chains.get(r.node) or _chain(pack, r.node)
    bonus = any(pack.nodes[code].node.bonus for code in chain)
    return RulePlan(decimal(r.points), params, pack.scope.with_params(dict(r.params)), bonus)


def _component(component: Component, scope: Scope) -> Expr | ExprError:
    """Compiled once; an expression that does not compile is kept as its error, reported in every unit's notes."""
    try:
        return compile_expr(component.score, scope)
    except ExprError as exc:
        return exc


def build_plan(pack: CompiledPack, source: tuple[Any, ...]) -> PackPlan:
    meta = pack.meta
    field_labels = {f.name: f.label or f.name for f in pack.file.fields}
    chains = {code: _chain(pack, code) for code in pack.nodes}
    return PackPlan(
        source=source,
        field_labels=field_labels,
        labels={**field_labels, **{k.id: k.label or k.id for k in pack.file.evidence_kinds}},
        levels={k: decimal(v) for k, v in meta.levels.items()},
        rules_by_id={r.id: r for r in reversed(pack.rules)},  # reversed: the first rule of an id wins, as a scan would
        rule_plans={id(r): _rule_plan(pack, r, chains) for r in pack.rules},
        chains=chains,
        full_marks=decimal(meta.full_marks),
        bonus_cap=decimal(meta.bonus_cap),
        pass_mark=decimal(meta.pass_mark),
        method_weights={m: decimal(w) for m, w in meta.method_weights.items()} if meta.method_weights else None,
        grades=tuple((decimal(g.min), g.label) for g in sorted(meta.grades, key=lambda g: -g.min)),
        components=tuple((c, _component(c, pack.scope)) for c in meta.composite.components) if meta.composite else (),
    )
