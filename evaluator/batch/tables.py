"""Readers for the three tabular layouts (see ``template.layout``): the one-unit template workbook, the
many-unit workbook (sheet 单位 + detail sheets keyed by 单位编号) and CSV (one row per unit, detail tables in
sibling files ``<name>-材料清单.csv`` …).

Each reader yields ``UnitRecord`` items (validated later, in a worker) and ``Rejection``/``Notice`` items for
problems that belong to no single unit (an unknown column, a detail row whose 单位编号 matches no unit).
The main table is streamed; the detail tables of a many-unit file are indexed by 单位编号 first, as compact
rows (values only), because their rows can come in any order.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.batch.cells import Cell, Row, XlsxBook, column_letter, csv_rows
from evaluator.batch.records import (
    UnitRecord,
    as_text,
    missing_identity,
    put_detail_rows,
    put_field,
    put_identity,
    put_list_rows,
)
from evaluator.compiled import CompiledPack
from evaluator.errors import Diagnostic, Location
from evaluator.template.layout import (
    DETAIL_TABLES,
    HELP_SHEET,
    IDENTITY,
    MULTI_SHEET,
    OPTIONS_SHEET,
    SINGLE_SHEETS,
    UNIT_KEY,
    DetailTable,
    field_headers,
    list_sheets,
    normalise_header,
)
from schemas.pack import FieldDef


@dataclass
class Rejection:
    """Units (or a whole table) that cannot be scored, with the reasons."""

    source: str
    diagnostics: list[Diagnostic]
    unit_id: str = ""


@dataclass
class Notice:
    diagnostic: Diagnostic


Item = UnitRecord | Rejection | Notice


@dataclass
class Header:
    """Column index (0-based) of each key found in a header row, and where each header cell is."""

    columns: dict[str, int] = field(default_factory=dict)
    cells: dict[str, Location] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)

    def pick(self, row: Row) -> dict[str, Cell]:
        return {key: row.cells[i] if i < len(row.cells) else Cell(None, shift_loc(row.loc, i)) for key, i in self.columns.items()}


def shift_loc(loc: Location, index: int) -> Location:
    if loc.sheet is not None:
        return Location(loc.path, sheet=loc.sheet, cell=f"{column_letter(index + 1)}{''.join(c for c in loc.cell or '' if c.isdigit())}")
    return Location(loc.path, loc.line, index + 1)


def read_header(row: Row, accepted: dict[str, str], table: str) -> Header:
    """Map header cells to keys; an unknown or repeated header is an error with a did-you-mean hint."""
    header = Header()
    for index, cell in enumerate(row.cells):
        text = normalise_header(cell.value)
        if not text:
            continue
        key = accepted.get(text)
        if key is None:
            close = difflib.get_close_matches(text, list(accepted), n=1, cutoff=0.5)
            header.problems.append(Diagnostic("D310", f"{table}中有未知的列“{cell.value}”", cell.loc, "error",
                                              f"是否想写“{close[0]}”？" if close else f"可用的列：{'、'.join(list(accepted)[:40])}"))
            continue
        if key in header.columns:
            header.problems.append(Diagnostic("D311", f"{table}中的列“{cell.value}”重复（第一次在 {header.cells[key]}）", cell.loc, "error",
                                              "删除或改名重复的列"))
            continue
        header.columns[key] = index
        header.cells[key] = cell.loc
    return header


def first_row(rows: Iterator[Row]) -> Row | None:
    """The header: the first row that is not empty (a title row above it is not supported — keep headers in row 1)."""
    for row in rows:
        if not row.is_empty():
            return row
    return None


def _detail_accepted(table: DetailTable, keyed: bool) -> dict[str, str]:
    accepted = {normalise_header(c.header): c.key for c in table.columns}
    return accepted | ({normalise_header(UNIT_KEY): UNIT_KEY} if keyed else {})


def _list_accepted(definition: FieldDef, keyed: bool) -> dict[str, str]:
    accepted: dict[str, str] = {}
    for item in definition.item_fields or []:
        accepted[normalise_header(item.name)] = item.name
        if item.label:
            accepted[normalise_header(item.label)] = item.name
    return accepted | ({normalise_header(UNIT_KEY): UNIT_KEY} if keyed else {})


@dataclass
class DetailSpec:
    """A detail or list sheet: its accepted headers and how its rows go into a record."""

    title: str
    accepted: dict[str, str]
    put: Callable[[UnitRecord, list[dict[str, Cell]], Location], None]


def detail_specs(pack: CompiledPack, keyed: bool) -> dict[str, DetailSpec]:
    specs: dict[str, DetailSpec] = {}
    for table in DETAIL_TABLES:
        specs[table.sheet] = DetailSpec(table.sheet, _detail_accepted(table, keyed), _detail_putter(table))
    for title, definition in list_sheets(pack.file).items():
        specs[title] = DetailSpec(title, _list_accepted(definition, keyed), _list_putter(definition))
    return specs


def _detail_putter(table: DetailTable) -> Callable[[UnitRecord, list[dict[str, Cell]], Location], None]:
    def put(record: UnitRecord, rows: list[dict[str, Cell]], _where: Location) -> None:
        put_detail_rows(record, table, rows)

    return put


def _list_putter(definition: FieldDef) -> Callable[[UnitRecord, list[dict[str, Cell]], Location], None]:
    def put(record: UnitRecord, rows: list[dict[str, Cell]], where: Location) -> None:
        put_list_rows(record, definition, rows, where)

    return put


def sheet_notices(book: XlsxBook, known: set[str]) -> Iterator[Notice]:
    """Warnings about the workbook's sheets. A hidden sheet that civic knows (单位, 事件, 材料清单 …) is read as if it
    were visible: hiding the 事件 sheet must not hide a veto incident, and missing data is never a pass. Hidden
    sheets civic does not know are ignored, as visible unknown ones are."""
    for title, state in book.sheet_states().items():
        loc = Location(book.name, sheet=title)
        if title in (OPTIONS_SHEET, HELP_SHEET):
            continue
        if state != "visible" and title in known:
            yield Notice(Diagnostic("D320", f"工作表「{title}」是隐藏的，仍照常读取其中的数据", loc, "warning",
                                    "隐藏工作表不能把数据排除在评分之外；不需要的行请删除"))
        elif state != "visible":
            yield Notice(Diagnostic("D320", f"工作表「{title}」是隐藏的，且不是本测评体系的工作表，已忽略", loc, "warning",
                                    "如其中有要填报的数据，请移到对应的工作表"))
        elif title not in known:
            close = difflib.get_close_matches(title, sorted(known), n=1, cutoff=0.5)
            yield Notice(Diagnostic("D321", f"未知的工作表「{title}」，已忽略", loc, "warning",
                                    f"是否想写「{close[0]}」？" if close else f"可用的工作表：{'、'.join(sorted(known))}"))


def has_sheet(book: XlsxBook, title: str) -> bool:
    """Whether the workbook has the sheet, hidden or not (see ``sheet_notices``)."""
    return title in book.sheet_states()


# ---------------------------------------------------------------- many units: workbook sheet 单位 or CSV

def main_accepted(pack: CompiledPack) -> tuple[dict[str, str], dict[str, FieldDef]]:
    """Headers of the 单位 table: identity labels, then each scalar field by name or label."""
    accepted = {normalise_header(i.label): f"identity:{i.label}" for i in IDENTITY}
    fields: dict[str, FieldDef] = {}
    for definition in pack.file.fields:
        for text in field_headers(definition):
            accepted.setdefault(normalise_header(text), f"field:{definition.name}")
        fields[definition.name] = definition
    return accepted, fields


@dataclass
class CompactRow:
    """A detail row kept until its unit's main row is read: values only, locations rebuilt on demand."""

    number: int
    values: tuple[object, ...]
    problems: tuple[str | None, ...]
    first: Location


