"""Small builders over sqlglot expressions with constant folding, so generated SQL stays readable."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from sqlglot import exp

TRUE = exp.true()
FALSE = exp.false()


class Unsupported(Exception):
    """This construct has no SQL translation; the rule falls back to the reference evaluator."""


def is_true(e: exp.Expression) -> bool:
    return isinstance(e, exp.Boolean) and e.this is True


def is_false(e: exp.Expression) -> bool:
    return isinstance(e, exp.Boolean) and e.this is False


def _distinct(items: list[exp.Expression]) -> list[exp.Expression]:
    """Drop repeated operands (``x OR x`` is ``x`` in SQL's three-valued logic too): a checklist whose items
    read the same list repeated that list's missing-test once per item."""
    if len(items) < 2:
        return items
    kept: list[exp.Expression] = []
    for item in items:
        if not any(item is k or item == k for k in kept):  # sqlglot compares trees structurally
            kept.append(item)
    return kept


def null_free(e: exp.Expression) -> bool:
    """True when ``e`` is never NULL (IS NULL tests, TRUE/FALSE, and NOT/AND/OR of those), so the usual
    two-valued simplifications are exact for it."""
    if isinstance(e, exp.Boolean | exp.Is):
        return True
    if isinstance(e, exp.Not | exp.Paren):
        return null_free(e.this)
    if isinstance(e, exp.And | exp.Or):
        return null_free(e.this) and null_free(e.expression)
    return False


def or_(*items: exp.Expression) -> exp.Expression:
    kept = _distinct([i for i in items if not is_false(i)])
    if any(is_true(i) for i in kept):
        return TRUE
    if not kept:
        return FALSE
    result = kept[0]
    for item in kept[1:]:
        result = exp.Or(this=paren(result), expression=paren(item))
    return result


def and_(*items: exp.Expression) -> exp.Expression:
    kept = _distinct([i for i in items if not is_true(i)])
    if any(is_false(i) for i in kept):
        return FALSE
    if not kept:
        return TRUE
    result = kept[0]
    for item in kept[1:]:
        result = exp.And(this=paren(result), expression=paren(item))
    return result


def not_(e: exp.Expression) -> exp.Expression:
    if is_true(e):
        return FALSE
    if is_false(e):
        return TRUE
    return exp.Not(this=paren(e))


def paren(e: exp.Expression) -> exp.Expression:
    if isinstance(e, exp.Connector | exp.Binary | exp.Not):  # AND/OR are Func subclasses in sqlglot: bracket them first
        return exp.Paren(this=e)
    if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Paren | exp.Null | exp.Anonymous | exp.Func):
        return e
    return exp.Paren(this=e)


@lru_cache(maxsize=64)
def _parsed_type(text: str) -> exp.DataType:
    return exp.DataType.build(text)


def dtype(text: str) -> exp.DataType:
    """``exp.DataType.build(text)`` parsed once per type name: parsing it for every literal and cast was a
    third of the compile time of a large pack. Each use gets its own copy (sqlglot nodes have one parent)."""
    return _parsed_type(text).copy()


def literal_type(text: str) -> str:
    """The narrowest DECIMAL that holds the constant ``text`` exactly (``12`` → DECIMAL(2,0), ``0.495`` →
    DECIMAL(3,3)); DECIMAL(38,10) beyond 18 digits or 10 places, as every constant was before.

    Why: a DECIMAL(38,10) constant made DuckDB widen every comparison and CASE with it to 128 bits, even over
    64-bit count columns (−10% CPU for wmcs with narrow constants). The value is the same, and DuckDB's and
    Spark's DECIMAL +, −, comparisons, LEAST/GREATEST and CASE are exact whatever the operand widths; products
    and quotients go through DOUBLE (DuckDB; a narrower DECIMAL converts to the same DOUBLE — the correctly
    rounded quotient of the same integers, checked exhaustively in tests/sqlc/test_flat_types.py) or are given
    fixed operand types first (``spark.spark_arithmetic``)."""
    digits = text.lstrip("-")
    whole, _, fraction = digits.partition(".")
    precision = len(whole.lstrip("0")) + len(fraction)
    if precision > 18 or len(fraction) > 10:  # as before: wider constants are DECIMAL(38,10)
        return "DECIMAL(38,10)"
    return f"DECIMAL({max(precision, 1)},{len(fraction)})"


