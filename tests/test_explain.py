"""``civic explain RULE UNIT``: the full explanation of one result, snapshot-tested for two typical cases —
a rule failed on a threshold (observed vs required value) and a rule held back by missing evidence.

Snapshots live in tests/golden/explain/; regenerate with ``CIVIC_UPDATE_GOLDEN=1`` (see tests/golden/README.md).
"""

from __future__ import annotations

import json

import pytest

from tests.test_golden import GOLDEN, check_golden, run_civic

CASES = [
    ("WMDW-02-01", "average"),   # 25 % registered volunteers, 30 % required → 不符合
    ("WMDW-03-01", "average"),   # enough sessions but one photo lacks a caption → 缺项
    ("WMDW-13-02", "weak"),      # deduction: 3 problems × 0.5
]


@pytest.mark.parametrize(("rule", "sample"), CASES, ids=[f"{r}-{s}" for r, s in CASES])
def test_explain_text_snapshot(monkeypatch: pytest.MonkeyPatch, rule: str, sample: str) -> None:
    result = run_civic(monkeypatch, "explain", rule, f"rules/wmdw/samples/{sample}.yaml")
    assert result.exit_code == 0, result.stderr
    check_golden(GOLDEN / "explain" / f"{rule}-{sample}.txt", result.stdout)


def test_explain_states_observed_and_required_values(monkeypatch: pytest.MonkeyPatch) -> None:
    text = run_civic(monkeypatch, "explain", "WMDW-02-01", "rules/wmdw/samples/average.yaml").stdout
    assert "注册志愿者人数占职工人数的比例为25%，低于要求的30%" in text
    assert "结果：不符合，得 0 / 5 分，失分 5" in text
    assert "整改：动员职工在全国志愿服务信息系统实名注册，注册比例达到要求（责任：团委，期限 30 天，高）" in text


def test_explain_json_is_the_rule_result(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_civic(monkeypatch, "explain", "WMDW-03-01", "rules/wmdw/samples/average.yaml", "-f", "json")
    data = json.loads(result.stdout)
    assert (data["outcome"], data["earned"], data["max"]) == ("missing", 0.0, 4.0)
    assert [m["name"] for m in data["missing"]] == ["活动照片"]


def test_explain_unknown_rule_suggests_close_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_civic(monkeypatch, "explain", "WMDW-02-03", "rules/wmdw/samples/average.yaml")
    assert result.exit_code == 2
    assert "测评体系 wmdw 中没有规则 'WMDW-02-03'" in result.stderr
    assert "WMDW-02-01" in result.stderr
