"""N/A peer-average substitution: a not-applicable rule marked peer_average takes the batch's average earned rate."""

from __future__ import annotations

import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from click.testing import CliRunner

from cli import main
from evaluator.loader import load_pack_or_raise
from tests.batch.conftest import write_units

REPO_PACK = Path(__file__).resolve().parents[2] / "rules" / "wmdw"


def _pack_with_substitution(tmp_path: Path) -> Path:
    """wmdw where 投诉按期办结 applies only when a unit had complaints, and is replaced by the peer average elsewhere.

    Substitution follows the applicability condition (社区无小区), never ``applies_to`` (another unit type)."""
    pack = tmp_path / "wmdw"
    shutil.copytree(REPO_PACK, pack)
    rules = pack / "rules" / "10-13.yaml"
    text = rules.read_text(encoding="utf-8")
    marker = "    title: 投诉按期办结\n"
    assert marker in text
    rules.write_text(text.replace(marker, marker + "    applicable_if: 服务投诉件数 > 2\n    na_substitute: peer_average\n"), encoding="utf-8")
    return pack


def test_not_applicable_rules_take_the_peer_average(tmp_path: Path) -> None:
    pack_dir = _pack_with_substitution(tmp_path)
    pack = load_pack_or_raise(str(pack_dir))
    inputs = write_units(pack, tmp_path / "in", 30, seed=3)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", str(pack_dir), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    units = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    rule = "WMDW-12-02"
    results = [(u, next(r for r in u["rules"] if r["rule_id"] == rule)) for u in units]
    applied = [r for _, r in results if r["outcome"] != "not_applicable"]
    others = [(u, r) for u, r in results if r["outcome"] == "not_applicable"]
    assert applied and others
    fraction = sum(Decimal(str(r["earned"])) / Decimal(str(r["max"])) for r in applied) / len(applied)
    expected = (Decimal(4) * fraction.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for unit, r in others:
        assert r["substituted"] is True and r["outcome"] == "not_applicable"
        assert Decimal(str(r["earned"])) == expected and r["max"] == 4
        assert f"按同批 {len(applied)} 个适用单位的平均得分率" in r["message"]
        method = next(m for m in unit["methods"] if m["method"] == "材料审核")
        assert method["max"] >= 4  # the substituted rule is back in the denominator
    assert not any(r["substituted"] for r in applied)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["substitutions"] == [{"rule": rule, "title": "投诉按期办结", "average_rate": float((fraction * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
                                         "peers": len(applied), "units": len(others)}]


def test_without_peers_nothing_is_substituted(tmp_path: Path) -> None:
    pack_dir = _pack_with_substitution(tmp_path)
    rules = pack_dir / "rules" / "10-13.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("服务投诉件数 > 2", "coalesce(服务投诉件数, 0) > 1000000"), encoding="utf-8")
    pack = load_pack_or_raise(str(pack_dir))
    inputs = write_units(pack, tmp_path / "in", 12, seed=3)  # no unit has that many complaints: no peer to average
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", str(pack_dir), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        rule = next(r for r in json.loads(line)["rules"] if r["rule_id"] == "WMDW-12-02")
        assert rule["outcome"] == "not_applicable" and not rule["substituted"] and rule["max"] == 0
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["substitutions"] == []
