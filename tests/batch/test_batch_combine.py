"""civic combine: weighted cycle score, units missing a year reported (not averaged), disqualification carried."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from tests.batch.conftest import write_units

YEARS = (2022, 2023, 2024)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, wmdw: Any) -> list[Path]:
    base = tmp_path_factory.mktemp("combine")
    outs = []
    for year in YEARS:
        inputs = write_units(wmdw, base / f"in{year}", 10, seed=11, year=year)
        if year == 2022:
            sorted(inputs.iterdir())[0].unlink()  # this unit has no 2022 result
        if year == 2023:  # a veto incident in 2023 disqualifies a unit for the cycle
            target = sorted(inputs.iterdir())[1]
            text = target.read_text(encoding="utf-8").replace(
                "incidents: []", "incidents:\n  - {type: 重大安全生产事故, date: 2023-06-01, level: 较大}")
            target.write_text(text, encoding="utf-8")
        out = base / f"out{year}"
        result = CliRunner().invoke(main, ["batch", str(inputs), "--pack", "wmdw", "-o", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outs.append(out)
    return outs


def _totals(out: Path) -> dict[str, dict[str, Any]]:
    return {u["unit"]["id"]: u for u in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}


def test_cycle_scores_ranks_and_policy(runs: list[Path]) -> None:
    result = CliRunner().invoke(main, ["combine", *map(str, runs), "--weights", "15,25,60", "--pack", "wmdw", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["label"] for r in data["runs"]] == ["2022年", "2023年", "2024年"]
    years = [_totals(out) for out in runs]
    rows = {r["id"]: r for r in data["units"]}
    incomplete = [r for r in data["units"] if r["missing"]]
    assert len(incomplete) == 1 and incomplete[0]["missing"] == ["2022年"] and incomplete[0]["score"] is None and incomplete[0]["rank"] is None
    disqualified = [r for r in data["units"] if r["disqualified"]]
    assert any("2023年：否决项" in reason for r in disqualified for reason in r["reasons"])
    for uid, row in rows.items():
        if row["missing"]:
            continue
        expected = sum(Decimal(w) * Decimal(str(y[uid]["total"])) for w, y in zip(("15", "25", "60"), years, strict=True)) / 100
        assert Decimal(str(row["score"])) == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert row["passed"] == (row["score"] >= 85 and not row["disqualified"])
    ranked = [r for r in data["units"] if r["rank"] is not None]
    keys = [(r["disqualified"], -r["score"]) for r in ranked]
    assert keys == sorted(keys)
    assert ranked[-1]["disqualified"] is True


def test_table_and_xlsx_outputs(runs: list[Path], tmp_path: Path) -> None:
    table = CliRunner().invoke(main, ["combine", *map(str, runs), "--weights", "15,25,60"])
    assert table.exit_code == 0 and "周期得分 = 2022年×15% + 2023年×25% + 2024年×60%" in table.stdout
    assert "缺少2022年结果" in table.stdout
    target = tmp_path / "周期.xlsx"
    jsonl = [str(runs[0] / "results.jsonl"), str(runs[1]), str(runs[2])]
    result = CliRunner().invoke(main, ["combine", *jsonl, "--weights", "15,25,60", "-f", "xlsx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(target)
    header = [c.value for c in wb["周期成绩"][1]]
    assert header[:3] == ["名次", "单位编号", "单位名称"] and "周期得分" in header
    assert wb["周期成绩"].max_row == 11 and "说明" in wb.sheetnames


def test_bad_weights_and_mixed_packs(runs: list[Path], tmp_path: Path) -> None:
    wrong = CliRunner().invoke(main, ["combine", *map(str, runs), "--weights", "40,60"])
    assert wrong.exit_code == 2 and "3 期结果" in wrong.output
    negative = CliRunner().invoke(main, ["combine", *map(str, runs), "--weights", "15,-25,60"])
    assert negative.exit_code == 2
    other = CliRunner().invoke(main, ["combine", *map(str, runs), "--weights", "15,25,60", "--pack", "wmcz"])
    assert other.exit_code == 2 and "不同的测评体系" in other.output
    broken = tmp_path / "坏.jsonl"
    broken.write_text('{"unit": 1}\n', encoding="utf-8")
    bad = CliRunner().invoke(main, ["combine", str(broken), "--weights", "100"])
    assert bad.exit_code == 4 and "坏.jsonl:1:1" in bad.output
