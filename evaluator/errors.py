"""Diagnostics, exit codes and the exception hierarchy.

Every problem a user can cause is a ``Diagnostic`` with a code, a location and a Chinese message that
says what was found, what was expected and what to do. Exceptions carry diagnostics up to ``cli.py``,
the only place that prints them. Hierarchy::

    CivicError
    ├── RuleError        → exit 3 (invalid rule pack, tailoring, fixtures)
    ├── UnitDataError    → exit 4 (invalid unit data or waivers)
    └── UsageError       → exit 2 (bad command-line arguments: unknown pack, missing file)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

EXIT_OK = 0
EXIT_GATE = 1
EXIT_USAGE = 2
EXIT_RULES = 3
EXIT_UNIT = 4
EXIT_INTERNAL = 5

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "成功",
    EXIT_GATE: "评测完成，但有单位低于 --fail-under 门槛（或 lint --strict 有警告）",
    EXIT_USAGE: "命令用法错误（参数、文件不存在、未知测评体系）",
    EXIT_RULES: "规则包（测评体系 YAML、地方细则、测试用例）有错误",
    EXIT_UNIT: "单位数据或豁免文件有错误",
    EXIT_INTERNAL: "内部错误（程序缺陷，请报告）",
}

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """Where a problem is: ``path:line:col`` for text files, ``path:Sheet!C14`` for workbooks."""

    path: str
    line: int | None = None
    col: int | None = None
    end_col: int | None = None
    sheet: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.path}:{self.sheet}!{self.cell}" if self.cell else f"{self.path}:{self.sheet}"
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.col or 1}"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: Location
    severity: Severity = "error"
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line or 0, loc.col or 0, self.code)

    def one_line(self) -> str:
        text = f"{self.location}: [{self.severity}] {self.code} {self.message}"
        return f"{text}（{self.hint}）" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code, "severity": self.severity, "message": self.message, "hint": self.hint,
            "path": loc.path, "line": loc.line, "col": loc.col, "sheet": loc.sheet, "cell": loc.cell,
        }


@dataclass
class DiagnosticSink:
    """Collects all problems of a run instead of stopping at the first."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def error(self, code: str, message: str, location: Location, hint: str | None = None) -> None:
        self.add(Diagnostic(code, message, location, "error", hint))

    def warning(self, code: str, message: str, location: Location, hint: str | None = None) -> None:
        self.add(Diagnostic(code, message, location, "warning", hint))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)


class CivicError(Exception):
    exit_code = EXIT_INTERNAL

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.one_line() for d in diagnostics))


class RuleError(CivicError):
    exit_code = EXIT_RULES


class UnitDataError(CivicError):
    exit_code = EXIT_UNIT


class UsageError(CivicError):
    exit_code = EXIT_USAGE


def usage_error(code: str, message: str, where: str = "命令行", hint: str | None = None) -> UsageError:
    return UsageError([Diagnostic(code, message, Location(where), "error", hint)])


def _source_line(path: str, line: int) -> str | None:
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as fh:
            for number, text in enumerate(fh, start=1):
                if number == line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None


def _display_width(text: str) -> int:
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else len(text)


def render_human(diag: Diagnostic) -> str:
    """A compiler-style block: header, arrow with location, the source line and a caret under the spot."""
    lines = [f"{diag.severity}[{diag.code}]: {diag.message}", f"  --> {diag.location}"]
    loc = diag.location
    if loc.line is not None:
        text = _source_line(loc.path, loc.line)
        if text is not None and len(text) <= 400:
            gutter = " " * len(str(loc.line))
            col = max(1, loc.col or 1)
            span = max(1, (loc.end_col or col + 1) - col)
            prefix = _display_width(text[: col - 1].replace("\t", " "))
            marked = text[col - 1 : col - 1 + span]
            carets = "^" * max(1, _display_width(marked))
            lines += [f" {gutter} |", f" {loc.line} | {text.replace(chr(9), ' ')}", f" {gutter} | {' ' * prefix}{carets}"]
    if diag.hint:
        lines.append(f"   = 提示: {diag.hint}")
    return "\n".join(lines)


def render_diagnostics(diags: list[Diagnostic], fmt: str) -> str:
    ordered = sorted(diags, key=Diagnostic.sort_key)
    if fmt == "json":
        return json.dumps([d.as_dict() for d in ordered], ensure_ascii=False, indent=2)
    if fmt == "parsable":
        return "\n".join(d.one_line() for d in ordered)
    return "\n\n".join(render_human(d) for d in ordered)
