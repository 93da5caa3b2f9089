"""Shared helpers of the command-line layer: output, diagnostics, exit codes, the no-traceback guard.

``cli.py`` and the modules in ``evaluator/commands/`` are the CLI layer — the only code that prints or
exits; everything they call returns values or raises ``CivicError``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from evaluator.errors import EXIT_CODES, EXIT_INTERNAL, CivicError, Diagnostic, render_diagnostics

EPILOG = "退出码：" + "；".join(f"{k} {v}" for k, v in EXIT_CODES.items())
FORMATS_DIAG = click.Choice(["human", "parsable", "json"])


def tabulate(*args: Any, **kwargs: Any) -> str:
    """``tabulate.tabulate``, imported on first use: with wcwidth and importlib.metadata it costs tens of
    milliseconds at start-up, and most commands never print a table."""
    from tabulate import tabulate as format_table

    return str(format_table(*args, **kwargs))


def emit(text: str, output: Path | None = None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from evaluator.fsutil import write_atomic

    write_atomic(output, text)
    click.echo(f"已写入 {output}", err=True)


def show_diagnostics(diags: list[Diagnostic], fmt: str = "human") -> None:
    if diags:
        click.echo(render_diagnostics(diags, fmt), err=fmt != "json")


#: A province's batch (or a flat table) can raise thousands of problems of one kind; the terminal shows the first
#: few of each code, the rest are in the output files.
SHOWN_PER_CODE = 20


def cap_per_code(diags: list[Diagnostic], limit: int) -> tuple[list[Diagnostic], dict[str, int]]:
    """The first ``limit`` diagnostics of each code, in their order, and how many of each code were left out."""
    seen: dict[str, int] = {}
    shown = []
    for diag in diags:
        seen[diag.code] = seen.get(diag.code, 0) + 1
        if seen[diag.code] <= limit:
            shown.append(diag)
    return shown, {code: n - limit for code, n in sorted(seen.items()) if n > limit}


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Every command: our errors print as located diagnostics with their exit code; anything else is exit 5."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CivicError as exc:
            show_diagnostics(exc.diagnostics)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("已中断；已写出的文件保持完整。", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback for users
            if os.environ.get("CIVIC_DEBUG"):
                raise
            click.echo(f"error[E500]: 内部错误（{type(exc).__name__}: {exc}）。请把命令和输入文件报告给维护者；设置 CIVIC_DEBUG=1 可看到详细信息。", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


def parse_date(_ctx: Any, _param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"日期应写成 2024-12-31，实际是 '{value}'") from exc
