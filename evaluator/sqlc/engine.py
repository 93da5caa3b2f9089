"""The SQL engine behind ``--engine sql``: rule outcomes and points from DuckDB (or Spark), explanations from
the reference evaluator for just the items that did not pass, totals by the same roll-up code — so every
rendered report is the same whatever the engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from evaluator.api import LoadedUnit, effective_as_of
from evaluator.batch.disagreements import Disagreement, cents, differs, points
from evaluator.compiled import CompiledPack
from evaluator.engine import (
    RuleEval,
    build_context,
    evaluate_rule,
    explanation_labels,
    finish_unit,
    settle,
)
from evaluator.sqlc.flat import flatten_unit
from evaluator.sqlc.runner import PackSQL, compile_pack_sql
from schemas.result import RuleResult, UnitResult
from schemas.unit import Waiver

Cell = tuple[str, Decimal]


@dataclass
class SqlRun:
    pack_sql: PackSQL
    cells: dict[tuple[str, str], Cell]


def sql_cells(pack: CompiledPack, units: list[LoadedUnit], as_of: dt.date | None, backend: str = "duckdb") -> SqlRun:
    """(unit, rule) → (outcome, earned) for every compiled rule, computed by the SQL backend."""
    pack_sql = compile_pack_sql(pack)
    rows = [flatten_unit(pack_sql.needs, u.unit, u.values, effective_as_of(u.unit, as_of)) for u in units]
    if backend == "spark":
        from evaluator.sqlc.spark import run_spark

        result = run_spark(pack_sql, rows)
    else:
        from evaluator.sqlc.duck import rows_to_arrow, run_duckdb

        result = run_duckdb(pack_sql, rows_to_arrow(rows, pack_sql.needs, pack_sql))
    return SqlRun(pack_sql, {(unit_id, rule_id): (outcome, earned) for unit_id, rule_id, outcome, earned in result})


def _compact_pass(pack: CompiledPack, rule_id: str, earned: Decimal) -> RuleEval:
    r = pack.rule(rule_id).rule  # type: ignore[union-attr]
    points = Decimal(str(r.points))
    result = RuleResult(rule_id=r.id, code=r.code, title=r.title, node=r.node, method=r.method, outcome="pass",
                        earned=float(earned), max=float(points), lost=0.0, message="符合要求")
    bonus = any(pack.nodes[c].node.bonus for c in pack.leaf_ancestors(r.node))
    return RuleEval(result, earned, points, True, bonus, earned)


def score_units_sql(pack: CompiledPack, units: list[LoadedUnit], as_of: dt.date | None, waivers: list[Waiver],
                    backend: str = "duckdb", substitutes: dict[str, tuple[Decimal, int]] | None = None,
                    disagreements: list[Disagreement] | None = None) -> tuple[list[UnitResult], dict[str, str]]:
    """Score units with SQL; returns the results and the rules that fell back to the reference (id → reason).

    Every non-pass cell is re-evaluated by the reference (for its explanation) and the reference's result is kept;
    where its outcome or points differ from the SQL cell, the cell is appended to ``disagreements`` (if given)."""
    run = sql_cells(pack, units, as_of, backend)
    labels = explanation_labels(pack)
    compiled = {r.rule_id for r in run.pack_sql.rules}
    results = []
    for item in units:
        when = effective_as_of(item.unit, as_of)
        ctx = build_context(pack, item.unit, item.values, when)
        evals: list[RuleEval] = []
        for rule in pack.scored_rules():
            if rule.rule.status != "stable":
                continue
            cell = run.cells.get((item.unit.unit.id, rule.id)) if rule.id in compiled else None
            if cell is not None and cell[0] == "pass":
                ev = _compact_pass(pack, rule.id, cell[1])
            else:
                ev = evaluate_rule(pack, rule, item.unit, ctx, item.values, when, labels)
                if cell is not None and disagreements is not None:
                    _check_cell(disagreements, item.unit.unit.id, rule.id, cell, ev)
            evals.append(settle(ev, rule, item.unit, when, waivers, substitutes))
        results.append(finish_unit(pack, item.unit, ctx, evals, when))
    return results, run.pack_sql.fallback


def _check_cell(found: list[Disagreement], unit_id: str, rule_id: str, cell: Cell, ev: RuleEval) -> None:
    """Record the SQL cell if the reference (which is kept) gives another outcome or other points."""
    if differs(cell[0], cell[1], ev.result.outcome, ev.result.earned):
        found.append(Disagreement(unit_id, rule_id, "sql", cell[0], points(cell[1]), ev.result.outcome, cents(ev.result.earned)))
