"""Build one unit's data (the same shape as a unit YAML file) from table cells, remembering every cell's location.

The result is a ``UnitRecord``: ``data`` plus a ``LocatedDoc`` whose locations are cells (``file:Sheet!C14``) or
CSV lines. Validation then reuses exactly what YAML units go through — the pydantic model with located
diagnostics and ``unitdata.check_fields`` — so a value is judged the same whatever file it came from.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from evaluator.batch.cells import Cell
from evaluator.compiled import CompiledPack
from evaluator.errors import Diagnostic, DiagnosticSink, Location
from evaluator.locate import diagnostics_from_validation
from evaluator.template.layout import DETAIL_TABLES, IDENTITY, MODES, Column, DetailTable, IdentityItem
from evaluator.unitdata import ValueProblem, check_dates, check_fields, parse_date, parse_number
from evaluator.yamlio import LocatedDoc
from schemas.pack import FieldDef
from schemas.unit import Unit

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_PATH_SPLIT = re.compile(r"\s*[/／>＞]\s*")
_NAMES_SPLIT = re.compile(r"\s*[、,，;；]\s*")
KEY_LABELS = {col.key.split(".")[-1]: col.header for table in DETAIL_TABLES for col in table.columns} | {
    item.path[-1]: item.label for item in IDENTITY
} | {"start": "测评周期开始", "end": "测评周期结束", "region": "区划", "period": "测评周期"}


@dataclass
class UnitRecord:
    """Unit data being assembled from cells, its locations, and the problems found while reading cells."""

    source: str
    root: Location
    data: dict[str, Any] = field(default_factory=lambda: {"fields": {}})
    problems: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.doc = LocatedDoc(self.source, self.data)
        self.doc.values[()] = self.root

    @property
    def unit_id(self) -> str | None:
        value = self.data.get("unit", {}).get("id")
        return value if isinstance(value, str) else None

    def set(self, path: tuple[str | int, ...], value: Any, loc: Location, key_loc: Location | None = None) -> None:
        target: Any = self.data
        for depth, part in enumerate(path[:-1]):
            nxt = path[depth + 1]
            if isinstance(target, list):
                target = target[part]  # type: ignore[index]
                continue
            if part not in target:
                target[part] = [] if isinstance(nxt, int) else {}
                self.doc.values.setdefault(path[: depth + 1], loc)
            target = target[part]
        last = path[-1]
        if isinstance(target, list):
            target.append(value)
        else:
            target[last] = value
        self.doc.values[path] = loc
        self.doc.keys[path] = key_loc or loc

    def problem(self, code: str, message: str, loc: Location, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, loc, "error", hint))

    def read(self, cell: Cell, kind: str, label: str) -> Any:
        """The cell's value converted for ``kind`` (None when blank or unreadable; problems are recorded)."""
        if cell.problem:
            self.problem("D303", f"“{label}”{cell.problem}", cell.loc, "修正公式，或直接填写数值；在 Excel/WPS 中打开并保存后再试")
            return None
        if cell.blank:
            return None
        if isinstance(cell.value, str) and (bad := _CONTROL.search(cell.value)):
            self.problem("D304", f"“{label}”中有不可见的控制字符 U+{ord(bad.group()):04X}", cell.loc,
                         "删除该字符后重新输入（常见于从其他系统复制的文字）")
            return None
        try:
            return CONVERTERS[kind](cell.value, label)
        except ValueProblem as problem:
            self.problem("D304", problem.message, cell.loc, problem.hint)
            return None


def as_text(value: Any, _label: str = "") -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return unicodedata.normalize("NFC", str(value)).strip()


def as_int(value: Any, label: str) -> int:
    return int(parse_number(value, "integer", label))


def as_number(value: Any, label: str) -> float:
    number: Decimal = parse_number(value, "number", label)
    return float(number)


def as_mode(value: Any, label: str) -> str:
    text = as_text(value)
    if text in MODES.values():
        return text
    if text in MODES:
        return MODES[text]
    raise ValueProblem(f"“{label}”的值 '{text}' 不在可选范围内", f"可选：{'、'.join(MODES)}")


