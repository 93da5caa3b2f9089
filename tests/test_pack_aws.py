"""The 单位爱国卫生工作 pack (rules/aws): sample offices, method weights 60/40 with N/A rules, the 门前三包
千分制 conversion, and the generated 测评表."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import RULES, evaluate_unit

PACK = RULES / "aws"


def _unit(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


@pytest.mark.parametrize(
    ("sample", "total", "grade"),
    [("strong.yaml", 99.8, "优秀"), ("average.yaml", 78.83, "未达标"), ("weak.yaml", 18.27, "取消资格")],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str) -> None:
    unit = _unit(runner, sample)
    assert (unit["total"], unit["grade"]) == (total, grade)


def test_strong_office_only_loses_one_frontage_point(runner: CliRunner) -> None:
    """机关: school and hospital rules are N/A; one 烟头 in front (千分制 20 → 0.2) costs 0.2 of 40 实地 points."""
    unit = _unit(runner, "strong.yaml")
    na = sorted(r["rule_id"] for r in unit["rules"] if r["outcome"] == "not_applicable")
    assert na == ["AWS-3-4", "AWS-5-1-3"]
    methods = {m["method"]: m for m in unit["methods"]}
    assert (methods["材料审核"]["earned"], methods["材料审核"]["max"]) == (58.0, 58.0)
    assert (methods["实地考察"]["earned"], methods["实地考察"]["max"]) == (39.8, 40.0)
    assert unit["total"] == 99.8  # 60 × 58/58 + 40 × 39.8/40


def test_weak_sample_veto_and_missing_evidence(runner: CliRunner) -> None:
    unit = _unit(runner, "weak.yaml")
    assert [v["rule_id"] for v in unit["vetoes"]] == ["AWS-V-1"]
    kinds = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("AWS-1-1", "领导小组文件") in kinds and ("AWS-2-1", "爱卫月活动照片") in kinds

