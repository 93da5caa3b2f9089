"""The 窗口行业 pack (rules/ckhy): satisfaction of the ten aspects, 暗访 deductions, the deduct-type veto, and
ranking across and within industries (unit.group is the industry)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.api import evaluate_loaded, load_units
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack_or_raise
from evaluator.ranking import rank_units
from tests.conftest import RULES, evaluate_unit

PACK = RULES / "ckhy"


def _unit_result(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


@pytest.mark.parametrize(
    ("sample", "total", "grade"),
    [
        ("strong.yaml", 97.47, "达标"),    # 满意率 48.47 + 10 + 暗访 39
        ("average.yaml", 81.56, "未达标"),
        ("weak.yaml", 38.77, "未达标"),    # 43.77 − 5（媒体曝光）
    ],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str) -> None:
    unit = _unit_result(runner, sample)
    assert (unit["total"], unit["grade"]) == (total, grade)


def test_weak_window_loses_five_points_and_has_gaps(runner: CliRunner) -> None:
    unit = _unit_result(runner, "weak.yaml")
    assert unit["base_score"] == 43.77 and unit["total"] == 38.77
    assert unit["disqualified"] is False
    assert [v["rule_id"] for v in unit["vetoes"]] == ["CKHY-V-01"]
    missing = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("CKHY-2-5", "投诉处理记录") in missing
    assert ("CKHY-1-1-10", "志愿服务") in missing


def test_ranking_across_and_within_industries() -> None:
    pack = load_pack_or_raise(PACK)
    sink = DiagnosticSink()
    units = load_units([PACK / "samples"], pack, sink)
    assert not sink.errors
    results = evaluate_loaded(pack, units, None, [])
    assert all(r.unit.group for r in results), "unit.group 应填行业名称"
    ranks = rank_units(results)
    assert ranks["CK-420102-ZW01"].overall == 1
    assert (ranks["CK-420106-YH12"].in_group, ranks["CK-420103-YH07"].in_group) == (1, 2)  # 两家银行
    assert ranks["CK-420106-TX03"].overall == len(results)

