"""Batch statistics shared by 汇总.xlsx and report.html: ranks, roll-ups, rule failure rates, histogram.

Every number here is derived from the run's results only (never re-scored) — the compact per-unit lines of a
``BatchDigest`` — with ``Decimal`` sums rounded half-up to two places, so the workbook and the web page always show
the same figures for the same run.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from evaluator.compiled import CompiledPack
from evaluator.ranking import RankInfo
from schemas.result import RuleResult, RunReport

if TYPE_CHECKING:
    from evaluator.render.batch_digest import UnitLine

#: Region roll-up levels: region path depth → Chinese level name (path[0] is the 省).
REGION_LEVELS: tuple[tuple[int, str], ...] = ((2, "市"), (3, "区县"), (4, "街道"))
#: Outcomes that count as “lost points” for the failure-rate statistics even when the rule is worth 0 (否决项).
LOST_OUTCOMES = frozenset({"fail", "partial", "missing", "error", "manual_pending"})
#: Outcomes that take a rule out of the denominator (it did not apply, or was excused).
EXCLUDED_OUTCOMES = frozenset({"not_applicable", "waived"})
DEFICIENCY_KIND_LABELS = {"field": "数据项", "evidence": "佐证材料", "inspection": "实地考察", "survey": "问卷调查",
                          "judgement": "人工判定"}
REJECTED_LABELS = {"source": "来源", "code": "错误代码", "message": "原因"}
TWO_PLACES = Decimal("0.01")
RANKING_NOTE = ("按总分从高到低排名；总分相同名次相同（如 1、2、2、4），同分单位按编号先后列出；取消资格的单位排在所有单位之后。"
                "组内排名在同一“组别”内排，区县内排名在区域路径前三级（省/市/区县）相同的单位内排。")


def q2(value: Decimal) -> float:
    """Round half-up to two places (the official rounding) and return a float for display."""
    return float(value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def fraction(percent: float) -> float:
    """66.67 (%) → 0.6667 exactly (no binary noise), for cells formatted as percentages."""
    return float(Decimal(str(percent)) / 100)


def dec(value: float) -> Decimal:
    return Decimal(str(value))


@functools.lru_cache(maxsize=65536)
def display_width(text: str) -> int:
    """Display width in Excel character units: CJK (wide/fullwidth) characters count as 2.

    Cached: the same rule titles, requirements and region names repeat on thousands of rows.
    """
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass(frozen=True)
class Ranked:
    unit: UnitLine
    rank: RankInfo


def region_path(unit: UnitLine, level: int) -> str | None:
    """The unit's region at ``level`` (e.g. 3 → 浙江省/杭州市/余杭区); ``None`` when the path is shorter."""
    if len(unit.unit.region) < level:
        return None
    return "/".join(unit.unit.region[:level])


def short_region(unit: UnitLine, level: int = 3) -> str:
    """A compact region label without the province, for “where” columns (杭州市/余杭区)."""
    path = unit.unit.region[:level]
    return "/".join(path[1:] if len(path) > 1 else path) or "（未填区域）"


@dataclass(frozen=True)
class GroupStats:
    """One roll-up row: units of one region / type / group."""

    dimension: str
    name: str
    units: int
    passed: int
    average: float
    score_rate: float
    pass_rate: float
    minimum: float
    maximum: float


def group_stats(dimension: str, name: str, members: list[UnitLine], full_marks: float) -> GroupStats:
    totals = [dec(u.total) for u in members]
    average = sum(totals, Decimal(0)) / len(totals)
    passed = sum(1 for u in members if u.passed)
    return GroupStats(
        dimension=dimension, name=name, units=len(members), passed=passed, average=q2(average),
        score_rate=q2(average / dec(full_marks) * 100), pass_rate=q2(Decimal(passed) / len(members) * 100),
        minimum=float(min(totals)), maximum=float(max(totals)),
    )


def _bucket(units: Iterable[UnitLine], key: Callable[[UnitLine], str | None]) -> dict[str, list[UnitLine]]:
    buckets: dict[str, list[UnitLine]] = defaultdict(list)
    for unit in units:
        k = key(unit)
        if k is not None:
            buckets[k].append(unit)
    return dict(sorted(buckets.items()))


