"""Leaf conditions of a pack that durable-rules can match, and their durable JSON.

A *leaf* is an atomic comparison reached from the root of a rule's condition only through ``and``/``or``/
``not``: ``operand OP constant`` (OP one of == != < <= > >=, the constant a number, text, 是/否 or a rule
parameter) or a bare yes/no field. Everything else — arithmetic, functions, comparisons inside list
aggregates, dates — stays with the reference interpreter. The operand's value is computed in Python exactly
as the reference does (so missing data and type errors are the reference's); durable-rules decides the
comparison; Python folds the and/or tree above it (durable-rules.md §5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluator.compiled import CompiledPack, CompiledRule
from evaluator.expr.nodes import BoolOp, Compare, Const, Name, Node, Num, Str, Unary
from evaluator.expr.scope import BOOL

OPS = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
MAX_INT = 2**53


class Unencodable(ValueError):
    """A value durable-rules cannot compare exactly (exponent-form float, NaN, dates, > 2^53 …)."""


def encode(value: Any) -> bool | int | float | str:
    """The JSON value durable-rules sees. Data invariants of durable-rules.md §7: no NaN/Inf, no float that
    prints in exponent form, no number it would read back differently, consistent types (checked by caller)."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Unencodable("not finite")
        if value == value.to_integral_value() and abs(value) < MAX_INT:
            return int(value)
        number = float(value)
        text = repr(number)
        if "e" in text or "n" in text or Decimal(text) != value:
            raise Unencodable(f"{value} has no exact short float form")
        return number
    raise Unencodable(type(value).__name__)


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date):
        return "date"
    return type(value).__name__


@dataclass(frozen=True)
class Leaf:
    """One durable rule: ``operand op constant`` (or a bare yes/no operand: op "==", constant True)."""

    index: int
    rule_id: str
    node: Node
    operand: Node
    op: str
    constant: Any
    bare: bool = False

    @property
    def name(self) -> str:
        return f"L{self.index}"

    def condition(self, prop: str) -> dict[str, Any]:
        value = encode(self.constant)
        operator = OPS[self.op]
        return {prop: value} if operator is None else {operator: {prop: value}}


def _constant(node: Node, params: dict[str, Any]) -> tuple[bool, Any]:
    if isinstance(node, Num | Str):
        return True, node.value
    if isinstance(node, Const) and isinstance(node.value, bool):
        return True, node.value
    if isinstance(node, Name) and len(node.parts) == 1 and node.parts[0] in params:
        value = params[node.parts[0]]
        return True, Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value
    return False, None


def _boolean_positions(node: Node) -> Iterator[Node]:
    """Nodes whose truth value the and/or/not tree above them uses directly."""
    if isinstance(node, BoolOp):
        for value in node.values:
            yield from _boolean_positions(value)
    elif isinstance(node, Unary) and node.op == "not":
        yield from _boolean_positions(node.operand)
    else:
        yield node


def _leaf_of(node: Node, rule: CompiledRule, pack: CompiledPack, index: int) -> Leaf | None:
    params = dict(rule.rule.params)
    if isinstance(node, Compare) and node.op in OPS:
        left_const, left = _constant(node.left, params)
        right_const, right = _constant(node.right, params)
        if left_const == right_const:
            return None
        operand, op, constant = (node.right, FLIP[node.op], left) if left_const else (node.left, node.op, right)
        if kind_of(constant) not in ("bool", "number", "text") or (kind_of(constant) != "number" and op not in ("==", "!=")):
            return None
        try:
            encode(constant)
        except Unencodable:
            return None
        return Leaf(index, rule.id, node, operand, op, constant)
    if isinstance(node, Name) and len(node.parts) == 1 and node.parts[0] not in params:
        info = pack.scope.names.get(node.parts[0])
        if info is not None and info.type == BOOL:
            return Leaf(index, rule.id, node, node, "==", True, bare=True)
    return None


def pack_leaves(pack: CompiledPack, rules: list[CompiledRule]) -> list[Leaf]:
    """Every durable leaf in the grading expressions of ``rules`` (applicability stays with the reference)."""
    leaves: list[Leaf] = []
    for rule in rules:
        for path in sorted(rule.exprs):
            for node in _boolean_positions(rule.exprs[path].tree):
                leaf = _leaf_of(node, rule, pack, len(leaves))
                if leaf is not None:
                    leaves.append(leaf)
    return leaves
