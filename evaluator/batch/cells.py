"""Rows of cells, each with its location, from .xlsx workbooks and .csv files.

Officers' files are messy, so this module deals with what Excel and WPS produce:

* merged cells — every cell of a merged range reads the value of its top-left cell (and points at it);
* formulas — the value cached by Excel is used; a formula without a cached value (a file written by a
  program and never opened in Excel) is a located problem, never a silent blank;
* error values (#DIV/0!, #N/A …) — a located problem;
* CSV in UTF-8 (with or without BOM) or GBK/GB18030 — detected, or given with ``--encoding``.

Rows are streamed (openpyxl read-only mode); the meaning of the columns is left to ``records``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.errors import Diagnostic, Location, UnitDataError

EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA"})
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Cell:
    """A value as read, where it is, and — for error values or formulas without a result — what is wrong."""

    value: Any
    loc: Location
    problem: str | None = None

    @property
    def blank(self) -> bool:
        return self.problem is None and (self.value is None or (isinstance(self.value, str) and not self.value.strip()))


@dataclass
class Row:
    number: int
    cells: list[Cell]
    loc: Location

    def is_empty(self) -> bool:
        return all(c.blank for c in self.cells)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def read_problem(code: str, message: str, path: Path, hint: str | None = None) -> UnitDataError:
    return UnitDataError([Diagnostic(code, message, Location(str(path)), "error", hint)])


@dataclass
class SheetScan:
    """What the raw sheet XML says that read-only openpyxl does not: formulas present, merged ranges."""

    has_formulas: bool
    merges: list[tuple[int, int, int, int]]  # min_row, min_col, max_row, max_col


def scan_sheet_xml(stream: Any) -> SheetScan:
    has_formulas = False
    merges: list[tuple[int, int, int, int]] = []
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        data = tail + chunk
        has_formulas = has_formulas or bool(_FORMULA.search(data))
        for m in _MERGE.finditer(data):
            merges.append((int(m.group(2)), column_index(m.group(1).decode()), int(m.group(4)), column_index(m.group(3).decode())))
        tail = data[-200:]
        cut = tail.rfind(b">")
        tail = tail[cut + 1 :] if cut >= 0 else tail
    return SheetScan(has_formulas, sorted(set(merges)))


class XlsxBook:
    """A workbook opened read-only (cached values), with the sheet names, states and streamed rows."""

    def __init__(self, path: Path):
        import zipfile

        from openpyxl import load_workbook

        self.path = path
        self.name = str(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            hint = "请另存为 .xlsx（Excel 工作簿）格式" if path.suffix.lower() == ".xls" else "确认文件未损坏、是 Excel 2007 及以后的 .xlsx 格式"
            raise read_problem("D300", f"无法打开工作簿（{type(exc).__name__}）", path, hint) from exc
        self._formula_book: Any = None

    def close(self) -> None:
        self.book.close()
        if self._formula_book is not None:
            self._formula_book.close()

    def sheet_states(self) -> dict[str, str]:
        return {ws.title: ws.sheet_state for ws in self.book.worksheets}

    def max_row(self, sheet: str) -> int:
        return int(self.book[sheet].max_row or 0)

    def _scan(self, sheet: str) -> SheetScan:
        ws = self.book[sheet]
        with ws.parent._archive.open(ws._worksheet_path) as stream:  # the sheet's XML part inside the .xlsx
            return scan_sheet_xml(stream)

    def _formulas(self, sheet: str) -> Iterator[tuple[Any, ...]]:
        if self._formula_book is None:
            from openpyxl import load_workbook

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._formula_book = load_workbook(self.path, read_only=True, data_only=False)
        ws = self._formula_book[sheet]
        ws.reset_dimensions()
        return ws.iter_rows()

    def rows(self, sheet: str) -> Iterator[Row]:
        """Every row of ``sheet`` from row 1, cells from column A, merged ranges filled, formulas checked."""
        ws = self.book[sheet]
        scan = self._scan(sheet)
        ws.reset_dimensions()  # do not trust the stored dimension: some writers record A1 only
        formulas = self._formulas(sheet) if scan.has_formulas else None
        pending = list(scan.merges)  # sorted by first row
        active: list[tuple[int, int, int, int]] = []
        anchors: dict[tuple[int, int], Cell] = {}
        for number, raw in enumerate(ws.iter_rows(), start=1):
            formula_row = next(formulas, ()) if formulas is not None else ()
            cells = [self._cell(sheet, number, col, raw_cell, formula_row[col - 1] if col - 1 < len(formula_row) else None)
                     for col, raw_cell in enumerate(raw, start=1)]
            while pending and pending[0][0] <= number:
                active.append(pending.pop(0))
            active = [m for m in active if m[2] >= number]
            if active:
                self._fill_merged(sheet, number, cells, active, anchors)
            yield Row(number, cells, self._loc(sheet, number, 1))

    def _fill_merged(self, sheet: str, number: int, cells: list[Cell], active: list[tuple[int, int, int, int]],
                     anchors: dict[tuple[int, int], Cell]) -> None:
        """Cells covered by a merged range take the value (and location) of the range's top-left cell."""
        width = max(len(cells), *(m[3] for m in active))
        while len(cells) < width:
            cells.append(Cell(None, self._loc(sheet, number, len(cells) + 1)))
        for r1, c1, _r2, c2 in active:
            if r1 == number:
                anchors[(r1, c1)] = cells[c1 - 1]
            anchor = anchors.get((r1, c1))
            if anchor is None:
                continue
            for col in range(c1, c2 + 1):
                if (number, col) != (r1, c1):
                    cells[col - 1] = anchor

    def _loc(self, sheet: str, row: int, col: int) -> Location:
        return Location(self.name, sheet=sheet, cell=f"{column_letter(col)}{row}")

    def _cell(self, sheet: str, row: int, col: int, raw: Any, formula: Any) -> Cell:
        loc = self._loc(sheet, row, col)
        value = getattr(raw, "value", None)
        if getattr(raw, "data_type", None) == "e" or (isinstance(value, str) and value.strip() in EXCEL_ERRORS):
            return Cell(value, loc, f"单元格是错误值 {value}")
        if value is None and formula is not None and getattr(formula, "data_type", None) == "f":
            return Cell(None, loc, f"公式 {formula.value} 没有已保存的计算结果")
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            value = value.date()
        return Cell(value, loc)