CONVERTERS: dict[str, Any] = {
    "text": as_text,
    "int": as_int,
    "number": as_number,
    "date": parse_date,
    "path": lambda v, _l: [p for p in _PATH_SPLIT.split(as_text(v)) if p],
    "names": lambda v, _l: [p for p in _NAMES_SPLIT.split(as_text(v)) if p],
    "mode": as_mode,
    "raw": lambda v, _l: v,
}


def put_identity(record: UnitRecord, cells: dict[str, Cell]) -> None:
    """Identity values from cells keyed by identity label (单位信息 rows, or 单位 columns)."""
    for item in IDENTITY:
        cell = cells.get(item.label)
        if cell is None:
            continue
        value = record.read(cell, item.kind, item.label)
        if value is not None and value != []:
            record.set(item.path, value, cell.loc)
    for section in ("unit", "period"):
        record.doc.values.setdefault((section,), record.root)


def missing_identity(cells: dict[str, Cell]) -> list[IdentityItem]:
    return [item for item in IDENTITY if item.required and (item.label not in cells or cells[item.label].blank)]


def put_field(record: UnitRecord, definition: FieldDef, cell: Cell, key_loc: Location) -> None:
    value = record.read(cell, "raw", definition.label or definition.name)
    if value is not None:
        record.set(("fields", definition.name), value, cell.loc, key_loc)


def put_list_rows(record: UnitRecord, definition: FieldDef, rows: list[dict[str, Cell]], sheet_loc: Location) -> None:
    """A list field from its sheet: one item per row (keys are item names). No rows → the field is absent (缺项)."""
    if not rows:
        return
    items: list[dict[str, Any]] = []
    labels = {i.name: i.label or i.name for i in definition.item_fields or []}
    for row in rows:
        item: dict[str, Any] = {}
        for name, cell in row.items():
            value = record.read(cell, "raw", f"{definition.label or definition.name}的{labels.get(name, name)}")
            if value is not None:
                item[name] = value
        items.append(item)
    record.set(("fields", definition.name), items, next(iter(rows[0].values())).loc if rows[0] else sheet_loc)


def put_detail_rows(record: UnitRecord, table: DetailTable, rows: list[dict[str, Cell]]) -> None:
    """Rows of a detail table (keys are column keys) into the unit's evidence/inspections/… section."""
    if table.section == "inspections":
        _put_inspections(record, rows)
        return
    for row in rows:
        values = _read_row(record, table.columns, row)
        if values is None:
            continue
        if table.section == "judgements":
            _put_judgement(record, values, row)
            continue
        index = len(record.data.get(table.section, []))
        record.set((table.section, index), {}, _first_loc(row))
        for key, value in values.items():
            record.set((table.section, index, key), value, row[key].loc)


def _first_loc(row: dict[str, Cell]) -> Location:
    return next(iter(row.values())).loc


def _read_row(record: UnitRecord, columns: tuple[Column, ...], row: dict[str, Cell]) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for column in columns:
        cell = row.get(column.key)
        if cell is None:
            continue
        value = record.read(cell, column.kind, column.header)
        if value is not None:
            values[column.key] = value
    if not values:
        return None
    for column in columns:
        if column.required and column.key not in values and not (row.get(column.key) and row[column.key].problem):
            record.problem("D305", f"缺少“{column.header}”", row[column.key].loc if column.key in row else _first_loc(row),
                           f"{column.header}是必填列；整行作废请删除该行")
    return values


def _put_judgement(record: UnitRecord, values: dict[str, Any], row: dict[str, Cell]) -> None:
    rule = values.pop("rule", None)
    if rule is None:
        return
    if rule in record.data.get("judgements", {}):
        record.problem("D306", f"规则 {rule} 的人工判定重复出现", row["rule"].loc, "每条规则只保留一行")
        return
    record.set(("judgements", rule), {}, row["rule"].loc)
    for key, value in values.items():
        record.set(("judgements", rule, key), value, row[key].loc)


