"""Markdown report for pasting into documents (自评报告.md)."""

from __future__ import annotations

from tabulate import tabulate

from evaluator.render.common import (
    DEFICIENCY_HEADERS,
    LOST_HEADERS,
    METHOD_HEADERS,
    NODE_HEADERS,
    RECTIFICATION_HEADERS,
    deficiency_rows,
    header_lines,
    lost_rows,
    method_rows,
    node_rows,
    rectification_rows,
)
from schemas.result import RunReport, UnitResult


def _md(rows: list[list[str]], headers: list[str]) -> str:
    if not rows:
        return "无。"
    clean = [[cell.replace("|", "｜").replace("\n", " ") for cell in row] for row in rows]
    return tabulate(clean, headers=headers, tablefmt="github", disable_numparse=True)


def render_unit_md(report: RunReport, unit: UnitResult) -> str:
    parts = [f"# {unit.unit.name} 测评报告", "", *[f"- {line}" for line in header_lines(report, unit)], "",
             "## 各测评项目得分", "", _md(node_rows(unit, max_depth=2), NODE_HEADERS), ""]
    methods = method_rows(unit)
    if len(methods) > 1:
        parts += ["## 各测评方法得分", "", _md(methods, METHOD_HEADERS), ""]
    parts += ["## 失分与待办条目", "", _md(lost_rows(unit), LOST_HEADERS), "",
              "## 缺项清单", "", _md(deficiency_rows(unit), DEFICIENCY_HEADERS), "",
              "## 整改清单", "", _md(rectification_rows(unit), RECTIFICATION_HEADERS), "",
              "## 计分方法", "", report.formula, "", f"测评体系 `{report.pack.id}` 内容指纹 `{report.pack.content_hash}`。", ""]
    return "\n".join(parts)


def render_markdown(report: RunReport) -> str:
    return "\n".join(render_unit_md(report, unit) for unit in report.units)
