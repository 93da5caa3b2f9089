"""Expression AST → SQL triples (value, missing, error) that follow the reference evaluator's left-to-right,
short-circuit semantics exactly: ``missing`` is true where the reference would raise MissingData first, ``error``
where it would raise EvalError first. Numbers are DECIMAL; divisions are cleaned to 9 places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from evaluator.expr.nodes import Binary, BoolOp, Call, Compare, Const, ListLit, Name, Node, Num, Str, Unary
from evaluator.expr.scope import Scope
from evaluator.sqlc.flat import Need
from evaluator.sqlc.sql import (
    FALSE,
    TRUE,
    Unsupported,
    and_,
    case,
    col,
    dtype,
    greatest,
    least,
    not_,
    null_free,
    num,
    or_,
    paren,
)

MAX_ABS = Decimal("1e15")


@dataclass(frozen=True)
class T:
    val: exp.Expression
    miss: exp.Expression = FALSE
    err: exp.Expression = FALSE

    @property
    def ok(self) -> exp.Expression:
        return and_(not_(self.miss), not_(self.err))


@dataclass
class Ctx:
    scope: Scope
    params: dict[str, Any] = field(default_factory=dict)
    points: Decimal = Decimal(0)
    needs: set[Need] = field(default_factory=set)

    def need(self, kind: str, *args: str) -> exp.Expression:
        item = Need(kind, tuple(args))
        self.needs.add(item)
        return col(item.column)


def seq(first: T, second: T, val: exp.Expression, extra_err: exp.Expression = FALSE) -> T:
    """``first`` then ``second`` evaluated in order; ``extra_err`` applies when both succeeded.

    When ``first``'s flags are never NULL (the usual case: IS NULL tests), ``first.ok AND x`` inside
    ``first.miss OR …`` reduces to ``NOT first.err AND x`` (and to ``NOT first.miss AND x`` after
    ``first.err OR …``) — exactly, in three-valued logic — which keeps nested arithmetic from repeating
    every earlier operand's flags."""
    if null_free(first.miss) and null_free(first.err):
        miss = or_(first.miss, and_(not_(first.err), second.miss))
        err = or_(first.err, and_(not_(first.miss), second.err), and_(not_(first.miss), second.ok, extra_err))
        return T(val, miss, err)
    miss = or_(first.miss, and_(first.ok, second.miss))
    err = or_(first.err, and_(first.ok, second.err), and_(first.ok, second.ok, extra_err))
    return T(val, miss, err)


def is_zero(value: exp.Expression) -> exp.Expression:
    """``value = 0``, decided here when ``value`` is a numeric constant (a division by a constant then needs no
    per-row test, and the flags that would carry it fold away)."""
    if isinstance(value, exp.Cast) and isinstance(value.this, exp.Literal) and not value.this.is_string:
        return TRUE if Decimal(value.this.this) == 0 else FALSE
    return exp.EQ(this=paren(value), expression=num(0))


def _magnitude_guard(value: exp.Expression) -> exp.Expression:
    return exp.GT(this=exp.Abs(this=value), expression=num(MAX_ABS))


