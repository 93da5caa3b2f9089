"""N/A peer-average substitution (不适用条目以同批平均得分替代).

A rule marked ``na_substitute: peer_average`` that is not applicable to a unit is, in a batch, scored at the
average earned fraction of that rule over the units of the same batch where it applied, and flagged
``substituted: true``. Why: some local 细则 do not let a unit gain (through a smaller denominator) or lose
points for an item it cannot have, and score it like its peers instead.

The average is over units where the rule applied and was scored: 符合/部分符合/不符合/缺项 (0), and 豁免 at the
unit's actual result (a waiver is one unit's privilege, not its peers'). 待人工判定 and 无法评测 are left out
(no score yet). Units whose own result is substituted never feed an average. If no unit of the batch had the
rule applicable, nothing is substituted and the rule stays out of the denominator (the pack's ``na_policy``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from evaluator.compiled import CompiledPack
from schemas.result import UnitResult

SCORED = frozenset({"pass", "partial", "fail", "missing", "waived"})
PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class PeerAverage:
    rule_id: str
    title: str
    fraction: Decimal
    peers: int


def peer_averages(pack: CompiledPack, results: Iterable[UnitResult]) -> dict[str, PeerAverage]:
    """Average earned fraction per substitutable rule (exact Decimal, 6 places, half up)."""
    rules = {r.id: r.rule.title for r in pack.rules if r.rule.na_substitute == "peer_average"}
    if not rules:
        return {}
    sums: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for unit in results:
        for rule in unit.rules:
            if rule.rule_id not in rules or rule.outcome not in SCORED or rule.substituted or rule.max <= 0:
                continue
            earned = rule.earned_without_waiver if rule.outcome == "waived" and rule.earned_without_waiver is not None else rule.earned
            sums[rule.rule_id] = sums.get(rule.rule_id, Decimal(0)) + Decimal(str(earned)) / Decimal(str(rule.max))
            counts[rule.rule_id] = counts.get(rule.rule_id, 0) + 1
    return {
        rule_id: PeerAverage(rule_id, rules[rule_id], (sums[rule_id] / counts[rule_id]).quantize(PLACES, rounding=ROUND_HALF_UP), counts[rule_id])
        for rule_id in sorted(sums)
    }


def as_substitutes(averages: dict[str, PeerAverage]) -> dict[str, tuple[Decimal, int]]:
    return {k: (v.fraction, v.peers) for k, v in averages.items()}


def substituted_counts(results: Iterable[UnitResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for unit in results:
        for rule in unit.rules:
            if rule.substituted:
                counts[rule.rule_id] = counts.get(rule.rule_id, 0) + 1
    return counts
