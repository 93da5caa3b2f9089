"""Checked expressions turned into Python closures once per pack, so a unit is not an AST walk per rule.

``compile_tree(node)`` returns ``fn(run) -> value`` that computes exactly what ``Interpreter.eval(node)``
computes — same values, same ``MissingData`` / ``EvalError`` (same texts), same comparison records in the
same order — because the explanation and the outcome must not depend on which of the two ran. Nothing is
built from text: each closure is an ordinary nested function over the parsed nodes, never ``eval``/``exec``.

The hot shapes get their own closure (names, numbers, comparisons, arithmetic, and/or, the inspection and
survey functions with literal arguments, aggregates over records). Any other node is handed to the
interpreter itself (``run.eval(node)``), so a function added to ``builtins`` works here unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from evaluator.expr.errors import EvalError, MissingData
from evaluator.expr.interp import CheckRecord, Context, Interpreter, _guard, _number, compare, rows_where
from evaluator.expr.nodes import Binary, BoolOp, Call, Compare, Const, Name, Node, Num, Str, Unary

Fn = Callable[[Interpreter], Any]


def run_compiled(fn: Fn, ctx: Context) -> tuple[Any, list[CheckRecord]]:
    """What ``Expr.evaluate(ctx)`` returns, computed by a compiled closure."""
    run = Interpreter(ctx)
    return fn(run), run.records


def compile_tree(node: Node) -> Fn:
    maker = _MAKERS.get(type(node))
    return maker(node) if maker is not None else _interpreted(node)


def _interpreted(node: Node) -> Fn:
    def fn(run: Interpreter) -> Any:
        return run.eval(node)

    return fn


def _constant(node: Num | Str | Const) -> Fn:
    value = node.value

    def fn(run: Interpreter) -> Any:
        return value

    return fn


def _name(node: Name) -> Fn:
    if len(node.parts) > 1:  # dotted paths are rare: the interpreter's own look-up
        def dotted(run: Interpreter) -> Any:
            return run.lookup(node)

        return dotted
    head = node.parts[0]

    def fn(run: Interpreter) -> Any:
        if run.frames:
            return run.lookup(node)
        ctx = run.ctx
        if head in ctx.params:
            value = ctx.params[head]
        elif head in ctx.fields:
            value = ctx.fields[head]
        elif head in ctx.builtins:
            value = ctx.builtins[head]
        else:
            raise MissingData("field", head, f"未填报“{ctx.labels.get(head, head)}”")
        if value is None:
            raise MissingData("field", head, f"未填报“{ctx.labels.get(head, head)}”")
        return value

    return fn


def _unary(node: Unary) -> Fn:
    operand = compile_tree(node.operand)
    if node.op == "-":
        def negate(run: Interpreter) -> Any:
            return -_number(operand(run), "负号后")

        return negate

    def invert(run: Interpreter) -> Any:
        return not run.truth(operand(run))

    return invert


def _binary(node: Binary) -> Fn:
    left, right, op = compile_tree(node.left), compile_tree(node.right), node.op

    def fn(run: Interpreter) -> Decimal:
        a = _number(left(run), "运算数")
        b = _number(right(run), "运算数")
        try:
            if op == "+":
                return _guard(a + b)
            if op == "-":
                return _guard(a - b)
            if op == "*":
                return _guard(a * b)
            if b == 0:
                raise EvalError("除数为零，无法计算")
            return _guard(a / b)
        except InvalidOperation as exc:
            raise EvalError("数值运算无效") from exc

    return fn


def _compare(node: Compare) -> Fn:
    left, right, op, left_node, right_node = compile_tree(node.left), compile_tree(node.right), node.op, node.left, node.right

    def fn(run: Interpreter) -> bool:
        a, b = left(run), right(run)
        ok = compare(op, a, b)
        run.records.append(CheckRecord(left_node, op, right_node, a, b, ok))
        return ok

    return fn


def _operand(node: Node) -> Fn:
    """``Interpreter.operand``: a bare name or call giving 是/否 inside and/or is recorded as ``== 是``."""
    value_of = compile_tree(node)
    if not isinstance(node, Name | Call):
        return value_of
    yes = Const(node.end, node.end, True)

    def fn(run: Interpreter) -> Any:
        value = value_of(run)
        if isinstance(value, bool):
            run.records.append(CheckRecord(node, "==", yes, value, True, value))
        return value

    return fn


def _boolop(node: BoolOp) -> Fn:
    operands = tuple(_operand(value) for value in node.values)
    stop = node.op == "or"

    def fn(run: Interpreter) -> bool:
        truth = run.truth
        for operand in operands:
            if truth(operand(run)) == stop:
                return stop
        return not stop

    return fn


def _literals(node: Call) -> tuple[str, ...] | None:
    """The call's arguments when every one is a quoted text (``problems('主次干道', '乱扔垃圾')``)."""
    if all(isinstance(arg, Str) for arg in node.args):
        return tuple(arg.value for arg in node.args)  # type: ignore[attr-defined]
    return None


