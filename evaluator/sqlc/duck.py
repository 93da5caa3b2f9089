"""Run a compiled pack on DuckDB over flat unit rows (Python dicts, Arrow tables, CSV or Parquet)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from evaluator.sqlc.flat import Need
from evaluator.sqlc.runner import PackSQL

DECIMAL_TYPE = "DECIMAL(38,10)"
# Needs that are counts (always whole numbers): stored as DECIMAL(18,0), a 64-bit integer. DuckDB converts a
# 128-bit DECIMAL(38,10) to DOUBLE or rounds it ~10× slower than a 64-bit one; integer fields and counts are
# exact in 18 digits (unit data is at most 10^12), so nothing changes but the speed.
COUNT_NEEDS = frozenset({"ev_count", "ev_req", "ev_count_m", "inc_n", "pt_n", "pt_s", "pt_p", "pb", "sv_n", "sv_y"})


def arrow_schema(needs: list[Need], pack_sql: PackSQL) -> Any:
    """Column types of the flat table by the data dictionary: DECIMAL(18,0) for integer fields and counts,
    DECIMAL(38,10) for other numbers, DATE, BOOLEAN or VARCHAR."""
    import pyarrow as pa

    fields = {f.name: f for f in pack_sql.pack.file.fields}
    columns = [pa.field("unit_id", pa.string())]
    for need in needs:
        columns.append(pa.field(need.column, _arrow_type(need, fields)))
    return pa.schema(columns)


def _scalar_type(kind: str) -> Any:
    import pyarrow as pa

    if kind == "integer":
        return pa.decimal128(18, 0)
    if kind in ("number", "percent"):
        return pa.decimal128(38, 10)
    return {"boolean": pa.bool_(), "date": pa.date32()}.get(kind, pa.string())


def _arrow_type(need: Need, fields: dict[str, Any]) -> Any:
    import pyarrow as pa

    if need.kind == "f":
        definition = fields.get(need.args[0])
        if definition is not None and definition.type == "list":
            items = [pa.field(i.name, _scalar_type(i.type)) for i in definition.item_fields or []]
            return pa.list_(pa.struct(items))
        return _scalar_type(definition.type if definition else "text")
    if need.kind in ("unit_type", "jl"):
        return pa.string()
    if need.kind in ("inc", "as_of", "period_start", "period_end"):
        return pa.date32()
    if need.kind in COUNT_NEEDS:
        return pa.decimal128(18, 0)
    return pa.decimal128(38, 10)


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | dt.date):
        return value
    if isinstance(value, list):
        return [{k: _cell(v) for k, v in row.items()} for row in value]
    if isinstance(value, Decimal | int | float):
        return Decimal(str(value)).quantize(Decimal("1e-10"))
    return value


def rows_to_arrow(rows: list[dict[str, Any]], needs: list[Need], pack_sql: PackSQL) -> Any:
    import pyarrow as pa

    schema = arrow_schema(needs, pack_sql)
    data = {name: [_cell(row.get(name)) for row in rows] for name in schema.names}
    return pa.table(data, schema=schema)


def run_duckdb(pack_sql: PackSQL, table: Any, connection: Any | None = None) -> list[tuple[str, str, str, Decimal]]:
    """Score ``table`` (Arrow) and return (unit_id, rule_id, outcome, earned) rows sorted by unit and rule."""
    import duckdb

    con = connection or duckdb.connect()
    con.register("units", table)
    result = con.execute(pack_sql.sql("duckdb") + " ORDER BY unit_id, rule_id").fetchall()
    return [(r[0], r[1], r[2], Decimal(str(r[3])).quantize(Decimal("0.01"))) for r in result]
