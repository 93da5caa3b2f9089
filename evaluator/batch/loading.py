"""Turn a job (a unit file, or a record read from a table) into validated units — the same path for
``civic evaluate`` (via ``evaluator.api``) and for the workers of ``civic batch``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.batch.records import UnitRecord, validate_record
from evaluator.batch.tables import Notice, Rejection, iter_workbook, read_csv_units
from evaluator.compiled import CompiledPack
from evaluator.errors import CivicError, DiagnosticSink, Location
from evaluator.unitdata import load_unit_file
from schemas.unit import Unit

TABULAR_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".xls")


@dataclass
class Loaded:
    """One unit as loaded: the unit (None when invalid), its normalised values, where it came from."""

    unit: Unit | None
    values: dict[str, Any]
    source: str
    unit_id: str = ""
    name: str = ""


def tabular_items(path: Path, pack: CompiledPack, encoding: str | None = None) -> Iterator[UnitRecord | Rejection | Notice]:
    if path.suffix.lower() == ".csv":
        yield from read_csv_units(path, pack, encoding)
    elif path.suffix.lower() == ".xls":
        from evaluator.errors import Diagnostic

        yield Rejection(str(path), [Diagnostic("D300", "不支持旧版 .xls 工作簿", Location(str(path)), "error",
                                               "在 Excel/WPS 中另存为 .xlsx（Excel 工作簿）后重试")])
    else:
        yield from iter_workbook(path, pack)


def load_record(record: UnitRecord, pack: CompiledPack, sink: DiagnosticSink, as_of: dt.date | None = None) -> Loaded:
    for warning in record.warnings:
        sink.add(warning)
    unit, values = validate_record(record, pack, sink, as_of)
    identity = record.data.get("unit", {})
    return Loaded(unit, values, str(record.root), str(identity.get("id") or ""), str(identity.get("name") or ""))


def load_path(path: Path, pack: CompiledPack, sink: DiagnosticSink, encoding: str | None = None,
              as_of: dt.date | None = None) -> Iterator[Loaded]:
    """Every unit of one file. Problems go to ``sink``; an invalid unit is yielded with ``unit=None``.
    ``as_of`` is the --as-of override (dates after it are errors, as in ``civic evaluate``)."""
    if path.name.startswith("~$"):
        sink.warning("D322", "这是 Excel/WPS 打开文件时生成的临时锁文件，已跳过", Location(str(path)), "关闭该工作簿后无需处理")
        return
    if path.suffix.lower() not in TABULAR_SUFFIXES:
        unit, values = load_unit_file(path, pack, sink, as_of)
        yield Loaded(unit, values, str(path), unit.unit.id if unit else "", unit.unit.name if unit else "")
        return
    try:
        for item in tabular_items(path, pack, encoding):
            if isinstance(item, UnitRecord):
                yield load_record(item, pack, sink, as_of)
            elif isinstance(item, Notice):
                sink.add(item.diagnostic)
            else:
                for diag in item.diagnostics:
                    sink.add(diag)
                yield Loaded(None, {}, item.source, item.unit_id)
    except CivicError as exc:
        for diag in exc.diagnostics:
            sink.add(diag)
        yield Loaded(None, {}, str(path))


def load_tabular_units(path: Path, pack: CompiledPack, sink: DiagnosticSink,
                       as_of: dt.date | None = None) -> list[tuple[Unit, dict[str, Any], str]]:
    """For ``civic evaluate``: the valid units of an .xlsx/.csv file (problems go to ``sink``)."""
    return [(item.unit, item.values, item.source) for item in load_path(path, pack, sink, as_of=as_of) if item.unit is not None]
