"""Cells where a fast engine (``--engine sql`` / ``durable``) and the reference evaluator disagree.

Why: the reference evaluator is the spec, so when it re-evaluates a cell (every non-pass SQL cell, every durable
leaf it cross-checks) its result is kept — but a disagreement means a bug in the fast engine, and silently
overriding it would hide that bug for ever. Each one is recorded here, travels with its unit's outcome from the
worker to the parent, and ends in summary.json ``engine_disagreements`` (sorted, deterministic), in a Chinese
warning (W501) at the end of the batch, and — with ``--strict-engine`` — in a non-zero exit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from schemas.result import OUTCOME_LABELS

CODE = "W501"
FALLBACK_CODE = "W502"
SHOWN = 5
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Disagreement:
    """One unit × rule cell: what the engine said and what the reference evaluator (kept) said."""

    unit: str
    rule: str
    engine: str
    engine_outcome: str
    engine_points: float | None
    reference_outcome: str
    reference_points: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cents(value: Decimal | float) -> float:
    """Points as the result files show them: two decimals, so 3.0 and Decimal('3.00') compare equal."""
    return float(Decimal(str(value)).quantize(CENT))


def points(value: Decimal | float | None) -> float | None:
    return None if value is None else cents(value)


def differs(engine_outcome: str, engine_points: Decimal | float | None, ref_outcome: str, ref_points: Decimal | float) -> bool:
    return engine_outcome != ref_outcome or points(engine_points) != points(ref_points)


class EngineLog:
    """The parent's record of disagreements, per unit and source (a unit scored twice — the peer-average pass —
    keeps its latest record; a duplicate unit id that was not scored is filtered out by its source)."""

    def __init__(self) -> None:
        self._by_unit: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def observe(self, unit_id: str, source: str, records: list[dict[str, Any]]) -> None:
        if records:
            self._by_unit[(unit_id, source)] = records
        else:
            self._by_unit.pop((unit_id, source), None)

    def entries(self, scored: dict[str, str]) -> list[dict[str, Any]]:
        """Disagreements of the units in the results (unit id → source), sorted by unit, rule and engine."""
        found = [r for (uid, source), records in self._by_unit.items() if scored.get(uid) == source for r in records]
        return sorted(found, key=lambda r: (r["unit"], r["rule"], r["engine"]))


def _fmt_points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def describe(record: dict[str, Any]) -> str:
    """One Chinese line: unit, rule, the engine's outcome and points, the reference's."""
    engine = f"{OUTCOME_LABELS.get(record['engine_outcome'], record['engine_outcome'])} {_fmt_points(record['engine_points'])} 分"
    ref = f"{OUTCOME_LABELS.get(record['reference_outcome'], record['reference_outcome'])} {_fmt_points(record['reference_points'])} 分"
    extra = f"（{record['detail']}）" if record.get("detail") else ""
    return f"{record['unit']} 规则 {record['rule']}：{record['engine']} 引擎为 {engine}，参考评测器为 {ref}{extra}"


def warning_lines(records: list[dict[str, Any]], shown: int = SHOWN) -> list[str]:
    """The end-of-batch warning: the count, then the first few disagreements."""
    if not records:
        return []
    engines = "、".join(sorted({r["engine"] for r in records}))
    lines = [f"警告 {CODE}：评分引擎（{engines}）与参考评测器有 {len(records)} 处不一致，已以参考评测器的结果为准"
             f"（全部列在 summary.json 的 engine_disagreements 中；这说明该引擎有缺陷，请报告维护者）："]
    lines += [f"  {describe(r)}" for r in records[:shown]]
    if len(records) > shown:
        lines.append(f"  ……另有 {len(records) - shown} 处")
    return lines
