"""Compiled closures (``evaluator.expr.closures``) against the interpreter, and per-record records that must
not leak out of an aggregate.

The closures are an optimisation of ``Interpreter.eval``: for every expression the value, the raised error
(type and text) and the comparison records (nodes, values, order) must be the same. Checked on every
expression of the interpreter's own table, on error and missing-data cases, and on every expression of every
shipped pack against its sample units.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from evaluator.engine import build_context
from evaluator.errors import DiagnosticSink
from evaluator.expr import Context, Expr, compile_expr
from evaluator.expr.closures import compile_tree, run_compiled
from evaluator.expr.errors import EvalError, MissingData
from evaluator.expr.interp import Interpreter
from evaluator.expr.parser import parse
from evaluator.loader import load_pack_or_raise
from evaluator.unitdata import load_unit_file
from tests.expr.conftest import make_context, make_scope
from tests.expr.test_interp import VALUES

ROOT = Path(__file__).resolve().parents[2]
D = Decimal

EXTRA = [
    "problems('服务窗口') + problems('服务窗口', '乱堆乱放') + problems('办公区域')",
    "evidence_count('年度方案') >= 1 and evidence_count('活动照片') == 0",
    "evidence_count('年度方案', 24) >= 2",
    "survey_rate('职工知晓率') >= 80",
    "ratio(注册人数, 职工人数) >= 目标占比",
    "ratio(注册人数, 0) > 1",
    "-注册人数 < 0 and not 有制度",
    "有方案 and 有制度 or 注册人数 / 职工人数 * 100 > 20",
    "有方案 and (绿地面积 > 10 or 有制度)",
    "注册人数 / 0 > 1",
    "单位简称 in ['区人民医院', '市医院'] and 类别 not in ['企业']",
    "any(活动记录, 参与人数 > 100 and 达标) and any(空记录, 达标) == false",
    "any(活动记录, 绿地面积 > 1)",
    "coalesce(绿地面积, 0) + 分值 >= 5",
    "exists(绿地面积) or 注册人数 >= 200",
    "as_of > period_start and 口径 == '年末'",
]


def _outcome(run: Any) -> tuple[str, Any, list[tuple[Any, ...]]]:
    """(kind, value or error text, records) of one evaluation, comparable across both evaluators."""
    try:
        value, records = run()
    except (MissingData, EvalError) as exc:
        return type(exc).__name__, (str(exc), getattr(exc, "kind", None), getattr(exc, "name", None)), []
    # the nodes compare by value: a bare flag's implied ``== 是`` constant is made per call by the interpreter
    return "value", value, [(r.left, r.op, r.right, r.observed, r.expected, r.ok) for r in records]


def _both(expr: Expr, ctx: Context) -> tuple[Any, Any]:
    def interpreted() -> tuple[Any, list[Any]]:
        it = Interpreter(ctx)
        return it.eval(expr.tree), it.records

    fn = compile_tree(expr.tree)
    return _outcome(interpreted), _outcome(lambda: run_compiled(fn, ctx))


@pytest.mark.parametrize("source", [s for s, _ in VALUES] + EXTRA)
def test_closure_matches_interpreter(source: str) -> None:
    expr = compile_expr(source, make_scope())
    interpreted, compiled = _both(expr, make_context())
    assert compiled == interpreted


def test_closure_matches_interpreter_on_an_empty_unit() -> None:
    scope = make_scope()
    for source in [s for s, _ in VALUES] + EXTRA:
        expr = compile_expr(source, scope)
        interpreted, compiled = _both(expr, Context(fields={}))
        assert compiled == interpreted, source


def test_closures_match_on_every_shipped_pack_and_sample() -> None:
    """Every expression (conditions, counts, values, scores, applicability) of every pack, on its samples."""
    checked = 0
    for pack_dir in sorted((ROOT / "rules").iterdir()):
        if not (pack_dir / "pack.yaml").exists():
            continue
        pack = load_pack_or_raise(str(pack_dir), None)
        for sample in sorted((pack_dir / "samples").glob("*.yaml")):
            unit, values = load_unit_file(sample, pack, DiagnosticSink())
            if unit is None:
                continue
            ctx = build_context(pack, unit, values, unit.as_of or unit.period.end)
            for rule in pack.rules:
                exprs = [*rule.exprs.values(), *([rule.applicable] if rule.applicable else [])]
                for expr in exprs:
                    interpreted, compiled = _both(expr, ctx)
                    assert compiled == interpreted, f"{pack_dir.name} {rule.id} {expr.source}"
                    checked += 1
    assert checked > 1000


def _leaky_context() -> Context:
    """The second activity record lacks 参与人数, and the unit has no field of that name either."""
    rows = [{"参与人数": D(120), "类型": "春节"}, {"类型": "重阳节"}, {"参与人数": D(5), "类型": "端午节"}]
    return make_context(fields={"活动记录": rows})


@pytest.mark.parametrize("source", [
    "coalesce(count(活动记录, 类型 != '春节' and 参与人数 > 10), 0) >= 0",
    "exists(count(活动记录, 类型 == '春节' or 参与人数 > 10)) == false",
    "coalesce(sum(活动记录, 参与人数, 参与人数 > 0), 7) == 7",
])
def test_records_of_an_aborted_aggregate_do_not_leak(source: str) -> None:
    """The aggregate stops at the record without 参与人数 (missing data) and coalesce/exists absorbs it: the
    comparisons made on the records before it are not explanations and must be gone — only the outer
    comparison is left, in both evaluators. (The load-time checker only lets a field name into
    coalesce/exists, so the tree is parsed without it: this is the interpreter's own contract, which the
    durable engine and any future function that absorbs missing data rely on.)"""
    tree = parse(source)
    ctx = _leaky_context()
    it = Interpreter(ctx)
    assert it.eval(tree) is True
    assert [r.left for r in it.records] == [tree.left]  # type: ignore[attr-defined]
    value, records = run_compiled(compile_tree(tree), ctx)
    assert value is True
    assert [r.left for r in records] == [tree.left]  # type: ignore[attr-defined]
