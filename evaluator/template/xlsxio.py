"""Shared openpyxl pieces for the workbooks this package writes (templates, sample tables): CJK fonts, header
style, drop-down lists, and a byte-stable save (no clock in the file)."""

from __future__ import annotations

import datetime as dt
import io
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from evaluator.render.ooxml import normalize_zip

FONT_NAME = "宋体"  # present on every Chinese Windows/WPS install; Excel falls back gracefully elsewhere
BODY = Font(name=FONT_NAME, size=11)
HEADER = Font(name=FONT_NAME, size=11, bold=True)
REQUIRED = Font(name=FONT_NAME, size=11, bold=True, color="C00000")
TITLE = Font(name=FONT_NAME, size=14, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FIXED_STAMP = dt.datetime(2000, 1, 1)
DATE_FORMAT = "yyyy-mm-dd"
MAX_INT = 10**9


def save_bytes(wb: Workbook, title: str, stamp: dt.datetime = FIXED_STAMP) -> bytes:
    """Save without the clock: fixed document times and zip entry times, so equal input gives equal bytes."""
    props = wb.properties
    props.creator = props.lastModifiedBy = "civic"
    props.title = title
    props.created = props.modified = stamp
    buffer = io.BytesIO()
    ExcelWriter(wb, ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return normalize_zip(buffer.getvalue())


def list_validation(source: str, prompt: str = "") -> DataValidation:
    """A drop-down from a range (``'选项'!$A$2:$A$9``) or an inline list (``"是,否"``)."""
    dv = DataValidation(type="list", formula1=source, allow_blank=True, showDropDown=False)
    dv.error, dv.errorTitle, dv.showErrorMessage = "请从下拉列表中选择", "输入有误", True
    if prompt:
        dv.prompt, dv.showInputMessage = prompt[:250], True
    return dv


def number_validation(kind: str, low: float | None, high: float | None) -> DataValidation:
    """Whole numbers, decimals or percentages within the data dictionary's bounds."""
    if kind == "percent":
        low, high = (0 if low is None else low), (100 if high is None else high)
    elif kind == "integer":
        low, high = (0 if low is None else low), (MAX_INT if high is None else high)
    else:
        low, high = (-1e12 if low is None else low), (1e12 if high is None else high)
    dv = DataValidation(type="whole" if kind == "integer" else "decimal", operator="between",
                        formula1=_num(low), formula2=_num(high), allow_blank=True)
    shown = {"integer": "整数", "percent": "0–100 之间的数（不写 %）", "number": "数值"}[kind]
    bounds = f"（{_num(low)}–{_num(high)}）" if kind != "percent" and (low > -1e12 or high < 1e12) and high != MAX_INT else ""
    dv.error, dv.errorTitle, dv.showErrorMessage = f"请填写{shown}{bounds}", "输入有误", True
    return dv


def date_validation() -> DataValidation:
    dv = DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)", formula2="DATE(2100,12,31)", allow_blank=True)
    dv.error, dv.errorTitle, dv.showErrorMessage = "请填写日期，如 2024-01-31", "输入有误", True
    return dv


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def style_header(ws: object, row: int, count: int, required: set[int] | None = None) -> None:
    for col in range(1, count + 1):
        cell = ws.cell(row=row, column=col)  # type: ignore[attr-defined]
        cell.font = REQUIRED if required and col in required else HEADER
        cell.fill, cell.border, cell.alignment = HEADER_FILL, BORDER, CENTER
