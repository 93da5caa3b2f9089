"""Generated packs and units: every engine gives the reference's outcome and points, cell by cell.

Hypothesis draws rules over a small data dictionary (numbers that can be negative or zero, percentages, yes/no,
unicode text, an enum, a list of records, inspections, a survey) with constants taken from the same pool as
the data, so thresholds are often met exactly and divisors are often zero; units miss fields, have empty
lists and zero survey samples. DuckDB runs every example, durable-rules and Spark fewer (they are slower).
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.api import LoadedUnit, evaluate_loaded
from evaluator.engine import build_context, evaluate_rule
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack
from evaluator.sqlc.engine import sql_cells
from evaluator.unitdata import check_fields
from schemas.unit import Unit

POOL = ["0", "1", "2", "5", "10", "-3", "2.5", "0.5", "100"]
TEXTS = ["好人好事 ✓", "Ünïcode", "", "甲"]
PACK = {
    "pack": {"id": "gen", "title": "生成的测评体系", "edition": "测试", "source": {"document": "测试"}, "unit_types": ["单位"],
             "full_marks": 100, "pass_mark": 60, "methods": ["材料审核"]},
    "catalogue": [{"code": "1", "title": "全部", "points": 100}],
    "fields": [
        {"name": "数量", "type": "integer", "min": 0, "max": 1000},
        {"name": "差值", "type": "number", "min": -1000, "max": 1000},
        {"name": "比例", "type": "percent"},
        {"name": "已建立", "type": "boolean"},
        {"name": "名称", "type": "text"},
        {"name": "类别", "type": "enum", "values": ["甲", "乙", "丙"]},
        {"name": "记录", "type": "list", "item_fields": [{"name": "类型", "type": "enum", "values": ["A", "B"]},
                                                          {"name": "分数", "type": "number"}]},
    ],
    "evidence_kinds": [{"id": "方案"}],
    "point_types": ["社区"],
    "survey_topics": ["满意度"],
}

const = st.sampled_from(POOL)
field_num = st.sampled_from(["数量", "差值", "比例", "coalesce(数量, 0)", "abs(差值)", "count(记录)", "count(记录, 分数 > 1)",
                             "problems('社区')", "sampled('社区')", "survey_rate('满意度')", "evidence_count('方案')"])


def _num(depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.one_of(field_num, const.map(lambda c: f"({c})" if c.startswith("-") else c))
    if depth == 0:
        return leaf
    sub = _num(depth - 1)
    return st.one_of(
        leaf, leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub, sub).map(lambda t: f"ratio({t[0]}, {t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), sub, sub).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )


def _atom() -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(_num(1), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), const).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.just("已建立"),
        st.sampled_from(TEXTS).map(lambda s: f"名称 == '{s}'"),
        st.sampled_from(["甲", "乙"]).map(lambda s: f"类别 != '{s}'"),
        st.sampled_from(["any(记录, 类型 == 'A')", "all(记录, 分数 >= 1)", "exists(数量)", "exists(名称)"]),
    )


def _cond(depth: int = 2) -> st.SearchStrategy[str]:
    if depth == 0:
        return _atom()
    sub = _cond(depth - 1)
    return st.one_of(_atom(), st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                     sub.map(lambda c: f"not ({c})"))


def _grading() -> st.SearchStrategy[dict[str, Any]]:
    level = st.sampled_from(["A", "B", "C"])
    return st.one_of(
        _cond().map(lambda c: {"model": "pass_fail", "condition": c}),
        st.lists(_cond(1), min_size=2, max_size=3).map(lambda cs: {
            "model": "checklist", "items": [{"text": f"第{i + 1}项", "condition": c} for i, c in enumerate(cs)],
            "ladder": [{"level": "A", "min": len(cs)}, {"level": "B", "min": 1}]}),
        st.tuples(_num(), const, const, level).map(lambda t: {
            "model": "bands", "value": t[0], "bands": [{"level": "A", "at_least": float(max(t[1], t[2], key=Decimal))},
                                                        {"level": t[3], "at_least": float(min(t[1], t[2], key=Decimal))}]}),
        st.tuples(_num(1), st.sampled_from([0.5, 1, 2])).map(lambda t: {"model": "deduction", "count": t[0], "per": t[1]}),
        st.tuples(_num(1), const, const).filter(lambda t: Decimal(t[1]) != Decimal(t[2])).map(
            lambda t: {"model": "linear", "value": t[0], "zero_at": float(t[1]), "full_at": float(t[2])}),
        _num().map(lambda e: {"model": "formula", "score": e}),
    )


rules_st = st.lists(st.tuples(_grading(), st.sampled_from([2, 2.5, 5, 10]), st.one_of(st.none(), _cond(1))), min_size=1, max_size=4)
maybe = st.one_of(st.none(), st.none(), st.just(True))
unit_st = st.fixed_dictionaries({
    "数量": st.one_of(st.none(), st.sampled_from([0, 1, 2, 5, 10, 100])),
    "差值": st.one_of(st.none(), st.sampled_from(["-3", "0", "2.5", "-0.5", "10"])),
    "比例": st.one_of(st.none(), st.sampled_from(["0", "0.5", "100", "66.7"])),
    "已建立": st.one_of(st.none(), st.booleans()),
    "名称": st.one_of(st.none(), st.sampled_from(TEXTS[:2] + ["其他"])),
    "类别": st.one_of(st.none(), st.sampled_from(["甲", "乙", "丙"])),
    "记录": st.one_of(st.none(), st.lists(st.fixed_dictionaries({"类型": st.sampled_from(["A", "B"]),
                                                                 "分数": st.sampled_from(["0", "1", "2.5", "-1"])}), max_size=3)),
    "_inspection": st.one_of(st.none(), st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3))),
    "_survey": st.one_of(st.none(), st.tuples(st.integers(0, 20), st.integers(0, 20))),
    "_evidence": st.integers(0, 2),
})
units_st = st.lists(unit_st, min_size=1, max_size=6)


def _write_pack(folder: Path, rules: list[tuple[dict[str, Any], float, str | None]]) -> None:
    folder.joinpath("rules").mkdir(parents=True)
    folder.joinpath("pack.yaml").write_text(yaml.safe_dump(PACK, allow_unicode=True), encoding="utf-8")
    items = []
    for i, (grading, points, applicable) in enumerate(rules):
        rule: dict[str, Any] = {"id": f"G-{i}", "node": "1", "title": f"规则{i}", "points": points, "method": "材料审核",
                                "grading": grading, "source": {"document": "测试"}}
        if applicable:
            rule["applicable_if"] = applicable
        items.append(rule)
    folder.joinpath("rules", "r.yaml").write_text(yaml.safe_dump({"rules": items}, allow_unicode=True), encoding="utf-8")


def _unit(pack: Any, n: int, data: dict[str, Any]) -> LoadedUnit:
    fields = {k: v for k, v in data.items() if not k.startswith("_") and v is not None}
    inspections = []
    if data["_inspection"] is not None:
        sampled, passed, problems = data["_inspection"]
        inspections.append({"point_type": "社区", "point": "一号", "sampled": sampled, "passed": min(passed, sampled),
                            "problems": [{"type": "脏乱", "count": problems}]})
    surveys = [{"topic": "满意度", "sample": data["_survey"][0], "satisfied": min(data["_survey"])}] if data["_survey"] else []
    evidence = [{"kind": "方案", "title": f"方案{i}", "date": "2024-03-01"} for i in range(data["_evidence"])]
    unit = Unit.model_validate({"unit": {"id": f"U{n}", "name": f"单位{n}", "type": "单位"}, "period": {"start": "2024-01-01", "end": "2024-12-31"},
                                "fields": fields, "inspections": inspections, "surveys": surveys, "evidence": evidence})
    sink = DiagnosticSink()
    values = check_fields(pack, unit, None, sink, "generated")
    assert not sink.errors, sink.errors
    return LoadedUnit(unit, values, "generated")


def _case(rules: list[Any], units: list[dict[str, Any]]) -> tuple[Any, list[LoadedUnit], dict[tuple[str, str], tuple[str, Decimal]]]:
    folder = Path(tempfile.mkdtemp(prefix="civic-gen-"))
    try:
        _write_pack(folder / "gen", rules)
        sink = DiagnosticSink()
        pack = load_pack(folder / "gen", sink, with_fixtures=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert pack is not None and not sink.errors, [str(e) for e in sink.errors]
    loaded = [_unit(pack, n, u) for n, u in enumerate(units)]
    labels = {f.name: f.label or f.name for f in pack.file.fields}
    expected = {}
    for item in loaded:
        as_of = item.unit.period.end
        ctx = build_context(pack, item.unit, item.values, as_of)
        for rule in pack.scored_rules():
            r = evaluate_rule(pack, rule, item.unit, ctx, item.values, as_of, labels).result
            expected[(item.unit.unit.id, rule.id)] = (r.outcome, Decimal(str(r.earned)).quantize(Decimal("0.01")))
    return pack, loaded, expected


def _assert_cells(pack: Any, loaded: list[LoadedUnit], expected: dict[tuple[str, str], Any], backend: str) -> None:
    run = sql_cells(pack, loaded, None, backend)
    for rule_id, why in run.pack_sql.fallback.items():
        assert why, rule_id  # a rule SQL cannot compile is named with a reason, and the reference scores it
    diffs = [f"{key}: {backend}={run.cells[key]} ref={cell}" for key, cell in expected.items()
             if key[1] not in run.pack_sql.fallback and run.cells[key] != cell]
    assert not diffs, "\n".join(diffs)


COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture], "derandomize": True}


@settings(max_examples=100, **COMMON)
@given(rules=rules_st, units=units_st)
def test_duckdb_matches_reference(rules: list[Any], units: list[dict[str, Any]]) -> None:
    pack, loaded, expected = _case(rules, units)
    _assert_cells(pack, loaded, expected, "duckdb")


@settings(max_examples=15, **COMMON)
@given(rules=rules_st, units=units_st)
def test_durable_matches_reference(rules: list[Any], units: list[dict[str, Any]]) -> None:
    pytest.importorskip("durable.engine")
    from evaluator.durable_engine import score_units_durable_detailed

    pack, loaded, _ = _case(rules, units)
    outcome = score_units_durable_detailed(pack, loaded, None, [])
    assert not outcome.disagreements and not outcome.invalid_units
    assert [r.model_dump() for r in outcome.results] == [r.model_dump() for r in evaluate_loaded(pack, loaded, None, [])]


@pytest.fixture(scope="module")
def spark_session():  # type: ignore[no-untyped-def]
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:  # pragma: no cover
        pytest.skip("Spark needs Java")
    from evaluator.sqlc.spark import spark_session as start

    return start("local[2]")


@settings(max_examples=4, **COMMON)
@given(rules=rules_st, units=units_st)
def test_spark_matches_reference(spark_session: Any, rules: list[Any], units: list[dict[str, Any]]) -> None:
    pack, loaded, expected = _case(rules, units)
    _assert_cells(pack, loaded, expected, "spark")
