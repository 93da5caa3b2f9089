"""Implementations of the whitelisted functions (see ``functions.py`` for their contracts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from evaluator.expr.errors import EvalError, MissingData
from evaluator.expr.interp import _guard, _number, months_before, rows_where
from evaluator.expr.nodes import Call, Name, Node

if TYPE_CHECKING:
    from evaluator.expr.interp import Interpreter


def _records(it: Interpreter, node: Node) -> list[dict[str, Any]]:
    value = it.eval(node)
    if not isinstance(value, list):
        raise EvalError("此处应为列表")
    return [row for row in value if isinstance(row, dict)]


def _each(it: Interpreter, rows: list[dict[str, Any]], arg: Node) -> list[Any]:
    """Evaluate ``arg`` once per record. Per-record comparisons are not explanations: the aggregate is.
    They are dropped however the loop ends: when a record lacks a value (``MissingData``) that an enclosing
    ``coalesce``/``exists`` absorbs, the earlier records' comparisons must not reach the rule's explanation."""
    values = []
    mark = len(it.records)
    try:
        for row in rows:
            it.frames.append(row)
            try:
                values.append(it.eval(arg))
            finally:
                it.frames.pop()
    finally:
        del it.records[mark:]
    return values


def _filtered(it: Interpreter, node: Call, cond_index: int) -> list[dict[str, Any]]:
    rows = _records(it, node.args[0])
    if len(node.args) > cond_index:
        keep = _each(it, rows, node.args[cond_index])
        rows = [row for row, ok in zip(rows, keep, strict=True) if it.truth(ok)]
    return rows


def _count(it: Interpreter, node: Call) -> Decimal:
    return Decimal(len(_filtered(it, node, 1)))


def _numbers(it: Interpreter, node: Call) -> list[Decimal]:
    rows = _filtered(it, node, 2)
    return [_number(v, "记录中的数值") for v in _each(it, rows, node.args[1])]


def _sum(it: Interpreter, node: Call) -> Decimal:
    return _guard(sum(_numbers(it, node), Decimal(0)))


def _avg(it: Interpreter, node: Call) -> Decimal:
    values = _numbers(it, node)
    if not values:
        raise EvalError("没有记录，无法计算平均值")
    return _guard(sum(values, Decimal(0)) / len(values))


def _extreme(pick: Callable[[list[Decimal]], Decimal]) -> Callable[[Interpreter, Call], Decimal]:
    def run(it: Interpreter, node: Call) -> Decimal:
        first = it.eval(node.args[0]) if not isinstance(node.args[0], Name) else it.lookup(node.args[0])
        if isinstance(first, list):
            values = _numbers(it, node)
        else:
            values = [_number(first, "参数")] + [_number(it.eval(a), "参数") for a in node.args[1:]]
        if not values:
            raise EvalError("没有记录，无法取最值")
        return pick(values)

    return run


def _any(it: Interpreter, node: Call) -> bool:
    rows = _records(it, node.args[0])
    return any(it.truth(v) for v in _each(it, rows, node.args[1]))


def _all(it: Interpreter, node: Call) -> bool:
    rows = _records(it, node.args[0])
    return bool(rows) and all(it.truth(v) for v in _each(it, rows, node.args[1]))


def _exists(it: Interpreter, node: Call) -> bool:
    try:
        it.eval(node.args[0])
    except MissingData:
        return False
    return True


def _coalesce(it: Interpreter, node: Call) -> Any:
    try:
        return it.eval(node.args[0])
    except MissingData:
        return it.eval(node.args[1])


def _len(it: Interpreter, node: Call) -> Decimal:
    value = it.eval(node.args[0])
    if not isinstance(value, str | list):
        raise EvalError("len 只能用于文字或列表")
    return Decimal(len(value))


def _abs(it: Interpreter, node: Call) -> Decimal:
    return abs(_number(it.eval(node.args[0]), "abs 的参数"))


def _round(it: Interpreter, node: Call) -> Decimal:
    value = _number(it.eval(node.args[0]), "round 的参数")
    places = int(_number(it.eval(node.args[1]), "位数")) if len(node.args) > 1 else 0
    if not 0 <= places <= 6:
        raise EvalError("round 的位数应在 0–6 之间")
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _ratio(it: Interpreter, node: Call) -> Decimal:
    top = _number(it.eval(node.args[0]), "ratio 的分子")
    bottom = _number(it.eval(node.args[1]), "ratio 的分母")
    if bottom == 0:
        raise EvalError("比例的分母为零，无法计算")
    return _guard(top / bottom * 100)


def _date(it: Interpreter, node: Call) -> dt.date:
    text = it.eval(node.args[0])
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError as exc:
        raise EvalError(f"日期写法不正确：{text!r}（应为 2024-01-31）") from exc


def _as_date(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise EvalError(f"应为日期，实际是 {value!r}")
    return value


def _days_between(it: Interpreter, node: Call) -> Decimal:
    start, end = (_as_date(it.eval(a)) for a in node.args)
    return Decimal((end - start).days)


def _year(it: Interpreter, node: Call) -> Decimal:
    return Decimal(_as_date(it.eval(node.args[0])).year)


def _contains(it: Interpreter, node: Call) -> bool:
    text, part = (it.eval(a) for a in node.args)
    if not isinstance(text, str) or not isinstance(part, str):
        raise EvalError("contains 的参数应为文字")
    return part in text


def _window(it: Interpreter, node: Call, index: int) -> tuple[dt.date, dt.date]:
    if len(node.args) > index:
        months = int(_number(it.eval(node.args[index]), "月数"))
        return months_before(it.ctx.as_of, months), it.ctx.as_of
    return it.ctx.period


def _evidence_count(it: Interpreter, node: Call) -> Decimal:
    kind = it.eval(node.args[0])
    start, end = _window(it, node, 1)
    n = sum(1 for e in it.ctx.evidence if e.get("kind") == kind and e.get("date") and start <= e["date"] <= end)
    return Decimal(n)


def _inspections_of(it: Interpreter, point_type: str) -> list[dict[str, Any]]:
    rows = rows_where(it.ctx, "inspections", "point_type", point_type)
    if not rows:
        raise MissingData("inspection", point_type, f"没有“{point_type}”点位的实地考察记录")
    return rows


def _problems(it: Interpreter, node: Call) -> Decimal:
    point_type = it.eval(node.args[0])
    kinds = {it.eval(a) for a in node.args[1:]}
    total = 0
    for row in _inspections_of(it, point_type):
        for problem in row.get("problems", []):
            if not kinds or problem.get("type") in kinds:
                total += int(problem.get("count", 1))
    return Decimal(total)


def _sum_of(key: str) -> Callable[[Interpreter, Call], Decimal]:
    def run(it: Interpreter, node: Call) -> Decimal:
        return Decimal(sum(int(r.get(key, 0)) for r in _inspections_of(it, it.eval(node.args[0]))))

    return run


def _inspected(it: Interpreter, node: Call) -> Decimal:
    point_type = it.eval(node.args[0])
    return Decimal(sum(1 for r in it.ctx.inspections if r.get("point_type") == point_type))


def _survey(it: Interpreter, node: Call) -> tuple[int, int]:
    topic = it.eval(node.args[0])
    rows = [s for s in it.ctx.surveys if s.get("topic") == topic]
    sample = sum(int(s.get("sample", 0)) for s in rows)
    if not rows:
        raise MissingData("survey", topic, f"没有“{topic}”的问卷调查结果")
    return sample, sum(int(s.get("satisfied", 0)) for s in rows)


def _survey_rate(it: Interpreter, node: Call) -> Decimal:
    sample, satisfied = _survey(it, node)
    if sample == 0:
        raise MissingData("survey", str(it.eval(node.args[0])), f"“{it.eval(node.args[0])}”问卷有效样本为 0")
    return Decimal(satisfied) / Decimal(sample) * 100


def _survey_sample(it: Interpreter, node: Call) -> Decimal:
    return Decimal(_survey(it, node)[0])


def _incidents(it: Interpreter, node: Call) -> Decimal:
    kind = it.eval(node.args[0])
    start, end = _window(it, node, 1)
    return Decimal(sum(1 for i in it.ctx.incidents if i.get("type") == kind and start <= i["date"] <= end))


_IMPLS: dict[str, Callable[[Interpreter, Call], Any]] = {
    "count": _count, "sum": _sum, "avg": _avg, "min": _extreme(min), "max": _extreme(max),
    "any": _any, "all": _all, "exists": _exists, "coalesce": _coalesce, "len": _len, "abs": _abs,
    "round": _round, "ratio": _ratio, "date": _date, "days_between": _days_between, "year": _year,
    "contains": _contains, "evidence_count": _evidence_count, "problems": _problems,
    "sampled": _sum_of("sampled"), "passed": _sum_of("passed"), "inspected": _inspected,
    "survey_rate": _survey_rate, "survey_sample": _survey_sample, "incidents": _incidents,
}


def call(it: Interpreter, node: Call) -> Any:
    impl = _IMPLS.get(node.func)
    if impl is None:  # the checker rejects unknown functions at load time
        raise EvalError(f"未知的函数 {node.func}")
    return impl(it, node)
