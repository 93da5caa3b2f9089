"""What evaluating a unit needs that does not depend on the unit: computed once per pack, reused per unit.

Label dicts, ``Decimal`` levels and meta numbers, each rule's scope with its params, bonus flags, node
chains, rule look-up by id and compiled composite scores are the same for every unit; rebuilt per rule per
unit they cost more than evaluating many rules. A batch scores the same pack hundreds of thousands of times,
so they are computed once here and kept on the pack (``CompiledPack.plan_cache``).

The plan remembers the exact objects it was computed from (pack file, meta, scope, nodes, rule list), and
each rule's plan the rule model it was computed from. Tailoring and some tests swap those objects for edited
copies; the next look-up sees the swap and rebuilds, so a plan never describes a pack that has changed.
The checks are identity checks (``is``) on a handful of objects: cheap enough to make once per unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter, is_
from typing import TYPE_CHECKING, Any

from evaluator.expr import Expr, ExprError, compile_expr
from evaluator.expr.scope import Scope

if TYPE_CHECKING:
    from evaluator.compiled import CompiledPack, CompiledRule, NodeInfo
    from schemas.pack import Component
    from schemas.rule import Rule


def decimal(value: float | int) -> Decimal:
    """Pack numbers are floats; scores are exact decimals of their written form (0.66, not 0.66000000000000003)."""
    return Decimal(str(value))


_model_of = attrgetter("rule")
_POINTS: dict[str, Decimal] = {}


def points_decimal(value: float | int) -> Decimal:
    """A rule's points as a ``Decimal`` shared by every rule whose points are written the same (``Decimal`` is
    immutable): the engine makes one rule context per distinct points object per unit."""
    text = str(value)
    found = _POINTS.get(text)
    if found is None:
        found = _POINTS[text] = Decimal(text)
    return found


@dataclass(frozen=True)
class RulePlan:
    """One rule's unit-independent parts, as ``engine.evaluate_rule`` uses them."""

    compiled: CompiledRule  # the rule and the model it was made from: a swapped model means a new plan
    model: Rule
    points: Decimal
    params: dict[str, Any]  # as expressions see them: numbers as Decimal
    scope: Scope  # the pack's names plus this rule's params (labels for explanations)
    bonus: bool  # under a bonus catalogue node: outside the full-marks denominator
    not_for_type: str  # the 不适用 reason's start when ``applies_to`` excludes the unit's type
    not_applicable: str  # the 不适用 reason when the applicability condition does not hold
    prep: dict[Any, Any]  # graders' per-rule constants (band texts, Decimal thresholds), filled on first use


@dataclass(frozen=True)
class PackPlan:
    """The pack's unit-independent parts; ``pack_plan(pack)`` gives the current one."""

    source: tuple[Any, ...]  # file, meta, scope, nodes, rule list: compared by identity, never by value
    size: int  # len(rules) when built: the list is replaced, not edited, but a length change is caught too
    scope: Scope
    nodes: dict[str, NodeInfo]
    field_labels: dict[str, str]  # field name → label (what an absent field is called)
    labels: dict[str, str]  # field labels plus evidence kind labels
    levels: dict[str, Decimal]  # level → fraction of the points
    rules_by_id: dict[str, CompiledRule]
    rule_plans: dict[int, RulePlan]  # id(CompiledRule) → plan, checked against the rule on every look-up
    chains: dict[str, tuple[str, ...]]  # node code → the code and its ancestors, nearest first
    full_marks: Decimal
    bonus_cap: Decimal
    pass_mark: Decimal
    method_weights: dict[str, Decimal] | None
    grades: tuple[tuple[Decimal, str], ...]  # (minimum, label), highest minimum first
    components: tuple[tuple[Component, Expr | ExprError], ...]  # composite parts with their compiled score
    walk: dict[str, Any]  # ``stable_rules``' answer with the rule models it was computed from

    def stable_rules(self, rules: list[CompiledRule]) -> tuple[list[tuple[CompiledRule, RulePlan]], list[CompiledRule]]:
        """The stable scored rules with their plans, and the stable veto rules, in file order — what
        ``evaluate`` walks for every unit. Kept while every rule still has the model it was sorted by."""
        cached = self.walk.get("stable")
        if (cached is not None and len(cached[0]) == len(rules) and all(map(is_, rules, cached[0]))
                and all(map(is_, map(_model_of, rules), cached[1]))):
            return cached[2], cached[3]
        scored = [(rule, self.rule_plan(rule)) for rule in rules if rule.rule.grading.model != "veto" and rule.rule.status == "stable"]
        vetoes = [rule for rule in rules if rule.rule.grading.model == "veto" and rule.rule.status == "stable"]
        self.walk["stable"] = (tuple(rules), tuple(rule.rule for rule in rules), scored, vetoes)
        return scored, vetoes

    def rule_plan(self, rule: CompiledRule) -> RulePlan:
        """The rule's plan; remade when the rule's model was replaced (tailoring) since it was made."""
        plan = self.rule_plans.get(id(rule))
        if plan is None or plan.compiled is not rule or plan.model is not rule.rule:
            plan = self.rule_plans[id(rule)] = _rule_plan(self.scope, self.nodes, self.chains, rule)
        return plan


