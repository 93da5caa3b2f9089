"""The 国家卫生城市 packs (rules/gwcs 2021版, rules/gwcs2001 2001年灭害标准): sample cities end to end, the
worst-of 病媒 level, the shared vector data dictionary, the 2001 variant overlay, and the generated 测评表."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.loader import load_pack_or_raise
from tests.conftest import RULES, evaluate_unit

GWCS = RULES / "gwcs"
GW2001 = RULES / "gwcs2001"


def _unit(runner: CliRunner, path: Path, *extra: str) -> dict[str, Any]:
    return evaluate_unit(runner, path, *extra)


def _rule(unit: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in unit["rules"] if r["rule_id"] == rule_id)


@pytest.mark.parametrize(
    ("sample", "total", "grade", "passed"),
    [
        ("strong.yaml", 98.47, "达标", True),
        ("average.yaml", 74.76, "未达标", False),
        ("weak.yaml", 13.42, "取消资格", False),
    ],
)
def test_gwcs_sample_totals(runner: CliRunner, sample: str, total: float, grade: str, passed: bool) -> None:
    unit = _unit(runner, GWCS / "samples" / sample)
    assert (unit["total"], unit["grade"], unit["passed"]) == (total, grade, passed)


def test_gwcs_weak_sample_has_veto_and_missing_evidence(runner: CliRunner) -> None:
    unit = _unit(runner, GWCS / "samples" / "weak.yaml")
    assert [v["rule_id"] for v in unit["vetoes"]] == ["GWCS-V-1"]
    assert unit["disqualified"] is True
    missing = {(d["rule_id"], d["kind"]) for d in unit["deficiencies"]}
    assert ("GWCS-1-1", "evidence") in missing and ("GWCS-2-1", "evidence") in missing


def test_vector_level_is_worst_vector_and_worst_measure(runner: CliRunner) -> None:
    """广安 (average): 鼠 B级, 蚊 C级 (小型积水 0.71 ≤ 0.8), 蝇 C级, 蟑 B级 → overall C级, 7 × 0.9."""
    rule = _rule(_unit(runner, GWCS / "samples" / "average.yaml"), "GWCS-8-1")
    assert (rule["outcome"], rule["level"], rule["earned"]) == ("partial", "C级", 6.3)
    assert "按最差一项（蚊）计：C级" in rule["message"]
    weak = _rule(_unit(runner, GWCS / "samples" / "weak.yaml"), "GWCS-8-1")
    assert (weak["outcome"], weak["level"], weak["earned"]) == ("fail", "未达C级", 0.0)


def test_vector_fields_are_identical_in_both_editions() -> None:
    new = load_pack_or_raise(GWCS).fields
    old = load_pack_or_raise(GW2001).fields
    assert len(old) == 23
    for name, definition in old.items():
        assert name in new, name
        assert new[name] == definition, name


def test_2001_thresholds_are_stricter_than_c_level(runner: CliRunner) -> None:
    """The same 广安 vector data reaches C级 under 2021 but fails 鼠/蚊/蝇 under the 2001 standard."""
    unit = _unit(runner, GW2001 / "samples" / "average.yaml")
    assert {r["rule_id"]: r["outcome"] for r in unit["rules"]} == {"GW01-1": "fail", "GW01-2": "fail", "GW01-3": "fail", "GW01-4": "pass"}
    assert unit["total"] == 25.0
    assert _unit(runner, GW2001 / "samples" / "strong.yaml")["total"] == 100.0


def test_2001_variant_overlay_changes_only_the_threshold(runner: CliRunner, tmp_path: Path) -> None:
    data = (GW2001 / "samples" / "strong.yaml").read_text(encoding="utf-8").replace("蝇类孳生地阳性率: 0.9", "蝇类孳生地阳性率: 4")
    city = tmp_path / "city.yaml"
    city.write_text(data, encoding="utf-8")
    assert _rule(_unit(runner, city), "GW01-3")["outcome"] == "fail"
    tailored = _unit(runner, city, "--tailoring", str(GW2001 / "tailoring" / "zisheng-5pct.yaml"))
    assert _rule(tailored, "GW01-3")["outcome"] == "pass"
    assert tailored["total"] == 100.0

