"""Write one declarative ``SheetSpec`` into a streaming (write-only) openpyxl workbook, formatted for printing.

Why write-only: the 整改清单 of 10,000 units runs to hundreds of thousands of rows; openpyxl's normal mode keeps
a Python object per cell (about a gigabyte at that size), the streaming mode writes rows as they come. The price
is that everything about a sheet (widths, freeze, filter, print setup, conditional formats) must be known before
the first row is written, which the ``SheetSpec`` provides.

The workbook's default font (font 0, used by every unstyled cell) is replaced by a CJK font so that plain cells
need no per-cell style — per-cell styling roughly doubles the write time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule, Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from evaluator.render.batch_stats import display_width

CJK_FONT = "等线"
BODY_SIZE = 10
BODY_FONT = Font(name=CJK_FONT, size=BODY_SIZE, family=2, charset=134)
HEADER_FONT = Font(name=CJK_FONT, size=BODY_SIZE, bold=True, color="FFFFFF", family=2, charset=134)
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_ALIGN = Alignment(vertical="top", wrap_text=True)
THIN = Side(style="thin", color="BFBFBF")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

RED_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
RED_FONT = Font(color="9C0006")
AMBER_FILL = PatternFill("solid", fgColor="FFEB9C", bgColor="FFEB9C")
AMBER_FONT = Font(color="9C5700")
GREEN_FILL = PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE")

NUMBER_FORMATS = {"score": "0.00", "percent": "0.00%", "int": "0", "text": "@"}
MIN_WIDTH = 6
WRAP_WIDTH = 44
PAPER_A4 = "9"
#: Excel holds 1,048,576 rows; one is the header.
MAX_DATA_ROWS = 1_048_575


@dataclass(frozen=True)
class Column:
    """One column: header text, value kind (text/int/score/percent) and whether long text wraps."""

    header: str
    kind: str = "text"
    wrap: bool = False
    width: int | None = None


@dataclass
class SheetSpec:
    """Everything needed to stream one printable sheet. ``formats`` add conditional formats by column header."""

    title: str
    heading: str
    columns: list[Column]
    rows: list[list[Any]]
    formats: list[tuple[str, Callable[[], Rule]]] = field(default_factory=list)
    freeze_cols: int = 0
    empty_note: str = "无"


def _cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "percent" and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def fitted_widths(spec: SheetSpec) -> list[float]:
    """Column widths fitted to the widest cell (CJK counted double), capped for wrapped text columns."""
    widths: list[float] = []
    for index, column in enumerate(spec.columns):
        if column.width is not None:
            widths.append(column.width)
            continue
        widest = display_width(column.header)
        for row in spec.rows:
            for line in _cell_text(row[index], column.kind).split("\n"):
                widest = max(widest, display_width(line))
        cap = WRAP_WIDTH if column.wrap else 60
        widths.append(min(max(widest + 2, MIN_WIDTH), cap))
    return widths


def new_workbook() -> Workbook:
    """A streaming workbook whose default font is the CJK body font (see module docstring)."""
    wb = Workbook(write_only=True)
    wb._fonts = IndexedList([BODY_FONT])
    wb._named_styles["Normal"].font = BODY_FONT
    return wb


def _header_cells(ws: WriteOnlyWorksheet, spec: SheetSpec) -> list[WriteOnlyCell]:
    cells = []
    for column in spec.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
        cell.border = HEADER_BORDER
        cells.append(cell)
    return cells


class _StyleCache:
    """Pre-built style arrays for body cells, copied onto each new cell.

    Why: assigning ``cell.alignment`` / ``cell.number_format`` hashes the style objects and looks them up in the
    workbook's style tables on every cell (about half the write time for large sheets); the resulting style array
    is the same for every cell of a column, so it is built once per (wrap, kind) and copied.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.arrays: dict[tuple[bool, str], Any] = {}

    def needs_style(self, column: Column, value: Any) -> bool:
        return column.wrap or (column.kind in ("score", "percent") and value is not None)

    def array(self, column: Column) -> Any:
        key = (column.wrap, column.kind if column.kind in ("score", "percent") else "text")
        if key not in self.arrays:
            template = WriteOnlyCell(self.ws)
            if column.wrap:
                template.alignment = WRAP_ALIGN
            if key[1] != "text":
                template.number_format = NUMBER_FORMATS[key[1]]
            self.arrays[key] = template._style
        return self.arrays[key]

    def row(self, columns: list[Column], row: list[Any]) -> list[Any]:
        """Plain values where the default style suffices; styled cells only for wrapped text and number formats."""
        out: list[Any] = []
        for column, value in zip(columns, row, strict=True):
            if self.needs_style(column, value):
                cell = WriteOnlyCell(self.ws, value=value)
                cell._style = copy.copy(self.array(column))
                out.append(cell)
            else:
                out.append(value)
        return out


