"""Plain Chinese sentences for what a rule looked at: “注册志愿者占比为 9.2%，低于要求的 13%”."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from evaluator.expr import CheckRecord, Expr
from evaluator.expr.nodes import Call, Name, Node
from evaluator.expr.scope import Scope
from schemas.result import Check

_FAIL_TEMPLATES = {
    ">=": "{what}为{obs}，低于要求的{exp}",
    ">": "{what}为{obs}，未超过要求的{exp}",
    "<=": "{what}为{obs}，超过上限{exp}",
    "<": "{what}为{obs}，未低于要求的{exp}",
    "==": "{what}为{obs}，要求为{exp}",
    "!=": "{what}为{obs}，不应为{exp}",
    "in": "{what}为{obs}，应为{exp}之一",
    "not in": "{what}为{obs}，不应为{exp}之一",
}
_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠", "in": "属于", "not in": "不属于"}
_CALL_UNITS = {"ratio": "%", "survey_rate": "%", "evidence_count": "份", "problems": "处", "sampled": "个", "passed": "个",
               "days_between": "天", "incidents": "起"}


ONE = Decimal(1)
CENT = Decimal("0.01")


def fmt_number(value: Decimal | float | int) -> str:
    # A Decimal is already exact (Decimal(str(d)) is d again); floats go through their shortest text, 0.1 not 0.1000000000000000055.
    number = value if type(value) is Decimal else Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(ONE))
    text = format(number.quantize(CENT), "f").rstrip("0").rstrip(".")
    return text


def fmt_value(value: Any, unit: str | None = None) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal | int | float):
        return f"{fmt_number(value)}{unit or ''}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(fmt_value(v) for v in value)
    if value is None:
        return "（空）"
    return f"“{value}”"


def describe(node: Node, expr: Expr, scope: Scope) -> tuple[str, str | None]:
    """A human name for an operand and its unit: the field's Chinese label, or the expression text."""
    if isinstance(node, Name) and len(node.parts) == 1 and node.parts[0] in scope.names:
        info = scope.names[node.parts[0]]
        return info.label, info.unit
    if isinstance(node, Call) and node.func in ("survey_rate", "problems", "evidence_count", "sampled", "passed") and node.args:
        subject = expr.text(node.args[0]).strip("'\"")
        suffix = {"survey_rate": "满意率", "problems": "问题数", "evidence_count": "材料份数", "sampled": "抽查数", "passed": "合格数"}[node.func]
        if node.func == "survey_rate" and subject.endswith(("率", "度")):
            suffix = ""
        return f"{subject}{suffix}", _CALL_UNITS.get(node.func)
    if isinstance(node, Call) and node.func == "ratio" and all(isinstance(a, Name) and a.parts[0] in scope.names for a in node.args):
        top, bottom = (scope.names[a.parts[0]].label for a in node.args if isinstance(a, Name))
        return f"{top}占{bottom}的比例", "%"
    if isinstance(node, Call):
        return expr.text(node), _CALL_UNITS.get(node.func)
    return expr.text(node), None


class Said(NamedTuple):
    """A check's texts before they become a ``Check`` model: graders that only need the sentence (a checklist
    item's reason) skip building and validating a model per comparison."""

    what: str
    observed: str
    expected: str
    ok: bool
    sentence: str

    def check(self) -> Check:
        return Check(what=self.what, observed=self.observed, expected=self.expected, ok=self.ok, sentence=self.sentence)


def said_for_record(record: CheckRecord, expr: Expr, scope: Scope) -> Said:
    what, unit = describe(record.left, expr, scope)
    return comparison_said(what, fmt_value(record.observed, unit), fmt_value(record.expected, unit), record.op, record.ok)


def comparison_said(what: str, obs: str, exp: str, op: str, ok: bool) -> Said:
    """One comparison in words, from its already formatted parts: the one wording of met and unmet comparisons."""
    if ok:
        sentence = f"{what}为{obs}，符合要求（{_OP_TEXT[op]}{exp}）"
    else:
        sentence = _FAIL_TEMPLATES[op].format(what=what, obs=obs, exp=exp)
    return Said(what, obs, f"{_OP_TEXT[op]}{exp}", ok, sentence)


def said_for_flag(expr: Expr, value: Any, scope: Scope, label: str | None = None) -> Said:
    what, _ = describe(expr.tree, expr, scope)
    what = label or what
    ok = value is True
    sentence = f"{what}：{'是' if ok else '否'}" + ("" if ok else "（要求：是）")
    return Said(what, fmt_value(value), "是", ok, sentence)


def check_from_record(record: CheckRecord, expr: Expr, scope: Scope) -> Check:
    return said_for_record(record, expr, scope).check()


def bool_check(expr: Expr, value: Any, scope: Scope, label: str | None = None) -> Check:
    """For a condition with no comparison (``有年度方案``): show the flag itself."""
    return said_for_flag(expr, value, scope, label).check()


def said_for(expr: Expr, value: Any, records: list[CheckRecord], scope: Scope) -> list[Said]:
    """What ``checks_for`` says, as plain tuples."""
    if records:
        return [said_for_record(r, expr, scope) for r in records]
    if isinstance(value, bool):
        return [said_for_flag(expr, value, scope)]
    return []


def checks_for(expr: Expr, value: Any, records: list[CheckRecord], scope: Scope) -> list[Check]:
    return [said.check() for said in said_for(expr, value, records, scope)]
