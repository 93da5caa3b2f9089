"""civic batch end to end: outputs, ordering, rejected units, --strict, --jobs, atomic replacement of OUTDIR."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from cli import main
from tests.batch.conftest import write_units


def _batch(*args: str) -> Any:
    return CliRunner().invoke(main, ["batch", *args], catch_exceptions=False)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, wmdw: Any) -> tuple[Path, Path, Any]:
    base = tmp_path_factory.mktemp("batch")
    inputs = write_units(wmdw, base / "单位", 18)
    out = base / "结果"
    result = _batch(str(inputs), "--pack", "wmdw", "-o", str(out), "--issuer", "杭州市文明办")
    return inputs, out, result


def test_outputs_are_complete(run: tuple[Path, Path, Any]) -> None:
    _, out, result = run
    assert result.exit_code == 0, result.output
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["unit"]["id"] for line in lines]
    assert len(ids) == 18 and ids == sorted(ids)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["units"] == 18 and summary["rejected"] == []
    ranks = [r["rank"] for r in summary["ranks"]]
    assert ranks[0] == 1 and ranks == sorted(ranks)
    qualified = [r for r in summary["ranks"] if not r["disqualified"]]
    assert [r["total"] for r in qualified] == sorted((r["total"] for r in qualified), reverse=True)
    assert summary["average"] == pytest.approx(sum(json.loads(line)["total"] for line in lines) / 18, abs=0.006)
    for uid in ids:
        assert (out / uid / "自评报告.md").read_text(encoding="utf-8").startswith("# ")
        notice = Document(io.BytesIO((out / uid / "整改通知书.docx").read_bytes()))
        assert any("杭州市文明办" in p.text for p in notice.paragraphs)
    wb = openpyxl.load_workbook(out / "汇总.xlsx", read_only=True)
    assert len(wb.sheetnames) >= 3
    assert "<html" in (out / "report.html").read_text(encoding="utf-8")[:500].lower()


def test_notice_numbers_follow_unit_order(run: tuple[Path, Path, Any]) -> None:
    _, out, _ = run
    first = sorted(p.name for p in out.iterdir() if p.is_dir())[0]
    text = "\n".join(p.text for p in Document(io.BytesIO((out / first / "整改通知书.docx").read_bytes())).paragraphs)
    assert "整改通知〔2024〕001号" in text


def test_jobs_do_not_change_a_single_byte(run: tuple[Path, Path, Any], tmp_path: Path) -> None:
    inputs, out, _ = run
    parallel = tmp_path / "并行"
    result = _batch(str(inputs), "--pack", "wmdw", "-o", str(parallel), "--issuer", "杭州市文明办", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert _tree(parallel) == _tree(out)


def test_same_units_in_any_layout_give_the_same_results(run: tuple[Path, Path, Any], tmp_path: Path, wmdw: Any) -> None:
    _, out, _ = run
    for fmt in ("csv", "xlsx"):
        source = write_units(wmdw, tmp_path / fmt, 18, fmt)
        target = tmp_path / f"out-{fmt}"
        assert _batch(str(source), "--pack", "wmdw", "-o", str(target)).exit_code == 0
        assert (target / "results.jsonl").read_bytes() == (out / "results.jsonl").read_bytes()


def test_bad_units_are_reported_and_skipped(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 5)
    victim = sorted(inputs.iterdir())[1]
    victim.write_text(victim.read_text(encoding="utf-8").replace("职工人数:", "职工人数: 八百\n  旧职工人数:", 1), encoding="utf-8")
    duplicate = sorted(inputs.iterdir())[0]
    (inputs / "zz-副本.yaml").write_text(duplicate.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    result = _batch(str(inputs), "--pack", "wmdw", "-o", str(out))
    assert result.exit_code == 4
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {**summary["counts"], "units": 4, "rejected": 2}
    codes = sorted(r["code"] for r in summary["rejected"])
    assert "D209" in codes
    assert any(f"{victim.name}:" in r["source"] for r in summary["rejected"])
    sheet = openpyxl.load_workbook(out / "汇总.xlsx", read_only=True)["未评分单位"]
    assert any("D209" in str(c) for row in sheet.iter_rows(values_only=True) for c in row)


def test_strict_stops_at_the_first_bad_unit_and_keeps_old_output(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 6)
    out = tmp_path / "out"
    assert _batch(str(inputs), "--pack", "wmdw", "-o", str(out)).exit_code == 0
    before = _tree(out)
    bad = sorted(inputs.iterdir())[2]
    bad.write_text(bad.read_text(encoding="utf-8").replace("type: ", "type: 学校 #", 1), encoding="utf-8")
    for jobs in ("1", "2"):
        result = _batch(str(inputs), "--pack", "wmdw", "-o", str(out), "--strict", "--jobs", jobs)
        assert result.exit_code == 4 and bad.name in result.output
        assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_rerun_replaces_the_folder_and_foreign_folders_are_refused(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 3)
    out = tmp_path / "out"
    assert _batch(str(inputs), "--pack", "wmdw", "-o", str(out)).exit_code == 0
    (out / "旧单位").mkdir()
    removed = sorted(inputs.iterdir())[0]
    removed.unlink()
    assert _batch(str(inputs), "--pack", "wmdw", "-o", str(out)).exit_code == 0
    assert not (out / "旧单位").exists() and not (out / removed.stem).exists()
    foreign = tmp_path / "我的文件"
    foreign.mkdir()
    (foreign / "重要.docx").write_bytes(b"x")
    refused = _batch(str(inputs), "--pack", "wmdw", "-o", str(foreign))
    assert refused.exit_code == 2 and "不是 civic batch 的输出" in refused.output
    assert (foreign / "重要.docx").read_bytes() == b"x"


def test_interrupt_leaves_previous_output_intact(tmp_path: Path, wmdw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 4)
    out = tmp_path / "out"
    assert _batch(str(inputs), "--pack", "wmdw", "-o", str(out)).exit_code == 0
    before = _tree(out)

    def interrupted(*_: Any, **__: Any) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr("evaluator.render.summary_xlsx.render_summary_xlsx", interrupted)
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", "wmdw", "-o", str(out)])
    assert result.exit_code == 130 and "已中断" in result.output
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_missing_input_and_unknown_pack(tmp_path: Path) -> None:
    missing = _batch(str(tmp_path / "没有"), "--pack", "wmdw", "-o", str(tmp_path / "o"))
    assert missing.exit_code == 2 and "不存在" in missing.output
    empty = tmp_path / "空"
    empty.mkdir()
    nothing = _batch(str(empty), "--pack", "wmdw", "-o", str(tmp_path / "o"))
    assert nothing.exit_code == 2 and "没有找到单位数据" in nothing.output


def test_output_inside_the_input_folder_is_not_read_back(tmp_path: Path, wmdw: Any) -> None:
    inputs = write_units(wmdw, tmp_path / "in", 3)
    out = inputs / "结果"
    assert _batch(str(inputs), "--pack", "wmdw", "-o", str(out)).exit_code == 0
    first = (out / "results.jsonl").read_bytes()
    (inputs / "~$单位.xlsx").write_bytes(b"lock")  # Excel's lock file of an open workbook
    again = _batch(str(inputs), "--pack", "wmdw", "-o", str(out))
    assert again.exit_code == 0, again.output
    assert (out / "results.jsonl").read_bytes() == first
    direct = _batch(str(inputs / "~$单位.xlsx"), str(sorted(inputs.glob("*.yaml"))[0]), "--pack", "wmdw", "-o", str(tmp_path / "o2"))
    assert direct.exit_code == 0 and "临时锁文件" in direct.output


def test_whole_batch_reports_do_not_depend_on_rule_checks(run: tuple[Path, Path, Any], wmdw: Any) -> None:
    """The parent keeps results without ``checks`` to halve its memory; the batch reports must not change."""
    from evaluator.batch.collect import slim
    from evaluator.render.html_report import render_html_report
    from evaluator.render.summary_xlsx import render_summary_xlsx
    from evaluator.report import run_report
    from schemas.result import UnitResult

    _, out, _ = run
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    full = run_report(wmdw, [UnitResult.model_validate_json(line) for line in lines], None)
    thin = run_report(wmdw, [slim(UnitResult.model_validate_json(line)) for line in lines], None)
    assert any(r.checks for u in full.units for r in u.rules)
    assert render_summary_xlsx(full, wmdw) == render_summary_xlsx(thin, wmdw)
    assert render_html_report(full, wmdw) == render_html_report(thin, wmdw)
