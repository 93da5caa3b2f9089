"""Write one declarative ``SheetSpec`` into a streaming (write-only) openpyxl workbook, formatted for printing.

Why write-only: the 整改清单 of 10,000 units runs to hundreds of thousands of rows; openpyxl's normal mode keeps
a Python object per cell (about a gigabyte at that size), the streaming mode writes rows as they come. The price
is that everything about a sheet (widths, freeze, filter, print setup, conditional formats) must be known before
the first row is written, which the ``SheetSpec`` provides.

Rows may be a list or any re-iterable source (rows streamed back from a scratch file, for a province's 整改清单):
a sheet is walked twice — once to fit the column widths and count the rows, once to write them — and never held.

The workbook's default font (font 0, used by every unstyled cell) is replaced by a CJK font so that plain cells
need no per-cell style — per-cell styling roughly doubles the write time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
    """Everything needed to stream one printable sheet. ``formats`` add conditional formats by column header.

    ``rows`` must be re-iterable (each ``iter()`` starts from the first row): a list, or a streamed source."""

    title: str
    heading: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]
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


class _Widths:
    """The widest cell of each column (CJK counted double), accumulated row by row."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self.widest = [display_width(c.header) for c in columns]

    def add(self, row: Sequence[Any]) -> None:
        for index, column in enumerate(self.columns):
            if column.width is None:
                for line in _cell_text(row[index], column.kind).split("\n"):
                    self.widest[index] = max(self.widest[index], display_width(line))

    def fitted(self) -> list[float]:
        """Widths fitted to the widest cell, capped for wrapped text columns; a column's fixed width wins."""
        return [column.width if column.width is not None else min(max(widest + 2, MIN_WIDTH), WRAP_WIDTH if column.wrap else 60)
                for column, widest in zip(self.columns, self.widest, strict=True)]


def fitted_widths(spec: SheetSpec) -> list[float]:
    """Column widths fitted to the widest cell of ``spec.rows`` (CJK counted double), capped for wrapped text columns."""
    widths = _Widths(spec.columns)
    for row in spec.rows:
        widths.add(row)
    return widths.fitted()


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

    def row(self, columns: list[Column], row: Sequence[Any]) -> list[Any]:
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


def _setup_print(ws: WriteOnlyWorksheet, spec: SheetSpec, title: str) -> None:
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
    ws.oddFooter.right.text = title


@dataclass
class _Part:
    """One sheet of a (possibly split) list: its title, row count and fitted widths."""

    title: str
    rows: int
    widths: list[float]


def _measure(spec: SheetSpec, limit: int) -> list[_Part]:
    """First walk over the rows: how many sheets, and each one's rows and widths (an empty list gets its note row)."""
    parts: list[_Part] = []
    widths = _Widths(spec.columns)
    count = 0
    for row in spec.rows:
        if count == limit:
            parts.append(_Part(_part_title(spec, len(parts)), count, widths.fitted()))
            widths, count = _Widths(spec.columns), 0
        widths.add(row)
        count += 1
    if count == 0 and not parts:
        widths.add(_empty_row(spec))
    parts.append(_Part(_part_title(spec, len(parts)), count, widths.fitted()))
    return parts


def _part_title(spec: SheetSpec, index: int) -> str:
    return spec.title if index == 0 else f"{spec.title}（续{index}）"


def _empty_row(spec: SheetSpec) -> list[Any]:
    return [spec.empty_note] + [None] * (len(spec.columns) - 1)


def write_sheet(wb: Workbook, spec: SheetSpec) -> None:
    """Stream ``spec`` into one sheet, or several (“整改清单（续1）”…) when it exceeds Excel's row limit."""
    limit = MAX_DATA_ROWS
    parts = _measure(spec, limit)
    if parts[0].rows == 0:
        ws = _start_sheet(wb, spec, parts[0])
        ws.append(_StyleCache(ws).row(spec.columns, _empty_row(spec)))
        return
    index, written = 0, 0
    ws = _start_sheet(wb, spec, parts[0])
    styles = _StyleCache(ws)
    for row in spec.rows:
        if written == limit:
            index, written = index + 1, 0
            ws = _start_sheet(wb, spec, parts[index])
            styles = _StyleCache(ws)
        ws.append(styles.row(spec.columns, row))
        written += 1


def _start_sheet(wb: Workbook, spec: SheetSpec, part: _Part) -> WriteOnlyWorksheet:
    """A new sheet with everything that must precede its rows: widths, freeze, filter, print setup, colours, header."""
    ws = wb.create_sheet(part.title)
    last_row = max(part.rows, 1) + 1
    last_col = get_column_letter(len(spec.columns))
    for index, width in enumerate(part.widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"{get_column_letter(spec.freeze_cols + 1)}2"
    ws.auto_filter.ref = f"A1:{last_col}{last_row}"
    _setup_print(ws, spec, part.title)
    letters = {c.header: get_column_letter(i) for i, c in enumerate(spec.columns, start=1)}
    for header, make_rule in spec.formats:
        if part.rows:
            ws.conditional_formatting.add(f"{letters[header]}2:{letters[header]}{last_row}", make_rule())
    ws.row_dimensions[1].height = 30
    ws.append(_header_cells(ws, spec))
    return ws


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
