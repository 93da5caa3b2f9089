"""Fixtures for the batch renderers: the wmdw pack, a RunReport of the three shipped samples, and a larger
synthetic report (copies of the samples in several regions and groups, with deliberate score ties)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaluator.api import evaluate_loaded, load_units
from evaluator.compiled import CompiledPack
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack_or_raise
from evaluator.report import run_report
from schemas.result import RunReport, UnitResult, UnitSummary

ROOT = Path(__file__).resolve().parents[2]
WMDW = ROOT / "rules" / "wmdw"
REGIONS = [
    ["浙江省", "杭州市", "拱墅区", "米市巷街道"],
    ["浙江省", "杭州市", "余杭区", "仓前街道"],
    ["浙江省", "杭州市", "余杭区", "五常街道"],
    ["浙江省", "宁波市", "鄞州区", "钟公庙街道"],
]
GROUPS = ["卫生系统", "非公企业", "机关"]


@pytest.fixture(scope="session")
def wmdw_pack() -> CompiledPack:
    return load_pack_or_raise(str(WMDW))


@pytest.fixture(scope="session")
def sample_report(wmdw_pack: CompiledPack) -> RunReport:
    sink = DiagnosticSink()
    loaded = load_units(sorted((WMDW / "samples").glob("*.yaml")), wmdw_pack, sink)
    assert not sink.errors
    results = evaluate_loaded(wmdw_pack, loaded, None, [])
    return run_report(wmdw_pack, results, dt.date(2024, 12, 31),
                      [{"source": "单位/坏文件.xlsx", "code": "D104", "message": "单位/坏文件.xlsx:单位!C3 职工人数应为整数"}])


def clone(unit: UnitResult, index: int, *, total: float | None = None, name: str | None = None) -> UnitResult:
    """A copy of ``unit`` with a new id, name, region and group (and optionally a forced total, to make ties)."""
    summary = UnitSummary(id=f"DW-{index:05d}", name=name or f"{unit.unit.name}{index}号", type=unit.unit.type,
                          region=REGIONS[index % len(REGIONS)], region_code=None, group=GROUPS[index % len(GROUPS)],
                          responsible=[f"{REGIONS[index % len(REGIONS)][2]}文明办"])
    update: dict[str, object] = {"unit": summary}
    if total is not None:
        update["total"] = total
    return unit.model_copy(update=update)


def synthetic_report(base: RunReport, count: int) -> RunReport:
    units = [clone(base.units[i % len(base.units)], i) for i in range(count)]
    return base.model_copy(update={"units": units})


#: (total, disqualified) of the twelve units of ``tied_report``; expected competition ranks in ``TIED_RANKS``.
TIED_TOTALS = [(100.0, False), (99.5, False), (99.5, False), (3.44, True), (70.0, False), (70.0, False), (70.0, False),
               (100.0, False), (50.0, True), (85.0, False), (60.0, False), (3.44, True)]
TIED_RANKS = {"DW-00000": 1, "DW-00007": 1, "DW-00001": 3, "DW-00002": 3, "DW-00009": 5, "DW-00004": 6, "DW-00005": 6,
              "DW-00006": 6, "DW-00010": 9, "DW-00008": 10, "DW-00003": 11, "DW-00011": 11}
SCRIPT_NAME = "<script>alert('x')</script>&单位"


@pytest.fixture(scope="session")
def tied_report(sample_report: RunReport, wmdw_pack: CompiledPack) -> RunReport:
    """Twelve units with forced totals (ties at 100, 99.5, 70; disqualified units last) and one hostile name."""
    units = []
    for i, (total, dq) in enumerate(TIED_TOTALS):
        base = clone(sample_report.units[i % 3], i, name=SCRIPT_NAME if i == 3 else None)
        passed = total >= wmdw_pack.meta.pass_mark and not dq
        grade = "取消资格" if dq else ("优秀" if total >= 95 else "达标" if passed else "未达标")
        units.append(base.model_copy(update={"total": total, "disqualified": dq, "passed": passed, "grade": grade}))
    return sample_report.model_copy(update={"units": units})