class Compiler:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.frames: list[tuple[str, dict[str, Any]]] = []  # (lambda variable, item fields) inside aggregates

    def compile(self, node: Node) -> T:
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise Unsupported(f"不支持的表达式 {type(node).__name__}")
        result: T = method(node)
        return result

    def _num(self, node: Num) -> T:
        return T(num(node.value))

    def _str(self, node: Str) -> T:
        return T(exp.Literal.string(node.value))

    def _const(self, node: Const) -> T:
        if node.value is None:
            raise Unsupported("null 常量")
        return T(TRUE if node.value else FALSE)

    def _name(self, node: Name) -> T:
        if len(node.parts) > 1:
            raise Unsupported("带点号的字段路径")
        name = node.parts[0]
        for var, items in reversed(self.frames):
            if name in items:
                field_ = exp.Dot(this=exp.column(var), expression=exp.to_identifier(name, quoted=True))
                return T(field_, exp.Is(this=field_, expression=exp.Null()))
        if name in self.ctx.params:
            value = self.ctx.params[name]
            return T(exp.Literal.string(value) if isinstance(value, str) else num(Decimal(str(value))))
        if name in ("points", "分值"):
            return T(num(self.ctx.points))
        if name in ("as_of", "period_start", "period_end"):
            return T(self.ctx.need(name))
        info = self.ctx.scope.names.get(name)
        if info is None:
            raise Unsupported(f"名称 {name} 无法在平铺表中表示")
        column = self.ctx.need("f", name)
        return T(column, exp.Is(this=column, expression=exp.Null()))

    def _listlit(self, node: ListLit) -> T:
        raise Unsupported("列表常量")

    def _unary(self, node: Unary) -> T:
        inner = self.compile(node.operand)
        if node.op == "-":
            return T(exp.Neg(this=paren(inner.val)), inner.miss, inner.err)
        return T(not_(inner.val), inner.miss, inner.err)

    def _binary(self, node: Binary) -> T:
        """+ and − stay DECIMAL; × goes through DOUBLE (DECIMAL × DECIMAL overflows DuckDB's precision at once) and is
        cleaned back to DECIMAL; ÷ by zero is an error. The 10^15 guard of the reference is applied to products here
        and to a whole arithmetic expression in ``compile_expression`` — not at every ``+``, which would repeat each
        operand and make long sums grow exponentially."""
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op in ("+", "-"):
            build = exp.Add if node.op == "+" else exp.Sub
            return seq(left, right, build(this=paren(left.val), expression=paren(right.val)))
        if node.op == "*":
            product = exp.Mul(this=exp.Cast(this=paren(left.val), to=dtype("DOUBLE")),
                              expression=exp.Cast(this=paren(right.val), to=dtype("DOUBLE")))
            too_big = exp.GT(this=exp.Abs(this=product), expression=exp.Literal.number("1000000000000000"))
            cleaned = exp.Cast(this=exp.Round(this=product, decimals=exp.Literal.number(9)), to=dtype("DECIMAL(38,10)"))
            return seq(left, right, case((too_big, exp.Null()), default=cleaned), too_big)
        zero = is_zero(right.val)
        safe = exp.Div(this=paren(left.val), expression=exp.Nullif(this=paren(right.val), expression=num(0)))
        value = exp.Cast(this=exp.Round(this=safe, decimals=exp.Literal.number(9)), to=dtype("DECIMAL(38,10)"))
        return seq(left, right, value, zero)

    def _compare(self, node: Compare) -> T:
        if node.op in ("in", "not in"):
            return self._membership(node)
        left, right = self.compile(node.left), self.compile(node.right)
        ops: dict[str, type[exp.Expression]] = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        return seq(left, right, ops[node.op](this=paren(left.val), expression=paren(right.val)))

    def _membership(self, node: Compare) -> T:
        if not isinstance(node.right, ListLit) or not all(isinstance(i, Num | Str) for i in node.right.items):
            raise Unsupported("in 的右边须为常量列表")
        left = self.compile(node.left)
        items = [self.compile(i).val for i in node.right.items]
        test: exp.Expression = exp.In(this=paren(left.val), expressions=items) if items else FALSE
        return T(test if node.op == "in" else not_(test), left.miss, left.err)

    def _boolop(self, node: BoolOp) -> T:
        parts = [self.compile(v) for v in node.values]
        stop = node.op == "or"
        miss: exp.Expression = FALSE
        err: exp.Expression = FALSE
        reached: exp.Expression = TRUE  # condition under which the current operand is evaluated
        for part in parts:
            miss = or_(miss, and_(reached, part.miss))
            err = or_(err, and_(reached, part.err))
            continues = part.val if not stop else not_(part.val)
            reached = and_(reached, part.ok, continues)
        vals = [p.val for p in parts]
        value = and_(*vals) if not stop else or_(*vals)
        return T(value, miss, err)

    def _call(self, node: Call) -> T:
        handler = getattr(self, f"fn_{node.func}", None)
        if handler is None:
            raise Unsupported(f"函数 {node.func}")
        result: T = handler(node)
        return result

    def _literal(self, node: Node) -> str:
        if not isinstance(node, Str):
            raise Unsupported("参数须为文字常量")
        return node.value

    def fn_exists(self, node: Call) -> T:
        inner = self.compile(node.args[0])
        return T(not_(inner.miss))

    def fn_coalesce(self, node: Call) -> T:
        first, second = self.compile(node.args[0]), self.compile(node.args[1])
        value = case((first.miss, second.val), default=first.val)
        return T(value, and_(first.miss, second.miss), or_(first.err, and_(first.miss, second.err)))

    def fn_abs(self, node: Call) -> T:
        inner = self.compile(node.args[0])
        return T(exp.Abs(this=inner.val), inner.miss, inner.err)

    def fn_ratio(self, node: Call) -> T:
        top, bottom = self.compile(node.args[0]), self.compile(node.args[1])
        safe = exp.Div(this=paren(top.val), expression=exp.Nullif(this=paren(bottom.val), expression=num(0)))
        value = exp.Cast(this=exp.Round(this=exp.Mul(this=paren(safe), expression=num(100)), decimals=exp.Literal.number(9)),
                         to=dtype("DECIMAL(38,10)"))
        return seq(top, bottom, value, is_zero(bottom.val))

    def _extreme(self, node: Call, build: Callable[..., exp.Expression]) -> T:
        if any(isinstance(a, Name) and self.ctx.scope.names.get(a.parts[0]) and self.ctx.scope.names[a.parts[0]].type == "list" for a in node.args):
            raise Unsupported(f"{node.func} 作用于列表")
        parts = [self.compile(a) for a in node.args]
        result = parts[0]
        for part in parts[1:]:
            result = seq(result, part, build(result.val, part.val))
        return result

    def fn_min(self, node: Call) -> T:
        return self._extreme(node, least)

    def fn_max(self, node: Call) -> T:
        return self._extreme(node, greatest)

    def _per_item(self, source: Node, body: Node) -> tuple[T, exp.Expression, T]:
        """The list column, a lambda variable, and ``body`` compiled with the record's fields in scope."""
        if not isinstance(source, Name) or source.parts[0] not in self.ctx.scope.names:
            raise Unsupported("聚合函数的第一个参数须为列表字段")
        info = self.ctx.scope.names[source.parts[0]]
        listed = self._name(source)
        var = f"x{len(self.frames) + 1}"
        self.frames.append((var, info.items))
        try:
            inner = self.compile(body)
        finally:
            self.frames.pop()
        return listed, exp.to_identifier(var), inner

    @staticmethod
    def _count_where(listed: T, var: exp.Expression, condition: exp.Expression) -> exp.Expression:
        lam = exp.Lambda(this=condition, expressions=[var])
        return exp.Cast(this=exp.ArraySize(this=exp.ArrayFilter(this=listed.val, expression=lam)), to=dtype("DECIMAL(38,10)"))

    def _any_item(self, listed: T, var: exp.Expression, condition: exp.Expression) -> exp.Expression:
        return exp.GT(this=self._count_where(listed, var, condition), expression=num(0))

    def _aggregate_flags(self, listed: T, var: exp.Expression, inner: T) -> tuple[exp.Expression, exp.Expression]:
        """Every record is evaluated (as the reference does): any record missing → missing, else any error → error."""
        item_miss = self._any_item(listed, var, inner.miss) if inner.miss is not FALSE else FALSE
        item_err = self._any_item(listed, var, inner.err) if inner.err is not FALSE else FALSE
        miss = or_(listed.miss, and_(not_(listed.miss), item_miss))
        err = and_(not_(miss), or_(listed.err, item_err))
        return miss, err

    def fn_count(self, node: Call) -> T:
        if len(node.args) == 1:
            listed = self.compile(node.args[0])
            return T(exp.Cast(this=exp.ArraySize(this=listed.val), to=dtype("DECIMAL(38,10)")), listed.miss, listed.err)
        listed, var, inner = self._per_item(node.args[0], node.args[1])
        miss, err = self._aggregate_flags(listed, var, inner)
        return T(self._count_where(listed, var, exp.Coalesce(this=paren(inner.val), expressions=[FALSE])), miss, err)

    def fn_any(self, node: Call) -> T:
        counted = self.fn_count(node)
        return T(exp.GT(this=counted.val, expression=num(0)), counted.miss, counted.err)

    def fn_all(self, node: Call) -> T:
        listed, var, inner = self._per_item(node.args[0], node.args[1])
        miss, err = self._aggregate_flags(listed, var, inner)
        size = exp.ArraySize(this=listed.val)
        failing = self._count_where(listed, var, not_(exp.Coalesce(this=paren(inner.val), expressions=[FALSE])))
        value = and_(exp.GT(this=size, expression=exp.Literal.number(0)), exp.EQ(this=failing, expression=num(0)))
        return T(value, miss, err)

    def _months(self, node: Node) -> str:
        if not isinstance(node, Num) or node.value != node.value.to_integral_value():
            raise Unsupported("月数须为整数常量")
        return str(int(node.value))

    def fn_evidence_count(self, node: Call) -> T:
        if len(node.args) > 1:
            return T(self.ctx.need("ev_count_m", self._literal(node.args[0]), self._months(node.args[1])))
        return T(self.ctx.need("ev_count", self._literal(node.args[0])))

    def fn_incidents(self, node: Call) -> T:
        months = self._months(node.args[1]) if len(node.args) > 1 else "period"
        return T(self.ctx.need("inc_n", self._literal(node.args[0]), months))

    def fn_round(self, node: Call) -> T:
        inner = self.compile(node.args[0])
        places = int(self._months(node.args[1])) if len(node.args) > 1 else 0
        if not 0 <= places <= 6:
            raise Unsupported("round 的位数超出 0–6")
        value = exp.Round(this=exp.Cast(this=paren(inner.val), to=dtype("DECIMAL(38,10)")), decimals=exp.Literal.number(places))
        return T(exp.Cast(this=value, to=dtype("DECIMAL(38,10)")), inner.miss, inner.err)

    def fn_year(self, node: Call) -> T:
        inner = self.compile(node.args[0])
        return T(exp.Cast(this=exp.Year(this=inner.val), to=dtype("DECIMAL(38,10)")), inner.miss, inner.err)

    def fn_inspected(self, node: Call) -> T:
        return T(self.ctx.need("pt_n", self._literal(node.args[0])))

    def _by_point(self, kind: str, node: Call, *extra: str) -> T:
        column = self.ctx.need(kind, self._literal(node.args[0]), *extra)
        return T(column, exp.Is(this=column, expression=exp.Null()))

    def fn_sampled(self, node: Call) -> T:
        return self._by_point("pt_s", node)

    def fn_passed(self, node: Call) -> T:
        return self._by_point("pt_p", node)

    def fn_problems(self, node: Call) -> T:
        types = "|".join(sorted(self._literal(a) for a in node.args[1:]))
        return self._by_point("pb", node, types)

    def fn_survey_sample(self, node: Call) -> T:
        return self._by_point("sv_n", node)

    def fn_survey_rate(self, node: Call) -> T:
        topic = self._literal(node.args[0])
        sample, yes = self.ctx.need("sv_n", topic), self.ctx.need("sv_y", topic)
        missing = or_(exp.Is(this=sample, expression=exp.Null()), exp.EQ(this=sample, expression=num(0)))
        rate = exp.Cast(this=exp.Round(this=exp.Mul(this=paren(exp.Div(this=yes, expression=exp.Nullif(this=sample, expression=num(0)))), expression=num(100)),
                                       decimals=exp.Literal.number(9)), to=dtype("DECIMAL(38,10)"))
        return T(rate, missing)


def compile_expression(tree: Node, ctx: Ctx) -> T:
    result = Compiler(ctx).compile(tree)
    if isinstance(tree, Binary) and tree.op in ("+", "-"):
        result = T(result.val, result.miss, or_(result.err, and_(result.ok, _magnitude_guard(result.val))))
    return result
