"""Build the scoring query for a pack and run it on DuckDB (Spark uses the same sqlglot tree, other dialect).

Query shape (portable SQL: CTEs, CASE — and one dialect-specific unpivot at the end):

    WITH graded AS (SELECT unit_id, <status R1> AS "s:R1", <earned R1> AS "g:R1", … FROM units),
         scored AS (SELECT unit_id, "s:R1", GREATEST(0, LEAST(points, "g:R1")) AS "c:R1", … FROM graded),
         finished AS (SELECT unit_id, COALESCE("s:R1", CASE WHEN "c:R1" = points THEN 'pass' …) AS "o:R1",
                             CASE WHEN "s:R1" IS NULL THEN ROUND("c:R1", 2) ELSE 0 END AS "p:R1", … FROM scored)
    SELECT unit_id, rule_id, outcome, earned FROM finished, <unpivot of the (rule_id, "o:R", "p:R") triples>

Each rule's grading expression is written once (the stages name it), so the SQL grows linearly with the
pack. A rule whose points are a ladder of constants (``LadderSQL``) is graded as one small code instead — its
status and step in one CASE — and its outcome and points are looked up by that code. The unpivot is one pass over ``finished``: DuckDB unnests a list of structs, Spark uses ``stack``;
other dialects get UNION ALL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from evaluator.compiled import CompiledPack
from evaluator.sqlc.compile_rule import CompiledSQL, compile_rule_sql
from evaluator.sqlc.flat import Need
from evaluator.sqlc.sql import TRUE, Unsupported, case, col, dtype, num

GRADED = ("pass", "partial", "fail")
EARNED_TYPE = "DECIMAL(9,2)"
OUTCOMES = ("error", "fail", "manual_pending", "missing", "not_applicable", "partial", "pass")  # sorted: ENUM order = text order


def enum_type(values: list[str] | tuple[str, ...]) -> exp.DataType:
    return exp.DataType(this=exp.DataType.Type.ENUM, expressions=[exp.Literal.string(v) for v in values])


def outcome_literal(name: str) -> exp.Expression:
    """An outcome as DuckDB's ENUM constant (folded once by DuckDB; one byte per cell instead of a string)."""
    return exp.Cast(this=exp.Literal.string(name), to=enum_type(OUTCOMES))


def typed_status(status: exp.Expression) -> exp.Expression:
    """The status CASE with its outcome values (never its conditions) as ENUM constants."""
    if isinstance(status, exp.Literal) and status.is_string:
        return outcome_literal(status.this)
    if isinstance(status, exp.Case):
        for branch in status.args.get("ifs") or []:
            branch.set("true", typed_status(branch.args["true"]))
        if status.args.get("default") is not None:
            status.set("default", typed_status(status.args["default"]))
    return status


def status_whens(status: exp.Expression) -> list[tuple[exp.Expression, str]] | None:
    """The status CASE as (condition, outcome) pairs in order (``[]`` when the rule has none), or None when it
    has another shape."""
    if isinstance(status, exp.Null):
        return []
    if isinstance(status, exp.Literal) and status.is_string:
        return [(TRUE, status.this)]
    if not isinstance(status, exp.Case) or status.args.get("this") or not isinstance(status.args.get("default"), exp.Null | None):
        return None
    whens = []
    for branch in status.args.get("ifs") or []:
        value = branch.args["true"]
        if not (isinstance(value, exp.Literal) and value.is_string):
            return None
        whens.append((branch.this, value.this))
    return whens


@dataclass(frozen=True)
class LadderSQL:
    """A rule whose earned points are a CASE of constants, graded as one small integer per unit: the status
    conditions and then the ladder's steps in one CASE, each giving the code of its (outcome, points) pair —
    decided at compile time (``CompiledSQL.finish_constant``; 0 points for a status). The later stages look the
    pair up by code instead of keeping a separate status column and clamping, comparing and rounding every
    unit's points. Same first-true-WHEN order as status-then-points, so the same answer."""

    code: exp.Expression
    pairs: list[tuple[str, Decimal]]  # by code

    def lookup(self, index: exp.Expression, values: list[exp.Expression]) -> exp.Expression:
        return case(*[(exp.EQ(this=index, expression=exp.Literal.number(i)), v) for i, v in enumerate(values) if i and v != values[0]],
                    default=values[0])

    def outcome(self, index: exp.Expression, literal: Callable[[str], exp.Expression]) -> exp.Expression:
        return self.lookup(index, [literal(o) for o, _ in self.pairs])

    def points(self, index: exp.Expression) -> exp.Expression:
        return self.lookup(index, [num(p, EARNED_TYPE) for _, p in self.pairs])