def compact(row: Row) -> CompactRow:
    return CompactRow(row.number, tuple(c.value for c in row.cells), tuple(c.problem for c in row.cells), row.loc)


def expand(row: CompactRow) -> Row:
    cells = [Cell(v, shift_loc(row.first, i), p) for i, (v, p) in enumerate(zip(row.values, row.problems, strict=True))]
    return Row(row.number, cells, row.first)


@dataclass
class DetailIndex:
    """Detail rows by 单位编号 → sheet title → rows, with each sheet's header."""

    rows: dict[str, dict[str, list[CompactRow]]] = field(default_factory=dict)
    headers: dict[str, Header] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)

    def add(self, title: str, unit_id: str, row: Row) -> None:
        self.rows.setdefault(unit_id, {}).setdefault(title, []).append(compact(row))
        self.locations.setdefault(unit_id, row.loc)


def index_details(tables: Iterable[tuple[str, Iterator[Row], str]], specs: dict[str, DetailSpec]) -> tuple[DetailIndex, list[Item]]:
    """Read every detail table (title, rows, where) into an index keyed by 单位编号."""
    index = DetailIndex()
    problems: list[Item] = []
    for title, rows, where in tables:
        head = first_row(rows)
        if head is None:
            continue
        header = read_header(head, specs[title].accepted, f"「{title}」")
        if UNIT_KEY not in header.columns:
            header.problems.append(Diagnostic("D317", f"「{title}」缺少“{UNIT_KEY}”列", head.loc, "error",
                                              f"第一列填写{UNIT_KEY}，与「{MULTI_SHEET}」中的编号对应"))
        if header.problems:
            problems.append(Rejection(where, header.problems))
            continue
        index.headers[title] = header
        for row in rows:
            if row.is_empty():
                continue
            key = header.pick(row)[UNIT_KEY]
            if key.blank or key.problem:
                problems.append(Rejection(where, [Diagnostic("D318", f"「{title}」第{row.number}行没有{UNIT_KEY}，无法对应到单位", key.loc, "error",
                                                             f"填写{UNIT_KEY}，或删除该行")]))
                continue
            index.add(title, as_text(key.value), row)
    return index, problems


