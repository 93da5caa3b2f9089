"""The flat layout's numeric types and the DuckDB fast path: 64-bit counts, wide DECIMAL inputs taken as they
are, readable one-byte rule/outcome columns, and the missing/error flag simplification being exact."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from cli import main
from evaluator.loader import load_pack_or_raise
from evaluator.sqlc.compile_expr import T, is_zero, seq
from evaluator.sqlc.duck import COUNT_NEEDS, arrow_schema
from evaluator.sqlc.flatfile import plan
from evaluator.sqlc.runner import OUTCOMES
from evaluator.sqlc.sql import FALSE, TRUE, and_, col, num, or_
from tests.conftest import RULES


def _flat(runner: Any, tmp_path: Path) -> Path:
    samples = sorted(str(p) for p in (RULES / "wmdw/samples").glob("*.yaml"))
    flat = tmp_path / "flat.parquet"
    assert runner.invoke(main, ["flatten", *samples, "--pack", "wmdw", "-o", str(flat)]).exit_code == 0
    return flat


def _score(runner: Any, flat: Path, out: Path) -> dict[str, list[tuple[Any, ...]]]:
    result = runner.invoke(main, ["score-flat", str(flat), "--pack", "wmdw", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return {name: duckdb.sql(f"SELECT * FROM '{out / name}'").fetchall() for name in ("rule_results.parquet", "unit_summary.parquet")}


def test_counts_and_integer_fields_are_64_bit() -> None:
    pack = load_pack_or_raise("wmdw")
    plan_ = plan(pack)
    schema = arrow_schema(plan_.needs, plan_.pack_sql)
    kinds = {f.name: f.type for f in pack.file.fields}
    for need in plan_.needs:
        typ = schema.field(need.column).type
        if need.kind in COUNT_NEEDS or (need.kind == "f" and kinds.get(need.args[0]) == "integer"):
            assert typ == pa.decimal128(18, 0), need.column
        elif need.kind == "f" and kinds.get(need.args[0]) in ("number", "percent"):
            assert typ == pa.decimal128(38, 10), need.column


def test_wide_decimal_input_scores_the_same(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A flat table written by an older civic (every number DECIMAL(38,10)) is used as it is and scores the same."""
    flat = _flat(runner, tmp_path)
    table = pq.read_table(flat)
    wide_schema = pa.schema([pa.field(f.name, pa.decimal128(38, 10)) if pa.types.is_decimal(f.type) else f for f in table.schema])
    wide = tmp_path / "wide.parquet"
    pq.write_table(table.cast(wide_schema), wide)
    assert _score(runner, wide, tmp_path / "a") == _score(runner, flat, tmp_path / "b")


def test_long_table_columns_read_as_text(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    _score(runner, _flat(runner, tmp_path), out)
    schema = pq.read_schema(out / "rule_results.parquet")
    assert schema.names == ["unit_id", "rule_id", "outcome", "earned"]
    for name in ("unit_id", "rule_id", "outcome"):
        assert pa.types.is_string(schema.field(name).type), name
    assert schema.field("earned").type == pa.decimal128(9, 2)
    outcomes = {r[0] for r in duckdb.sql(f"SELECT DISTINCT outcome FROM '{out / 'rule_results.parquet'}'").fetchall()}
    assert outcomes and outcomes <= set(OUTCOMES)
    rules = [r[0] for r in duckdb.sql(f"SELECT rule_id FROM '{out / 'rule_results.parquet'}' LIMIT 26").fetchall()]
    pack = load_pack_or_raise("wmdw")
    assert rules == [r.id for r in pack.scored_rules() if r.rule.status == "stable"]  # pack order within a unit


def _original_seq(first: T, second: T, val: exp.Expression, extra: exp.Expression) -> T:
    miss = or_(first.miss, and_(first.ok, second.miss))
    err = or_(first.err, and_(first.ok, second.err), and_(first.ok, second.ok, extra))
    return T(val, miss, err)


@pytest.mark.parametrize("null_free_first", [True, False])
def test_flag_simplification_is_exact_in_three_valued_logic(null_free_first: bool) -> None:
    """``seq`` with never-NULL first flags gives the unsimplified formula's answer for every TRUE/FALSE/NULL input."""
    names = ["m1", "e1", "m2", "e2", "x"]
    first = T(col("v"), exp.Is(this=col("m1"), expression=exp.Null()), exp.Is(this=col("e1"), expression=exp.Null())) if null_free_first \
        else T(col("v"), col("m1"), col("e1"))
    second, extra = T(col("w"), col("m2"), col("e2")), col("x")
    new, old = seq(first, second, col("v"), extra), _original_seq(first, second, col("v"), extra)
    values = ["TRUE", "FALSE", "NULL"]
    rows = ", ".join("(" + ", ".join(combo) + ")" for combo in itertools.product(values, repeat=len(names)))
    query = (f"SELECT COUNT(*) FROM (VALUES {rows}) t({', '.join(names)}) "
             f"WHERE ({new.miss.sql('duckdb')}) IS DISTINCT FROM ({old.miss.sql('duckdb')}) "
             f"OR ({new.err.sql('duckdb')}) IS DISTINCT FROM ({old.err.sql('duckdb')})")
    assert duckdb.sql(query).fetchall() == [(0,)]


def test_division_by_a_constant_needs_no_zero_test() -> None:
    assert is_zero(num(0)) is TRUE
    assert is_zero(num(8)) is FALSE
    assert isinstance(is_zero(col("f:人数")), exp.EQ)


def test_repeated_operands_are_written_once() -> None:
    flag = exp.Is(this=col("f:记录"), expression=exp.Null())
    assert or_(flag, flag.copy(), flag.copy()).sql() == flag.sql()


def test_csv_flat_table_with_list_fields_is_refused_with_a_usage_error(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    samples = sorted(str(p) for p in (RULES / "wmdw/samples").glob("*.yaml"))
    result = runner.invoke(main, ["flatten", *samples, "--pack", "wmdw", "-o", str(tmp_path / "flat.csv")])
    assert result.exit_code == 2
    assert "U051" in result.output and "CSV 无法表示" in result.output and ".parquet" in result.output
    assert not (tmp_path / "flat.csv").exists()


def test_input_casts_keep_decimals_exact() -> None:
    from evaluator.sqlc.flatfile import _cast_type

    count = pa.decimal128(18, 0)
    assert _cast_type(count, "DECIMAL(38,10)") is None  # any DECIMAL with ≤ 10 places is used as it is
    assert _cast_type(count, "DECIMAL(18,0)") is None
    assert _cast_type(count, "VARCHAR") == "DECIMAL(38,10)"  # CSV text: a stray fraction is kept, not rounded
    assert _cast_type(count, "BIGINT") == "DECIMAL(18,0)"
    assert _cast_type(pa.decimal128(38, 10), "DECIMAL(38,20)") == "DECIMAL(38,10)"
    assert _cast_type(pa.date32(), "VARCHAR") == "DATE"
