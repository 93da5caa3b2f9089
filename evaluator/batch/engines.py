"""The optional scoring engines of ``civic batch`` (``--engine sql`` / ``--engine durable``), behind one interface.

Why a registry: the batch runner treats every engine alike — load a chunk's units, score them in one call,
fall back to the reference for the whole chunk if the engine fails — and only this table knows which engine
does what. Each engine returns the unit results (explanations always come from the reference evaluator), the
cells where it disagreed with the reference (see ``disagreements.py``), and Chinese notes on anything it had to
hand back to the reference (reported as W502). Engines run in the worker processes; per-process state (the
durable-rules child) is kept here and closed when the worker ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from evaluator.batch.disagreements import Disagreement

if TYPE_CHECKING:
    from evaluator.api import LoadedUnit
    from evaluator.compiled import CompiledPack
    from schemas.result import UnitResult
    from schemas.unit import Waiver

Substitutes = dict[str, tuple[Decimal, int]]


@dataclass
class EngineRun:
    results: list[UnitResult]
    disagreements: list[Disagreement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EngineCall:
    pack: CompiledPack
    units: list[LoadedUnit]
    as_of: Any
    waivers: list[Waiver]
    substitutes: Substitutes | None


def run_sql(call: EngineCall) -> EngineRun:
    """DuckDB outcomes and points; every non-pass cell re-evaluated (and cross-checked) by the reference."""
    from evaluator.sqlc.engine import score_units_sql

    found: list[Disagreement] = []
    results, _fallback = score_units_sql(call.pack, call.units, call.as_of, call.waivers, substitutes=call.substitutes,
                                         disagreements=found)
    return EngineRun(results, found)


_MATCHERS: dict[int, Any] = {}


def _leaves(pack: CompiledPack) -> list[Any]:
    from evaluator.durable_engine.leaves import pack_leaves

    return pack_leaves(pack, [r for r in pack.scored_rules() if r.rule.status == "stable"])


def _durable_matcher(pack: CompiledPack) -> Any:
    """One durable-rules child per worker process and pack, reused for every chunk (starting it costs seconds)."""
    from multiprocessing.util import Finalize

    from evaluator.durable_engine.matcher import DurableMatcher

    key = id(pack)
    if key not in _MATCHERS:
        matcher = DurableMatcher(_leaves(pack), keep_child=True)
        _MATCHERS[key] = matcher
        Finalize(matcher, matcher.close, exitpriority=10)
    return _MATCHERS[key]


def close_engines() -> None:
    """Stop the per-process engine children (the in-process ``--jobs 1`` runner calls this when it ends)."""
    while _MATCHERS:
        _MATCHERS.popitem()[1].close()


def run_durable(call: EngineCall) -> EngineRun:
    """durable-rules answers the leaf conditions, cross-checked leaf by leaf; the reference does everything else."""
    from evaluator.durable_engine.engine import require_durable, score_units_durable_detailed

    require_durable()
    outcome = score_units_durable_detailed(call.pack, call.units, call.as_of, call.waivers, matcher=_durable_matcher(call.pack),
                                           substitutes=call.substitutes)
    notes = []
    if outcome.invalid_units:
        reasons = sorted(set(outcome.invalid_units.values()))
        notes.append(f"durable-rules 子进程出错（{reasons[0]}），{len(outcome.invalid_units)} 个单位的条件改由参考评测器判定，结果不受影响")
    return EngineRun(outcome.results, outcome.cells, notes)


ENGINES: dict[str, Callable[[EngineCall], EngineRun]] = {"sql": run_sql, "durable": run_durable}
ENGINE_NAMES = ["reference", *ENGINES]
