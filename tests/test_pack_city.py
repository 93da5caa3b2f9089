"""The city-level packs: 全国文明城市 (wmcs), 城市文明程度指数 (wmzs) and 未成年人思想道德建设 (wcn).

Sample units end to end through the CLI, the 未成年人 composite (gate ≥ 85, 20 % blend) fed by the wcn
sample results, the negative list with its 12-month window, the draft 申报 review rule switched on by a
地方细则, and the generated 测评表 being current.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from evaluator.loader import load_pack_or_raise
from tests.conftest import RULES, evaluate_unit

CITY_PACKS = ("wmcs", "wmzs", "wcn")
SAMPLES = ("strong", "average", "weak")


def _evaluate(runner: CliRunner, pack: str, sample: str, *extra: str) -> dict[str, Any]:
    return evaluate_unit(runner, RULES / pack / "samples" / f"{sample}.yaml", *extra)


@pytest.mark.parametrize(
    ("pack", "sample", "total", "grade"),
    [
        ("wmcs", "strong", 95.32, "优秀"),
        ("wmcs", "average", 81.69, "达标"),
        ("wmcs", "weak", 39.64, "取消资格"),    # gate 70.16 < 85 and G15 −3
        ("wmzs", "strong", 92.37, "优秀"),
        ("wmzs", "average", 70.66, "及格"),
        ("wmzs", "weak", 24.75, "不及格"),      # G15 −3, no disqualification in the index
        ("wcn", "strong", 94.92, "达标"),
        ("wcn", "average", 87.82, "达标"),
        ("wcn", "weak", 70.16, "未达标（取消文明城市提名资格）"),
    ],
)
def test_sample_totals(runner: CliRunner, pack: str, sample: str, total: float, grade: str) -> None:
    unit = _evaluate(runner, pack, sample)
    assert unit["total"] == total
    assert unit["grade"] == grade


@pytest.mark.parametrize("sample", SAMPLES)
def test_wmcs_minors_score_comes_from_the_wcn_sample(runner: CliRunner, sample: str) -> None:
    """The city fills 未成年人测评得分 from its wcn result; the shipped samples must agree."""
    data = yaml.safe_load((RULES / "wmcs" / "samples" / f"{sample}.yaml").read_text(encoding="utf-8"))
    wcn = _evaluate(runner, "wcn", sample)
    assert data["fields"]["未成年人测评得分"] == wcn["total"]
    assert data["unit"]["id"] == wcn["unit"]["id"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_wmcs_total_is_the_80_20_blend_minus_vetoes(runner: CliRunner, sample: str) -> None:
    unit = _evaluate(runner, "wmcs", sample)
    (component,) = unit["components"]
    assert component["id"] == "wcn" and component["weight"] == 0.2 and component["gate"] == 85
    deducted = sum(Decimal(3) for v in unit["vetoes"] if v["rule_id"] == "WMCS-IV-02")
    blend = Decimal(str(unit["base_score"])) * Decimal("0.8") + Decimal(str(component["score"])) * Decimal("0.2") - deducted
    assert Decimal(str(unit["total"])) == blend.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    weighted = sum(Decimal(str(m["weighted"])) for m in unit["methods"])
    assert abs(weighted - Decimal(str(unit["base_score"]))) <= Decimal("0.02")  # per-method rounding only


def test_wmcs_weak_sample_fails_gate_has_veto_and_missing_evidence(runner: CliRunner) -> None:
    unit = _evaluate(runner, "wmcs", "weak")
    assert unit["disqualified"] is True and unit["passed"] is False
    assert unit["components"][0]["gate_passed"] is False
    assert [(v["rule_id"], v["date"]) for v in unit["vetoes"]] == [("WMCS-IV-02", "2024-07-16")]
    missing = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("WMCS-I-2-01", "政务公开年报") in missing
    assert ("WMCS-I-8-03", "整改台账") in missing
    assert ("WMCS-II-13-02", "建筑工地") in missing  # point type never inspected


def test_wmcs_average_incident_outside_window_is_not_punished(runner: CliRunner) -> None:
    unit = _evaluate(runner, "wmcs", "average")
    assert unit["vetoes"] == []
    g15 = next(r for r in unit["rules"] if r["rule_id"] == "WMCS-IV-02")
    assert g15["outcome"] == "pass"


@pytest.mark.parametrize(("pack", "rule"), [("wmzs", "WMZS-V-01"), ("wcn", "WCN-V-02")])
def test_weak_samples_of_index_and_minors_have_veto_and_missing_evidence(runner: CliRunner, pack: str, rule: str) -> None:
    unit = _evaluate(runner, pack, "weak")
    assert [v["rule_id"] for v in unit["vetoes"]] == [rule]
    assert any(d["kind"] == "evidence" for d in unit["deficiencies"])
    assert unit["passed"] is False


def test_application_review_rule_is_draft_until_selected(runner: CliRunner, tmp_path: Path) -> None:
    """WMCS-IV-09 (申报前 12 个月内取消参评资格) only runs when a 地方细则 selects it."""
    pack = load_pack_or_raise(RULES / "wmcs")
    assert pack.rule("WMCS-IV-09").rule.status == "draft"  # type: ignore[union-attr]
    plain = _evaluate(runner, "wmcs", "strong")
    assert "WMCS-IV-09" not in {r["rule_id"] for r in plain["rules"]}

    overlay = tmp_path / "申报审查.yaml"
    overlay.write_text(yaml.safe_dump({"tailoring": {
        "id": "sb-review", "title": "申报参评资格审查", "pack": "wmcs",
        "select": ["WMCS-IV-09"], "unselect": ["WMCS-IV-02", "WMCS-IV-03", "WMCS-IV-04", "WMCS-IV-05"],
    }}, allow_unicode=True), encoding="utf-8")
    weak = _evaluate(runner, "wmcs", "weak", "--tailoring", str(overlay))
    assert [v["rule_id"] for v in weak["vetoes"]] == ["WMCS-IV-09"]
    assert weak["disqualified"] is True
    strong = _evaluate(runner, "wmcs", "strong", "--tailoring", str(overlay))
    assert strong["vetoes"] == [] and strong["disqualified"] is False


def test_wmcs_catalogue_follows_the_three_methods() -> None:
    """The three 版块 are the three methods, and every rule sits under the 版块 of its own method."""
    pack = load_pack_or_raise(RULES / "wmcs")
    section_method = {"Ⅰ": "材料审核", "Ⅱ": "实地考察", "Ⅲ": "问卷调查"}
    assert pack.meta.method_weights == {"材料审核": 40, "实地考察": 40, "问卷调查": 20}
    for node in pack.file.catalogue:
        if node.code in section_method:
            assert node.points == pack.meta.method_weights[section_method[node.code]]
    for rule in pack.scored_rules():
        top = pack.leaf_ancestors(rule.rule.node)[-1]
        assert section_method[top] == rule.rule.method, rule.id
    assert 60 <= len(pack.rules) <= 120


@pytest.mark.parametrize("pack_id", CITY_PACKS)
def test_every_rule_cites_a_source_and_marks_assumptions(pack_id: str) -> None:
    pack = load_pack_or_raise(RULES / pack_id)
    for rule in pack.rules:
        assert rule.rule.source.ref and rule.rule.source.ref.startswith("SRC-"), rule.id
        if rule.rule.grading.model != "veto":
            assert rule.rule.rectification is not None, rule.id