def num(value: Decimal | float | int, type_: str | None = None) -> exp.Expression:
    """A numeric literal typed as DECIMAL so arithmetic stays exact like the reference (``Decimal``); by default
    of the narrowest exact type (``literal_type``)."""
    text = format(Decimal(str(value)).normalize(), "f")
    return exp.Cast(this=exp.Literal.number(text), to=dtype(type_ or literal_type(text)))


def col(name: str) -> exp.Expression:
    return exp.column(name, quoted=True)


def disjuncts(e: exp.Expression) -> list[exp.Expression]:
    """The operands of a (bracketed) chain of ORs; ``e`` itself when it is no OR."""
    if isinstance(e, exp.Paren):
        return disjuncts(e.this)
    if isinstance(e, exp.Or):
        return disjuncts(e.this) + disjuncts(e.expression)
    return [e]


def assume_false(e: exp.Expression, facts: list[exp.Expression]) -> exp.Expression:
    """``e`` with every sub-expression equal to one of ``facts`` replaced by FALSE, folded again. Exact where
    the facts are known FALSE (not NULL): NOT, AND and OR are rebuilt with the same three-valued meaning."""
    if not facts:
        return e
    if any(e == f for f in facts):
        return FALSE
    if isinstance(e, exp.Paren):
        return assume_false(e.this, facts)
    if isinstance(e, exp.Not):
        return not_(assume_false(e.this, facts))
    if isinstance(e, exp.And):
        return and_(assume_false(e.this, facts), assume_false(e.expression, facts))
    if isinstance(e, exp.Or):
        return or_(assume_false(e.this, facts), assume_false(e.expression, facts))
    return e


def _after_earlier_whens(whens: list[tuple[exp.Expression, exp.Expression]]) -> list[tuple[exp.Expression, exp.Expression]]:
    """A WHEN is only tested on rows where every earlier WHEN was not TRUE; an earlier condition that is never
    NULL (IS NULL tests and their AND/OR/NOT) was therefore FALSE, and so was each of its OR-operands. Those
    operands are set to FALSE in the later conditions: the status CASE ``WHEN a IS NULL OR b IS NULL THEN
    'missing' WHEN NOT a IS NULL AND NOT b IS NULL AND b = 0 THEN 'error'`` keeps only ``b = 0`` — the single
    status test per operand instead of repeating each operand's missing flag in its error flag."""
    facts: list[exp.Expression] = []
    result = []
    for cond, value in whens:
        cond = assume_false(cond, facts)
        result.append((cond, value))
        if null_free(cond):
            facts.extend(disjuncts(cond))
    return result


def case(*whens: tuple[exp.Expression, exp.Expression], default: exp.Expression) -> exp.Expression:
    live = [(c, v) for c, v in _after_earlier_whens(list(whens)) if not is_false(c)]
    if not live:
        return default
    if is_true(live[0][0]):
        return live[0][1]
    node = exp.Case()
    for cond, value in live:
        if is_true(cond):
            return node.else_(value, copy=False)
        node = node.when(cond, value, copy=False)
    return node.else_(default, copy=False)


def round_decimal(e: exp.Expression, places: int, cleaned_type: str = "DECIMAL(38,9)") -> exp.Expression:
    """ROUND on DECIMAL rounds half away from zero = the reference's ROUND_HALF_UP for scores (never negative).

    Division yields DOUBLE in DuckDB, so values are first rounded to 9 places and cast back to DECIMAL; this
    removes binary noise (40.00000000000001) before the official 2-decimal rounding.
    """
    cleaned = exp.Cast(this=exp.Round(this=e, decimals=exp.Literal.number(9)), to=dtype(cleaned_type))
    return exp.Round(this=cleaned, decimals=exp.Literal.number(places))


def greatest(*items: exp.Expression) -> exp.Expression:
    """GREATEST that skips NULLs, as DuckDB and Spark do natively.

    Without ``ignore_nulls`` sqlglot renders a NULL-propagating CASE around every GREATEST for DuckDB, which
    repeats each argument and makes nested clamps grow exponentially (the wmcs query was 840 kB). A NULL
    argument only occurs where the rule's missing/error flag is already set, so the outcome is unaffected.
    """
    return exp.Greatest(this=items[0], expressions=list(items[1:]), ignore_nulls=True)


def least(*items: exp.Expression) -> exp.Expression:
    """LEAST that skips NULLs (see ``greatest``)."""
    return exp.Least(this=items[0], expressions=list(items[1:]), ignore_nulls=True)
