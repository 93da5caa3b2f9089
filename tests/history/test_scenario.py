"""Three rounds of assessment over sample units: diff, lifecycle states, escalation, reconciliation, OSCAL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli import main
from tests.conftest import RULES


def _unit(name: str) -> dict[str, Any]:
    return yaml.safe_load((RULES / "wmdw" / "samples" / f"{name}.yaml").read_text(encoding="utf-8"))


def _round(tmp: Path, runner: Any, db: Path, label: str, as_of: str, units: list[dict[str, Any]], mode: str = "self") -> Path:
    paths = []
    for unit in units:
        unit = json.loads(json.dumps(unit, default=str))
        unit["as_of"] = as_of
        path = tmp / label / f"{unit['unit']['id']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(unit, allow_unicode=True), encoding="utf-8")
        paths.append(str(path))
    out = tmp / f"{label}.json"
    result = runner.invoke(main, ["evaluate", *paths, "--pack", "wmdw", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["record", str(out), "--db", str(db), "--mode", mode, "--label", label, "--who", "测试"])
    assert result.exit_code == 0, result.output
    return out


def _findings(db: Path) -> dict[tuple[str, str, str], sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return {(r["unit_id"], r["rule_id"], r["sub_item"]): r for r in conn.execute("SELECT * FROM findings")}


@pytest.fixture
def scenario(tmp_path: Path, runner: Any) -> dict[str, Any]:
    db = tmp_path / "civic.db"
    average, weak = _unit("average"), _unit("weak")
    _round(tmp_path, runner, db, "r1", "2024-12-31", [average, weak])

    fixed = json.loads(json.dumps(average, default=str))
    fixed["fields"]["讲堂诵经典"] = True          # fixes WMDW-03-02
    fixed["fields"]["注册志愿者人数"] = 300       # fixes WMDW-02-01 (ratio ≥ 30%)
    fixed["fields"]["公益广告处数"] = 1            # breaks WMDW-09-01
    _round(tmp_path, runner, db, "r2", "2025-03-31", [fixed, weak])

    again = json.loads(json.dumps(fixed))
    again["fields"]["讲堂诵经典"] = False         # WMDW-03-02 fails again → reopened
    _round(tmp_path, runner, db, "r3", "2025-06-30", [again, weak])
    return {"db": db, "tmp": tmp_path}


def test_lifecycle_states(scenario: dict[str, Any], runner: Any) -> None:
    f = _findings(scenario["db"])
    avg = "DW-330105-014"
    assert f[(avg, "WMDW-02-01", "")]["status"] == "verified"             # fixed in round 2, stays verified
    assert f[(avg, "WMDW-03-02", "")]["status"] == "reopened"             # fixed in round 2, broken again in round 3
    assert f[(avg, "WMDW-09-01", "")]["status"] == "open"                 # newly broken in round 2
    assert f[(avg, "WMDW-09-01", "")]["consecutive_failures"] == 2        # still failing in round 3
    weak = "DW-330110-207"
    assert f[(weak, "WMDW-01-02", "evidence:考核办法")]["consecutive_failures"] == 3


def test_rectified_then_verified_or_rejected(scenario: dict[str, Any], runner: Any) -> None:
    db = str(scenario["db"])
    row = _findings(scenario["db"])[("DW-330105-014", "WMDW-09-01", "")]
    result = runner.invoke(main, ["rectify", "done", str(row["id"]), "--note", "已增设公益广告 6 处", "--db", db, "--on", "2025-07-05"])
    assert result.exit_code == 0, result.output
    assert _findings(scenario["db"])[("DW-330105-014", "WMDW-09-01", "")]["status"] == "rectified"
    result = runner.invoke(main, ["rectify", "list", "--status", "rectified", "--db", db, "--as-of", "2025-07-06"])
    assert "已报整改待复查" in result.output
    result = runner.invoke(main, ["rectify", "done", "99999", "--note", "x", "--db", db])
    assert result.exit_code == 2 and "没有编号为 99999 的问题" in result.output


def test_overdue_and_escalation(scenario: dict[str, Any], runner: Any) -> None:
    db = str(scenario["db"])
    result = runner.invoke(main, ["rectify", "list", "--unit", "DW-330110-207", "--escalated", "-f", "json", "--db", db, "--as-of", "2025-07-01"])
    items = json.loads(result.output)
    assert items, result.output
    assert all(i["escalation"].startswith("通报") for i in items)
    assert any("连续3轮未通过" in i["escalation"] or "逾期" in i["escalation"] for i in items)
    overdue = runner.invoke(main, ["rectify", "list", "--overdue", "-f", "json", "--db", db, "--as-of", "2025-07-01"])
    assert all(i["overdue_days"] > 0 and i["status"] != "verified" for i in json.loads(overdue.output))


def test_diff_between_rounds(scenario: dict[str, Any], runner: Any) -> None:
    db = str(scenario["db"])
    result = runner.invoke(main, ["diff", "r1", "r2", "-f", "json", "--db", db])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    avg = next(u for u in data["units"] if u["unit_id"] == "DW-330105-014")
    assert "WMDW-09-01" in avg["newly_failing"]
    assert {"WMDW-02-01", "WMDW-03-02"} <= set(avg["newly_passing"])
    assert avg["change"] > 0
    weak = next(u for u in data["units"] if u["unit_id"] == "DW-330110-207")
    assert weak["change"] == 0 and weak["still_failing"]
    table = runner.invoke(main, ["diff", "r1", "r2", "--db", db])
    assert "新增失分" in table.output
    out = scenario["tmp"] / "diff.xlsx"
    assert runner.invoke(main, ["diff", "r1", "r2", "-f", "xlsx", "-o", str(out), "--db", db]).exit_code == 0
    from openpyxl import load_workbook

    assert load_workbook(out)["轮次对比"]["A1"].value == "单位编号"


def test_history_trend(scenario: dict[str, Any], runner: Any) -> None:
    result = runner.invoke(main, ["history", "DW-330105-014", "--db", str(scenario["db"])])
    assert result.exit_code == 0
    assert result.output.count("自评") == 3


def test_reconcile_self_vs_mock(scenario: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    db = scenario["db"]
    mock = _unit("average")
    mock["judgements"]["WMDW-05-01"] = {"level": "C", "note": "多名职工未佩戴工牌", "by": "第三方测评组"}
    mock["fields"]["公益广告处数"] = 2
    _round(tmp_path, runner, db, "mock1", "2024-12-31", [mock], mode="mock")
    result = runner.invoke(main, ["reconcile", "r1", "mock1", "-f", "json", "--db", str(db)])
    items = json.loads(result.output)
    rules = {i["rule_id"]: i for i in items}
    assert rules["WMDW-05-01"]["self_level"] == "B" and rules["WMDW-05-01"]["official_level"] == "C"
    assert rules["WMDW-05-01"]["over_rated"] > 0
    assert rules["WMDW-09-01"]["self_outcome"] == "pass" and rules["WMDW-09-01"]["official_outcome"] == "fail"


def test_oscal_export(scenario: dict[str, Any], runner: Any) -> None:
    out = scenario["tmp"] / "oscal"
    result = runner.invoke(main, ["export", "oscal", "r2", "-o", str(out), "--db", str(scenario["db"])])
    assert result.exit_code == 0, result.output
    ar = json.loads((out / "assessment-results.json").read_text(encoding="utf-8"))["assessment-results"]
    findings = ar["results"][0]["findings"]
    assert {f["target"]["status"]["state"] for f in findings} == {"satisfied", "not-satisfied"}
    poam = json.loads((out / "poam.json").read_text(encoding="utf-8"))["plan-of-action-and-milestones"]
    assert any(p["name"] == "due" for item in poam["poam-items"] for p in item["props"])
    again = scenario["tmp"] / "oscal2"
    runner.invoke(main, ["export", "oscal", "r2", "-o", str(again), "--db", str(scenario["db"])])
    assert (out / "poam.json").read_bytes() == (again / "poam.json").read_bytes()


def test_combine_reads_rounds_from_the_store(scenario: dict[str, Any], runner: Any) -> None:
    """Three recorded rounds → a 15/25/60 cycle score, with the weak unit's 取消资格 carried into the cycle."""
    db = str(scenario["db"])
    result = runner.invoke(main, ["combine", "r1", "r2", "r3", "--weights", "15,25,60", "--pack", "wmdw", "-f", "json", "--db", db])
    assert result.exit_code == 0, result.output
    units = {u["id"]: u for u in json.loads(result.output)["units"]}
    conn = sqlite3.connect(scenario["db"])
    totals = {label: t for label, t in conn.execute(
        "SELECT r.label, u.total FROM unit_results u JOIN runs r ON r.id = u.run_id WHERE u.unit_id = 'DW-330105-014'")}
    expected = round(0.15 * totals["r1"] + 0.25 * totals["r2"] + 0.60 * totals["r3"], 2)
    assert abs(units["DW-330105-014"]["score"] - expected) < 0.011
    assert units["DW-330110-207"]["disqualified"] is True
