"""``civic batch --engine durable|sql``: same outputs as the reference, disagreements reported (W501), engine failures
fall back to the reference (W502), a missing durable-rules is a usage error (U054), stale staging folders go."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import RULES

SAMPLES = RULES / "wmdw" / "samples"


def _batch(out: Path, *extra: str, code: int = 0) -> Any:
    result = CliRunner().invoke(main, ["batch", str(SAMPLES), "--pack", "wmdw", "-o", str(out), *extra], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "out"
    _batch(out)
    assert _summary(out)["engine_disagreements"] == []
    return out


def test_durable_engine_output_is_identical_to_reference(tmp_path: Path, reference: Path) -> None:
    pytest.importorskip("durable.engine")
    out = tmp_path / "durable"
    _batch(out, "--engine", "durable")
    assert _files(out) == _files(reference)


def test_durable_not_installed_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def absent(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name.split(".")[0] in ("durable", "durable_rules_engine") else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", absent)
    result = _batch(tmp_path / "out", "--engine", "durable", code=2)
    assert result.output == (
        "error[U054]: 未安装 durable-rules 引擎（--engine durable）\n"
        "  --> 命令行\n"
        "   = 提示: pip install 'civic[durable]'（需要 gcc 与 Python 头文件；Python 3.13 起无法导入，请用默认引擎）\n"
    )
    assert not (tmp_path / "out").exists()


def _corrupt_one_sql_cell(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, str], tuple[str, Decimal], tuple[str, Decimal]]]:
    """Make the SQL engine give a wrong non-pass cell (the first by unit and rule); returns (key, original, wrong)."""
    import evaluator.sqlc.engine as sql_engine

    real = sql_engine.sql_cells
    changed: list[tuple[tuple[str, str], tuple[str, Decimal], tuple[str, Decimal]]] = []

    def wrong(*args: Any, **kwargs: Any) -> Any:
        run = real(*args, **kwargs)
        key = min(k for k, cell in run.cells.items() if cell[0] == "fail")
        original = run.cells[key]
        run.cells[key] = ("partial", original[1] + Decimal("0.5"))
        changed.append((key, original, run.cells[key]))
        return run

    monkeypatch.setattr(sql_engine, "sql_cells", wrong)
    return changed


def test_sql_disagreement_is_reported_and_the_reference_kept(tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed = _corrupt_one_sql_cell(monkeypatch)
    out = tmp_path / "sql"
    result = _batch(out, "--engine", "sql")
    [((unit, rule), (ref_outcome, ref_points), (_, wrong_points))] = changed
    assert _summary(out)["engine_disagreements"] == [{
        "unit": unit, "rule": rule, "engine": "sql", "engine_outcome": "partial", "engine_points": float(wrong_points),
        "reference_outcome": ref_outcome, "reference_points": float(ref_points), "detail": "",
    }]
    assert "警告 W501：评分引擎（sql）与参考评测器有 1 处不一致" in result.output
    assert f"{unit} 规则 {rule}：sql 引擎为 部分符合 {float(wrong_points):g} 分，参考评测器为 不符合 {float(ref_points):g} 分" in result.output
    assert (out / "汇总.xlsx").read_bytes() == (reference / "汇总.xlsx").read_bytes()  # the reference's result is kept


def test_strict_engine_exits_5_on_a_disagreement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _batch(tmp_path / "clean", "--engine", "sql", "--strict-engine")  # no disagreement: exit 0
    _corrupt_one_sql_cell(monkeypatch)
    result = _batch(tmp_path / "strict", "--engine", "sql", "--strict-engine", code=5)
    assert "--strict-engine：评分引擎与参考评测器有 1 处不一致，以退出码 5 结束" in result.output
    assert len(_summary(tmp_path / "strict")["engine_disagreements"]) == 1  # the outputs are still written


def test_durable_disagreement_names_both_cells(tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A matcher that lies about one leaf: the rule is scored by the reference and the disagreement reported."""
    import evaluator.batch.engines as engines
    import evaluator.durable_engine as durable_pkg
    import evaluator.durable_engine.engine as durable_engine
    from evaluator.durable_engine.matcher import ReferenceMatcher

    class Lying(ReferenceMatcher):
        def match(self, units: list[Any]) -> set[tuple[int, int]]:
            truth = super().match(units)
            uid, leaf = min((uid, leaf) for uid, values in units for leaf in values)
            return truth ^ {(uid, leaf)}

    monkeypatch.setattr(durable_engine, "require_durable", lambda: None)
    monkeypatch.setattr(durable_pkg, "require_durable", lambda: None)
    monkeypatch.setattr(engines, "_durable_matcher", lambda pack: Lying(engines._leaves(pack)))
    out = tmp_path / "durable"
    result = _batch(out, "--engine", "durable")
    [cell] = _summary(out)["engine_disagreements"]
    assert cell["engine"] == "durable" and cell["detail"].startswith("条件 ")
    assert "警告 W501：评分引擎（durable）与参考评测器有 1 处不一致" in result.output
    assert _files(out)["results.jsonl"] == _files(reference)["results.jsonl"]


