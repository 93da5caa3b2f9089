"""summary.json of a batch: what was scored, with what, the headline numbers, the ranking and what was rejected.

Machine-readable and deterministic (no timestamps; inputs as given on the command line). Averages and rates are
computed in Decimal and rounded half up to two places, like every score.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from evaluator.batch.substitute import PeerAverage, substituted_counts
from evaluator.compiled import CompiledPack
from evaluator.ranking import rank_units
from schemas.result import RunReport

if TYPE_CHECKING:
    from evaluator.batch.pipeline import BatchOptions

RANKING_RULE = ("按总分从高到低排名，总分相同名次相同（竞争排名，如 1、2、2、4），同分单位按单位编号先后列出；"
                "取消资格的单位排在全部合格单位之后，彼此之间按总分排名。组内名次按竞赛组别，区域名次按区划路径前三级（省/市/区县）。")
CENT = Decimal("0.01")


def _q(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def build_summary(report: RunReport, pack: CompiledPack, options: BatchOptions, averages: dict[str, PeerAverage],
                  warnings: list[dict[str, Any]]) -> dict[str, Any]:
    units = report.units
    totals = [Decimal(str(u.total)) for u in units]
    passed = sum(1 for u in units if u.passed)
    ranks = rank_units(units)
    ordered = sorted(units, key=lambda u: (ranks[u.unit.id].overall, u.unit.id))
    used = substituted_counts(units)
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
        "ranks": [
            {"rank": ranks[u.unit.id].overall, "id": u.unit.id, "name": u.unit.name, "type": u.unit.type, "group": u.unit.group,
             "region": "/".join(u.unit.region), "total": u.total, "grade": u.grade, "passed": u.passed, "disqualified": u.disqualified,
             "rank_in_group": ranks[u.unit.id].in_group, "rank_in_region": ranks[u.unit.id].in_region,
             "region_key": ranks[u.unit.id].region_key}
            for u in ordered
        ],
        "substitutions": [
            {"rule": a.rule_id, "title": a.title, "average_rate": _q(a.fraction * 100), "peers": a.peers, "units": used.get(a.rule_id, 0)}
            for a in averages.values()
        ],
        "rejected": report.rejected,
        "warnings": warnings,
        "files": {"results": "results.jsonl", "workbook": "汇总.xlsx", "html": "report.html",
                  "per_unit": ["<单位编号>/自评报告.md", "<单位编号>/整改通知书.docx"]},
    }
