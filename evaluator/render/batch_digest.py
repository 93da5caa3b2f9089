"""What the whole-batch reports need of each unit, kept small, so a province-sized batch fits in memory.

Why: 汇总.xlsx, report.html and summary.json used to be built from every unit's full ``UnitResult`` held in the
parent (about 0.1 MB a unit: 10,000 units took 1.3 GB). A ``BatchDigest`` is fed the results one at a time (in
unit-id order, streamed from results.jsonl) and keeps only:

- one ``UnitLine`` per unit (identity, total, grade, counts, top-level 测评项目 scores: what ranking, roll-ups,
  the 排名 and 项目得分矩阵 sheets and the page's ranking table show), with repeated texts shared;
- per-rule tallies for the 规则失分率 statistics (counts, points lost, worst regions);
- the unit's list rows (缺项清单, 整改清单, the page's per-unit details) written to a scratch ``Spool`` file and read
  back by offset when the sheet or page that lists them is written, in that sheet's order.

Every figure is computed exactly as before from the same values (Decimal sums, the same orders and tie-breaks), so
the reports are byte-identical to rendering from the full results.
"""

from __future__ import annotations

import marshal
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

from evaluator.compiled import CompiledPack
from evaluator.ranking import RankInfo, rank_units
from evaluator.render.batch_stats import (
    DEFICIENCY_KIND_LABELS,
    EXCLUDED_OUTCOMES,
    Ranked,
    RuleStats,
    dec,
    lost_points,
    node_title,
    q2,
    short_region,
    top_nodes,
)
from evaluator.render.html_payload import fmt_number
from schemas.result import RunReport, UnitResult

STATUS_OPEN = "未整改"


@dataclass(slots=True)
class UnitLine:
    """One unit as the whole-batch reports see it. Attribute names follow ``UnitResult`` / ``UnitSummary`` (and
    ``unit`` is the line itself), so ranking and roll-up code reads a line exactly as it read a result."""

    id: str
    name: str
    type: str
    region: tuple[str, ...]
    group: str | None
    responsible: tuple[str, ...]
    period: str
    as_of: str
    total: float
    total_without_waivers: float
    grade: str
    passed: bool
    disqualified: bool
    deficiency_count: int
    rectification_count: int
    remarks: str
    node_scores: tuple[float | None, ...]
    spooled: tuple[int, int]

    @property
    def unit(self) -> UnitLine:
        return self


