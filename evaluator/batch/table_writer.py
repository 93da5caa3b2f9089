"""Write units (dicts in the unit-file shape) as a many-unit table: a workbook (sheet 单位 + detail sheets)
or CSV files (``单位.csv`` + ``单位-材料清单.csv`` …). The layout is ``template.layout``, read back by
``batch.tables`` — used by ``civic sample --format xlsx|csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from evaluator.compiled import CompiledPack
from evaluator.template.layout import (
    DETAIL_TABLES,
    IDENTITY,
    MODE_LABELS,
    MULTI_SHEET,
    UNIT_KEY,
    DetailTable,
    list_sheets,
)
from schemas.pack import FieldDef

Rows = dict[str, list[list[Any]]]


class UnitTable:
    """Headers of every table and the rows of one unit, as plain values."""

    def __init__(self, pack: CompiledPack):
        self.scalar = [f for f in pack.file.fields if f.type != "list"]
        self.lists: dict[str, FieldDef] = list_sheets(pack.file)
        self.details: list[DetailTable] = list(DETAIL_TABLES)
        self.headers: dict[str, list[str]] = {MULTI_SHEET: [i.label for i in IDENTITY] + [f.name for f in self.scalar]}
        for table in self.details:
            self.headers[table.sheet] = [UNIT_KEY] + [c.header for c in table.columns]
        for title, definition in self.lists.items():
            self.headers[title] = [UNIT_KEY] + [i.label or i.name for i in definition.item_fields or []]

    def rows(self, unit: dict[str, Any]) -> Rows:
        uid = unit["unit"]["id"]
        rows: Rows = {MULTI_SHEET: [self._main(unit)]}
        for table in self.details:
            rows[table.sheet] = [[uid, *r] for r in self._detail(table, unit)]
        for title, definition in self.lists.items():
            items = unit.get("fields", {}).get(definition.name) or []
            rows[title] = [[uid, *(item.get(i.name) for i in definition.item_fields or [])] for item in items]
        return rows

    def _main(self, unit: dict[str, Any]) -> list[Any]:
        row = [_identity_value(unit, item.path, item.kind) for item in IDENTITY]
        fields = unit.get("fields", {})
        return row + [_cell(fields.get(f.name)) for f in self.scalar]

    @staticmethod
    def _detail(table: DetailTable, unit: dict[str, Any]) -> Iterable[list[Any]]:
        if table.section == "judgements":
            for rule, judgement in (unit.get("judgements") or {}).items():
                yield [rule if c.key == "rule" else judgement.get(c.key) for c in table.columns]
            return
        for item in unit.get(table.section) or []:
            problems = item.get("problems") or [{}] if table.section == "inspections" else [{}]
            for index, problem in enumerate(problems):
                first = index == 0
                yield [_cell(problem.get(c.key[8:]) if c.key.startswith("problem.") else
                             item.get(c.key) if first or c.key in ("point_type", "point", "date") else None)
                       for c in table.columns]


def _identity_value(unit: dict[str, Any], path: tuple[str, ...], kind: str) -> Any:
    value: Any = unit
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    if kind == "path":
        return "/".join(value or []) or None
    if kind == "names":
        return "、".join(value or []) or None
    if kind == "mode":
        return MODE_LABELS.get(value or "self")
    return _cell(value)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


class CsvTableWriter:
    """``单位.csv`` and one ``单位-<表>.csv`` per detail table, UTF-8 with BOM (Excel opens it correctly)."""

    def __init__(self, directory: Path, pack: CompiledPack, stem: str = MULTI_SHEET):
        self.table = UnitTable(pack)
        self.handles: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}
        for title, headers in self.table.headers.items():
            name = f"{stem}.csv" if title == MULTI_SHEET else f"{stem}-{title}.csv"
            handle = (directory / name).open("w", encoding="utf-8-sig", newline="")
            self.handles[title] = handle
            self.writers[title] = csv.writer(handle)
            self.writers[title].writerow(headers)

    def add(self, unit: dict[str, Any]) -> None:
        for title, rows in self.table.rows(unit).items():
            self.writers[title].writerows([[_text(v) for v in row] for row in rows])

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class XlsxTableWriter:
    """The many-unit workbook, streamed (openpyxl write-only mode)."""

    def __init__(self, path: Path, pack: CompiledPack):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        from evaluator.template import xlsxio

        self.path = path
        self.title = f"{pack.meta.title} 单位数据"
        self.table = UnitTable(pack)
        self.book = Workbook(write_only=True)
        self.sheets = {}
        for title, headers in self.table.headers.items():
            ws = self.book.create_sheet(title)
            ws.freeze_panes = "C2" if title == MULTI_SHEET else "B2"
            for index, header in enumerate(headers):
                ws.column_dimensions[_letter(index + 1)].width = max(10, min(30, 2 * len(header) + 4))
            cells = []
            for header in headers:
                cell = WriteOnlyCell(ws, value=header)
                cell.font, cell.fill = xlsxio.HEADER, xlsxio.HEADER_FILL
                cells.append(cell)
            ws.append(cells)
            self.sheets[title] = ws

    def add(self, unit: dict[str, Any]) -> None:
        for title, rows in self.table.rows(unit).items():
            for row in rows:
                self.sheets[title].append(row)

    def close(self) -> None:
        from evaluator.template import xlsxio

        self.path.write_bytes(xlsxio.save_bytes(self.book, self.title))


def _letter(index: int) -> str:
    from evaluator.batch.cells import column_letter

    return column_letter(index)
