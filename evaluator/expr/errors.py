"""Errors of the expression language. Offsets are character positions inside the expression text."""

from __future__ import annotations


class ExprError(Exception):
    code = "R200"

    def __init__(self, message: str, start: int = 0, end: int = 0, hint: str | None = None):
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint
        super().__init__(message)


class ExprSyntaxError(ExprError):
    code = "R200"


class ExprNameError(ExprError):
    code = "R201"


class ExprTypeError(ExprError):
    code = "R204"


class EvalError(Exception):
    """Raised while evaluating for one unit (division by zero, wrong type in data); becomes outcome ``error``."""


class MissingData(Exception):
    """A value the rule needs is absent in the unit's data; becomes outcome ``missing``."""

    def __init__(self, kind: str, name: str, detail: str):
        self.kind = kind
        self.name = name
        self.detail = detail
        super().__init__(detail)
