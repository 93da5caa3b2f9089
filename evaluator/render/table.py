"""The terminal report: a readable Chinese summary, then per-item scores and the 缺项/整改 lists.

tabulate aligns CJK text only when ``wcwidth`` is importable, which is why it is a dependency.
"""

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

WRAP = 36


def _table(rows: list[list[str]], headers: list[str], wrap: tuple[int, ...] = ()) -> str:
    widths = [WRAP if i in wrap else None for i in range(len(headers))]
    return tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=widths, disable_numparse=True)


def render_unit(report: RunReport, unit: UnitResult) -> str:
    parts = [f"══ civic 测评报告：{unit.unit.name} ══", *header_lines(report, unit), "", "【各测评项目得分】",
             _table(node_rows(unit), NODE_HEADERS)]
    methods = method_rows(unit)
    if len(methods) > 1:
        parts += ["", "【各测评方法得分】", _table(methods, METHOD_HEADERS)]
    lost = lost_rows(unit)
    parts += ["", f"【失分与待办条目】（{len(lost)} 条）", _table(lost, LOST_HEADERS, (2, 5)) if lost else "无"]
    deficiencies = deficiency_rows(unit)
    parts += ["", f"【缺项清单】（{len(deficiencies)} 项）", _table(deficiencies, DEFICIENCY_HEADERS, (1, 3)) if deficiencies else "无"]
    rects = rectification_rows(unit)
    parts += ["", f"【整改清单】（{len(rects)} 项，按可挽回分排序）", _table(rects, RECTIFICATION_HEADERS, (2, 3)) if rects else "无"]
    return "\n".join(parts)


def render_table(report: RunReport) -> str:
    blocks = [render_unit(report, unit) for unit in report.units]
    footer = f"计分方法：{report.formula}\n测评体系 {report.pack.id} 内容指纹 {report.pack.content_hash}"
    return "\n\n".join([*blocks, footer]) + "\n"
