"""The 健康城市/健康促进区 pack (rules/jkcs): sample cities, the manual 媒体科普 item, and the generated 测评表."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.loader import load_pack_or_raise
from tests.conftest import RULES, evaluate_unit

PACK = RULES / "jkcs"


def _unit(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


@pytest.mark.parametrize(
    ("sample", "total", "grade"),
    [("strong.yaml", 93.72, "优良"), ("average.yaml", 71.26, "及格"), ("weak.yaml", 30.1, "取消资格")],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str) -> None:
    unit = _unit(runner, sample)
    assert (unit["total"], unit["grade"]) == (total, grade)


def test_weak_sample_veto_missing_and_pending(runner: CliRunner) -> None:
    unit = _unit(runner, "weak.yaml")
    assert [v["rule_id"] for v in unit["vetoes"]] == ["JKCS-V-1"]
    kinds = {(d["rule_id"], d["kind"]) for d in unit["deficiencies"]}
    assert ("JKCS-6-1", "evidence") in kinds
    assert ("JKCS-5-3-1", "judgement") in kinds
    assert unit["counts"]["manual_pending"] == 1


def test_every_indicator_of_the_2018_system_is_a_rule() -> None:
    """5 一级、20 二级、42 三级 (SRC-HC18): nodes 1–5 have 20 children and 42 rules."""
    pack = load_pack_or_raise(PACK)
    dims = [n for n in pack.file.catalogue if n.code in "12345"]
    assert [len(d.children) for d in dims] == [4, 7, 3, 3, 3]
    indicators = [r for r in pack.rules if r.rule.node[0] in "12345"]
    assert len(indicators) == 42
    assert all(r.rule.points == 2 for r in indicators)