def read_units_table(rows: Iterator[Row], where: str, pack: CompiledPack, index: DetailIndex,
                     specs: dict[str, DetailSpec]) -> Iterator[Item]:
    """One record per row of the 单位 table, with its detail rows attached; then the orphaned detail rows."""
    accepted, fields = main_accepted(pack)
    head = first_row(rows)
    if head is None:
        yield Notice(Diagnostic("D319", "单位表是空的（没有表头和数据）", Location(where), "warning", "检查是否选错了文件或工作表"))
        yield from _orphans(index, set())  # detail rows with no unit to go to are errors, never silently dropped
        return
    header = read_header(head, accepted, "单位表")
    if (joined := _one_cell_header(head)) is not None:
        yield Rejection(where, [joined])
        return
    missing = [i.label for i in IDENTITY if i.required and f"identity:{i.label}" not in header.columns]
    if missing:
        header.problems.append(Diagnostic("D317", f"单位表缺少必需的列：{'、'.join(missing)}", head.loc, "error",
                                          "用 civic sample --format xlsx 生成示例查看表头"))
    for key in header.columns:
        if key.startswith("field:") and fields[key[6:]].type == "list":
            header.problems.append(Diagnostic("D316", f"“{key[6:]}”是列表字段，不能作为一列填写", header.cells[key], "error",
                                              f"在工作表「{key[6:]}」中按 {UNIT_KEY} 逐行填写"))
    if header.problems:
        yield Rejection(where, header.problems)
        return
    seen: set[str] = set()
    for row in rows:
        if row.is_empty():
            continue
        record = _row_record(row, header, fields, index, specs)
        if record.unit_id:
            seen.add(record.unit_id)
        yield record
    yield from _orphans(index, seen)


_SEPARATORS = ("；", ";", "|", "\t", "、", "，")


def _one_cell_header(head: Row) -> Diagnostic | None:
    """The whole header in one cell, split by another character: the file's delimiter is not a comma."""
    filled = [c for c in head.cells if not c.blank]
    if len(filled) != 1 or not isinstance(filled[0].value, str):
        return None
    text = filled[0].value
    found = next((s for s in _SEPARATORS if text.count(s) >= 2), None)
    if found is None:
        return None
    shown = "制表符" if found == "\t" else f"“{found}”"
    return Diagnostic("D310", f"表头只有一列，各列名之间用的是{shown}而不是逗号", filled[0].loc, "error",
                      "在 Excel/WPS 中打开后另存为“CSV UTF-8（逗号分隔）”，或用 .xlsx 工作簿")


def _stray_cell(row: Row, header: Header) -> Cell | None:
    """A filled cell in a column without a header: its value would be silently lost, so it is an error."""
    used = set(header.columns.values())
    return next((c for i, c in enumerate(row.cells) if i not in used and not c.blank), None)


def _stray_problem(record: UnitRecord, row: Row, header: Header, table: str) -> None:
    cell = _stray_cell(row, header)
    if cell is not None:
        record.problem("D310", f"{table}第{row.number}行在没有列名的列中填写了“{as_text(cell.value)[:30]}”", cell.loc,
                       "在第 1 行补上列名，或删除该单元格；CSV 中单元格内的逗号要加引号")


