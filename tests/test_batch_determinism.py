"""``civic batch`` is reproducible and auditable: the same inputs give byte-identical outputs — every file, on a
repeated run, with ``--jobs 1`` and ``--jobs 2``, and in another process with another hash seed — and
summary.json records the pack's content hash and the SHA-256 of every input file read.

Inputs mix every layout (YAML files, a many-unit workbook, CSV with detail tables) and one bad unit, so the
rejected list and the warnings are part of what must not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from evaluator.loader import load_pack_or_raise
from tests.batch.conftest import write_mixed_inputs

ROOT = Path(__file__).resolve().parent.parent


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 units: 6 YAML files, 3 in a workbook, 3 in CSV tables, plus one YAML file with a bad value."""
    pack = load_pack_or_raise("wmdw")
    folder = tmp_path_factory.mktemp("det") / "收回的表格"
    write_mixed_inputs(pack, folder, 12, 5)
    return folder


def _batch(inputs: Path, out: Path, *extra: str) -> Any:
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", "wmdw", "-o", str(out), *extra])
    assert result.exit_code == 4, result.output  # the bad unit is rejected, the others scored
    return result


@pytest.fixture(scope="module")
def first(inputs: Path) -> dict[str, bytes]:
    out = inputs.parent / "第一次"
    _batch(inputs, out)
    return _tree(out)


def test_outputs_cover_every_kind(first: dict[str, bytes]) -> None:
    assert {"results.jsonl", "summary.json", "汇总.xlsx", "report.html"} <= set(first)
    assert sum(name.endswith("整改通知书.docx") for name in first) == 12
    summary = json.loads(first["summary.json"])
    assert summary["counts"]["units"] == 12
    assert [(Path(r["source"].split(":")[0]).name, r["code"]) for r in summary["rejected"]] == [("坏.yaml", "D202")]


def test_repeated_run_is_byte_identical(inputs: Path, first: dict[str, bytes]) -> None:
    out = inputs.parent / "第二次"
    _batch(inputs, out)
    second = _tree(out)
    assert sorted(second) == sorted(first)
    assert [name for name in first if first[name] != second[name]] == []


def test_two_workers_give_the_same_bytes(inputs: Path, first: dict[str, bytes]) -> None:
    out = inputs.parent / "两个进程"
    _batch(inputs, out, "--jobs", "2")
    parallel = _tree(out)
    assert sorted(parallel) == sorted(first)
    assert [name for name in first if first[name] != parallel[name]] == []


def test_another_process_and_hash_seed_give_the_same_bytes(inputs: Path, first: dict[str, bytes]) -> None:
    out = inputs.parent / "另一进程"
    env = {**os.environ, "PYTHONHASHSEED": "987"}
    done = subprocess.run([sys.executable, "-m", "cli", "batch", str(inputs), "--pack", "wmdw", "-o", str(out), "--jobs", "2"],
                          cwd=ROOT, env=env, capture_output=True, timeout=300, check=False)
    assert done.returncode == 4, done.stderr.decode("utf-8", "replace")
    other = _tree(out)
    assert [name for name in first if first[name] != other.get(name)] == []


def test_summary_records_the_pack_hash_and_every_input_hash(inputs: Path, first: dict[str, bytes]) -> None:
    summary = json.loads(first["summary.json"])
    pack = load_pack_or_raise("wmdw")
    assert summary["pack"]["content_hash"] == pack.content_hash
    files = sorted(p for p in inputs.rglob("*") if p.is_file())
    expected = [{"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size} for p in files]
    assert summary["input_files"] == sorted(expected, key=lambda f: f["path"])
    assert any(f["path"].endswith("单位-材料清单.csv") for f in summary["input_files"])  # detail tables are inputs too


def test_changing_one_input_changes_only_its_hash(inputs: Path, first: dict[str, bytes], tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "收回的表格"
    shutil.copytree(inputs, copy)
    victim = sorted((copy / "yaml").glob("WMDW-*.yaml"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + "# 复核后补充的备注\n", encoding="utf-8")
    _batch(copy, tmp_path / "结果")
    before = {Path(f["path"]).name: f["sha256"] for f in json.loads(first["summary.json"])["input_files"]}
    after = {Path(f["path"]).name: f["sha256"] for f in json.loads((tmp_path / "结果" / "summary.json").read_text(encoding="utf-8"))["input_files"]}
    assert [name for name in before if before[name] != after[name]] == [victim.name]
