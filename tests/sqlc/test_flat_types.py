"""The flat layout's numeric types and the DuckDB fast path: 64-bit counts, wide DECIMAL inputs taken as they
are, readable one-byte rule/outcome columns, the missing/error flag simplifications being exact (three-valued,
exhaustive), narrow constants, and constant ladders finished at compile time giving what the SQL computes."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
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


def _plain_case(whens: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression) -> exp.Expression:
    node = exp.Case()
    for cond, value in whens:
        node = node.when(cond.copy(), value.copy())
    return node.else_(default.copy())


def test_case_drops_flags_that_earlier_whens_already_ruled_out() -> None:
    """The status CASE tests each operand's missing flag once: later WHENs lose the ``NOT x IS NULL`` guards that
    an earlier never-NULL WHEN already settled — the same answer as the unsimplified CASE for every
    TRUE/FALSE/NULL input (``m1``/``m2`` stand for IS NULL tests, ``e``, ``g`` for any three-valued test)."""
    from evaluator.sqlc.sql import case, not_

    names = ["m1", "m2", "e", "g"]
    miss1, miss2 = (exp.Is(this=col(n), expression=exp.Null()) for n in ("m1", "m2"))
    err = and_(not_(miss1), not_(miss2), col("e"))
    later = or_(and_(not_(miss1.copy()), col("g")), miss2.copy())
    whens = [(or_(miss1, miss2), exp.Literal.string("missing")), (err, exp.Literal.string("error")),
             (later, exp.Literal.string("missing"))]
    new = case(*whens, default=exp.Null())
    old = _plain_case(whens, exp.Null())
    assert "NOT" not in new.sql("duckdb")  # every guard was settled by the first WHEN
    assert len(new.sql("duckdb")) < len(old.sql("duckdb"))
    values = ["TRUE", "FALSE", "NULL"]
    rows = ", ".join("(" + ", ".join(combo) + ")" for combo in itertools.product(values, repeat=len(names)))
    query = (f"SELECT COUNT(*) FROM (VALUES {rows}) t({', '.join(names)}) "
             f"WHERE ({new.sql('duckdb')}) IS DISTINCT FROM ({old.sql('duckdb')})")
    assert duckdb.sql(query).fetchall() == [(0,)]


def test_case_keeps_guards_after_a_when_that_may_be_null() -> None:
    """A WHEN that can be NULL (a comparison) proves nothing about later WHENs: nothing is dropped."""
    from evaluator.sqlc.sql import case, not_

    cond = exp.GT(this=col("a"), expression=num(1))
    later = and_(not_(cond.copy()), col("g"))
    assert case((cond, num(1)), (later, num(2)), default=num(0)).sql() == _plain_case([(cond, num(1)), (later, num(2))], num(0)).sql()


@pytest.mark.parametrize(("text", "expected"), [
    ("0", "DECIMAL(1,0)"), ("12", "DECIMAL(2,0)"), ("100", "DECIMAL(3,0)"), ("0.495", "DECIMAL(3,3)"),
    ("-0.5", "DECIMAL(1,1)"), ("1000.25", "DECIMAL(6,2)"), ("123456789012345678", "DECIMAL(18,0)"),
    ("1234567890123456789", "DECIMAL(38,10)"), ("0.00000000001", "DECIMAL(38,10)"),
])
def test_constants_get_the_narrowest_exact_decimal(text: str, expected: str) -> None:
    from evaluator.sqlc.sql import literal_type

    assert literal_type(text) == expected
    if expected != "DECIMAL(38,10)":  # the value is kept exactly
        assert duckdb.sql(f"SELECT CAST('{text}' AS {expected}) = CAST('{text}' AS DECIMAL(38,11))").fetchall() == [(True,)]


@pytest.mark.parametrize("scale", [0, 1, 2, 3, 4])
def test_narrow_constants_convert_to_the_same_double(scale: int) -> None:
    """Products and quotients go through DOUBLE in DuckDB: every constant with ≤ 4 places up to ±10^5 (the
    range of points, thresholds and coefficients in packs) converts to the same DOUBLE from its narrow type
    (16-, 32- or 64-bit storage) as from DECIMAL(38,10). Exhaustive over 2·10^6 values per scale."""
    span = 2 * 10**6 // 2
    query = f"""
        SELECT COUNT(*) FROM (SELECT CAST(CAST(i AS DECIMAL(18,0)) / {10**scale} AS DECIMAL(18,{scale})) AS v
                              FROM range(-{span}, {span}) t(i))
        WHERE CAST(CAST(v AS DECIMAL(38,10)) AS DOUBLE) IS DISTINCT FROM CAST(v AS DOUBLE)
           OR CAST(CAST(v AS DECIMAL(9,{scale})) AS DOUBLE) IS DISTINCT FROM CAST(v AS DOUBLE)
           OR (ABS(v) < {10**(4 - scale)} AND CAST(CAST(v AS DECIMAL(4,{scale})) AS DOUBLE) IS DISTINCT FROM CAST(v AS DOUBLE))"""
    assert duckdb.sql(query).fetchall() == [(0,)]


@pytest.mark.parametrize("max_points", ["1", "1.5", "0.8", "2.5", "10"])
def test_ladder_steps_are_finished_as_the_query_would(max_points: str) -> None:
    """A rule whose earned points are a CASE of constants gets each step's outcome and points at compile time;
    they equal what the clamp/outcome/points SQL computes from the same constant, for every constant with
    ≤ 3 places from −1 to max + 1 (level × points and band points, including ones outside [0, max])."""
    from decimal import Decimal

    from evaluator.sqlc.compile_rule import CompiledSQL
    from evaluator.sqlc.runner import outcome_literal

    rule = CompiledSQL("R", exp.Null(), col("v"), Decimal(max_points))
    top = int(Decimal(max_points) * 1000) + 1000
    values = [Decimal(i) / 1000 for i in range(-1000, top + 1)]
    clamped = rule.clamp(col("v"))
    query = (f"SELECT v, CAST({rule.outcome_of(exp.Null(), clamped, outcome_literal).sql('duckdb')} AS VARCHAR), "
             f"CAST({rule.points_of(clamped).sql('duckdb')} AS DECIMAL(9,2)) "
             f"FROM (SELECT CAST(v AS DECIMAL(18,3)) AS v FROM (SELECT UNNEST(?::VARCHAR[]) AS v)) ORDER BY v")
    rows = duckdb.execute(query, [[str(v) for v in values]]).fetchall()
    assert len(rows) == len(values)
    for value, outcome, points in rows:
        assert rule.finish_constant(value) == (outcome, points), value


def test_only_constant_ladders_take_the_step_path() -> None:
    from decimal import Decimal

    from evaluator.sqlc.compile_rule import CompiledSQL
    from evaluator.sqlc.runner import ladder_sql
    from evaluator.sqlc.sql import case

    ladder = case((col("a"), num(Decimal("1.5"))), (col("b"), num(Decimal("0.495"))), default=num(0))
    assert CompiledSQL("R", exp.Null(), ladder, Decimal("1.5")).ladder() is not None
    assert CompiledSQL("R", exp.Null(), num(Decimal(3)), Decimal("1.5")).ladder() == ([], Decimal(3))
    computed = case((col("a"), num(1)), default=exp.Sub(this=num(1), expression=col("n")))
    assert CompiledSQL("R", exp.Null(), computed, Decimal(1)).ladder() is None
    assert CompiledSQL("R", exp.Null(), case((col("a"), num(Decimal("0.0000000001"))), default=num(0)), Decimal(1)).ladder() is None
    pack = load_pack_or_raise("wmcs")
    by_model = {r.id: r.rule.grading.model for r in pack.scored_rules()}
    for rule in plan(pack).pack_sql.rules:
        if by_model[rule.rule_id] in ("checklist", "sample", "problem_count", "bands", "pass_fail"):
            assert rule.ladder() is not None and ladder_sql(rule) is not None, rule.rule_id
        elif by_model[rule.rule_id] == "deduction":
            assert rule.ladder() is None, rule.rule_id


def test_status_and_ladder_fold_into_one_code() -> None:
    """A ladder rule is graded as one code: its status WHENs first, then its steps; the same (outcome, points)
    pair gets one code, the ladder's default is code 0."""
    from decimal import Decimal

    from evaluator.sqlc.compile_rule import CompiledSQL
    from evaluator.sqlc.runner import ladder_sql, status_whens
    from evaluator.sqlc.sql import case

    missing = exp.Is(this=col("a"), expression=exp.Null())
    status = case((missing, exp.Literal.string("missing")), (col("bad"), exp.Literal.string("error")), default=exp.Null())
    earned = case((exp.GTE(this=col("a"), expression=num(3)), num(2)), (exp.GTE(this=col("a"), expression=num(1)), num(1)), default=num(0))
    rule = CompiledSQL("R", status, earned, Decimal(2))
    assert status_whens(status) == [(missing, "missing"), (col("bad"), "error")]
    ladder = ladder_sql(rule)
    assert ladder is not None
    assert ladder.pairs == [("fail", Decimal("0.00")), ("missing", Decimal(0)), ("error", Decimal(0)),
                            ("pass", Decimal("2.00")), ("partial", Decimal("1.00"))]
    assert ladder_sql(CompiledSQL("R", exp.Coalesce(this=col("s"), expressions=[col("t")]), earned, Decimal(2))) is None


