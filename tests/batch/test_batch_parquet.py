"""rule_results.parquet and unit_summary.parquet in every batch folder: the same numbers as results.jsonl, the same
bytes whatever the engine, the same layout as ``civic score-flat``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from click.testing import CliRunner

from cli import main
from tests.batch.conftest import write_units


def _batch(inputs: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", "wmdw", "-o", str(out), *extra])
    assert result.exit_code == 0, result.output


def test_parquet_results_match_results_jsonl(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 12)
    _batch(inputs, tmp_path / "out")
    units = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    long = pq.read_table(tmp_path / "out" / "rule_results.parquet").to_pylist()
    summary = pq.read_table(tmp_path / "out" / "unit_summary.parquet").to_pylist()
    assert [(r["unit_id"], r["rule_id"], r["outcome"], float(r["earned"])) for r in long] == [
        (u["unit"]["id"], r["rule_id"], r["outcome"], r["earned"]) for u in units for r in u["rules"]]
    assert [(s["unit_id"], float(s["total"]), s["grade"], s["passed"], s["disqualified"]) for s in summary] == [
        (u["unit"]["id"], u["total"], u["grade"], u["passed"], u["disqualified"]) for u in units]
    assert all(isinstance(r["earned"], Decimal) and r["earned"].as_tuple().exponent == -2 for r in long)


def test_parquet_columns_are_those_of_score_flat(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 3)
    _batch(inputs, tmp_path / "out")
    assert pq.read_schema(tmp_path / "out" / "rule_results.parquet").names == ["unit_id", "rule_id", "outcome", "earned"]
    assert pq.read_schema(tmp_path / "out" / "unit_summary.parquet").names == [
        "unit_id", "base_score", "total", "disqualified", "grade", "passed"]


def test_parquet_bytes_do_not_depend_on_engine_or_jobs(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 10)
    _batch(inputs, tmp_path / "ref")
    _batch(inputs, tmp_path / "sql", "--engine", "sql", "--jobs", "2")
    for name in ("rule_results.parquet", "unit_summary.parquet"):
        assert (tmp_path / "ref" / name).read_bytes() == (tmp_path / "sql" / name).read_bytes(), name
