"""Property tests: whatever text or expression tree a rule author writes, parse → check → evaluate raises only
the language's own errors (ExprError at load time; EvalError or MissingData per unit) — never a Python one.

Examples are derandomised so CI runs the same cases every time; ~200 per property keeps the suite fast.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.expr import Context, compile_expr
from evaluator.expr.errors import EvalError, ExprError, MissingData
from evaluator.expr.functions import FUNCTIONS
from tests.expr.conftest import make_context, make_scope

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
SCOPE = make_scope()
CONTEXTS = [make_context(), Context(fields={})]  # a full unit, and one that submitted nothing

NAMES = [*SCOPE.names, "参与人数", "类型", "日期", "达标", "points", "分值", "as_of", "period_start", "未知字段", "__class__"]
WORDS = ["'年度方案'", "'办公区域'", "'服务窗口'", "'职工知晓率'", "'弄虚作假'", "'春节'", "'2024-01-31'", "''", "'机关'"]
FRAGMENTS = [*NAMES, *WORDS, *FUNCTIONS, "(", ")", "[", "]", ",", ".", " ", "+", "-", "*", "/", "**", "%", "==", "!=", "<",
             "<=", ">", ">=", "≥", "≤", "≠", "=", "!", "&&", "||", "and", "or", "not", "in", "且", "或", "非", "true",
             "false", "null", "0", "1", "2.5", "1e3", "100", "（", "）", "，", "“", "”", "'", '"', "０", "²", "①"]


def _run_everything(source: str) -> None:
    try:
        expr = compile_expr(source, SCOPE)
    except ExprError:
        return
    for ctx in CONTEXTS:
        with contextlib.suppress(EvalError, MissingData):
            expr.evaluate(ctx)


@SETTINGS
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes(source: str) -> None:
    """Any Unicode text: only ExprError / EvalError / MissingData."""
    _run_everything(source)


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(" ".join))
def test_token_soup_never_crashes(source: str) -> None:
    """Sequences of real tokens (names, functions, operators, full-width forms) in any order."""
    _run_everything(source)


def _atoms() -> st.SearchStrategy[str]:
    numbers = st.one_of(st.integers(-10**6, 10**6).map(str), st.decimals(-1000, 1000, places=3).map(str))
    return st.one_of(numbers, st.sampled_from(NAMES), st.sampled_from(WORDS), st.sampled_from(["true", "false", "null", "[]"]))


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "≥", "in", "not in",
                                               "and", "or", "且", "或"]), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    unary = st.tuples(st.sampled_from(["not ", "非 ", "-"]), inner).map("".join)
    call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    listed = st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]")
    return st.one_of(binary, unary, call, listed, inner.map(lambda s: f"({s})"))


TREES = st.recursive(_atoms(), _extend, max_leaves=12)


@SETTINGS
@given(TREES)
def test_random_expression_trees_never_crash(source: str) -> None:
    """Well-formed trees of every operator and function over real and unknown names, literals and vocabularies."""
    _run_everything(source)


@SETTINGS
@given(st.sampled_from(sorted(FUNCTIONS)), st.lists(st.sampled_from([*NAMES[:12], *WORDS, "1", "0", "-3", "2.5"]), max_size=3))
def test_every_function_with_any_arguments(func: str, args: list[str]) -> None:
    """Each function called with arguments of every kind and count."""
    _run_everything(f"{func}({', '.join(args)})")


def test_checked_expressions_evaluate_to_their_type() -> None:
    """A sample of accepted trees: a number-typed expression yields a Decimal, a bool-typed one a bool."""
    from decimal import Decimal

    from evaluator.expr.scope import BOOL, NUMBER

    seen: dict[str, int] = {NUMBER: 0, BOOL: 0}

    @SETTINGS
    @given(TREES)
    def check(source: str) -> None:
        try:
            expr = compile_expr(source, SCOPE)
            value: Any = expr.evaluate(CONTEXTS[0])[0]
        except (ExprError, EvalError, MissingData):
            return
        if expr.type == NUMBER:
            seen[NUMBER] += 1
            assert isinstance(value, Decimal) and not isinstance(value, bool), (source, value)
        elif expr.type == BOOL:
            seen[BOOL] += 1
            assert isinstance(value, bool), (source, value)

    check()
    assert seen[NUMBER] > 0 and seen[BOOL] > 0
