"""Differential tests: the SQL backend gives the reference evaluator's outcome and points, cell by cell,
for every shipped pack's samples and fixtures; rules it cannot compile are named, never silently different."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluator.api import LoadedUnit, load_units
from evaluator.engine import build_context, evaluate_rule
from evaluator.errors import DiagnosticSink
from evaluator.loader import REPO_RULES, discover_packs, load_pack
from evaluator.sqlc.engine import sql_cells
from evaluator.testing import fixture_unit
from evaluator.unitdata import check_fields

PACKS = discover_packs([REPO_RULES])


def _reference(pack, item: LoadedUnit, as_of):  # type: ignore[no-untyped-def]
    labels = {**{f.name: f.label or f.name for f in pack.file.fields}, **{k.id: k.label or k.id for k in pack.file.evidence_kinds}}
    ctx = build_context(pack, item.unit, item.values, as_of)
    cells = {}
    for rule in pack.scored_rules():
        if rule.rule.status == "stable":
            r = evaluate_rule(pack, rule, item.unit, ctx, item.values, as_of, labels).result
            cells[rule.id] = (r.outcome, Decimal(str(r.earned)).quantize(Decimal("0.01")))
    return cells


def _units_of(pack) -> list[tuple[LoadedUnit, object]]:  # type: ignore[no-untyped-def]
    sink = DiagnosticSink()
    items = [(u, u.unit.as_of or u.unit.period.end) for u in load_units([pack.root / "samples"], pack, sink)]
    for n, case in enumerate(pack.cases):
        try:
            unit, as_of = fixture_unit(pack, case)
        except Exception:  # noqa: BLE001 - invalid fixtures are reported by the fixture tests
            continue
        values = check_fields(pack, unit, None, DiagnosticSink(), "fixture")
        unit = unit.model_copy(update={"unit": unit.unit.model_copy(update={"id": f"fx{n:04d}"}), "as_of": as_of})
        items.append((LoadedUnit(unit, values, "fixture"), as_of))
    return items


@pytest.mark.parametrize("directory", PACKS, ids=[p.name for p in PACKS])
def test_sql_matches_reference(directory) -> None:  # type: ignore[no-untyped-def]
    sink = DiagnosticSink()
    pack = load_pack(directory, sink)
    assert pack is not None and not sink.errors
    items = _units_of(pack)
    run = sql_cells(pack, [u for u, _ in items], None)
    mismatches = []
    for item, as_of in items:
        expected = _reference(pack, item, as_of)
        for rule_id, cell in expected.items():
            if rule_id in run.pack_sql.fallback:
                continue
            got = run.cells[(item.unit.unit.id, rule_id)]
            if got != cell:
                mismatches.append(f"{item.unit.unit.id} {rule_id}: sql={got} ref={cell}")
    assert not mismatches, "\n".join(mismatches[:30])