def ladder_sql(rule: CompiledSQL) -> LadderSQL | None:
    """The one-code form of ``rule`` when its points are a constant ladder (73 of wmcs's 93 rules), else None."""
    ladder, whens = rule.ladder(), status_whens(rule.status)
    if ladder is None or whens is None:
        return None
    steps, default = ladder
    pairs = [rule.finish_constant(default)]  # the default's pair is code 0 (the ELSE of the lookups)
    branches = []
    for cond, pair in [(c, (name, Decimal(0))) for c, name in whens] + [(c, rule.finish_constant(v)) for c, v in steps]:
        if pair not in pairs:
            pairs.append(pair)
        branches.append((cond, exp.Literal.number(pairs.index(pair))))
    return LadderSQL(case(*branches, default=exp.Literal.number(0)), pairs)


@dataclass
class PackSQL:
    pack: CompiledPack
    rules: list[CompiledSQL]
    needs: list[Need]
    fallback: dict[str, str] = field(default_factory=dict)  # rule id → why it could not be compiled

    def _stages(self, table: str, dialect: str = "") -> tuple[exp.Select, exp.Select, exp.Select]:
        """The graded → scored → finished selects. For DuckDB outcomes are a one-byte ENUM (``outcome_type``)
        rather than text: cheaper to compute, unpivot and write; other dialects keep text."""
        literal = outcome_literal if dialect == "duckdb" else exp.Literal.string
        graded_cols: list[Any] = [col("unit_id")]
        scored_cols: list[Any] = [col("unit_id")]
        finished_cols: list[Any] = [col("unit_id")]
        for rule in self.rules:
            rid = rule.rule_id
            ladder = ladder_sql(rule)
            if ladder is not None:
                graded_cols.append(exp.alias_(ladder.code, f"g:{rid}", quoted=True))
                scored_cols.append(exp.alias_(col(f"g:{rid}"), f"c:{rid}", quoted=True))
                finished_cols.append(exp.alias_(ladder.outcome(col(f"c:{rid}"), literal), f"o:{rid}", quoted=True))
                finished_cols.append(exp.alias_(exp.Cast(this=ladder.points(col(f"c:{rid}")), to=dtype(EARNED_TYPE)), f"p:{rid}", quoted=True))
                continue
            has_status = not isinstance(rule.status, exp.Null)
            if has_status:
                status_expr = typed_status(rule.status.copy()) if dialect == "duckdb" else rule.status
                graded_cols.append(exp.alias_(status_expr, f"s:{rid}", quoted=True))
                scored_cols.append(col(f"s:{rid}"))
            status = col(f"s:{rid}") if has_status else exp.Null()
            graded_cols.append(exp.alias_(rule.earned, f"g:{rid}", quoted=True))
            scored_cols.append(exp.alias_(rule.clamp(col(f"g:{rid}")), f"c:{rid}", quoted=True))
            clamped = col(f"c:{rid}")
            points = rule.points_of(clamped)
            earned = case((exp.Is(this=status, expression=exp.Null()), points), default=num(0, EARNED_TYPE)) if has_status else points
            earned = exp.Cast(this=earned, to=dtype(EARNED_TYPE))  # ≤ 1000.00: 32-bit, cheap to write
            finished_cols.append(exp.alias_(rule.outcome_of(status, clamped, literal), f"o:{rid}", quoted=True))
            finished_cols.append(exp.alias_(earned, f"p:{rid}", quoted=True))
        graded = exp.select(*graded_cols, copy=False).from_(exp.to_table(table), copy=False)
        return graded, exp.select(*scored_cols, copy=False).from_("graded", copy=False), exp.select(*finished_cols, copy=False).from_("scored", copy=False)

    def rule_type(self) -> exp.DataType:
        """DuckDB ENUM of the rule ids (sorted, so ENUM order is text order): a readable, one-byte rule column."""
        return enum_type(sorted(r.rule_id for r in self.rules))

    def _triples(self) -> list[tuple[exp.Expression, exp.Expression, exp.Expression]]:
        return [(exp.Literal.string(r.rule_id), col(f"o:{r.rule_id}"), col(f"p:{r.rule_id}")) for r in self.rules]

    def _unpivot(self, dialect: str) -> Any:
        """The long table from ``finished``: one pass that turns the rule columns into rows."""
        names = ("rule_id", "outcome", "earned")
        if dialect == "duckdb":
            # three lists unnested side by side (faster than one list of structs); the rule ids are a constant
            # list cast once to the rule ENUM, so the long table's rule_id and outcome are one byte each
            ids = exp.Array(expressions=[exp.Literal.string(r.rule_id) for r in self.rules])
            array_of_rules = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[self.rule_type()], nested=True)
            unnests = [exp.Cast(this=ids, to=array_of_rules),
                       exp.Array(expressions=[col(f"o:{r.rule_id}") for r in self.rules]),
                       exp.Array(expressions=[col(f"p:{r.rule_id}") for r in self.rules])]
            return exp.select(col("unit_id"), *[exp.alias_(exp.Unnest(expressions=[u]), k, copy=False) for u, k in zip(unnests, names, strict=True)],
                              copy=False).from_("finished", copy=False)
        if dialect == "spark":
            args: list[exp.Expression] = [exp.Literal.number(len(self.rules))]
            for triple in self._triples():
                args.extend(triple)
            stack = exp.Anonymous(this="STACK", expressions=args)
            return sqlglot.parse_one(f"SELECT unit_id, {stack.sql('spark')} AS (rule_id, outcome, earned) FROM finished", read="spark")
        parts = [exp.select(col("unit_id"), exp.alias_(rid, "rule_id"), exp.alias_(o, "outcome"), exp.alias_(p, "earned")).from_("finished")
                 for rid, o, p in self._triples()]
        union: exp.Expression = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        return exp.select("*").from_(exp.Subquery(this=union, alias="long"))

    def query(self, table: str = "units", dialect: str = "duckdb") -> Any:
        graded, scored, finished = self._stages(table, dialect)
        long = self._unpivot(dialect)
        return long.with_("graded", as_=graded, copy=False).with_("scored", as_=scored, copy=False).with_("finished", as_=finished, copy=False)

    def wide_sql(self, table: str = "units", dialect: str = "duckdb") -> str:
        """The ``finished`` stage as a query: one row per unit, columns "o:R" (outcome) and "p:R" (earned)."""
        graded, scored, finished = self._stages(table, dialect)
        query = finished.with_("graded", as_=graded, copy=False).with_("scored", as_=scored, copy=False)
        return query.sql(dialect=dialect, copy=False)

    def long_from_finished_sql(self, dialect: str = "duckdb") -> str:
        """The long unit × rule rows from a table named ``finished`` holding ``wide_sql``'s result."""
        return self._unpivot(dialect).sql(dialect=dialect, copy=False)

    def sql(self, dialect: str = "duckdb", table: str = "units") -> str:
        return self.query(table, dialect).sql(dialect=dialect, copy=False)  # the tree is built afresh for this call


def compile_pack_sql(pack: CompiledPack) -> PackSQL:
    """Compile every stable scoring rule; the ones that cannot be compiled are listed in ``fallback``."""
    compiled: list[CompiledSQL] = []
    needs: set[Need] = set()
    fallback: dict[str, str] = {}
    for rule in pack.scored_rules():
        if rule.rule.status != "stable":
            continue
        local: set[Any] = set()
        try:
            compiled.append(compile_rule_sql(pack, rule, local))
        except Unsupported as exc:
            fallback[rule.id] = str(exc)
            continue
        needs |= local
    return PackSQL(pack, compiled, sorted(needs), fallback)
