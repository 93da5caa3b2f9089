"""Local tailoring (地方细则): the shipped example overlay changes exactly what it says, end to end from the CLI,
and a bad overlay stops with a located Chinese error and exit code 3.

Hand computation for the 'average' sample (全国体系, rescale policy: total = 100 × earned ÷ applicable max):
  without the overlay: earned 79.37 of 100 → 79.37;
  with hz-2024: − WMDW-06-02 (earned 1.98, max 3, unselected); WMDW-02-01 passes at 25 % (+5);
  WMDW-09-01 worth 4 instead of 3 and passed (+1 earned, +1 max) → 100 × 83.39 / 98 = 85.09.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import RULES

AVERAGE = RULES / "wmdw" / "samples" / "average.yaml"
EXAMPLE = RULES / "wmdw" / "tailoring" / "杭州市细则示例.yaml"


def _evaluate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["evaluate", str(AVERAGE), "--pack", "wmdw", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def _json(*args: str) -> dict[str, Any]:
    code, out, err = _evaluate("-f", "json", *args)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _rules(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["rule_id"]: r for r in report["units"][0]["rules"]}


def test_example_overlay_changes_points_params_selection_and_deadline() -> None:
    plain, tailored = _json(), _json("--tailoring", str(EXAMPLE))
    assert plain["pack"]["tailoring"] is None and tailored["pack"]["tailoring"] == "hz-2024"
    assert plain["pack"]["content_hash"] != tailored["pack"]["content_hash"]
    before, after = _rules(plain), _rules(tailored)
    assert "WMDW-06-02" in before and "WMDW-06-02" not in after                 # unselected
    assert (before["WMDW-02-01"]["outcome"], after["WMDW-02-01"]["outcome"]) == ("fail", "pass")  # 25 % threshold
    assert "低于要求的30%" in before["WMDW-02-01"]["message"]
    assert (before["WMDW-09-01"]["max"], after["WMDW-09-01"]["max"]) == (3, 4)  # points 3 → 4
    rect = {r["rule_id"]: r for r in tailored["units"][0]["rectifications"]}["WMDW-13-01"]
    assert (rect["due"], rect["severity"]) == ("2025-01-03", "高")              # as_of + 3 days
    nodes_before = {n["code"]: n["max"] for n in plain["units"][0]["nodes"]}
    nodes_after = {n["code"]: n["max"] for n in tailored["units"][0]["nodes"]}
    assert (nodes_before["06"], nodes_after["06"]) == (6, 3)                   # only WMDW-06-01 left
    assert (plain["units"][0]["total"], tailored["units"][0]["total"]) == (79.37, 85.09)
    assert (plain["units"][0]["passed"], tailored["units"][0]["passed"]) == (False, True)


def test_table_report_names_the_overlay() -> None:
    code, out, _ = _evaluate("--tailoring", str(EXAMPLE))
    assert code == 0
    assert "细则：hz-2024" in out
    assert "总分：85.09" in out


def test_the_national_pack_is_untouched_after_a_tailored_run() -> None:
    _json("--tailoring", str(EXAMPLE))
    assert _rules(_json())["WMDW-09-01"]["max"] == 3


HEAD = "tailoring:\n  id: t-bad\n  title: 有错误的细则\n  pack: wmdw\n"

BAD: list[tuple[str, str, str, str]] = [
    # (case, overlay body after HEAD (or whole file), expected location suffix, expected message fragment)
    ("wrong-pack", "tailoring:\n  id: t\n  title: 错包\n  pack: wmcs\n", ":4:9", "细则针对的测评体系是 'wmcs'，而当前是 'wmdw'"),
    ("unknown-unselect", HEAD + "  unselect: [WMDW-06-02, WMDW-99-01]\n", ":5:26", "细则引用了不存在的规则 'WMDW-99-01'"),
    ("unknown-rule", HEAD + "  rules:\n    WMDW-02-10: {points: 4}\n", ":6:5", "细则引用了不存在的规则 'WMDW-02-10'"),
    ("unknown-param", HEAD + "  rules:\n    WMDW-02-01: {params: {目标比例: 25}}\n", ":6:27", "规则 WMDW-02-01 没有参数 '目标比例'"),
    ("param-type", HEAD + "  rules:\n    WMDW-09-01:\n      params: {最少处数: 三处}\n", ":7:22", "参数 '最少处数' 原为数值（3），细则中写成了 '三处'"),
    ("bad-severity", HEAD + "  rules:\n    WMDW-13-01: {severity: 紧急}\n", ":6:28", "'severity' 的值 '紧急' 不在可选范围内"),
    ("negative-points", HEAD + "  rules:\n    WMDW-09-01: {points: -2}\n", ":6:26", "'points' 应 ≥ 0"),
    ("deadline-on-veto", HEAD + "  rules:\n    WMDW-V-01: {deadline_days: 10}\n", ":6:17", "没有整改要求（rectification），不能修改 deadline_days"),
    ("points-on-veto", HEAD + "  rules:\n    WMDW-V-02: {points: 3}\n", ":6:17", "是否决项，不计分，不能修改 points"),
    ("typo-key", HEAD + "  unselected: [WMDW-06-02]\n", ":5:3", "unselected"),
    ("yaml-syntax", HEAD + "  unselect: [WMDW-06-02\n", ":", "YAML 语法错误"),
    ("tab", HEAD + "  rules:\n\tWMDW-09-01: {points: 4}\n", ":6:1", "制表符"),
    ("not-a-mapping", "- WMDW-06-02\n", ":1:1", "文件顶层应为映射"),
]


@pytest.mark.parametrize(("case", "body", "where", "message"), BAD, ids=[c[0] for c in BAD])
def test_bad_overlay_is_a_located_rules_error(tmp_path: Path, case: str, body: str, where: str, message: str) -> None:
    overlay = tmp_path / f"{case}.yaml"
    overlay.write_text(body, encoding="utf-8")
    code, out, err = _evaluate("--tailoring", str(overlay))
    assert code == 3, err
    assert out == ""  # nothing is scored with a broken overlay
    assert f"--> {overlay}{where}" in err, err
    assert message in err, err


def test_missing_overlay_file_is_a_usage_error() -> None:
    code, _, err = _evaluate("--tailoring", "不存在的细则.yaml")
    assert code == 2
    assert "不存在的细则.yaml" in err
