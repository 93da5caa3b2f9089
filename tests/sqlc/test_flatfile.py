"""The pure-SQL path (flatten → score-flat → Parquet) gives the reference totals, grades and outcomes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb

from cli import main
from tests.conftest import RULES


def test_flat_path_matches_reference(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    samples = sorted(str(p) for p in (RULES / "wmdw/samples").glob("*.yaml"))
    flat = tmp_path / "flat.parquet"
    assert runner.invoke(main, ["flatten", *samples, "--pack", "wmdw", "-o", str(flat)]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(main, ["score-flat", str(flat), "--pack", "wmdw", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = {r[0]: r for r in duckdb.sql(f"SELECT unit_id, total, grade, passed, disqualified FROM '{out / 'unit_summary.parquet'}'").fetchall()}
    reference = json.loads(runner.invoke(main, ["evaluate", *samples, "-f", "json"]).output)
    for unit in reference["units"]:
        row = summary[unit["unit"]["id"]]
        assert row[1] == Decimal(str(unit["total"])).quantize(Decimal("0.01"))
        assert (row[2], row[3], row[4]) == (unit["grade"], unit["passed"], unit["disqualified"])
    long = duckdb.sql(f"SELECT unit_id, rule_id, outcome, earned FROM '{out / 'rule_results.parquet'}'").fetchall()
    expected = {(u["unit"]["id"], r["rule_id"]): (r["outcome"], Decimal(str(r["earned"])).quantize(Decimal("0.01")))
                for u in reference["units"] for r in u["rules"]}
    assert len(long) == 3 * 26
    for unit_id, rule_id, outcome, earned in long:
        assert expected[(unit_id, rule_id)] == (outcome, earned), (unit_id, rule_id)


def test_missing_columns_are_reported(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,f:职工人数\nU1,12\n", encoding="utf-8")
    result = runner.invoke(main, ["score-flat", str(bad), "--pack", "wmdw", "-o", str(tmp_path / "o")])
    assert result.exit_code == 4
    assert "平铺表缺少列" in result.output
    assert not (tmp_path / "o").exists()


def test_sql_command_lists_sql(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["sql", "wmdw", "--dialect", "spark"])
    assert result.exit_code == 0
    assert "FILTER(" in result.output and "`unit_id`" in result.output  # Spark dialect: lambdas and backtick quoting