def _region_at(unit: UnitLine, level: int) -> str | None:
    return region_path(unit, level)


def region_rollup(units: Sequence[UnitLine], pack: CompiledPack, levels: tuple[tuple[int, str], ...] = REGION_LEVELS) -> list[GroupStats]:
    """Roll-up by 市 / 区县 / 街道; units whose region path is too short are left out of that level only."""
    rows: list[GroupStats] = []
    for level, label in levels:
        for name, members in _bucket(units, functools.partial(_region_at, level=level)).items():
            rows.append(group_stats(label, name, members, pack.meta.full_marks))
    return rows


def type_rollup(units: Sequence[UnitLine], pack: CompiledPack) -> list[GroupStats]:
    """Roll-up by unit type, then by competition group (组别)."""
    rows = [group_stats("单位类型", name, members, pack.meta.full_marks)
            for name, members in _bucket(units, lambda u: u.unit.type).items()]
    rows += [group_stats("组别", name, members, pack.meta.full_marks)
             for name, members in _bucket(units, lambda u: u.unit.group or "（未分组）").items()]
    return rows


def overall_stats(units: Sequence[UnitLine], pack: CompiledPack) -> GroupStats | None:
    if not units:
        return None
    return group_stats("全部", "全部单位", list(units), pack.meta.full_marks)


@dataclass(frozen=True)
class RuleStats:
    """How one 测评标准 fared across all units."""

    rule_id: str
    code: str
    title: str
    node: str
    method: str
    applicable: int
    lost_units: int
    failed: int
    partial: int
    missing: int
    failure_rate: float
    points_lost: float
    top_regions: list[tuple[str, int]]


def lost_points(result: RuleResult) -> bool:
    return result.lost > 0 or result.outcome in LOST_OUTCOMES


def node_title(pack: CompiledPack, code: str) -> str:
    """The top-level 测评项目 of a leaf, as “A1 组织领导” (the 测评项目 column of the failure statistics)."""
    chain = pack.leaf_ancestors(code)
    top = chain[-1] if chain else code
    info = pack.nodes.get(top)
    return f"{top} {info.node.title}" if info else code


@dataclass(frozen=True)
class TopNode:
    code: str
    title: str
    points: float
    bonus: bool


def top_nodes(pack: CompiledPack) -> list[TopNode]:
    """Top-level 测评项目 that carry points (否决项 nodes worth 0 are left out of score matrices)."""
    return [TopNode(code, info.node.title, info.node.points, info.node.bonus)
            for code, info in pack.nodes.items() if info.depth == 1 and (info.node.points > 0 or info.node.bonus)]


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    below_pass: bool

    @property
    def label(self) -> str:
        return f"{_fmt(self.low)}–{_fmt(self.high)}"


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def histogram(units: Iterable[UnitLine], pack: CompiledPack, bins: int = 10) -> list[Bin]:
    """Score distribution over [0, full_marks] in equal bins; the top bin includes full marks."""
    full = pack.meta.full_marks
    width = full / bins
    counts = [0] * bins
    for unit in units:
        index = min(int(unit.total / width), bins - 1) if unit.total > 0 else 0
        counts[index] += 1
    return [Bin(i * width, (i + 1) * width, counts[i], (i + 1) * width <= pack.meta.pass_mark) for i in range(bins)]


def parse_as_of(report: RunReport) -> dt.date:
    """The latest date in ``report.as_of`` (it may list several, joined by 、); used for document timestamps."""
    dates = []
    for part in report.as_of.replace("，", "、").split("、"):
        try:
            dates.append(dt.date.fromisoformat(part.strip()))
        except ValueError:
            continue
    return max(dates) if dates else dt.date(2000, 1, 1)


def chinese_date(value: dt.date | str) -> str:
    """2024-12-31 → 2024年12月31日 (the form used in official documents); unparseable text is returned as is."""
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_period(period: str) -> str:
    """“2024-01-01至2024-12-31” → “2024年1月1日至2024年12月31日”; other text is returned as is."""
    return "至".join(chinese_date(part) for part in period.split("至"))
