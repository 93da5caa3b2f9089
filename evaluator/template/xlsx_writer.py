"""``civic template -o 模板.xlsx``: the data-collection workbook of one unit, generated from the pack's data
dictionary (layout in ``template.layout``; the reader is ``batch.tables.read_template``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from evaluator.compiled import CompiledPack
from evaluator.template import xlsxio
from evaluator.template.help_text import help_lines
from evaluator.template.layout import (
    FIELD_SHEET_HEADERS,
    HELP_SHEET,
    IDENTITY,
    MODES,
    OPTIONS_SHEET,
    SINGLE_SHEETS,
    TYPE_LABELS,
    Column,
    DetailTable,
    applicable_fields,
    detail_tables,
    list_sheets,
    vocabularies,
)
from schemas.pack import FieldDef, ItemField

DETAIL_ROWS = 300  # rows prepared with drop-downs and checks in each detail sheet


@dataclass
class Options:
    """The hidden 选项 sheet: one column per drop-down list; ``ranges`` gives the formula of each list."""

    ws: Worksheet
    ranges: dict[str, str] = field(default_factory=dict)

    def source(self, name: str, values: list[str]) -> str:
        if name not in self.ranges:
            col = len(self.ranges) + 1
            self.ws.cell(row=1, column=col, value=name)
            for row, value in enumerate(values, start=2):
                self.ws.cell(row=row, column=col, value=value)
            letter = self.ws.cell(row=1, column=col).column_letter
            self.ranges[name] = f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${max(2, len(values) + 1)}"
        return self.ranges[name]


def manual_rule_ids(pack: CompiledPack) -> list[str]:
    return [r.id for r in pack.rules if r.rule.grading.model == "manual" and r.rule.status == "stable"]


def build_template(pack: CompiledPack, unit_type: str | None = None) -> bytes:
    """The workbook as bytes (deterministic)."""
    wb = Workbook()
    help_ws = wb.active
    assert help_ws is not None
    help_ws.title = HELP_SHEET
    manual = manual_rule_ids(pack)
    lists = list_sheets(pack.file, unit_type)
    tables = detail_tables(pack.file, manual)
    identity_ws = wb.create_sheet(SINGLE_SHEETS[0])
    fields_ws = wb.create_sheet(SINGLE_SHEETS[1])
    list_wss = {title: wb.create_sheet(title) for title in lists}
    table_wss = {t.sheet: wb.create_sheet(t.sheet) for t in tables}
    options = Options(wb.create_sheet(OPTIONS_SHEET))
    options.ws.sheet_state = "hidden"
    _write_help(help_ws, pack, unit_type, list(lists), [t.sheet for t in tables])
    _write_identity(identity_ws, pack, unit_type, options)
    _write_fields(fields_ws, pack, unit_type, options, lists)
    for title, definition in lists.items():
        _write_list_sheet(list_wss[title], definition, options)
    vocab = vocabularies(pack.file, manual)
    for table in tables:
        _write_detail_sheet(table_wss[table.sheet], table, vocab, options)
    wb.active = 1
    return xlsxio.save_bytes(wb, f"{pack.meta.title} 填报模板")


def _write_help(ws: Worksheet, pack: CompiledPack, unit_type: str | None, lists: list[str], tables: list[str]) -> None:
    ws.column_dimensions["A"].width = 110
    for row, (text, style) in enumerate(help_lines(pack, unit_type, lists, tables), start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = {"title": xlsxio.TITLE, "heading": xlsxio.HEADER}.get(style, xlsxio.BODY)
        cell.alignment = xlsxio.WRAP


def _write_identity(ws: Worksheet, pack: CompiledPack, unit_type: str | None, options: Options) -> None:
    headers = ("项目", "值", "说明")
    for col, text in enumerate(headers, start=1):
        ws.cell(row=1, column=col, value=text)
    xlsxio.style_header(ws, 1, len(headers))
    validations: list[DataValidation] = []
    prefill = {"类型": unit_type, "测评方式": "自评", "测评体系": pack.meta.id}
    for row, item in enumerate(IDENTITY, start=2):
        label = ws.cell(row=row, column=1, value=item.label)
        label.font = xlsxio.REQUIRED if item.required else xlsxio.HEADER
        value = ws.cell(row=row, column=2, value=prefill.get(item.label))
        value.fill, value.border, value.font = xlsxio.INPUT_FILL, xlsxio.BORDER, xlsxio.BODY
        note = ws.cell(row=row, column=3, value=("必填。" if item.required else "") + item.note)
        note.alignment, note.font = xlsxio.WRAP, xlsxio.BODY
        dv = _identity_validation(item.kind, item.label, pack, options)
        if dv is not None:
            dv.add(f"B{row}")
            validations.append(dv)
        if item.kind == "date":
            value.number_format = xlsxio.DATE_FORMAT
        if item.label == "区划代码":
            value.number_format = "@"
    for dv in validations:
        ws.add_data_validation(dv)
    for letter, width in zip("ABC", (16, 36, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _identity_validation(kind: str, label: str, pack: CompiledPack, options: Options) -> DataValidation | None:
    if label == "类型":
        return xlsxio.list_validation(options.source("单位类型", list(pack.meta.unit_types)))
    if kind == "mode":
        return xlsxio.list_validation(options.source("测评方式", list(MODES)))
    if kind == "date":
        return xlsxio.date_validation()
    return None


def _write_fields(ws: Worksheet, pack: CompiledPack, unit_type: str | None, options: Options, lists: dict[str, FieldDef]) -> None:
    for col, text in enumerate(FIELD_SHEET_HEADERS, start=1):
        ws.cell(row=1, column=col, value=text)
    xlsxio.style_header(ws, 1, len(FIELD_SHEET_HEADERS))
    sheet_of = {d.name: title for title, d in lists.items()}
    groups: dict[tuple[str, ...], DataValidation] = {}
    for row, definition in enumerate(applicable_fields(pack.file, unit_type), start=2):
        _field_row(ws, row, definition, unit_type, sheet_of.get(definition.name))
        if definition.type != "list":
            dv = _value_validation(definition.type, definition.min, definition.max, definition.values, definition.name, options, groups)
            if dv is not None:
                dv.add(f"G{row}")
    for dv in groups.values():
        ws.add_data_validation(dv)
    for letter, width in zip("ABCDEFG", (16, 24, 8, 14, 6, 50, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C2"


def _field_row(ws: Worksheet, row: int, definition: FieldDef, unit_type: str | None, list_sheet: str | None) -> None:
    scope = f"（仅{'、'.join(definition.unit_types)}填写）" if definition.unit_types and unit_type is None else ""
    note = (f"在工作表「{list_sheet}」中逐行填写，此处留空。" if list_sheet else "") + scope + (definition.description or "")
    values = [definition.name, definition.label or definition.name, definition.unit or ("%" if definition.type == "percent" else ""),
              TYPE_LABELS[definition.type], "必填" if definition.required else "", note]
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        cell.font, cell.border = (xlsxio.REQUIRED if definition.required and col <= 2 else xlsxio.BODY), xlsxio.BORDER
        cell.alignment = xlsxio.WRAP
    value_cell = ws.cell(row=row, column=7)
    value_cell.border = xlsxio.BORDER
    value_cell.fill = xlsxio.INPUT_FILL if list_sheet is None else xlsxio.HEADER_FILL
    if definition.type == "date":
        value_cell.number_format = xlsxio.DATE_FORMAT
    comment = _comment_text(definition)
    if comment:
        value_cell.comment = Comment(comment, "civic", width=280, height=120)


def _comment_text(definition: FieldDef) -> str:
    parts = [definition.label or definition.name]
    if definition.description:
        parts.append(definition.description)
    if definition.type == "enum" and definition.values:
        parts.append("可选：" + "、".join(definition.values))
    if definition.required:
        parts.append("必填")
    return "\n".join(parts)


def _value_validation(kind: str, low: float | None, high: float | None, values: list[str] | None, name: str,
                      options: Options, groups: dict[tuple[str, ...], DataValidation]) -> DataValidation | None:
    """One validation object per distinct check, shared by all cells that need it."""
    if kind in ("integer", "number", "percent"):
        key: tuple[str, ...] = (kind, str(low), str(high))
        factory = lambda: xlsxio.number_validation(kind, low, high)  # noqa: E731
    elif kind == "boolean":
        key, factory = ("boolean",), lambda: xlsxio.list_validation('"是,否"')
    elif kind == "enum":
        key, factory = ("enum", name), lambda: xlsxio.list_validation(options.source(name, list(values or [])))
    elif kind == "date":
        key, factory = ("date",), xlsxio.date_validation
    else:
        return None
    if key not in groups:
        groups[key] = factory()
    return groups[key]


def _write_list_sheet(ws: Worksheet, definition: FieldDef, options: Options) -> None:
    items: list[ItemField] = list(definition.item_fields or [])
    groups: dict[tuple[str, ...], DataValidation] = {}
    for col, item in enumerate(items, start=1):
        cell = ws.cell(row=1, column=col, value=item.label or item.name)
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 16
        dv = _value_validation(item.type, None, None, item.values, f"{definition.name}.{item.name}", options, groups)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{DETAIL_ROWS + 1}")
        if item.type == "date":
            for row in range(2, DETAIL_ROWS + 2):
                ws.cell(row=row, column=col).number_format = xlsxio.DATE_FORMAT
    xlsxio.style_header(ws, 1, len(items))
    for dv in groups.values():
        ws.add_data_validation(dv)
    if definition.description or definition.label:
        ws.cell(row=1, column=1).comment = Comment(f"{definition.label or definition.name}：{definition.description or '每条记录一行'}", "civic")
    ws.freeze_panes = "A2"


def _write_detail_sheet(ws: Worksheet, table: DetailTable, vocab: dict[str, list[str]], options: Options) -> None:
    groups: dict[tuple[str, ...], DataValidation] = {}
    required = {i for i, c in enumerate(table.columns, start=1) if c.required}
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=col, value=column.header)
        if column.note:
            cell.comment = Comment(column.note, "civic", width=240, height=80)
        letter = cell.column_letter
        ws.column_dimensions[letter].width = column.width
        dv = _column_validation(column, vocab, options, groups)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{DETAIL_ROWS + 1}")
        if column.kind == "date":
            for row in range(2, DETAIL_ROWS + 2):
                ws.cell(row=row, column=col).number_format = xlsxio.DATE_FORMAT
    xlsxio.style_header(ws, 1, len(table.columns), required)
    ws.cell(row=1, column=1).comment = Comment(f"{table.note}\n（红色列名为必填）", "civic", width=300, height=100)
    for dv in groups.values():
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"


def _column_validation(column: Column, vocab: dict[str, list[str]], options: Options,
                       groups: dict[tuple[str, ...], DataValidation]) -> DataValidation | None:
    if column.vocab:
        names = {"evidence_kinds": "材料类型", "point_types": "点位类型", "survey_topics": "问卷题目",
                 "incident_types": "事件类型", "manual_rules": "人工判定规则"}
        source = options.source(names[column.vocab], vocab[column.vocab])
        return groups.setdefault(("list", column.vocab), xlsxio.list_validation(source))
    kind = {"int": "integer", "number": "number", "date": "date"}.get(column.kind)
    if kind is None:
        return None
    return _value_validation(kind, None, None, None, column.key, options, groups)
