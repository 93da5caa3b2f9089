"""Ranks of units: overall, within competition group, within region.

Competition ranking ("1224"): equal totals share a rank, the next rank skips. Order is total descending, then
unit id ascending — so ties are listed deterministically. Disqualified units (取消资格) rank after every
qualified unit, among themselves by total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schemas.result import UnitResult


@dataclass(frozen=True)
class RankInfo:
    overall: int
    in_group: int | None
    in_region: int | None
    region_key: str | None


def _order_key(unit: UnitResult) -> tuple[int, float, str]:
    return (1 if unit.disqualified else 0, -unit.total, unit.unit.id)


def competition_ranks(units: Iterable[UnitResult]) -> dict[str, int]:
    ordered = sorted(units, key=_order_key)
    ranks: dict[str, int] = {}
    previous: tuple[int, float] | None = None
    rank = 0
    for position, unit in enumerate(ordered, start=1):
        key = (1 if unit.disqualified else 0, unit.total)
        if key != previous:
            rank = position
            previous = key
        ranks[unit.unit.id] = rank
    return ranks


def _ranks_within(units: list[UnitResult], key: Callable[[UnitResult], str | None]) -> dict[str, int]:
    buckets: dict[str, list[UnitResult]] = defaultdict(list)
    for unit in units:
        k = key(unit)
        if k is not None:
            buckets[k].append(unit)
    ranks: dict[str, int] = {}
    for members in buckets.values():
        ranks.update(competition_ranks(members))
    return ranks


def region_key(unit: UnitResult, level: int = 3) -> str | None:
    """The region a unit competes in: the first ``level`` parts of its region path (省/市/区县 by default)."""
    if len(unit.unit.region) < level:
        return "/".join(unit.unit.region) or None
    return "/".join(unit.unit.region[:level])


def rank_units(units: list[UnitResult], region_level: int = 3) -> dict[str, RankInfo]:
    overall = competition_ranks(units)
    in_group = _ranks_within(units, lambda u: u.unit.group)
    in_region = _ranks_within(units, lambda u: region_key(u, region_level))
    return {
        u.unit.id: RankInfo(overall[u.unit.id], in_group.get(u.unit.id), in_region.get(u.unit.id), region_key(u, region_level))
        for u in units
    }
