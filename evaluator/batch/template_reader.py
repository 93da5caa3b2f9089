"""Reader of the one-unit template workbook (``civic template``): sheets 单位信息 (项目 | 值), 填报数据 (one row per
field, value in column “值”), list-field sheets and detail sheets, into a single ``UnitRecord``."""

from __future__ import annotations

import difflib

from evaluator.batch.cells import Cell, Row, XlsxBook
from evaluator.batch.records import UnitRecord, as_text, missing_identity, put_field, put_identity
from evaluator.batch.tables import (
    Header,
    detail_specs,
    first_row,
    has_sheet,
    read_header,
    sheet_notices,
    shift_loc,
)
from evaluator.compiled import CompiledPack
from evaluator.errors import Location
from evaluator.template.layout import FIELD_SHEET_HEADERS, IDENTITY, SINGLE_SHEETS, normalise_header


def read_template(book: XlsxBook, pack: CompiledPack) -> UnitRecord:
    """The one-unit template (sheets 单位信息, 填报数据, list and detail sheets) as a single record."""
    record = UnitRecord(book.name, Location(book.name, sheet=SINGLE_SHEETS[0]))
    specs = detail_specs(pack, keyed=False)
    record.warnings += [n.diagnostic for n in sheet_notices(book, {*SINGLE_SHEETS, *specs})]
    identity = _read_identity_sheet(book, record)
    put_identity(record, identity)
    for item in missing_identity(identity):
        record.problem("D312", f"单位信息缺少“{item.label}”", identity[item.label].loc if item.label in identity else record.root,
                       item.note or f"填写{item.label}")
    _read_field_sheet(book, record, pack)
    for title, spec in specs.items():
        if has_sheet(book, title):
            header, rows = _sheet_rows(book, title, spec.accepted, record)
            if header is not None:
                spec.put(record, [header.pick(r) for r in rows], Location(book.name, sheet=title))
    return record


def _sheet_rows(book: XlsxBook, title: str, accepted: dict[str, str], record: UnitRecord) -> tuple[Header | None, list[Row]]:
    rows = book.rows(title)
    head = first_row(rows)
    if head is None:
        return None, []
    header = read_header(head, accepted, f"工作表「{title}」")
    record.problems += header.problems
    return header, [r for r in rows if not r.is_empty()]


def _read_identity_sheet(book: XlsxBook, record: UnitRecord) -> dict[str, Cell]:
    labels = {normalise_header(i.label): i.label for i in IDENTITY}
    cells: dict[str, Cell] = {}
    if not has_sheet(book, SINGLE_SHEETS[0]):
        record.problem("D313", f"缺少工作表「{SINGLE_SHEETS[0]}」", record.root, "用 civic template 重新生成模板")
        return cells
    for row in book.rows(SINGLE_SHEETS[0]):
        if row.is_empty() or row.number == 1:
            continue
        label = normalise_header(row.cells[0].value)
        value = row.cells[1] if len(row.cells) > 1 else Cell(None, shift_loc(row.loc, 1))
        if label in labels:
            cells[labels[label]] = value
        elif not value.blank:
            close = difflib.get_close_matches(label, list(labels), n=1, cutoff=0.5)
            record.problem("D310", f"单位信息中有未知的项目“{row.cells[0].value}”", row.cells[0].loc,
                           f"是否想写“{close[0]}”？" if close else f"可用：{'、'.join(labels.values())}")
    return cells


def _read_field_sheet(book: XlsxBook, record: UnitRecord, pack: CompiledPack) -> None:
    title = SINGLE_SHEETS[1]
    if not has_sheet(book, title):
        record.problem("D313", f"缺少工作表「{title}」", record.root, "用 civic template 重新生成模板")
        return
    record.doc.values[("fields",)] = Location(book.name, sheet=title)
    accepted = {normalise_header(h): h for h in FIELD_SHEET_HEADERS}
    header, rows = _sheet_rows(book, title, accepted, record)
    if header is None or "字段" not in header.columns or "值" not in header.columns:
        record.problem("D314", f"工作表「{title}」第一行须有“字段”和“值”两列", Location(book.name, sheet=title, cell="A1"),
                       "用 civic template 重新生成模板")
        return
    by_label = {f.label: f for f in pack.file.fields if f.label}
    seen: dict[str, Location] = {}
    for row in rows:
        picked = header.pick(row)
        name_cell, value = picked["字段"], picked["值"]
        name = as_text(name_cell.value) if not name_cell.blank else ""
        definition = pack.fields.get(name) or by_label.get(name)
        if value.blank and not value.problem:
            continue
        if definition is None:
            record.set(("fields", name or f"第{row.number}行"), as_text(value.value), value.loc, name_cell.loc)  # D201 names it
            continue
        if definition.name in seen:
            record.problem("D315", f"字段“{definition.label or definition.name}”重复填写（第一次在 {seen[definition.name]}）", name_cell.loc,
                           "每个字段只填一行")
            continue
        seen[definition.name] = name_cell.loc
        if definition.type == "list":
            record.problem("D316", f"“{definition.label or definition.name}”是列表，请在同名工作表中逐行填写", value.loc, "此处留空")
            continue
        put_field(record, definition, value, name_cell.loc)