def test_single_row_group_parquet_is_detected(tmp_path: Path) -> None:
    """A big flat table written as one row group is scored on one core: score-flat says how to write it instead."""
    from evaluator.sqlc.flatfile import ROW_GROUP_ROWS, single_threaded_parquet

    table = pa.table({"unit_id": [f"U{i}" for i in range(2 * ROW_GROUP_ROWS + 1)]})
    pq.write_table(table, tmp_path / "one.parquet", row_group_size=len(table))
    pq.write_table(table, tmp_path / "many.parquet", row_group_size=ROW_GROUP_ROWS)
    assert single_threaded_parquet(tmp_path / "one.parquet")
    assert not single_threaded_parquet(tmp_path / "many.parquet")
    assert not single_threaded_parquet(tmp_path / "x.csv")


def test_bad_value_in_a_csv_flat_table_skips_only_that_row(tmp_path: Path) -> None:
    """'约12' in a number column: D331 at file:line:col with the value, the row's unit is not scored, the others are, exit 4."""
    import csv

    from tests.conftest import RULES

    runner = CliRunner()
    flat = tmp_path / "平铺.csv"
    samples = sorted(str(p) for p in (RULES / "jkcs" / "samples").glob("*.yaml"))
    assert runner.invoke(main, ["flatten", *samples, "--pack", "jkcs", "-o", str(flat)]).exit_code == 0
    rows = list(csv.reader(flat.open(encoding="utf-8")))
    column = rows[0].index("f:严重精神障碍患者规范管理率")
    bad_unit, rows[2][column] = rows[2][0], "约12"
    with flat.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = runner.invoke(main, ["score-flat", str(flat), "--pack", "jkcs", "-o", str(tmp_path / "out")])
    assert result.exit_code == 4, result.output
    assert "error[D331]: 平铺表第 3 行“f:严重精神障碍患者规范管理率”列的值 '约12' 不是数字，这一行的单位未评分" in result.output
    assert f"平铺.csv:3:{column + 1}" in result.output
    scored = [r[0] for r in duckdb.sql(f"SELECT unit_id FROM '{tmp_path / 'out' / 'unit_summary.parquet'}' ORDER BY 1").fetchall()]
    assert scored == sorted(r[0] for r in rows[1:] if r[0] != bad_unit) and len(scored) == len(rows) - 2
