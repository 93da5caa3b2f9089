"""The 文明单位动态管理 pack (rules/wmdw-dt): 材料审核 70 + 整体观察 20 + 奖励分 10 (capped), 达标 85, the ten
撤销 conditions, 告诫记分 as the average over 明察暗访 visits, and the generated 测评表 being current."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.loader import load_pack_or_raise
from tests.conftest import RULES, evaluate_unit

PACK = RULES / "wmdw-dt"


def _unit_result(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


def _node(unit: dict[str, Any], code: str) -> tuple[float, float]:
    node = next(n for n in unit["nodes"] if n["code"] == code)
    return node["earned"], node["max"]


@pytest.mark.parametrize(
    ("sample", "total", "grade"),
    [
        ("strong.yaml", 97.5, "达标"),      # 70 + 19.5 + 奖励分 8
        ("average.yaml", 73.82, "未达标"),
        ("weak.yaml", 7.47, "取消资格"),    # 较大消防安全事故 → 撤销条件（八）
    ],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str) -> None:
    unit = _unit_result(runner, sample)
    assert (unit["total"], unit["grade"]) == (total, grade)


def test_strong_unit_blocks_and_bonus(runner: CliRunner) -> None:
    unit = _unit_result(runner, "strong.yaml")
    assert _node(unit, "A") == (70, 70)
    assert _node(unit, "B") == (19.5, 20)  # 告诫记分：两次暗访共 1 个问题，平均 0.5
    assert _node(unit, "J") == (8, 10)     # 省级 2 项 × 3 + 市级 1 项 × 2
    assert unit["base_score"] == 97.5


def test_weak_unit_is_revoked_with_missing_material(runner: CliRunner) -> None:
    unit = _unit_result(runner, "weak.yaml")
    assert [v["rule_id"] for v in unit["vetoes"]] == ["DWDT-V-08"]
    missing = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("DWDT-A1-01", "任命文件") in missing
    assert ("DWDT-A1-02", "会议纪要") in missing


def test_structure_matches_the_dynamic_system() -> None:
    pack = load_pack_or_raise(PACK)
    meta = pack.meta
    assert (meta.full_marks, meta.bonus_cap, meta.pass_mark, meta.method_weights) == (90, 10, 85, None)
    assert [(n.code, n.points, n.bonus) for n in pack.file.catalogue] == [("A", 70, False), ("B", 20, False), ("J", 10, True), ("V", 0, False)]
    vetoes = pack.veto_rules()
    assert len(vetoes) == 10
    assert [r.id for r in vetoes if r.rule.status != "stable"] == ["DWDT-V-04"]  # 计划生育条款不再执行

