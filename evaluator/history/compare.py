"""Round-to-round comparison (civic diff), self vs official reconciliation, and score history."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluator.ranking import competition_ranks
from schemas.result import RuleResult, UnitResult

FAILING = ("fail", "partial", "missing")


@dataclass
class RunData:
    label: str
    pack_id: str
    edition: str
    as_of: str
    units: list[UnitResult]

    @property
    def rule_ids(self) -> set[str]:
        return {r.rule_id for u in self.units for r in u.rules}


@dataclass
class UnitDiff:
    unit_id: str
    name: str
    total_a: float | None
    total_b: float | None
    rank_a: int | None
    rank_b: int | None
    newly_failing: list[str] = field(default_factory=list)
    newly_passing: list[str] = field(default_factory=list)
    still_failing: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.total_a is None or self.total_b is None:
            return None
        return round(self.total_b - self.total_a, 2)

    @property
    def rank_change(self) -> int | None:
        if self.rank_a is None or self.rank_b is None:
            return None
        return self.rank_a - self.rank_b  # positive = moved up


@dataclass
class RunDiff:
    a: RunData
    b: RunData
    units: list[UnitDiff]
    rules_added: list[str]
    rules_removed: list[str]
    only_in_a: list[str]
    only_in_b: list[str]

    def totals(self) -> dict[str, int]:
        return {
            "newly_failing": sum(len(u.newly_failing) for u in self.units),
            "newly_passing": sum(len(u.newly_passing) for u in self.units),
            "still_failing": sum(len(u.still_failing) for u in self.units),
            "improved": sum(1 for u in self.units if (u.change or 0) > 0),
            "declined": sum(1 for u in self.units if (u.change or 0) < 0),
        }


def _failing(rules: list[RuleResult]) -> set[str]:
    return {r.rule_id for r in rules if r.outcome in FAILING and r.max > 0 or (r.max == 0 and r.outcome == "fail")}


def _passing(rules: list[RuleResult]) -> set[str]:
    return {r.rule_id for r in rules if r.outcome in ("pass", "waived")}


def diff_runs(a: RunData, b: RunData) -> RunDiff:
    units_a = {u.unit.id: u for u in a.units}
    units_b = {u.unit.id: u for u in b.units}
    ranks_a, ranks_b = competition_ranks(a.units), competition_ranks(b.units)
    diffs = []
    for unit_id in sorted(set(units_a) & set(units_b)):
        ua, ub = units_a[unit_id], units_b[unit_id]
        fail_a, fail_b = _failing(ua.rules), _failing(ub.rules)
        diffs.append(UnitDiff(
            unit_id, ub.unit.name, ua.total, ub.total, ranks_a[unit_id], ranks_b[unit_id],
            newly_failing=sorted(fail_b - fail_a), newly_passing=sorted(fail_a & _passing(ub.rules)), still_failing=sorted(fail_a & fail_b),
        ))
    return RunDiff(a, b, diffs, sorted(b.rule_ids - a.rule_ids), sorted(a.rule_ids - b.rule_ids),
                   sorted(set(units_a) - set(units_b)), sorted(set(units_b) - set(units_a)))


@dataclass(frozen=True)
class Disagreement:
    unit_id: str
    name: str
    rule_id: str
    title: str
    self_outcome: str
    official_outcome: str
    self_level: str | None
    official_level: str | None
    self_points: float
    official_points: float

    @property
    def over_rated(self) -> float:
        return round(self.self_points - self.official_points, 2)


def reconcile(self_run: RunData, official: RunData) -> list[Disagreement]:
    """Every (unit, rule) where the self-assessment differs from the official/mock review, worst over-rating first."""
    official_units = {u.unit.id: u for u in official.units}
    found = []
    for unit in self_run.units:
        other = official_units.get(unit.unit.id)
        if other is None:
            continue
        theirs = {r.rule_id: r for r in other.rules}
        for mine in unit.rules:
            ref = theirs.get(mine.rule_id)
            if ref is None or (mine.outcome == ref.outcome and mine.earned == ref.earned and mine.level == ref.level):
                continue
            found.append(Disagreement(unit.unit.id, unit.unit.name, mine.rule_id, mine.title, mine.outcome, ref.outcome, mine.level,
                                      ref.level, mine.earned, ref.earned))
    found.sort(key=lambda d: (-d.over_rated, d.unit_id, d.rule_id))
    return found