def _setup_print(ws: WriteOnlyWorksheet, spec: SheetSpec) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddHeader.center.text = spec.heading.replace("&", "&&")
    ws.oddHeader.center.size = 12
    ws.oddHeader.center.font = f"{CJK_FONT},Bold"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.right.text = spec.title


def write_sheet(wb: Workbook, spec: SheetSpec) -> None:
    """Stream ``spec`` into one sheet, or several (“整改清单（续1）”…) when it exceeds Excel's row limit."""
    if len(spec.rows) <= MAX_DATA_ROWS:
        _write_one(wb, spec)
        return
    for part, start in enumerate(range(0, len(spec.rows), MAX_DATA_ROWS)):
        title = spec.title if part == 0 else f"{spec.title}（续{part}）"
        _write_one(wb, replace(spec, title=title, rows=spec.rows[start:start + MAX_DATA_ROWS]))


def _write_one(wb: Workbook, spec: SheetSpec) -> None:
    """Header row, data rows, widths, freeze, filter, print setup and conditional colours of one sheet."""
    ws = wb.create_sheet(spec.title)
    rows = spec.rows or [[spec.empty_note] + [None] * (len(spec.columns) - 1)]
    last_row = len(rows) + 1
    last_col = get_column_letter(len(spec.columns))
    for index, width in enumerate(fitted_widths(replace(spec, rows=rows)), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"{get_column_letter(spec.freeze_cols + 1)}2"
    ws.auto_filter.ref = f"A1:{last_col}{last_row}"
    _setup_print(ws, spec)
    letters = {c.header: get_column_letter(i) for i, c in enumerate(spec.columns, start=1)}
    for header, make_rule in spec.formats:
        if spec.rows:
            ws.conditional_formatting.add(f"{letters[header]}2:{letters[header]}{last_row}", make_rule())
    ws.row_dimensions[1].height = 30
    ws.append(_header_cells(ws, spec))
    styles = _StyleCache(ws)
    for row in rows:
        ws.append(styles.row(spec.columns, row))


def text_equals(text: str, fill: PatternFill, font: Font | None = None) -> Callable[[], Rule]:
    """Conditional format “cell equals ``text``” (built lazily because rules are bound to a range later)."""
    def make() -> Rule:
        return CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill, font=font)
    return make


def below(value: float, fill: PatternFill = RED_FILL, font: Font | None = RED_FONT) -> Callable[[], Rule]:
    def make() -> Rule:
        return CellIsRule(operator="lessThan", formula=[repr(float(value))], fill=fill, font=font)
    return make


def formula(expression: str, fill: PatternFill, font: Font | None = None) -> Callable[[], Rule]:
    def make() -> Rule:
        return FormulaRule(formula=[expression], fill=fill, font=font)
    return make


def heat_scale() -> Rule:
    """White → amber → red colour scale for failure rates (0% → 50% → 100%)."""
    return ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                          mid_type="num", mid_value=0.5, mid_color="FFEB84",
                          end_type="num", end_value=1, end_color="F8696B")
