"""The workbook of ``civic combine -f xlsx``: one sheet of cycle scores (ranked, printable) and a 说明 sheet."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from evaluator.batch.combine import CycleRow
from evaluator.template import xlsxio

RED = PatternFill("solid", fgColor="F8CBAD")
GREY = PatternFill("solid", fgColor="EDEDED")


def render_combine_xlsx(rows: list[CycleRow], labels: list[str], weights: list[float], pass_mark: float | None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "周期成绩"
    headers = ["名次", "单位编号", "单位名称", "单位类型", "组别", "区域", *[f"{lab}得分" for lab in labels], "周期得分", "等级", "达标", "说明"]
    ws.append(headers)
    xlsxio.style_header(ws, 1, len(headers))
    for row in rows:
        note = f"缺少{'、'.join(row.missing)}结果，未计算周期得分" if row.missing else "；".join(row.reasons)
        ws.append([row.rank, row.id, row.name, row.type, row.group, row.region, *row.totals, row.score, row.grade,
                   {True: "是", False: "否", None: None}[row.passed], note])
        fill = RED if row.disqualified else GREY if row.missing else None
        if fill is not None:
            for cell in ws[ws.max_row]:
                cell.fill = fill
    for index, width in enumerate([6, 20, 30, 10, 12, 30, *[10] * len(labels), 10, 10, 6, 50], start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = width
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            cell.font = xlsxio.BODY
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    ws.freeze_panes = "C2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    help_ws = wb.create_sheet("说明")
    total = sum(weights)
    lines = [
        "周期得分 = " + " + ".join(f"{lab}得分×{w / total:.0%}" for lab, w in zip(labels, weights, strict=True)) + "（保留两位小数，四舍五入）",
        "缺少任一期结果的单位不计算周期得分、不参加排名（灰色），不会按已有年份平均。",
        "任一期被取消资格（否决项，或未成年人等门槛未达到）的单位，周期内取消资格（红色），排在全部合格单位之后。",
        "名次：周期得分相同名次相同（如 1、2、2、4），同分单位按单位编号先后列出。",
    ]
    if pass_mark is not None:
        lines.append(f"达标线：{pass_mark:g} 分。")
    for text in lines:
        help_ws.append([text])
    help_ws.column_dimensions["A"].width = 110
    for cell in help_ws["A"]:
        cell.font = Font(name=xlsxio.FONT_NAME, size=11)
    return xlsxio.save_bytes(wb, "周期成绩")
