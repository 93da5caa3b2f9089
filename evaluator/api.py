"""The functions ``cli.py`` calls: load units, evaluate them, load waivers. File reading happens here and in
the loaders; ``engine.evaluate`` stays pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.compiled import CompiledPack
from evaluator.engine import evaluate
from evaluator.errors import Diagnostic, DiagnosticSink, Location, UnitDataError
from evaluator.loader import load_model
from evaluator.unitdata import load_unit_file
from schemas.result import UnitResult
from schemas.unit import Unit, Waiver, WaiverFile

UNIT_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


@dataclass
class LoadedUnit:
    unit: Unit
    values: dict[str, Any]
    source: str


def expand_unit_paths(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in UNIT_SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def load_units(paths: list[Path], pack: CompiledPack, sink: DiagnosticSink, as_of: dt.date | None = None) -> list[LoadedUnit]:
    """Load every unit it can; each bad file adds located diagnostics and is skipped."""
    loaded: list[LoadedUnit] = []
    seen: dict[str, str] = {}
    for path in expand_unit_paths(paths):
        if not path.exists():
            sink.error("D000", "文件不存在", Location(str(path)), "检查路径是否正确")
            continue
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".csv"):  # workbooks and tables: evaluator/batch
            from evaluator.batch.loading import load_tabular_units
            found = load_tabular_units(path, pack, sink, as_of)
        else:
            unit, values = load_unit_file(path, pack, sink, as_of)
            found = [(unit, values, str(path))] if unit is not None else []
        for unit, values, source in found:
            if unit.unit.id in seen:
                sink.error("D209", f"单位编号 '{unit.unit.id}' 重复（已在 {seen[unit.unit.id]} 中出现）", Location(source),
                           "每个单位的 unit.id 必须唯一")
                continue
            seen[unit.unit.id] = source
            loaded.append(LoadedUnit(unit, values, source))
    return loaded


def load_waivers(path: Path | None) -> list[Waiver]:
    if path is None:
        return []
    sink = DiagnosticSink()
    waivers, _ = load_model(path, WaiverFile, sink, prefix="D")
    if waivers is None or sink.errors:
        raise UnitDataError(sink.errors or [Diagnostic("D100", "豁免文件无法读取", Location(str(path)))])
    return waivers.waivers


def effective_as_of(unit: Unit, override: dt.date | None) -> dt.date:
    """``--as-of`` wins, then the unit's ``as_of``, then the end of its period — never today's clock."""
    return override or unit.as_of or unit.period.end


def evaluate_loaded(pack: CompiledPack, units: list[LoadedUnit], as_of: dt.date | None, waivers: list[Waiver]) -> list[UnitResult]:
    return [evaluate(pack, u.unit, u.values, as_of=effective_as_of(u.unit, as_of), waivers=waivers) for u in units]
