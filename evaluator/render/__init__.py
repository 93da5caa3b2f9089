"""Renderers: each turns a ``RunReport`` into text. They never recompute a score."""

from __future__ import annotations

from collections.abc import Callable

from evaluator.render.markdown import render_markdown
from evaluator.render.table import render_table
from evaluator.report import report_json
from schemas.result import RunReport

RENDERERS: dict[str, Callable[[RunReport], str]] = {
    "table": render_table,
    "json": report_json,
    "md": render_markdown,
}
