"""Evaluate a checked AST against one unit's data, recording each comparison for the explanation.

Numbers are ``Decimal``; dates are ``datetime.date``. A name absent from the unit raises ``MissingData``
(→ outcome ``missing``); an impossible operation raises ``EvalError`` (→ outcome ``error``). Nothing here
can reach Python objects: names resolve only in plain dicts of data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from evaluator.expr.errors import EvalError, MissingData
from evaluator.expr.nodes import Binary, BoolOp, Call, Compare, Const, ListLit, Name, Node, Num, Str, Unary

MAX_MAGNITUDE = Decimal("1e15")


@dataclass(frozen=True)
class CheckRecord:
    """One comparison as evaluated: ``left op right`` with both values."""

    left: Node
    op: str
    right: Node
    observed: Any
    expected: Any
    ok: bool


@dataclass
class Context:
    """Everything an expression can see for one unit. ``fields`` values are already normalised."""

    fields: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    builtins: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    surveys: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    as_of: dt.date = dt.date(1970, 1, 1)
    period: tuple[dt.date, dt.date] = (dt.date(1970, 1, 1), dt.date(1970, 1, 1))
    labels: dict[str, str] = field(default_factory=dict)
    #: Indexes derived from the record lists on first use (``rows_where``), shared by the unit's rule contexts.
    #: The lists are the unit's data: they are not changed once evaluation has started.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)


def rows_where(ctx: Context, section: str, key: str, value: Any) -> list[dict[str, Any]]:
    """``[r for r in ctx.<section> if r.get(key) == value]`` — from a per-unit index grouped by ``key`` (built
    once, file order kept), not a scan of every record for every rule that asks. Values that cannot be dict
    keys (malformed data) make that section scanned as before."""
    index: dict[Any, list[dict[str, Any]]] | None
    if (section, key) in ctx.memo:
        index = ctx.memo[(section, key)]
    else:
        index = {}
        try:
            for row in getattr(ctx, section):
                index.setdefault(row.get(key), []).append(row)
        except TypeError:
            index = None  # an unhashable value: scan this section every time
        ctx.memo[(section, key)] = index
    if index is not None:
        try:
            return index.get(value, [])
        except TypeError:
            pass
    return [r for r in getattr(ctx, section) if r.get(key) == value]


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (clamped to month end): the start of a look-back window."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except (ValueError, OverflowError):  # a look-back of 10^11 months leaves the calendar
            continue
    raise EvalError("无法计算回溯日期")  # pragma: no cover


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise EvalError(f"{what}应为数值，实际是 {value!r}")
    return value


def _guard(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_MAGNITUDE:
        raise EvalError("计算结果超出允许的数值范围")
    return value


class Interpreter:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.records: list[CheckRecord] = []
        self.frames: list[dict[str, Any]] = []

    # --- names -------------------------------------------------------------------------------
    def lookup(self, node: Name) -> Any:
        head = node.parts[0]
        value: Any
        for frame in reversed(self.frames):
            if head in frame:
                value = frame[head]
                break
        else:
            if head in self.ctx.params:
                value = self.ctx.params[head]
            elif head in self.ctx.fields:
                value = self.ctx.fields[head]
            elif head in self.ctx.builtins:
                value = self.ctx.builtins[head]
            else:
                label = self.ctx.labels.get(head, head)
                raise MissingData("field", head, f"未填报“{label}”")
        for part in node.parts[1:]:
            if not isinstance(value, dict) or part not in value:
                raise MissingData("field", node.dotted, f"未填报“{node.dotted}”")
            value = value[part]
        if value is None:
            label = self.ctx.labels.get(head, head)
            raise MissingData("field", head, f"未填报“{label}”")
        return value

    # --- evaluation ------------------------------------------------------------------------------
    def eval(self, node: Node) -> Any:
        method = _DISPATCH.get(type(node))
        if method is None:  # pragma: no cover
            raise EvalError("无法识别的表达式")
        return method(self, node)

    def _num(self, node: Num) -> Decimal:
        return node.value

    def _str(self, node: Str) -> str:
        return node.value

    def _const(self, node: Const) -> Any:
        return node.value

    def _name(self, node: Name) -> Any:
        return self.lookup(node)

    def _list(self, node: ListLit) -> list[Any]:
        return [self.eval(item) for item in node.items]

    def _unary(self, node: Unary) -> Any:
        value = self.eval(node.operand)
        if node.op == "-":
            return -_number(value, "负号后")
        return not self.truth(value)

    def _binary(self, node: Binary) -> Decimal:
        left = _number(self.eval(node.left), "运算数")
        right = _number(self.eval(node.right), "运算数")
        try:
            if node.op == "+":
                return _guard(left + right)
            if node.op == "-":
                return _guard(left - right)
            if node.op == "*":
                return _guard(left * right)
            if right == 0:
                raise EvalError("除数为零，无法计算")
            return _guard(left / right)
        except InvalidOperation as exc:
            raise EvalError("数值运算无效") from exc

    def _compare(self, node: Compare) -> bool:
        left, right = self.eval(node.left), self.eval(node.right)
        ok = compare(node.op, left, right)
        self.records.append(CheckRecord(node.left, node.op, node.right, left, right, ok))
        return ok

    def _boolop(self, node: BoolOp) -> bool:
        stop = node.op == "or"  # and stops at the first false operand, or at the first true one
        for value in node.values:
            if self.truth(self.operand(value)) == stop:
                return stop
        return not stop

    def operand(self, node: Node) -> Any:
        """A bare flag or function inside and/or is recorded like a comparison with 是, so it is explained too."""
        value = self.eval(node)
        if isinstance(node, Name | Call) and isinstance(value, bool):
            self.records.append(CheckRecord(node, "==", Const(node.end, node.end, True), value, True, value))
        return value

    def _call(self, node: Call) -> Any:
        from evaluator.expr.builtins import call

        return call(self, node)

    @staticmethod
    def truth(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        raise EvalError(f"此处需要“是/否”，实际是 {value!r}")


def compare(op: str, left: Any, right: Any) -> bool:
    if op in ("in", "not in"):
        return _member(left, right) == (op == "in")
    if (isinstance(left, bool) != isinstance(right, bool) or type(left) is not type(right)) and not (
        isinstance(left, Decimal) and isinstance(right, Decimal)
    ):
        raise EvalError(f"无法比较 {left!r} 与 {right!r}（类型不同）")
    if op in ("<", "<=", ">", ">=") and not isinstance(left, Decimal | dt.date):
        raise EvalError(f"{left!r} 不能比较大小（只有数值和日期可以）")
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _member(item: Any, container: Any) -> bool:
    """``in``: an element of a list, or a piece of a text; anything else cannot be asked."""
    if isinstance(container, list):
        return item in container
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    raise EvalError(f"无法判断 {item!r} 是否属于 {container!r}（右边应为列表，或左右都是文字）")


_DISPATCH: dict[type, Callable[[Interpreter, Any], Any]] = {
    Num: Interpreter._num, Str: Interpreter._str, Const: Interpreter._const, Name: Interpreter._name,
    ListLit: Interpreter._list, Unary: Interpreter._unary, Binary: Interpreter._binary,
    Compare: Interpreter._compare, BoolOp: Interpreter._boolop, Call: Interpreter._call,
}
