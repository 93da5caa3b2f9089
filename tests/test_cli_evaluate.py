"""CLI: evaluate the shipped samples end to end."""

from __future__ import annotations

import json

from cli import main
from tests.conftest import RULES


def test_evaluate_table_is_chinese_report(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["evaluate", str(RULES / "wmdw/samples/weak.yaml")])
    assert result.exit_code == 0, result.output
    assert "总分：" in result.output
    assert "取消资格" in result.output
    assert "【缺项清单】" in result.output and "【整改清单】" in result.output


def test_evaluate_json_is_deterministic(runner) -> None:  # type: ignore[no-untyped-def]
    args = ["evaluate", str(RULES / "wmdw/samples/average.yaml"), "-f", "json"]
    first = runner.invoke(main, args)
    second = runner.invoke(main, args)
    assert first.exit_code == 0
    assert first.output == second.output
    data = json.loads(first.output)
    assert data["schema_version"] == 1
    assert data["pack"]["id"] == "wmdw"
    assert "\\u" not in first.output  # UTF-8, not escaped


def test_strong_sample_scores_full(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["evaluate", str(RULES / "wmdw/samples/strong.yaml"), "-f", "json"])
    data = json.loads(result.output)
    assert data["units"][0]["total"] == 100.0
    assert data["units"][0]["grade"] == "优秀"


def test_fail_under_exits_1(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["evaluate", str(RULES / "wmdw/samples/average.yaml"), "--fail-under", "85"])
    assert result.exit_code == 1


def test_missing_evidence_is_missing_not_fail(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["evaluate", str(RULES / "wmdw/samples/weak.yaml"), "-f", "json"])
    unit = json.loads(result.output)["units"][0]
    rule = next(r for r in unit["rules"] if r["rule_id"] == "WMDW-01-02")
    assert rule["outcome"] == "missing"
    assert rule["earned"] == 0
    assert any(d["rule_id"] == "WMDW-01-02" and d["name"] == "考核办法" for d in unit["deficiencies"])