def _put_inspections(record: UnitRecord, rows: list[dict[str, Cell]]) -> None:
    """Rows of the same point (点位类型 + 点位 + 日期; a blank 日期 continues the point's previous row) form one
    inspection; each row with 问题类型 adds a problem."""
    columns = next(t for t in DETAIL_TABLES if t.section == "inspections").columns
    points: dict[tuple[Any, ...], int] = {}
    last_date: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        values = _read_row(record, columns, row)
        if values is None:
            continue
        base = (values.get("point_type"), values.get("point"))
        date = values.get("date", last_date.get(base))  # a problem row below its point may leave 日期 blank
        last_date[base] = date
        key = (*base, date)
        if key not in points:
            points[key] = len(record.data.get("inspections", []))
            record.set(("inspections", points[key]), {"problems": []}, _first_loc(row))
        index = points[key]
        target = record.data["inspections"][index]
        for name in ("point_type", "point", "address", "date", "inspector", "sampled", "passed"):
            if name not in values:
                continue
            if name in target and target[name] != values[name]:
                record.problem("D307", f"同一点位“{key[1]}”的“{KEY_LABELS.get(name, name)}”前后不一致（{target[name]} 与 {values[name]}）",
                               row[name].loc, "同一点位的多行只在第一行填写，或每行填写相同的值")
                continue
            record.set(("inspections", index, name), values[name], row[name].loc)
        problem = {k.split(".")[1]: v for k, v in values.items() if k.startswith("problem.")}
        if not problem:
            continue
        if "type" not in problem:
            record.problem("D305", "填写了问题数或问题描述，但缺少“问题类型”", _first_loc(row), "补上问题类型")
            continue
        slot = len(target["problems"])
        record.set(("inspections", index, "problems", slot), {}, row["problem.type"].loc)
        for name, value in problem.items():
            record.set(("inspections", index, "problems", slot, name), value, row[f"problem.{name}"].loc)


def validate_record(record: UnitRecord, pack: CompiledPack, sink: DiagnosticSink,
                    as_of: dt.date | None = None) -> tuple[Unit | None, dict[str, Any]]:
    """Validate assembled data like a unit file: the model, the data dictionary, then dates after the as-of day
    (``as_of``: the --as-of override). Problems go to ``sink``."""
    before = len(sink.errors)
    for problem in record.problems:
        sink.add(problem)
    try:
        unit = Unit.model_validate(record.data)
    except ValidationError as exc:
        for diag in diagnostics_from_validation(exc, record.doc, "D1"):
            if diag.code != "D101":  # a missing required value is already reported at its cell (D312, D305)
                sink.add(_chinese_keys(diag))
        _check_fields_anyway(record, pack, sink, {str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        return None, {}
    values = check_fields(pack, unit, record.doc, sink, record.source)
    check_dates(unit, as_of or unit.as_of or unit.period.end, lambda *p, key=False: record.doc.locate(p, key=key), sink)
    return (unit if len(sink.errors) == before else None), values


def _check_fields_anyway(record: UnitRecord, pack: CompiledPack, sink: DiagnosticSink, bad: set[str]) -> None:
    """Report the field values' problems too, so one round of corrections fixes the whole sheet: when only
    detail sections are invalid, the rest is still a unit that the data dictionary can check."""
    if not bad <= {"evidence", "inspections", "surveys", "incidents", "judgements"}:
        return
    try:
        unit = Unit.model_validate({k: v for k, v in record.data.items() if k not in bad})
    except ValidationError:
        return
    check_fields(pack, unit, record.doc, sink, record.source)


def _chinese_keys(diag: Diagnostic) -> Diagnostic:
    """Messages name the column the officer sees (“'编号' 的格式不正确”), not the internal key ('id')."""
    message = diag.message
    for key, label in KEY_LABELS.items():
        message = message.replace(f"'{key}'", f"“{label}”")
    return Diagnostic(diag.code, message, diag.location, diag.severity, diag.hint)
