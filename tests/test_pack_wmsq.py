"""The 文明社区/文明小区 pack (rules/wmsq): sample units end to end, the 小区 N/A design, peer-average
substitution on this pack, and the generated 测评表 being current."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from evaluator.api import effective_as_of, load_units
from evaluator.engine import evaluate
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack_or_raise
from tests.conftest import RULES, evaluate_unit

PACK = RULES / "wmsq"
XIAOQU_NODES = ("6", "7")


def _unit_result(runner: CliRunner, sample: str) -> dict[str, Any]:
    return evaluate_unit(runner, PACK / "samples" / sample)


@pytest.mark.parametrize(
    ("sample", "total", "grade"),
    [
        ("strong.yaml", 99.44, "优秀"),      # 89.5 / 90 applicable points (one 0.5 deduction)
        ("average.yaml", 82.92, "未达标"),   # 74.63 / 90
        ("xiaoqu.yaml", 93.95, "优秀"),      # 小区 unit: 34.76 / 37 (items 6–7 and 3-4 门卫值班)
        ("no-xiaoqu.yaml", 94.34, "优秀"),   # 社区 without 小区: 50 / 53
        ("jiedao.yaml", 79.6, "未达标"),     # 街道: 7.96 / 10 (文化站 only)
        ("weak.yaml", 8.21, "取消资格"),     # veto inside the 12-month window
    ],
)
def test_sample_totals(runner: CliRunner, sample: str, total: float, grade: str) -> None:
    unit = _unit_result(runner, sample)
    assert unit["total"] == total
    assert unit["grade"] == grade


def test_weak_sample_has_veto_and_missing_evidence(runner: CliRunner) -> None:
    unit = _unit_result(runner, "weak.yaml")
    assert unit["disqualified"] is True
    assert [v["rule_id"] for v in unit["vetoes"]] == ["WMSQ-V-1"]
    missing = {(d["rule_id"], d["name"]) for d in unit["deficiencies"]}
    assert ("WMSQ-1-1", "设备维护记录") in missing
    assert ("WMSQ-3-4", "门卫值班记录") in missing


def test_community_without_xiaoqu_skips_every_xiaoqu_rule(runner: CliRunner) -> None:
    unit = _unit_result(runner, "no-xiaoqu.yaml")
    not_applicable = {r["rule_id"] for r in unit["rules"] if r["outcome"] == "not_applicable"}
    pack = load_pack_or_raise(PACK)
    xiaoqu_rules = {r.id for r in pack.rules if r.rule.na_substitute == "peer_average"}
    assert len(xiaoqu_rules) == 18
    assert xiaoqu_rules <= not_applicable
    assert not_applicable - xiaoqu_rules == {"WMSQ-8-1", "WMSQ-8-2"}  # 街道 items, by unit type


def test_xiaoqu_rules_are_substitutable_and_conditional() -> None:
    pack = load_pack_or_raise(PACK)
    for rule in pack.rules:
        if rule.rule.node in XIAOQU_NODES:
            assert rule.rule.na_substitute == "peer_average", rule.id
            assert rule.rule.applicable_if is not None, rule.id
            assert set(rule.rule.applies_to) == {"社区", "小区"}, rule.id
    guard = pack.rule("WMSQ-3-4")  # 门卫值班 concerns 小区 too
    assert guard is not None and guard.rule.na_substitute == "peer_average" and "小区" in guard.rule.applies_to


def test_peer_average_substitution_on_community_without_xiaoqu() -> None:
    """Batch mode: each of the 18 小区 rules is scored at the peers' average rate (here 50 %)."""
    pack = load_pack_or_raise(PACK)
    sink = DiagnosticSink()
    [loaded] = load_units([PACK / "samples" / "no-xiaoqu.yaml"], pack, sink)
    assert not sink.errors
    substitutes = {r.id: (Decimal("0.5"), 3) for r in pack.rules if r.rule.na_substitute == "peer_average"}
    result = evaluate(pack, loaded.unit, loaded.values, as_of=effective_as_of(loaded.unit, None), substitutes=substitutes)
    # 50 earned of 53 applicable, plus 37 substituted points at 50 % → (50 + 18.5) / 90
    assert Decimal(str(result.total)) == Decimal("76.11")
    assert sum(1 for r in result.rules if r.substituted) == 18



def test_samples_have_real_looking_region_codes() -> None:
    import yaml

    for path in sorted(Path(PACK / "samples").glob("*.yaml")):
        unit = yaml.safe_load(path.read_text(encoding="utf-8"))["unit"]
        code = unit["region"]["code"]
        assert len(code) == 12 and code.isdigit(), path.name
        assert unit["responsible"], path.name


def test_batch_substitutes_peer_average_for_community_without_xiaoqu(runner: CliRunner, tmp_path: Path) -> None:
    """``civic batch`` over the 社区/小区 samples: 金鱼巷社区 (no 小区) gets each 小区 rule at the mean earned rate
    of the units where that rule applied."""
    import shutil

    inputs = tmp_path / "units"
    inputs.mkdir()
    for name in ("strong.yaml", "average.yaml", "weak.yaml", "no-xiaoqu.yaml", "xiaoqu.yaml"):
        shutil.copy(PACK / "samples" / name, inputs / name)
    result = runner.invoke(main, ["batch", "--pack", str(PACK), "-o", str(tmp_path / "out"), str(inputs)])
    assert result.exit_code == 0, result.output
    units = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    by_name = {u["unit"]["name"]: u for u in units}
    target = by_name["金鱼巷社区"]
    substituted = {r["rule_id"]: r for r in target["rules"] if r.get("substituted")}
    assert len(substituted) == 18
    peers = [u for name, u in by_name.items() if name != "金鱼巷社区"]
    for rule_id, rule in substituted.items():
        rates = [Decimal(str(r["earned"])) / Decimal(str(r["max"])) for u in peers for r in u["rules"]
                 if r["rule_id"] == rule_id and r["outcome"] in ("pass", "partial", "fail", "missing")]
        assert len(rates) == 4, rule_id  # 3 communities with 小区 + the 小区 unit
        expected = (Decimal(str(rule["max"])) * sum(rates, Decimal(0)) / len(rates)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(str(rule["earned"])) == expected, rule_id
    assert all(not r.get("substituted") for name, u in by_name.items() if name != "金鱼巷社区" for r in u["rules"])
