"""The 文明家庭 pack (rules/wmjt): the 百分制 structure of SRC-FAM2, the exclusions of SRC-FAM1 as vetoes, the
already-honoured rule of SRC-FAM3, sample families end to end and the generated 测评表 being current."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.loader import load_pack_or_raise
from schemas.rule import Veto
from tests.conftest import RULES, evaluate_unit

PACK = RULES / "wmjt"


def _unit_result(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


@pytest.mark.parametrize(
    ("sample", "total", "grade"),
    [
        ("strong.yaml", 96.6, "达标"),       # 邻里评议 14/15 = 93.3% → B
        ("average.yaml", 69.05, "未达标"),   # 农村家庭: 志愿服务少、无书面家训、庭院问题
        ("weak.yaml", 7.3, "取消资格"),      # 失信被执行人 inside the window
    ],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str) -> None:
    unit = _unit_result(runner, sample)
    assert (unit["total"], unit["grade"]) == (total, grade)


def test_weak_family_is_vetoed_and_has_gaps(runner: CliRunner) -> None:
    unit = _unit_result(runner, "weak.yaml")
    assert unit["disqualified"] is True
    assert [v["rule_id"] for v in unit["vetoes"]] == ["WMJT-V-04"]
    missing = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("WMJT-2-2", "志愿服务记录") in missing
    assert ("WMJT-4-2", "家训家规") in missing
    assert ("WMJT-2-1", "家庭成员荣誉") in missing


def test_hundred_point_structure_and_exclusions() -> None:
    pack = load_pack_or_raise(PACK)
    assert [(n.code, n.points) for n in pack.file.catalogue] == [("1", 30), ("2", 20), ("3", 20), ("4", 15), ("5", 15), ("V", 0)]
    vetoes = {r.id: r.rule.grading for r in pack.veto_rules()}
    assert all(isinstance(g, Veto) and g.effect.disqualify for g in vetoes.values())
    kinds = {k for g in vetoes.values() if isinstance(g, Veto) for k in g.incident_types}
    assert {"家庭成员违法违纪", "非法参与重大群体上访", "黄赌毒", "文明或诚信不良记录", "封建迷信或邪教活动"} <= kinds
    assert "已获同级文明家庭称号" in kinds
    assert pack.meta.unit_types == ["家庭"]

