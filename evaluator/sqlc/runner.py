"""Build the scoring query for a pack and run it on DuckDB (Spark uses the same sqlglot tree, other dialect).

Query shape (portable SQL: CTEs, CASE, UNION ALL — no engine-specific features):

    WITH scored AS (SELECT unit_id, <outcome R1> AS "o:R1", <points R1> AS "p:R1", … FROM units)
    SELECT unit_id, 'R1' AS rule_id, "o:R1" AS outcome,
           CASE WHEN "o:R1" IN ('pass','partial','fail') THEN "p:R1" ELSE 0 END AS earned FROM scored
    UNION ALL …
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from evaluator.compiled import CompiledPack
from evaluator.sqlc.compile_rule import CompiledSQL, compile_rule_sql
from evaluator.sqlc.flat import Need
from evaluator.sqlc.sql import Unsupported, case, col, num

GRADED = ("pass", "partial", "fail")


@dataclass
class PackSQL:
    pack: CompiledPack
    rules: list[CompiledSQL]
    needs: list[Need]
    fallback: dict[str, str] = field(default_factory=dict)  # rule id → why it could not be compiled

    def query(self, table: str = "units") -> exp.Expression:
        selects = [col("unit_id")]
        for rule in self.rules:
            selects.append(exp.alias_(rule.outcome, f"o:{rule.rule_id}", quoted=True))
            selects.append(exp.alias_(rule.points, f"p:{rule.rule_id}", quoted=True))
        scored = exp.select(*selects).from_(exp.to_table(table))
        parts = []
        for rule in self.rules:
            o, p = col(f"o:{rule.rule_id}"), col(f"p:{rule.rule_id}")
            earned = case((exp.In(this=o, expressions=[exp.Literal.string(x) for x in GRADED]), p), default=num(0))
            parts.append(exp.select(col("unit_id"), exp.alias_(exp.Literal.string(rule.rule_id), "rule_id"),
                                    exp.alias_(o, "outcome"), exp.alias_(earned, "earned")).from_("scored"))
        union: exp.Expression = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        return exp.select("*").from_(exp.Subquery(this=union, alias="long")).with_("scored", as_=scored)

    def sql(self, dialect: str = "duckdb", table: str = "units") -> str:
        return self.query(table).sql(dialect=dialect)


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