def _problems(node: Call) -> Fn | None:
    texts = _literals(node)
    if texts is None:
        return None
    point_type, kinds = texts[0], set(texts[1:])

    def fn(run: Interpreter) -> Decimal:
        rows = rows_where(run.ctx, "inspections", "point_type", point_type)
        if not rows:
            raise MissingData("inspection", point_type, f"没有“{point_type}”点位的实地考察记录")
        total = 0
        for row in rows:
            for problem in row.get("problems", []):
                if not kinds or problem.get("type") in kinds:
                    total += int(problem.get("count", 1))
        return Decimal(total)

    return fn


def _evidence_count(node: Call) -> Fn | None:
    if len(node.args) != 1 or not isinstance(node.args[0], Str):
        return None  # a look-back in months: the interpreter's version
    kind = node.args[0].value

    def fn(run: Interpreter) -> Decimal:
        start, end = run.ctx.period
        return Decimal(sum(1 for e in run.ctx.evidence if e.get("kind") == kind and e.get("date") and start <= e["date"] <= end))

    return fn


def _survey_rate(node: Call) -> Fn | None:
    texts = _literals(node)
    if texts is None:
        return None
    topic = texts[0]

    def fn(run: Interpreter) -> Decimal:
        rows = [s for s in run.ctx.surveys if s.get("topic") == topic]
        sample = sum(int(s.get("sample", 0)) for s in rows)
        if not rows:
            raise MissingData("survey", topic, f"没有“{topic}”的问卷调查结果")
        satisfied = sum(int(s.get("satisfied", 0)) for s in rows)
        if sample == 0:
            raise MissingData("survey", str(topic), f"“{topic}”问卷有效样本为 0")
        return Decimal(satisfied) / Decimal(sample) * 100

    return fn


def _ratio(node: Call) -> Fn | None:
    top, bottom = (compile_tree(arg) for arg in node.args)

    def fn(run: Interpreter) -> Decimal:
        a = _number(top(run), "ratio 的分子")
        b = _number(bottom(run), "ratio 的分母")
        if b == 0:
            raise EvalError("比例的分母为零，无法计算")
        return _guard(a / b * 100)

    return fn


def _rows(run: Interpreter, source: Fn) -> list[dict[str, Any]]:
    """``builtins._records``: the aggregate's list, its records only."""
    value = source(run)
    if not isinstance(value, list):
        raise EvalError("此处应为列表")
    return [row for row in value if isinstance(row, dict)]


def _per_record(run: Interpreter, rows: list[dict[str, Any]], fn: Fn) -> list[Any]:
    """``builtins._each``: ``fn`` once per record (the record's fields in scope first); the per-record
    comparisons are dropped however the loop ends."""
    values = []
    mark = len(run.records)
    frames = run.frames
    try:
        for row in rows:
            frames.append(row)
            try:
                values.append(fn(run))
            finally:
                frames.pop()
    finally:
        del run.records[mark:]
    return values


def _kept(run: Interpreter, rows: list[dict[str, Any]], condition: Fn | None) -> list[dict[str, Any]]:
    """``builtins._filtered``: the records whose condition holds (all of them without a condition)."""
    if condition is None:
        return rows
    keep = _per_record(run, rows, condition)
    return [row for row, ok in zip(rows, keep, strict=True) if run.truth(ok)]


def _any(node: Call) -> Fn | None:
    source, condition = (compile_tree(arg) for arg in node.args)

    def fn(run: Interpreter) -> bool:
        rows = _rows(run, source)
        return any(run.truth(v) for v in _per_record(run, rows, condition))

    return fn


def _all(node: Call) -> Fn | None:
    source, condition = (compile_tree(arg) for arg in node.args)

    def fn(run: Interpreter) -> bool:
        rows = _rows(run, source)
        return bool(rows) and all(run.truth(v) for v in _per_record(run, rows, condition))

    return fn


def _count(node: Call) -> Fn | None:
    source = compile_tree(node.args[0])
    condition = compile_tree(node.args[1]) if len(node.args) > 1 else None

    def fn(run: Interpreter) -> Decimal:
        return Decimal(len(_kept(run, _rows(run, source), condition)))

    return fn


def _sum(node: Call) -> Fn | None:
    source, number = compile_tree(node.args[0]), compile_tree(node.args[1])
    condition = compile_tree(node.args[2]) if len(node.args) > 2 else None

    def fn(run: Interpreter) -> Decimal:
        rows = _kept(run, _rows(run, source), condition)
        values = [_number(v, "记录中的数值") for v in _per_record(run, rows, number)]
        return _guard(sum(values, Decimal(0)))

    return fn


_CALLS: dict[str, Callable[[Call], Fn | None]] = {
    "problems": _problems, "evidence_count": _evidence_count, "survey_rate": _survey_rate, "ratio": _ratio,
    "any": _any, "all": _all, "count": _count, "sum": _sum,
}


def _call(node: Call) -> Fn:
    maker = _CALLS.get(node.func)
    fn = maker(node) if maker is not None else None
    return fn if fn is not None else _interpreted(node)


_MAKERS: dict[type, Callable[[Any], Fn]] = {
    Num: _constant, Str: _constant, Const: _constant, Name: _name, Unary: _unary, Binary: _binary,
    Compare: _compare, BoolOp: _boolop, Call: _call,
}
