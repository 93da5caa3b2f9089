"""Helpers for the engine tests: load the tiny test packs in ``tests/data/`` and evaluate unit snippets.

Unit snippets are plain dicts shaped like a unit file (``fields``, ``evidence``, ``inspections`` …); identity
and period are filled in so each test states only the data that matters to it. Values go through the same
data-dictionary check as real unit files (``unitdata.check_fields``), so "是" and "85%" behave as in use.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from evaluator.compiled import CompiledPack
from evaluator.engine import build_context, evaluate, evaluate_rule
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack
from evaluator.unitdata import check_fields
from schemas.result import RuleResult, UnitResult
from schemas.unit import Unit, Waiver

DATA = Path(__file__).resolve().parent
AS_OF = dt.date(2024, 12, 31)
_CACHE: dict[str, CompiledPack] = {}


def pack_named(name: str, *, fresh: bool = False) -> CompiledPack:
    """A pack under ``tests/data/<name>``; must load without errors. ``fresh`` for tests that modify it."""
    if fresh or name not in _CACHE:
        sink = DiagnosticSink()
        pack = load_pack(DATA / name, sink)
        assert pack is not None and not sink.errors, [d.one_line() for d in sink.errors]
        if fresh:
            return pack
        _CACHE[name] = pack
    return _CACHE[name]


def make_unit(pack: CompiledPack, data: dict[str, Any], *, unit_type: str | None = None, unit_id: str = "T-001",
              period: tuple[dt.date, dt.date] | None = None, checked: bool = True) -> tuple[Unit, dict[str, Any]]:
    """``checked=False`` skips the data-dictionary check, to reach the engine's own guards with bad data."""
    start, end = period or (dt.date(2024, 1, 1), AS_OF)
    raw: dict[str, Any] = {
        "unit": {"id": unit_id, "name": "测试单位", "type": unit_type or pack.meta.unit_types[0]},
        "period": {"start": start, "end": end},
        **data,
    }
    unit = Unit.model_validate(raw)
    if not checked:
        return unit, dict(unit.fields)
    sink = DiagnosticSink()
    values = check_fields(pack, unit, None, sink, "测试数据")
    assert not sink.errors, [d.one_line() for d in sink.errors]
    return unit, values


def grade_rule(pack: CompiledPack, rule_id: str, data: dict[str, Any], *, as_of: dt.date = AS_OF,
               unit_type: str | None = None, checked: bool = True) -> RuleResult:
    """One rule for one unit snippet, through ``engine.evaluate_rule`` (the path ``civic test`` uses)."""
    unit, values = make_unit(pack, data, unit_type=unit_type, checked=checked)
    rule = pack.rule(rule_id)
    assert rule is not None, rule_id
    labels = {**{f.name: f.label or f.name for f in pack.file.fields}, **{k.id: k.label or k.id for k in pack.file.evidence_kinds}}
    return evaluate_rule(pack, rule, unit, build_context(pack, unit, values, as_of), values, as_of, labels).result


def evaluate_unit(pack: CompiledPack, data: dict[str, Any], *, as_of: dt.date = AS_OF, unit_type: str | None = None,
                  waivers: list[Waiver] | None = None, unit_id: str = "T-001") -> UnitResult:
    unit, values = make_unit(pack, data, unit_type=unit_type, unit_id=unit_id)
    result: UnitResult = evaluate(pack, unit, values, as_of=as_of, waivers=waivers)
    return result


def rule_result(result: UnitResult, rule_id: str) -> RuleResult:
    return next(r for r in result.rules if r.rule_id == rule_id)
