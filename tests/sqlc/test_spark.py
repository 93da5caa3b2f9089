"""Spark gives the same cells as the reference (and so as DuckDB), and ``score-flat --engine spark`` writes the
same two Parquet files as DuckDB. One SparkSession for the whole test session (JVM start-up takes seconds).

Packs: the largest (wmcs), the first (wmdw) and two more; gwcs and aws are left to DuckDB here because
Spark's analyser takes a minute or more on their long CASE expressions (see docs/engines.md).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - CI installs Java
    pytest.skip("Spark needs Java", allow_module_level=True)

import duckdb  # noqa: E402

from cli import main  # noqa: E402
from evaluator.errors import DiagnosticSink  # noqa: E402
from evaluator.loader import REPO_RULES, load_pack  # noqa: E402
from evaluator.sqlc.engine import sql_cells  # noqa: E402
from tests.conftest import RULES  # noqa: E402
from tests.sqlc.test_differential import _reference, _units_of  # noqa: E402

SPARK_PACKS = ["wmdw", "wmcs", "jkcs", "wcn"]


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    from evaluator.sqlc.spark import spark_session, stop_sessions

    session = spark_session("local[2]")
    yield session
    stop_sessions()


@pytest.mark.parametrize("pack_id", SPARK_PACKS)
def test_spark_matches_reference(spark, pack_id: str) -> None:  # type: ignore[no-untyped-def]
    pack = load_pack(REPO_RULES / pack_id, DiagnosticSink())
    assert pack is not None
    items = _units_of(pack)
    run = sql_cells(pack, [u for u, _ in items], None, backend="spark")
    mismatches = []
    for item, as_of in items:
        for rule_id, cell in _reference(pack, item, as_of).items():
            if rule_id not in run.pack_sql.fallback and run.cells[(item.unit.unit.id, rule_id)] != cell:
                mismatches.append(f"{item.unit.unit.id} {rule_id}: spark={run.cells[(item.unit.unit.id, rule_id)]} ref={cell}")
    assert len(run.cells) == len(items) * len(run.pack_sql.rules)
    assert not mismatches, "\n".join(mismatches[:30])


def test_spark_keeps_decimal_places(spark) -> None:  # type: ignore[no-untyped-def]
    """DECIMAL(38,10) × DECIMAL(38,10) has scale 6 in Spark; the compiler narrows operands to keep ≥ 10."""
    from sqlglot import exp

    from evaluator.sqlc.spark import spark_arithmetic
    from evaluator.sqlc.sql import num

    wide = "DECIMAL(38,10)"  # the type of number columns (constants alone are narrower, see sql.literal_type)
    product = exp.Mul(this=num(Decimal("0.0000001"), wide), expression=num(Decimal("3"), wide))
    fixed = spark_arithmetic(exp.select(product.as_("x"))).sql("spark")
    assert spark.sql(fixed).collect()[0][0] == Decimal("0.0000003")
    assert spark.sql(exp.select(product.as_("x")).sql("spark")).collect()[0][0] == Decimal("0")  # what Spark does unaided


def test_score_flat_spark_equals_duckdb(spark, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    samples = sorted(str(p) for p in (RULES / "wmdw/samples").glob("*.yaml"))
    flat = tmp_path / "flat.parquet"
    assert runner.invoke(main, ["flatten", *samples, "--pack", "wmdw", "-o", str(flat)]).exit_code == 0
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        result = runner.invoke(main, ["score-flat", str(flat), "--pack", "wmdw", "-o", str(out), "--engine", engine])
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == ["rule_results.parquet", "unit_summary.parquet"]
        outputs[engine] = {name: duckdb.sql(f"SELECT * FROM '{out / name}' ORDER BY ALL").fetchall()
                           for name in ("rule_results.parquet", "unit_summary.parquet")}
    assert outputs["spark"] == outputs["duckdb"]
    assert len(outputs["spark"]["rule_results.parquet"]) == 3 * 26


def test_score_flat_spark_reports_missing_columns(spark, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,f:职工人数\nU1,12\n", encoding="utf-8")
    result = runner.invoke(main, ["score-flat", str(bad), "--pack", "wmdw", "-o", str(tmp_path / "o"), "--engine", "spark"])
    assert result.exit_code == 4
    assert "平铺表缺少列" in result.output
    assert not (tmp_path / "o").exists()


def test_score_flat_spark_skips_a_bad_csv_row_like_duckdb(spark, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """'约12' in a number column of a CSV flat table: Spark reports the same D331 and scores the same other units."""
    import csv

    flat = tmp_path / "平铺.csv"
    samples = sorted(str(p) for p in (RULES / "jkcs" / "samples").glob("*.yaml"))
    assert runner.invoke(main, ["flatten", *samples, "--pack", "jkcs", "-o", str(flat)]).exit_code == 0
    rows = list(csv.reader(flat.open(encoding="utf-8")))
    rows[1][rows[0].index("f:严重精神障碍患者规范管理率")] = "约12"
    with flat.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        result = runner.invoke(main, ["score-flat", str(flat), "--pack", "jkcs", "-o", str(out), "--engine", engine])
        assert result.exit_code == 4, result.output
        assert "error[D331]: 平铺表第 2 行“f:严重精神障碍患者规范管理率”列的值 '约12' 不是数字" in result.output
        outputs[engine] = duckdb.sql(f"SELECT unit_id, total, grade FROM '{out / 'unit_summary.parquet'}' ORDER BY 1").fetchall()
    assert outputs["duckdb"] == outputs["spark"] and len(outputs["spark"]) == len(rows) - 2