def test_engine_failure_falls_back_to_reference_and_is_reported(tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import evaluator.sqlc.engine as sql_engine

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("模拟的 DuckDB 故障")

    monkeypatch.setattr(sql_engine, "sql_cells", broken)
    out = tmp_path / "sql"
    _batch(out, "--engine", "sql")
    assert _files(out)["results.jsonl"] == _files(reference)["results.jsonl"]  # no unit lost, reference results
    [warning] = [w for w in _summary(out)["warnings"] if w["code"] == "W502"]
    assert "sql 引擎在评测 3 个单位（" in warning["message"] and "RuntimeError：模拟的 DuckDB 故障" in warning["message"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_of_dead_processes_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = tmp_path / f".out.tmp-{_dead_pid()}-abc123"
    live = tmp_path / f".out.tmp-{__import__('os').getpid()}-def456"  # this process: alive, kept
    foreign = tmp_path / f".out.tmp-{_dead_pid()}-ghi789"  # no civic marker: not ours, kept
    other = tmp_path / f".other.tmp-{_dead_pid()}-jkl012"  # another OUTDIR's staging: kept
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / ".civic-batch").write_text("civic batch output\n", encoding="utf-8")
        (folder / "results.jsonl").write_text("", encoding="utf-8")
    foreign.mkdir()
    result = _batch(out)
    assert not dead.exists() and live.exists() and foreign.exists() and other.exists()
    assert f"已删除上次中断的 civic batch 留下的临时文件夹（写入它的进程已不存在）：{dead.name}\n" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, live.name, foreign.name, other.name])


def test_engine_failure_in_the_peer_average_pass_is_reported_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """wmsq: 金鱼巷社区 (no 小区) is scored again with peer averages; an engine failure there is a W502 as well."""
    import shutil

    import evaluator.sqlc.engine as sql_engine
    from tests.conftest import RULES

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("模拟的 DuckDB 故障")

    monkeypatch.setattr(sql_engine, "sql_cells", broken)
    inputs = tmp_path / "units"
    inputs.mkdir()
    for name in ("strong.yaml", "no-xiaoqu.yaml"):
        shutil.copy(RULES / "wmsq" / "samples" / name, inputs / name)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", "wmsq", "-o", str(out), "--engine", "sql"])
    assert result.exit_code == 0, result.output
    warnings = [w for w in _summary(out)["warnings"] if w["code"] == "W502"]
    assert len(warnings) == 2, warnings  # the first pass (2 units) and the peer-average pass (1 unit)
    assert sorted(w["message"].split("个单位")[0] for w in warnings) == ["sql 引擎在评测 1 ", "sql 引擎在评测 2 "]
