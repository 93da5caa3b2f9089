"""Build the scoring query for a pack and run it on DuckDB (Spark uses the same sqlglot tree, other dialect).

Query shape (portable SQL: CTEs, CASE — and one dialect-specific unpivot at the end):

    WITH graded AS (SELECT unit_id, <status R1> AS "s:R1", <earned R1> AS "g:R1", … FROM units),
         scored AS (SELECT unit_id, "s:R1", GREATEST(0, LEAST(points, "g:R1")) AS "c:R1", … FROM graded),
         finished AS (SELECT unit_id, COALESCE("s:R1", CASE WHEN "c:R1" = points THEN 'pass' …) AS "o:R1",
                             CASE WHEN "s:R1" IS NULL THEN ROUND("c:R1", 2) ELSE 0 END AS "p:R1", … FROM scored)
    SELECT unit_id, rule_id, outcome, earned FROM finished, <unpivot of the (rule_id, "o:R", "p:R") triples>

Each rule's grading expression is written once (the stages name it), so the SQL grows linearly with the
pack. The unpivot is one pass over ``finished``: DuckDB unnests a list of structs, Spark uses ``stack``;
other dialects get UNION ALL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from evaluator.compiled import CompiledPack
from evaluator.sqlc.compile_rule import CompiledSQL, compile_rule_sql
from evaluator.sqlc.flat import Need
from evaluator.sqlc.sql import Unsupported, case, col, num

GRADED = ("pass", "partial", "fail")
EARNED_TYPE = "DECIMAL(9,2)"


@dataclass
class PackSQL:
    pack: CompiledPack
    rules: list[CompiledSQL]
    needs: list[Need]
    fallback: dict[str, str] = field(default_factory=dict)  # rule id → why it could not be compiled

    def _stages(self, table: str) -> tuple[exp.Select, exp.Select, exp.Select]:
        graded_cols: list[Any] = [col("unit_id")]
        scored_cols: list[Any] = [col("unit_id")]
        finished_cols: list[Any] = [col("unit_id")]
        for rule in self.rules:
            rid = rule.rule_id
            has_status = not isinstance(rule.status, exp.Null)
            if has_status:
                graded_cols.append(exp.alias_(rule.status, f"s:{rid}", quoted=True))
                scored_cols.append(col(f"s:{rid}"))
            graded_cols.append(exp.alias_(rule.earned, f"g:{rid}", quoted=True))
            scored_cols.append(exp.alias_(rule.clamp(col(f"g:{rid}")), f"c:{rid}", quoted=True))
            status = col(f"s:{rid}") if has_status else exp.Null()
            clamped = col(f"c:{rid}")
            points = rule.points_of(clamped)
            earned = case((exp.Is(this=status, expression=exp.Null()), points), default=num(0)) if has_status else points
            earned = exp.Cast(this=earned, to=exp.DataType.build(EARNED_TYPE))  # ≤ 1000.00: 32-bit, cheap to write
            finished_cols.append(exp.alias_(rule.outcome_of(status, clamped), f"o:{rid}", quoted=True))
            finished_cols.append(exp.alias_(earned, f"p:{rid}", quoted=True))
        graded = exp.select(*graded_cols).from_(exp.to_table(table))
        return graded, exp.select(*scored_cols).from_("graded"), exp.select(*finished_cols).from_("scored")

    def _triples(self) -> list[tuple[exp.Expression, exp.Expression, exp.Expression]]:
        return [(exp.Literal.string(r.rule_id), col(f"o:{r.rule_id}"), col(f"p:{r.rule_id}")) for r in self.rules]

    def _unpivot(self, dialect: str) -> Any:
        """The long table from ``finished``: one pass that turns the rule columns into rows."""
        names = ("rule_id", "outcome", "earned")
        if dialect == "duckdb":
            structs = [exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in zip(names, t, strict=True)])
                       for t in self._triples()]
            unnest = exp.Unnest(expressions=[exp.Array(expressions=structs)])
            inner = exp.select(col("unit_id"), exp.alias_(unnest, "r")).from_("finished")
            return exp.select(col("unit_id"), *[exp.Dot(this=exp.column("r"), expression=exp.to_identifier(k)).as_(k) for k in names]).from_(
                exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("u"))))
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
        graded, scored, finished = self._stages(table)
        long = self._unpivot(dialect)
        return long.with_("graded", as_=graded).with_("scored", as_=scored).with_("finished", as_=finished)

    def sql(self, dialect: str = "duckdb", table: str = "units") -> str:
        return self.query(table, dialect).sql(dialect=dialect)


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
