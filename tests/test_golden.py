"""Golden results: the shipped sample units of wmdw, evaluated exactly as the README shows, must give
byte-for-byte the stored JSON (the canonical result) and Markdown report.

A deliberate change (new wording, a corrected rule, a new result field) regenerates them::

    CIVIC_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py tests/test_explain.py

then review ``git diff tests/golden/`` line by line before committing — see tests/golden/README.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SAMPLES = ("strong", "average", "weak")
UPDATE = os.environ.get("CIVIC_UPDATE_GOLDEN") == "1"


def run_civic(monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """Run from the repository root with relative paths, as a user following the README would."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def check_golden(path: Path, text: str) -> None:
    """Compare bytes with the stored file, or rewrite it when CIVIC_UPDATE_GOLDEN=1."""
    data = text.encode("utf-8")
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.is_file(), f"缺少金标准文件 {path}；运行 CIVIC_UPDATE_GOLDEN=1 python -m pytest {Path(__file__).name} 生成"
    expected = path.read_bytes()
    if data != expected:
        # Show the first differing line; the whole files are in the repository for `git diff`.
        got, want = data.decode().splitlines(), expected.decode().splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        pytest.fail(f"{path.name} 第 {first + 1} 行不同：\n  期望: {want[first] if first < len(want) else '（文件结束）'}\n"
                    f"  实际: {got[first] if first < len(got) else '（输出结束）'}\n确认是有意的改动后运行 CIVIC_UPDATE_GOLDEN=1 更新")


@pytest.mark.parametrize("fmt", ["json", "md"])
@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_matches_golden(monkeypatch: pytest.MonkeyPatch, sample: str, fmt: str) -> None:
    result = run_civic(monkeypatch, "evaluate", f"rules/wmdw/samples/{sample}.yaml", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    check_golden(GOLDEN / "wmdw" / f"{sample}.{fmt}", result.stdout)


def test_golden_totals_are_the_documented_ones() -> None:
    """The headline numbers, readable without opening the JSON: strong 100, average 79.37 (not yet 达标), weak vetoed."""
    totals = {}
    for sample in SAMPLES:
        unit = json.loads((GOLDEN / "wmdw" / f"{sample}.json").read_text(encoding="utf-8"))["units"][0]
        totals[sample] = (unit["total"], unit["grade"], unit["disqualified"])
    assert totals == {"strong": (100.0, "优秀", False), "average": (79.37, "未达标", False), "weak": (3.44, "取消资格", True)}


@pytest.mark.parametrize(("sample", "threshold", "code"), [
    ("average", "85", 1),      # 79.37 < 85
    ("average", "79.38", 1),
    ("average", "79.37", 0),   # exactly at the threshold is not below it
    ("strong", "100", 0),
    ("weak", "1", 1),          # 3.44 ≥ 1, but a disqualified (取消资格) unit never passes the gate
])
def test_fail_under(monkeypatch: pytest.MonkeyPatch, sample: str, threshold: str, code: int) -> None:
    result = run_civic(monkeypatch, "evaluate", f"rules/wmdw/samples/{sample}.yaml", "--fail-under", threshold)
    assert result.exit_code == code, result.stderr
    assert "总分：" in result.stdout  # the report is printed either way
    if code and sample == "average":
        assert result.stderr.strip() == f"低于 {float(threshold):g} 分或被取消资格：某区人民医院（79.37）"
    if code and sample == "weak":
        assert result.stderr.strip() == f"低于 {float(threshold):g} 分或被取消资格：某建材有限公司（3.44，取消资格）"


def test_fail_under_lists_every_low_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_civic(monkeypatch, "evaluate", "rules/wmdw/samples/", "--fail-under", "90", "-f", "json")
    assert result.exit_code == 1
    assert result.stderr.strip() == "低于 90 分或被取消资格：某区人民医院（79.37）、某建材有限公司（3.44，取消资格）"
    assert len(json.loads(result.stdout)["units"]) == 3
