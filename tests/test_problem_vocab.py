"""Problem types no rule counts are flagged (D215), because a typo there silently loses a deduction."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import main
from evaluator.loader import load_pack_or_raise
from evaluator.problem_vocab import counted_problem_types

WEAK = Path(__file__).resolve().parents[1] / "rules" / "aws" / "samples" / "weak.yaml"


def test_counted_types_per_point_type() -> None:
    counted = counted_problem_types(load_pack_or_raise("aws"))
    assert counted["办公室"] == frozenset({"吸烟", "烟味", "烟蒂", "禁烟标识不规范", "禁烟标识缺失"})
    assert "积水容器" in (counted["公共区域"] or ())


def test_point_type_counted_without_type_filter_accepts_every_type() -> None:
    """problems('城中村') counts every type there, so no type can be lost at that point type."""
    assert counted_problem_types(load_pack_or_raise("gwcs"))["城中村"] is None


def test_typo_in_problem_type_is_a_located_warning(tmp_path: Path) -> None:
    text = WEAK.read_text(encoding="utf-8").replace("{type: 积水容器, count: 2}", "{type: 积水 容器, count: 2}")
    unit = tmp_path / "weak.yaml"
    unit.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(unit), "-f", "json", "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "积水 容器" in row)
    assert "warning[D215]: 点位“" in result.output
    assert "的问题类型 '积水 容器' 不被任何条款计入（公共区域），疑似笔误" in result.output
    assert f"weak.yaml:{line}:" in result.output
    assert "是否想写 '积水容器'？" in result.output


def test_problem_unlike_any_counted_type_is_not_flagged(tmp_path: Path) -> None:
    """A different kind of problem (not a near-miss of a counted type) is simply not scored there: no warning."""
    text = WEAK.read_text(encoding="utf-8").replace("{type: 积水容器, count: 2}", "{type: 消防通道堵塞, count: 2}")
    unit = tmp_path / "weak.yaml"
    unit.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(unit), "-f", "json", "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0 and "D215" not in result.output, result.output


def test_shipped_samples_have_no_uncounted_problem_types() -> None:
    result = CliRunner().invoke(main, ["evaluate", str(WEAK), "-f", "json", "-o", "/dev/null"])
    assert "D215" not in result.output
