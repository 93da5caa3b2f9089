"""Score a flat table (CSV or Parquet, one row per unit, one column per ``Need``) entirely in SQL and write
Parquet: ``unit_summary.parquet`` (total, grade, pass, disqualified) and ``rule_results.parquet`` (the long
unit × rule table). This is the path for hundreds of thousands to millions of units.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.compiled import CompiledPack
from evaluator.errors import Diagnostic, Location, UnitDataError, usage_error
from evaluator.sqlc.flat import Need
from evaluator.sqlc.rollup_sql import summary_sql
from evaluator.sqlc.runner import PackSQL, compile_pack_sql

#: Rows per Parquet row group when civic writes a flat table. DuckDB splits a Parquet scan by row group, so a file
#: written as one group is scored on one thread; 122,880 rows is DuckDB's own row-group size (measured: 1 M wmcs
#: units 14 s wall on one group → 7 s with these groups on 2 cores).
ROW_GROUP_ROWS = 122_880


def single_threaded_parquet(source: Path) -> bool:
    """Whether ``source`` is a Parquet file too big to be one row group but written as one: DuckDB then uses one core."""
    if source.suffix.lower() != ".parquet":
        return False
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(source).metadata
    return bool(meta.num_row_groups == 1 and meta.num_rows > 2 * ROW_GROUP_ROWS)


@dataclass
class FlatPlan:
    pack_sql: PackSQL
    summary: str
    needs: list[Need]


def plan(pack: CompiledPack) -> FlatPlan:
    pack_sql = compile_pack_sql(pack)
    if pack_sql.fallback:
        listed = "；".join(f"{rule}（{why}）" for rule, why in sorted(pack_sql.fallback.items()))
        raise usage_error("U050", f"以下规则无法编译为 SQL，不能用纯 SQL 路径评分：{listed}",
                          hint="改用 civic batch（逐单位评测，自动回退到参考评测器）")
    needs = set(pack_sql.needs)
    summary = summary_sql(pack, needs)
    pack_sql.needs = sorted(needs)
    return FlatPlan(pack_sql, summary, pack_sql.needs)


def _source_sql(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{quoted}')"
    if path.suffix.lower() in (".csv", ".txt"):
        return f"read_csv('{quoted}', header=true, all_varchar=true)"
    raise usage_error("U051", f"不支持的平铺表格式：{path.suffix}", hint="使用 .parquet 或 .csv（UTF-8）")


def _typed_view(con: Any, plan_: FlatPlan, path: Path) -> list[Diagnostic]:
    """Expose the input as ``units`` with the column types the compiled SQL expects; report missing columns.
    Rows of a text (CSV) table with a value that is not of its column's type ('约12' in a number column) are left
    out of ``units`` and returned as located diagnostics, so one bad row never stops the others being scored."""
    from evaluator.sqlc.duck import arrow_schema

    text = path.suffix.lower() != ".parquet"
    numbered = ", row_number() OVER () AS __civic_row" if text else ""
    con.execute(f"CREATE VIEW raw_units AS SELECT *{numbered} FROM {_source_sql(path)}")
    present = {row[0] for row in con.execute("DESCRIBE raw_units").fetchall()}
    schema = arrow_schema(plan_.needs, plan_.pack_sql)
    missing = [name for name in schema.names if name not in present]
    if missing:
        raise UnitDataError([Diagnostic("D330", f"平铺表缺少列：{'、'.join(missing[:20])}{' 等' if len(missing) > 20 else ''}（共 {len(missing)} 列）",
                                        Location(str(path)), hint="用 civic flatten 生成平铺表，或按 civic sql --columns 列出的列名准备数据")])
    raw_types = {row[0]: row[1] for row in con.execute("DESCRIBE raw_units").fetchall()}
    casts: list[str] = []
    checks: list[tuple[str, str]] = []
    for field in schema:
        name = field.name.replace('"', '""')
        duck_type = _cast_type(field.type, raw_types.get(field.name, ""))
        casts.append(f'CAST("{name}" AS {duck_type}) AS "{name}"' if duck_type else f'"{name}"')
        if duck_type and raw_types.get(field.name) == "VARCHAR" and duck_type != "VARCHAR":
            checks.append((field.name, duck_type))
    any_bad = " OR ".join(_unreadable(n, t) for n, t in checks) if text and checks else "false"
    con.execute(f"CREATE VIEW rejected_units AS SELECT * FROM raw_units WHERE {any_bad}")
    con.execute(f"CREATE VIEW units AS SELECT {', '.join(casts)} FROM raw_units WHERE NOT ({any_bad})")
    return _bad_text_values(con, checks, path) if text and checks else []


def _unreadable(name: str, duck_type: str) -> str:
    """SQL: the column has a value its type cannot read (never NULL, so ``NOT`` of it is safe)."""
    quoted = name.replace('"', '""')
    return f'("{quoted}" IS NOT NULL AND TRY_CAST("{quoted}" AS {duck_type}) IS NULL)'


def _bad_text_values(con: Any, checks: list[tuple[str, str]], path: Path) -> list[Diagnostic]:
    """One diagnostic per row of ``rejected_units`` (file:line:column, the value, the type expected), in file order.
    Line = data row + 1 (the header is line 1)."""
    picks = ", ".join(f'CASE WHEN {_unreadable(n, t)} THEN "{n.replace(chr(34), chr(34) * 2)}" END' for n, t in checks)
    rows = con.execute(f"SELECT __civic_row, {picks} FROM rejected_units ORDER BY __civic_row").fetchall()
    header = [row[0] for row in con.execute("DESCRIBE raw_units").fetchall()]
    diagnostics = []
    for number, *values in rows:
        found = [(name, duck_type, value) for (name, duck_type), value in zip(checks, values, strict=True) if value is not None]
        name, duck_type, value = found[0]
        more = f"（同一行另有 {len(found) - 1} 列也不对）" if len(found) > 1 else ""
        diagnostics.append(Diagnostic(
            "D331", f"平铺表第 {number + 1} 行“{name}”列的值 '{value}' 不是{_TYPE_WORDS.get(duck_type.split('(')[0], duck_type)}，这一行的单位未评分{more}",
            Location(str(path), number + 1, header.index(name) + 1), "error",
            "改正这个值（数字不带单位和汉字，是否填 true/false，日期写成 2024-05-01）后重新运行"))
    return diagnostics


def rejected_text_rows(plan_: FlatPlan, path: Path) -> tuple[list[Diagnostic], list[str]]:
    """For engines that read a CSV flat table themselves (Spark): the D331 diagnostics of its bad rows and the unit
    ids of those rows, found with DuckDB exactly as ``score_flat`` finds them."""
    import duckdb

    con = duckdb.connect()
    try:
        bad = _typed_view(con, plan_, path)
        ids = [r[0] for r in con.execute('SELECT "unit_id" FROM rejected_units ORDER BY __civic_row').fetchall()] if bad else []
    finally:
        con.close()
    return bad, ids


_TYPE_WORDS = {"DECIMAL": "数字", "BIGINT": "整数", "INTEGER": "整数", "BOOLEAN": "是否值（true/false）", "DATE": "日期"}


def _cast_type(arrow_type: Any, raw_type: str) -> str | None:
    """The cast a flat column needs, or None. A DECIMAL input with at most 10 places is taken as it is (exact
    whatever its width; casting a 128-bit DECIMAL to a narrower one costs more than it saves); text (CSV) is
    read as DECIMAL(38,10) so a stray fraction in a count is kept, not rounded; anything else gets the
    layout's type."""
    import pyarrow as pa

    if pa.types.is_decimal(arrow_type):
        match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", raw_type.replace(" ", ""))
        if match and int(match.group(2)) <= 10:
            return None
        if raw_type == "VARCHAR":
            return "DECIMAL(38,10)"
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    return sql_type(arrow_type)