def _row_record(row: Row, header: Header, fields: dict[str, FieldDef], index: DetailIndex, specs: dict[str, DetailSpec]) -> UnitRecord:
    record = UnitRecord(row.loc.path, row.loc)
    _stray_problem(record, row, header, "单位表")
    picked = header.pick(row)
    identity = {key[9:]: cell for key, cell in picked.items() if key.startswith("identity:")}
    put_identity(record, identity)
    for item in missing_identity(identity):
        record.problem("D312", f"缺少“{item.label}”", identity[item.label].loc if item.label in identity else row.loc, item.note or None)
    record.doc.values[("fields",)] = row.loc
    for key, cell in picked.items():
        if key.startswith("field:"):
            put_field(record, fields[key[6:]], cell, header.cells[key])
    unit_id = record.unit_id
    for title, compact_rows in (index.rows.pop(unit_id, {}) if unit_id else {}).items():
        for compact_row in compact_rows:
            _stray_problem(record, expand(compact_row), index.headers[title], f"「{title}」")
        expanded = [index.headers[title].pick(expand(r)) for r in compact_rows]
        for cells in expanded:
            cells.pop(UNIT_KEY, None)
        specs[title].put(record, expanded, compact_rows[0].first)
    return record


def _orphans(index: DetailIndex, seen: set[str]) -> Iterator[Item]:
    for unit_id in sorted(index.rows):
        loc = index.locations[unit_id]
        close = difflib.get_close_matches(unit_id, sorted(seen), n=1, cutoff=0.6)
        hint = f"是否想写“{close[0]}”？" if close else "检查单位编号是否与单位表一致"
        message = f"{UNIT_KEY}“{unit_id}”在单位表中没有对应的单位，这些明细行未计入任何单位"
        yield Rejection(loc.path, [Diagnostic("D318", message, loc, "error", hint)], unit_id)


def read_workbook_units(book: XlsxBook, pack: CompiledPack) -> Iterator[Item]:
    """The many-unit workbook: sheet 单位 plus detail sheets keyed by 单位编号."""
    specs = detail_specs(pack, keyed=True)
    yield from sheet_notices(book, {MULTI_SHEET, *specs})
    tables = [(title, book.rows(title), f"{book.name}:{title}") for title in specs if has_sheet(book, title)]
    index, problems = index_details(tables, specs)
    yield from problems
    yield from read_units_table(book.rows(MULTI_SHEET), f"{book.name}:{MULTI_SHEET}", pack, index, specs)


def detail_csv_paths(main: Path, specs: dict[str, DetailSpec]) -> dict[str, Path]:
    return {title: main.with_name(f"{main.stem}-{title}{main.suffix}") for title in specs
            if main.with_name(f"{main.stem}-{title}{main.suffix}").is_file()}


def read_csv_units(path: Path, pack: CompiledPack, encoding: str | None) -> Iterator[Item]:
    """CSV: one row per unit; detail tables from sibling files ``<name>-材料清单.csv`` (same layout as the sheets)."""
    specs = detail_specs(pack, keyed=True)
    details = detail_csv_paths(path, specs)
    tables = [(title, csv_rows(p, encoding), str(p)) for title, p in details.items()]
    index, problems = index_details(tables, specs)
    yield from problems
    yield from read_units_table(csv_rows(path, encoding), str(path), pack, index, specs)


def is_detail_csv(path: Path, pack: CompiledPack) -> bool:
    """``单位-材料清单.csv`` next to ``单位.csv`` is read with it, not as a table of units."""
    for title in detail_specs(pack, keyed=True):
        suffix = f"-{title}"
        if path.stem.endswith(suffix) and path.with_name(path.stem[: -len(suffix)] + path.suffix).is_file():
            return True
    return False


def workbook_kind(book: XlsxBook) -> str | None:
    names = set(book.sheet_states())
    if SINGLE_SHEETS[0] in names or SINGLE_SHEETS[1] in names:
        return "template"
    if MULTI_SHEET in names:
        return "units"
    return None


def unknown_workbook(book: XlsxBook) -> Rejection:
    names = "、".join(book.sheet_states()) or "无"
    return Rejection(book.name, [Diagnostic(
        "D309", f"无法识别的工作簿（工作表：{names}）", Location(book.name), "error",
        f"单个单位用 civic template 生成的模板（含「{SINGLE_SHEETS[0]}」「{SINGLE_SHEETS[1]}」）；多个单位用含「{MULTI_SHEET}」工作表的汇总表",
    )])


def iter_workbook(path: Path, pack: CompiledPack) -> Iterator[Item]:
    """Every item of an .xlsx file, whichever layout it has."""
    book = XlsxBook(path)
    try:
        kind = workbook_kind(book)
        if kind == "template":
            from evaluator.batch.template_reader import read_template

            yield read_template(book, pack)
        elif kind == "units":
            yield from read_workbook_units(book, pack)
        else:
            yield unknown_workbook(book)
    finally:
        book.close()

