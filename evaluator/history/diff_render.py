"""Render a ``RunDiff`` as a terminal table, JSON, or an xlsx sheet."""

from __future__ import annotations

import io
import json

from tabulate import tabulate

from evaluator.history.compare import RunDiff


def _rows(result: RunDiff) -> list[list[str]]:
    rows = []
    for u in result.units:
        change = "—" if u.change is None else f"{u.change:+g}"
        rank = "—" if u.rank_change is None else f"{u.rank_a}→{u.rank_b}"
        rows.append([u.unit_id, u.name, f"{u.total_a:g}" if u.total_a is not None else "—", f"{u.total_b:g}" if u.total_b is not None else "—",
                     change, rank, "、".join(u.newly_failing) or "—", "、".join(u.newly_passing) or "—", str(len(u.still_failing))])
    return rows


HEADERS = ["单位编号", "单位", "上轮得分", "本轮得分", "变化", "名次", "新增失分", "已整改通过", "仍未通过（条）"]


def diff_table(result: RunDiff) -> str:
    t = result.totals()
    lines = [f"比较：{result.a.label}（{result.a.as_of}）→ {result.b.label}（{result.b.as_of}）",
             f"新增失分 {t['newly_failing']} 条，已整改通过 {t['newly_passing']} 条，仍未通过 {t['still_failing']} 条；"
             f"进步 {t['improved']} 个单位，退步 {t['declined']} 个单位。"]
    if result.rules_added or result.rules_removed:
        lines.append(f"规则变化：新增 {'、'.join(result.rules_added) or '无'}；删除 {'、'.join(result.rules_removed) or '无'}")
    if result.only_in_a or result.only_in_b:
        lines.append(f"仅上轮有的单位：{'、'.join(result.only_in_a) or '无'}；仅本轮有的单位：{'、'.join(result.only_in_b) or '无'}")
    lines += ["", tabulate(_rows(result), headers=HEADERS, disable_numparse=True, maxcolwidths=[None] * 6 + [30, 30, None])]
    return "\n".join(lines) + "\n"


def diff_json(result: RunDiff) -> str:
    data = {
        "a": {"label": result.a.label, "as_of": result.a.as_of, "pack": result.a.pack_id, "edition": result.a.edition},
        "b": {"label": result.b.label, "as_of": result.b.as_of, "pack": result.b.pack_id, "edition": result.b.edition},
        "totals": result.totals(), "rules_added": result.rules_added, "rules_removed": result.rules_removed,
        "only_in_a": result.only_in_a, "only_in_b": result.only_in_b,
        "units": [{"unit_id": u.unit_id, "name": u.name, "total_a": u.total_a, "total_b": u.total_b, "change": u.change,
                   "rank_a": u.rank_a, "rank_b": u.rank_b, "rank_change": u.rank_change, "newly_failing": u.newly_failing,
                   "newly_passing": u.newly_passing, "still_failing": u.still_failing} for u in result.units],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def diff_xlsx(result: RunDiff) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "轮次对比"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _rows(result):
        ws.append(row)
    ws.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (16, 24, 10, 10, 8, 8, 30, 30, 12), strict=True):
        ws.column_dimensions[column].width = width
    wb.properties.creator = "civic"
    import datetime as dt
    stamp = dt.datetime.fromisoformat(f"{result.b.as_of}T00:00:00") if result.b.as_of else dt.datetime(2000, 1, 1)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
