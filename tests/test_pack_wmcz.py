"""The 全国文明村镇 pack (rules/wmcz): sample units end to end, the 1-1 ladder with per-item methods, the
申报 (≥90) and 考评 (≥85) thresholds, and the generated 测评表 being current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.loader import load_pack_or_raise
from schemas.rule import Checklist
from tests.conftest import RULES, evaluate_unit

PACK = RULES / "wmcz"


def _unit_result(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


@pytest.mark.parametrize(
    ("sample", "total", "grade", "passed"),
    [
        ("strong.yaml", 98.48, "达到申报线", True),   # 行政村: 2-2 B and one 0.5 deduction
        ("town.yaml", 93.98, "达到申报线", True),     # 乡镇 on the same table
        ("average.yaml", 86.94, "达标", True),        # passes 考评 85 but not the 自评 申报 line 90
        ("weak.yaml", 9.25, "取消资格", False),       # 群体性事件 inside the 24-month window
    ],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str, passed: bool) -> None:
    unit = _unit_result(runner, sample)
    assert unit["total"] == total
    assert unit["grade"] == grade
    assert unit["passed"] is passed


def test_weak_sample_has_veto_and_missing_evidence(runner: CliRunner) -> None:
    unit = _unit_result(runner, "weak.yaml")
    assert [v["rule_id"] for v in unit["vetoes"]] == ["WMCZ-V-3"]
    missing = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("WMCZ-3-2", "村规民约文本") in missing
    assert ("WMCZ-2-5", "无害化卫生厕所普及率") in missing


def test_organisation_ladder_follows_the_2017_text() -> None:
    rule = load_pack_or_raise(PACK).rule("WMCZ-1-1")
    assert rule is not None
    grading = rule.rule.grading
    assert isinstance(grading, Checklist)
    assert [(s.level, s.min) for s in grading.ladder] == [("A", 5), ("B", 4), ("C", 3)]
    assert grading.otherwise == "C#"
    assert [i.method for i in grading.items] == ["材料审核", "材料审核", "材料审核", "材料审核、实地考察", "问卷调查"]
    assert rule.rule.points == 15


def test_application_and_pass_thresholds() -> None:
    meta = load_pack_or_raise(PACK).meta
    assert meta.pass_mark == 85
    assert {g.label: g.min for g in meta.grades}["达到申报线"] == 90
    assert "90" in meta.meta["申报门槛"]



def test_village_codes_end_in_committee_part() -> None:
    import yaml

    for path in sorted(Path(PACK / "samples").glob("*.yaml")):
        unit = yaml.safe_load(path.read_text(encoding="utf-8"))["unit"]
        code = unit["region"]["code"]
        assert len(code) == 12 and code.isdigit(), path.name
        if unit["type"] == "行政村":
            assert 200 <= int(code[-3:]) <= 399, f"{path.name}: 村民委员会代码应为 2xx–3xx"
        else:
            assert code.endswith("000"), path.name
        assert unit["responsible"], path.name
