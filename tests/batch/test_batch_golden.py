"""The whole output folder of ``civic batch`` against a stored manifest, and the streamed reports against the
in-memory renderers.

Why: the whole-batch reports (summary.json, 汇总.xlsx, report.html) are streamed from a compact digest of the
results rather than rendered from every result held in memory; this pins every byte of every output file of a
fixed batch (mixed input layouts, a rejected unit, ties) so that no streaming change can alter what officers get.

Office files are compared by their entries' uncompressed contents (another zlib may compress the same XML to other
bytes); every other file by its bytes. A deliberate change (new wording, a new summary field) regenerates the
manifest::

    CIVIC_UPDATE_GOLDEN=1 python -m pytest tests/batch/test_batch_golden.py

then review ``git diff tests/batch/golden/`` (which files changed) and the change that explains it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from evaluator.render import xlsx_style
from evaluator.render.html_report import render_html_report
from evaluator.render.summary_xlsx import render_summary_xlsx
from evaluator.report import run_report
from evaluator.sample_gen import generate, unit_yaml
from schemas.result import UnitResult
from tests.batch.conftest import write_mixed_inputs

MANIFEST = Path(__file__).resolve().parent / "golden" / "batch-wmdw.json"
UPDATE = os.environ.get("CIVIC_UPDATE_GOLDEN") == "1"


def _write_inputs(pack: Any, folder: Path) -> None:
    """16 units: 8 YAML files, 4 in a many-unit workbook, 4 in CSV tables, and one YAML file with a bad value."""
    write_mixed_inputs(pack, folder, 16, 11)


def _digest(data: bytes, name: str) -> str:
    if name.endswith((".xlsx", ".docx")):
        archive = zipfile.ZipFile(io.BytesIO(data))
        h = hashlib.sha256()
        for info in archive.infolist():
            h.update(info.filename.encode("utf-8") + b"\0" + archive.read(info) + b"\0")
        return "zip:" + h.hexdigest()
    return hashlib.sha256(data).hexdigest()


def _manifest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _digest(p.read_bytes(), p.name) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory, wmdw: Any) -> Path:
    """The batch, run with relative paths from its own folder (paths are part of summary.json and the warnings)."""
    root = tmp_path_factory.mktemp("golden")
    _write_inputs(wmdw, root / "收回的表格")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, ["batch", "收回的表格", "--pack", "wmdw", "-o", "结果", "--issuer", "某市文明办"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 4, result.output  # the bad unit is rejected, the others scored
    return root / "结果"


def test_output_folder_matches_the_stored_manifest(batch_out: Path) -> None:
    found = _manifest(batch_out)
    if UPDATE:
        MANIFEST.parent.mkdir(parents=True, exist_ok=True)
        MANIFEST.write_text(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert sorted(found) == sorted(expected), "输出文件的集合变了"
    changed = [name for name in expected if found[name] != expected[name]]
    assert not changed, f"这些输出文件的内容变了：{changed}（有意修改时按本文件开头的说明重新生成）"


def _full_report(out: Path, pack: Any) -> Any:
    """The run as a whole in-memory report, from results.jsonl and summary.json (as the old, unstreamed path had it)."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return run_report(pack, [UnitResult.model_validate_json(line) for line in lines], None, summary["rejected"]), summary


def test_streamed_reports_equal_the_in_memory_renderers(batch_out: Path, wmdw: Any) -> None:
    report, summary = _full_report(batch_out, wmdw)
    assert summary["as_of"] == report.as_of
    assert (batch_out / "汇总.xlsx").read_bytes() == render_summary_xlsx(report, wmdw)
    assert (batch_out / "report.html").read_text(encoding="utf-8") == render_html_report(report, wmdw)
    assert [r["id"] for r in summary["ranks"]] == [r["id"] for r in sorted(summary["ranks"], key=lambda r: (r["rank"], r["id"]))]
    assert len(summary["ranks"]) == len(report.units) == summary["counts"]["units"]


def test_long_lists_split_over_sheets_the_same_when_streamed(tmp_path: Path, wmdw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 整改清单 of a province runs past Excel's row limit: the streamed workbook splits it exactly as before."""
    monkeypatch.setattr(xlsx_style, "MAX_DATA_ROWS", 7)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for unit in generate(wmdw, 6, 5, 2024):
        (inputs / f"{unit['unit']['id']}.yaml").write_text(unit_yaml(unit), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", "wmdw", "-o", str(out)])
    assert result.exit_code == 0, result.output
    report, _ = _full_report(out, wmdw)
    workbook = (out / "汇总.xlsx").read_bytes()
    assert workbook == render_summary_xlsx(report, wmdw)
    names = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/workbook.xml").decode("utf-8")
    assert "整改清单（续1）" in names
