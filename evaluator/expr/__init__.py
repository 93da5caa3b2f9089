"""The safe expression language of rule packs: parse once at load, check names and types, evaluate per unit.

Public API: ``compile_expr(text, scope)`` → ``Expr`` (parsed and checked), ``Expr.evaluate(ctx)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evaluator.expr.check import check, names_used
from evaluator.expr.errors import EvalError, ExprError, MissingData
from evaluator.expr.interp import CheckRecord, Context, Interpreter
from evaluator.expr.nodes import Node
from evaluator.expr.parser import parse
from evaluator.expr.scope import Scope


@dataclass(frozen=True)
class Expr:
    source: str
    tree: Node
    type: str
    reads: frozenset[str]

    def evaluate(self, ctx: Context) -> tuple[Any, list[CheckRecord]]:
        interp = Interpreter(ctx)
        value = interp.eval(self.tree)
        return value, interp.records

    def text(self, node: Node) -> str:
        return self.source[node.start : node.end]


def compile_expr(source: str, scope: Scope) -> Expr:
    tree = parse(source)
    kind = check(tree, scope)
    return Expr(source, tree, kind, frozenset(names_used(tree)))


__all__ = ["CheckRecord", "Context", "EvalError", "Expr", "ExprError", "MissingData", "Scope", "compile_expr"]