def detect_encoding(path: Path, encoding: str | None) -> str:
    """``--encoding`` if given; else UTF-8 (BOM or not) when the whole file decodes, else GB18030 (a superset
    of GBK, which Chinese Excel writes for “CSV（逗号分隔）”)."""
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    if not encoding and _starts_with_utf16_bom(path):
        candidates = ["utf-16"]  # Excel's “Unicode 文本 (*.txt)” export: UTF-16 with BOM, tab-separated
    for name in candidates:
        try:
            codecs.lookup(name)
        except LookupError as exc:
            raise read_problem("D301", f"未知的文件编码 '{name}'", path, "常用：utf-8、gbk、gb18030") from exc
        decoder = codecs.getincrementaldecoder(name)()
        try:
            with path.open("rb") as handle:
                line = 1
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
                    line += chunk.count(b"\n")
                decoder.decode(b"", final=True)
            return name
        except UnicodeDecodeError as exc:
            if encoding:
                raise UnitDataError([Diagnostic("D302", f"文件不能按 {encoding} 编码读取（{exc.reason}）", Location(str(path), line, 1),
                                                "error", "去掉 --encoding 让程序自动识别，或在 Excel 中另存为“CSV UTF-8”")]) from exc
    raise read_problem("D302", "无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030）", path, "在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”")


def _starts_with_utf16_bom(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def sniff_delimiter(first_line: str) -> str:
    """Comma, unless the header line has none and is clearly split by tabs (Excel “文本文件”) or semicolons
    (European Excel); the header check then still verifies every column name."""
    if "," in first_line:
        return ","
    return next((d for d in ("\t", ";") if d in first_line), ",")


def _csv_problem(path: Path, line: int, exc: csv.Error) -> UnitDataError:
    """csv.Error (English, unlocated) → a located Chinese diagnostic that says what to fix."""
    text = str(exc)
    if "field larger than field limit" in text:
        message = f"从第 {line} 行开始的一个单元格超过 {csv.field_size_limit()} 个字符"
        hint = "多半是某个单元格的引号没有闭合，把后面的内容都并进了这一格；检查该行的引号"
    elif "unexpected end of data" in text:
        message = f"第 {line} 行开始的引号直到文件末尾都没有闭合"
        hint = "检查该行单元格中的引号：内容中的引号要写成两个（\"\"），或在 Excel 中重新另存为 CSV"
    elif "expected after" in text:
        message = f"第 {line} 行的引号用法不对：右引号后面应紧跟分隔符"
        hint = "内容中的引号要写成两个（\"\"），或在 Excel 中重新另存为 CSV"
    else:
        message, hint = f"CSV 格式错误（{text}）", "在 Excel/WPS 中打开后另存为“CSV UTF-8（逗号分隔）”"
    return UnitDataError([Diagnostic("D308", message, Location(str(path), line, 1), "error", hint)])


def csv_rows(path: Path, encoding: str | None = None) -> Iterator[Row]:
    """Rows of a CSV file with ``file:line:col`` locations (the line where the record starts)."""
    name = detect_encoding(path, encoding)
    with path.open(encoding=name, newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        reader = csv.reader(handle, delimiter=sniff_delimiter(first), strict=True)
        previous = 0
        while True:
            line = previous + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_problem(path, line, exc) from exc
            previous = reader.line_num
            cells = [Cell(v, Location(str(path), line, col)) for col, v in enumerate(values, start=1)]
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.strip() in EXCEL_ERRORS:
                    cells[cell.loc.col - 1] = Cell(cell.value, cell.loc, f"单元格是错误值 {cell.value}")  # type: ignore[operator]
            yield Row(line, cells, Location(str(path), line, 1))


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(_CHUNK), b""))