def sql_type(arrow_type: Any, string: str = "VARCHAR") -> str | None:
    """The SQL type a flat column is cast to (DuckDB says VARCHAR, Spark STRING); None for nested list columns,
    which are taken as they are (Parquet only)."""
    import pyarrow as pa

    if pa.types.is_decimal(arrow_type):
        return "DECIMAL(38,10)"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_string(arrow_type):
        return string
    return None


def publish(work: Path, out_dir: Path) -> None:
    """Swap the finished ``work`` folder in as ``out_dir`` (a reader never sees half-written results)."""
    if out_dir.exists():
        backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
        os.replace(out_dir, backup / "old")
        os.replace(work, out_dir)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(work, out_dir)


def missing_columns_error(missing: list[str], path: Path) -> UnitDataError:
    """The error ``_typed_view`` raises, for engines that read the flat table themselves (Spark)."""
    return UnitDataError([Diagnostic("D330", f"平铺表缺少列：{'、'.join(missing[:20])}{' 等' if len(missing) > 20 else ''}（共 {len(missing)} 列）",
                                    Location(str(path)), hint="用 civic flatten 生成平铺表，或按 civic sql --columns 列出的列名准备数据")])


def write_results(con: Any, plan_: FlatPlan, pack: CompiledPack, work: Path) -> None:
    """Evaluate every rule once into a wide in-memory table (one row per unit, a one-byte outcome and a 32-bit
    earned column per rule), then write the long table and the summary from it: the summary's sums come from
    the wide columns instead of re-reading the unit × rule rows."""
    con.execute(f"CREATE TEMP TABLE finished AS {plan_.pack_sql.wide_sql('units')}")
    rules_file, summary_file = work / "rule_results.parquet", work / "unit_summary.parquet"
    con.execute(f"COPY ({plan_.pack_sql.long_from_finished_sql()}) TO '{rules_file}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    summary = summary_sql(pack, set(plan_.needs), wide_table="finished")
    con.execute(f"COPY ({summary}) TO '{summary_file}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    con.execute("DROP TABLE finished")


def score_flat(pack: CompiledPack, source: Path, out_dir: Path, threads: int | None = None, memory_limit: str | None = None) -> dict[str, Any]:
    """Run the whole pack over ``source`` with DuckDB; write both Parquet files atomically into ``out_dir``."""
    import duckdb

    plan_ = plan(pack)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would interleave with the CLI's messages
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{work / 'spill'}'")
        rejected = _typed_view(con, plan_, source)
        write_results(con, plan_, pack, work)
        units = con.execute(f"SELECT COUNT(*) FROM read_parquet('{work / 'unit_summary.parquet'}')").fetchone()[0]  # type: ignore[index]
        con.close()
        shutil.rmtree(work / "spill", ignore_errors=True)
        publish(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return {"units": units, "rules": len(plan_.pack_sql.rules), "rule_evaluations": units * len(plan_.pack_sql.rules),
            "rejected": rejected}