class Spool:
    """An append-only scratch file of marshalled records, read back by (offset, length) in any order.

    Why marshal: the records are plain tuples of strings and numbers, and marshal reads them back with their exact
    types (an ``int`` stays an ``int``, a ``float`` the same float) about ten times faster than JSON.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.handle: IO[bytes] = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close(), lives across calls
        self.end = 0
        self.at_end = True  # appends need no seek (a seek flushes the write buffer) until something is read

    def put(self, record: Any) -> tuple[int, int]:
        data = marshal.dumps(record)
        if not self.at_end:
            self.handle.seek(self.end)
            self.at_end = True
        self.handle.write(data)
        where = (self.end, len(data))
        self.end += len(data)
        return where

    def get(self, where: tuple[int, int]) -> Any:
        self.at_end = False
        self.handle.seek(where[0])
        return marshal.loads(self.handle.read(where[1]))

    def close(self) -> None:
        self.handle.close()


@dataclass
class RuleTally:
    """Running totals of one rule over the units seen so far (see ``batch_stats.RuleStats``)."""

    first: tuple[str, str, str, str]  # code, title, node, method of the first unit's result
    applicable: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    lost_units: int = 0
    points_lost: Decimal = Decimal(0)
    regions: Counter[str] = field(default_factory=Counter)

    def stats(self, rule_id: str, pack: CompiledPack, top_n: int = 3) -> RuleStats:
        code, title, node, method = self.first
        return RuleStats(
            rule_id=rule_id, code=code, title=title, node=node_title(pack, node), method=method,
            applicable=self.applicable, lost_units=self.lost_units, failed=self.outcomes["fail"],
            partial=self.outcomes["partial"], missing=self.outcomes["missing"],
            failure_rate=q2(Decimal(self.lost_units) / self.applicable * 100) if self.applicable else 0.0,
            points_lost=q2(self.points_lost),
            top_regions=sorted(self.regions.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n],
        )


def _clause(code: str | None, title: str) -> str:
    return f"{code} {title}" if code else title


def remarks(unit: UnitResult) -> str:
    parts = [f"否决项：{v.title}（{v.date} {v.incident}，{v.effect}）" for v in unit.vetoes]
    return "；".join(parts + unit.notes)


class BatchDigest:
    """Feed ``add`` every unit (in report order), call ``finish``, then hand the digest to the renderers."""

    def __init__(self, report: RunReport, pack: CompiledPack, scratch: Path | None = None) -> None:
        self.report = report  # the run's header: pack, as-of, formula, rejected (its ``units`` are not read)
        self.pack = pack
        self.lines: list[UnitLine] = []
        self.tallies: dict[str, RuleTally] = {}
        self.as_of_dates: set[str] = set()
        self.substituted: Counter[str] = Counter()
        self.spool = Spool(scratch)
        self.node_codes = [n.code for n in top_nodes(pack)]
        self.ratio = pack.meta.pass_mark / pack.meta.full_marks * 100
        self._shared: dict[str, str] = {}
        self._ranked: list[Ranked] | None = None
        self._rule_stats: list[RuleStats] | None = None

    @classmethod
    def of(cls, report: RunReport, pack: CompiledPack) -> BatchDigest:
        """The digest of an in-memory report (``civic`` API callers and tests)."""
        digest = cls(report, pack)
        for unit in report.units:
            digest.add(unit)
        return digest

    def _share(self, text: str) -> str:
        """One string object for texts that repeat across units (types, grades, region names)."""
        return self._shared.setdefault(text, text)

    def add(self, unit: UnitResult) -> None:
        summary = unit.unit
        self.as_of_dates.add(unit.as_of)
        line = UnitLine(
            id=summary.id, name=summary.name, type=self._share(summary.type), region=tuple(self._share(p) for p in summary.region),
            group=self._share(summary.group) if summary.group is not None else None,
            responsible=tuple(self._share(p) for p in summary.responsible), period=self._share(unit.period),
            as_of=self._share(unit.as_of), total=unit.total, total_without_waivers=unit.total_without_waivers,
            grade=self._share(unit.grade), passed=unit.passed, disqualified=unit.disqualified,
            deficiency_count=len(unit.deficiencies), rectification_count=len(unit.rectifications), remarks=remarks(unit),
            node_scores=self._node_scores(unit), spooled=(0, 0),
        )
        line.spooled = self.spool.put((self._page_details(unit), self._deficiency_rows(unit), self._rectification_rows(unit)))
        self.lines.append(line)
        self._tally(unit, line)
        self._ranked = self._rule_stats = None

    def _node_scores(self, unit: UnitResult) -> tuple[float | None, ...]:
        earned = {n.code: n.earned for n in unit.nodes}
        return tuple(earned.get(code) for code in self.node_codes)

    def _tally(self, unit: UnitResult, line: UnitLine) -> None:
        for result in unit.rules:
            if result.substituted:
                self.substituted[result.rule_id] += 1
            tally = self.tallies.get(result.rule_id)
            if tally is None:
                tally = self.tallies[result.rule_id] = RuleTally((result.code or "", result.title, result.node, result.method))
            if result.outcome in EXCLUDED_OUTCOMES:
                continue
            tally.applicable += 1
            if lost_points(result):
                tally.lost_units += 1
                tally.outcomes[result.outcome] += 1
                tally.points_lost += dec(result.lost)
                tally.regions[short_region(line)] += 1

    def _page_details(self, unit: UnitResult) -> tuple[Any, ...]:
        """The texts of the unit's section in report.html (see ``html_payload``), formatted, not yet interned."""
        by_code = {n.code: n for n in unit.nodes}
        nodes = []
        for code in self.node_codes:
            n = by_code.get(code)
            nodes.append(None if n is None else
                         (fmt_number(n.earned), fmt_number(n.max), fmt_number(n.rate), int(n.max > 0 and n.rate < self.ratio)))
        return (
            nodes,
            [(_clause(d.code, d.title), d.rule_id, DEFICIENCY_KIND_LABELS.get(d.kind, d.kind), d.name, d.detail,
              fmt_number(d.points_recoverable)) for d in unit.deficiencies],
            [(x.problem, _clause(x.code, x.title), x.rule_id, x.requirement, x.role, x.due, x.severity,
              fmt_number(x.points_recoverable)) for x in unit.rectifications],
            [f"否决项：{v.title} — {v.date} 发生“{v.incident}”：{v.effect}" for v in unit.vetoes],
            [f"说明：{note}" for note in unit.notes],
        )

    @staticmethod
    def _unit_cells(unit: UnitResult) -> list[Any]:
        u = unit.unit
        return [u.id, u.name, "/".join(u.region), "、".join(u.responsible)]

    def _deficiency_rows(self, unit: UnitResult) -> list[list[Any]]:
        head = self._unit_cells(unit)
        return [[*head, d.rule_id, d.code or "", d.title, DEFICIENCY_KIND_LABELS.get(d.kind, d.kind), d.name, d.detail,
                 d.period, d.points_recoverable] for d in unit.deficiencies]

    def _rectification_rows(self, unit: UnitResult) -> list[list[Any]]:
        head = self._unit_cells(unit)
        return [[*head, r.rule_id, r.code or "", r.title, r.problem, r.requirement, r.role, r.due, r.severity,
                 r.points_recoverable, STATUS_OPEN] for r in unit.rectifications]

    # -- read side ---------------------------------------------------------------------------------------------

    @property
    def ranked(self) -> list[Ranked]:
        """Units in ranking order (rank, then unit id — the documented tie order of ``evaluator.ranking``)."""
        if self._ranked is None:
            ranks: dict[str, RankInfo] = rank_units(cast(list[UnitResult], self.lines))  # a line reads like a result
            rows = [Ranked(line, ranks[line.id]) for line in self.lines]
            self._ranked = sorted(rows, key=lambda r: (r.rank.overall, r.unit.id))
        return self._ranked

    @property
    def rule_stats(self) -> list[RuleStats]:
        """Per rule, most-failed first (rate, then points lost, then rule id)."""
        if self._rule_stats is None:
            stats = [tally.stats(rule_id, self.pack) for rule_id, tally in self.tallies.items()]
            self._rule_stats = sorted(stats, key=lambda s: (-s.failure_rate, -s.points_lost, s.rule_id))
        return self._rule_stats

    def by_region(self) -> list[UnitLine]:
        """Units ordered by region path, then id — the order in which lists are handed out (街道 by 街道)."""
        return sorted(self.lines, key=lambda u: (u.region, u.id))

    def details(self, line: UnitLine) -> tuple[Any, list[list[Any]], list[list[Any]]]:
        """(page details, 缺项清单 rows, 整改清单 rows) of one unit, read back from the spool."""
        page, deficiencies, rectifications = self.spool.get(line.spooled)
        return page, deficiencies, rectifications

    def deficiency_rows(self) -> Iterable[list[Any]]:
        return Reiterable(lambda: (row for line in self.by_region() for row in self.details(line)[1]))

    def rectification_rows(self) -> Iterable[list[Any]]:
        return Reiterable(lambda: (row for line in self.by_region() for row in self.details(line)[2]))

    def shown_as_of(self) -> str:
        """Every unit's as-of date, sorted, joined by 、 — as ``evaluator.report.run_report`` shows a run without --as-of."""
        return "、".join(sorted(self.as_of_dates))

    def close(self) -> None:
        self.spool.close()


class Reiterable:
    """Rows made on demand, walkable more than once (a sheet is measured for column widths, then written), so no
    sheet is ever held as a list."""

    def __init__(self, make: Callable[[], Iterator[list[Any]]]) -> None:
        self.make = make

    def __iter__(self) -> Iterator[list[Any]]:
        return self.make()