def _source(pack: CompiledPack) -> tuple[Any, ...]:
    return (pack.file, pack.meta, pack.scope, pack.nodes, pack.rules)


def _is_current(plan: PackPlan | None, pack: CompiledPack) -> bool:
    if plan is None or plan.size != len(pack.rules):
        return False
    return all(a is b for a, b in zip(plan.source, _source(pack), strict=True))


def pack_plan(pack: CompiledPack) -> PackPlan:
    """The pack's plan, built on first use and rebuilt whenever a part of the pack was replaced."""
    plan = pack.plan_cache
    if not _is_current(plan, pack):
        plan = build_plan(pack)
        pack.plan_cache = plan
    return plan


def _chain(nodes: dict[str, NodeInfo], code: str) -> tuple[str, ...]:
    chain: list[str] = []
    current: str | None = code
    while current is not None and current in nodes:
        chain.append(current)
        current = nodes[current].parent
    return tuple(chain)


def _rule_plan(scope: Scope, nodes: dict[str, NodeInfo], chains: dict[str, tuple[str, ...]], rule: CompiledRule) -> RulePlan:
    r = rule.rule
    params = {k: decimal(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in r.params.items()}
    bonus = any(nodes[code].node.bonus for code in chains.get(r.node, ()))
    return RulePlan(rule, r, points_decimal(r.points), params, scope.with_params(dict(r.params)), bonus,
                    f"本条仅适用于{'、'.join(r.applies_to)}，本单位为",
                    f"不满足适用条件：{rule.applicable.source}" if rule.applicable is not None else "", {})


def _component(component: Component, scope: Scope) -> Expr | ExprError:
    """Compiled once; an expression that does not compile is kept as its error, reported in every unit's notes."""
    try:
        return compile_expr(component.score, scope)
    except ExprError as exc:
        return exc


def build_plan(pack: CompiledPack) -> PackPlan:
    meta = pack.meta
    field_labels = {f.name: f.label or f.name for f in pack.file.fields}
    chains = {code: _chain(pack.nodes, code) for code in pack.nodes}
    return PackPlan(
        source=_source(pack),
        size=len(pack.rules),
        scope=pack.scope,
        nodes=pack.nodes,
        field_labels=field_labels,
        labels={**field_labels, **{k.id: k.label or k.id for k in pack.file.evidence_kinds}},
        levels={k: decimal(v) for k, v in meta.levels.items()},
        rules_by_id={r.id: r for r in reversed(pack.rules)},  # reversed: the first rule of an id wins, as a scan would
        rule_plans={id(r): _rule_plan(pack.scope, pack.nodes, chains, r) for r in pack.rules},
        chains=chains,
        full_marks=decimal(meta.full_marks),
        bonus_cap=decimal(meta.bonus_cap),
        pass_mark=decimal(meta.pass_mark),
        method_weights={m: decimal(w) for m, w in meta.method_weights.items()} if meta.method_weights else None,
        grades=tuple((decimal(g.min), g.label) for g in sorted(meta.grades, key=lambda g: -g.min)),
        components=tuple((c, _component(c, pack.scope)) for c in meta.composite.components) if meta.composite else (),
        walk={},
    )
