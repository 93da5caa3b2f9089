"""summary.json of a batch: what was scored, with what, the headline numbers, the ranking and what was rejected.

Machine-readable and deterministic (no timestamps; inputs as given on the command line). Averages and rates are
computed in Decimal and rounded half up to two places, like every score.

Built from the batch's ``BatchDigest`` (one compact line per unit), and written as a stream: the ranking's one
entry per unit is made while the file is written, never held as a list of dicts (see ``RankEntries``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluator.batch.substitute import PeerAverage
from evaluator.render.batch_digest import BatchDigest
from evaluator.render.batch_stats import Ranked

if TYPE_CHECKING:
    from evaluator.batch.pipeline import BatchOptions

RANKING_RULE = ("按总分从高到低排名，总分相同名次相同（竞争排名，如 1、2、2、4），同分单位按单位编号先后列出；"
                "取消资格的单位排在全部合格单位之后，彼此之间按总分排名。组内名次按竞赛组别，区域名次按区划路径前三级（省/市/区县）。")
CENT = Decimal("0.01")


def _q(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def rank_entry(r: Ranked) -> dict[str, Any]:
    u = r.unit
    return {"rank": r.rank.overall, "id": u.id, "name": u.name, "type": u.type, "group": u.group,
            "region": "/".join(u.region), "total": u.total, "grade": u.grade, "passed": u.passed, "disqualified": u.disqualified,
            "rank_in_group": r.rank.in_group, "rank_in_region": r.rank.in_region, "region_key": r.rank.region_key}


class RankEntries(list[dict[str, Any]]):
    """The ``ranks`` array, one entry per unit made on demand: it reads as a list (iteration, ``len``, indexing)
    and ``json.dump`` writes it as one, but a province's ranking is never held as dicts (about 0.7 KB a unit)."""

    def __init__(self, ranked: list[Ranked]) -> None:
        super().__init__()
        self.ranked = ranked

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (rank_entry(r) for r in self.ranked)

    def __len__(self) -> int:
        return len(self.ranked)

    def __bool__(self) -> bool:
        return bool(self.ranked)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [rank_entry(r) for r in self.ranked[index]]
        return rank_entry(self.ranked[index])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None

    def __repr__(self) -> str:
        return f"RankEntries({len(self)} units)"


def build_summary(digest: BatchDigest, options: BatchOptions, averages: dict[str, PeerAverage],
                  warnings: list[dict[str, Any]], engine_disagreements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    report, pack, units = digest.report, digest.pack, digest.lines
    totals = [Decimal(str(u.total)) for u in units]
    passed = sum(1 for u in units if u.passed)
    used = digest.substituted
    return {
        "tool": report.tool,
        "schema_version": report.schema_version,
        "pack": report.pack.model_dump(),
        "formula": report.formula,
        "as_of": report.as_of,
        "inputs": [str(p) for p in options.inputs],
        "input_files": [f.model_dump() for f in report.inputs or []],
        "counts": {
            "units": len(units), "rejected": len(report.rejected), "passed": passed, "not_passed": len(units) - passed,
            "disqualified": sum(1 for u in units if u.disqualified),
            "by_grade": dict(sorted(Counter(u.grade for u in units).items())),
        },
        "average": _q(sum(totals, Decimal(0)) / len(totals)) if totals else None,
        "pass_rate": _q(Decimal(passed) * 100 / len(units)) if units else None,
        "pass_mark": pack.meta.pass_mark,
        "ranking_rule": RANKING_RULE,
        "ranks": RankEntries(digest.ranked),
        "substitutions": [
            {"rule": a.rule_id, "title": a.title, "average_rate": _q(a.fraction * 100), "peers": a.peers, "units": used.get(a.rule_id, 0)}
            for a in averages.values()
        ],
        "rejected": report.rejected,
        "warnings": warnings,
        "engine_disagreements": engine_disagreements or [],  # --engine sql/durable cells the reference overrode (W501)
        "files": {"results": "results.jsonl", "workbook": "汇总.xlsx", "html": "report.html",
                  "per_unit": ["<单位编号>/自评报告.md", "<单位编号>/整改通知书.docx"]},
    }


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """summary.json, streamed (``json.dump`` writes piece by piece; the same text as ``json.dumps`` + newline)."""
    with path.open("w", encoding="utf-8") as out:
        json.dump(summary, out, ensure_ascii=False, indent=2)
        out.write("\n")
