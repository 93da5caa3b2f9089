"""Unit data: load a unit file, check it against the pack's data dictionary, normalise its values.

Values are normalised the way an officer would expect: "85%" in a percent field is 85; full-width
digits are read as digits; "是/否" are booleans; dates may be 2024-01-31, 2024/1/31 or 2024年1月31日.
Anything that cannot be read exactly is an error (exit 4) with its location — never a guess.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from evaluator.compiled import CompiledPack
from evaluator.errors import DiagnosticSink, Location
from evaluator.loader import load_model
from evaluator.problem_vocab import counted_problem_types
from evaluator.yamlio import LocatedDoc
from schemas.pack import FieldDef, ItemField
from schemas.unit import Unit

TRUE_WORDS = {"true", "是", "有", "yes", "y", "√", "✓", "1"}
FALSE_WORDS = {"false", "否", "无", "no", "n", "×", "0"}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
MAX_ABS = Decimal("1e12")


class ValueProblem(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message)


def parse_number(raw: Any, kind: str, label: str) -> Decimal:
    if isinstance(raw, bool):
        raise ValueProblem(f"“{label}”应为数值，实际是 {raw}", "填写数字")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise ValueProblem(f"“{label}”不能是 NaN 或无穷大", "填写有限的数字")
        number = Decimal(str(raw))
    elif isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
        if kind == "percent" and text.endswith("%"):
            text = text[:-1]
        if re.fullmatch(r"-?\d+,\d+", text):
            raise ValueProblem(f"“{label}”的值 '{raw}' 用逗号作小数点", f"写成 {text.replace(',', '.')}")
        if text.endswith("%"):
            raise ValueProblem(f"“{label}”的值 '{raw}' 带有 %，但该字段不是百分比", "只写数字")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueProblem(f"“{label}”应为数值，实际是 '{raw}'", "只写阿拉伯数字，如 12 或 12.5，不要写汉字数字或单位") from exc
        if not number.is_finite():
            raise ValueProblem(f"“{label}”不能是 NaN 或无穷大", "填写有限的数字")
    else:
        raise ValueProblem(f"“{label}”应为数值，实际是{type(raw).__name__}", "填写数字")
    if abs(number) > MAX_ABS:
        raise ValueProblem(f"“{label}”的值 {raw} 超出允许范围", "检查是否多写了位数")
    if kind == "integer" and number != number.to_integral_value():
        raise ValueProblem(f"“{label}”应为整数，实际是 {raw}", "去掉小数部分")
    return number


def parse_bool(raw: Any, label: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueProblem(f"“{label}”应为 是/否，实际是 '{raw}'", "填写 是 或 否（true/false）")


def parse_date(raw: Any, label: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError as exc:
                raise ValueProblem(f"“{label}”的日期 '{raw}' 不存在", "检查月份与日") from exc
    raise ValueProblem(f"“{label}”的日期 '{raw}' 无法识别", "写成 2024-01-31")


def normalise(raw: Any, kind: str, label: str, values: list[str] | None = None,
              items: list[ItemField] | None = None, bounds: tuple[float | None, float | None] = (None, None)) -> Any:
    if kind in ("integer", "number", "percent"):
        number = parse_number(raw, kind, label)
        low, high = bounds
        if kind == "percent" and high is None:
            high = 100
        if low is None and kind in ("integer", "percent"):
            low = 0
        if low is not None and number < Decimal(str(low)):
            raise ValueProblem(f"“{label}”为 {raw}，不能小于 {low}", "检查是否填错")
        if high is not None and number > Decimal(str(high)):
            raise ValueProblem(f"“{label}”为 {raw}，不能大于 {high}", "百分比填 0–100 之间的数" if kind == "percent" else "检查是否填错")
        return number
    if kind == "boolean":
        return parse_bool(raw, label)
    if kind == "date":
        return parse_date(raw, label)
    if kind == "enum":
        text = str(raw).strip()
        if values and text not in values:
            close = difflib.get_close_matches(text, values, n=1, cutoff=0.4)
            raise ValueProblem(f"“{label}”的值 '{raw}' 不在可选范围内", f"可选：{'、'.join(values)}" + (f"；是否想写 '{close[0]}'？" if close else ""))
        return text
    if kind == "text":
        if isinstance(raw, dict | list):
            raise ValueProblem(f"“{label}”应为文字", None)
        return str(raw)
    if kind == "list":
        if not isinstance(raw, list):
            raise ValueProblem(f"“{label}”应为列表（每条记录一行，以 - 开头）", None)
        return [_record(row, items or [], f"{label}第{i + 1}条") for i, row in enumerate(raw)]
    raise ValueProblem(f"未知的字段类型 {kind}")  # pragma: no cover


def _record(row: Any, items: list[ItemField], label: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ValueProblem(f"{label}应为映射（字段: 值）", None)
    known = {i.name: i for i in items}
    result: dict[str, Any] = {}
    for key, value in row.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            raise ValueProblem(f"{label}有未知的字段 '{key}'", f"是否想写 '{close[0]}'？" if close else f"可用字段：{'、'.join(known)}")
        if value is None or value == "":
            continue
        item = known[key]
        result[key] = normalise(value, item.type, f"{label}的{item.label or item.name}", item.values)
    return result


def check_fields(pack: CompiledPack, unit: Unit, doc: LocatedDoc | None, sink: DiagnosticSink, source: str) -> dict[str, Any]:
    """Validate ``unit.fields`` against the data dictionary; returns normalised values (bad ones left out)."""
    defs: dict[str, FieldDef] = pack.fields
    values: dict[str, Any] = {}

    def where(*path: str | int, key: bool = False) -> Location:
        return doc.locate(path, key=key) if doc is not None else Location(source)

    for name, raw in unit.fields.items():
        definition = defs.get(name)
        if definition is None:
            close = difflib.get_close_matches(name, list(defs), n=1, cutoff=0.5)
            sink.error("D201", f"未知的字段 '{name}'（不在测评体系 {pack.meta.id} 的数据字典中）", where("fields", name, key=True),
                       f"是否想写 '{close[0]}'？" if close else "用 civic template 生成填报模板查看全部字段")
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            values[name] = normalise(raw, definition.type, definition.label or name, definition.values, definition.item_fields,
                                     (definition.min, definition.max))
        except ValueProblem as problem:
            sink.error("D202", problem.message, where("fields", name), problem.hint)
    for definition in defs.values():
        applies = not definition.unit_types or unit.unit.type in definition.unit_types
        if definition.required and applies and definition.name not in values and definition.name not in unit.fields:
            sink.error("D203", f"缺少必填字段“{definition.label or definition.name}”", where("fields"),
                       f"在 fields 下添加 {definition.name}: …")
    if unit.unit.type not in pack.meta.unit_types:
        sink.error("D204", f"单位类型 '{unit.unit.type}' 不在测评体系 {pack.meta.id} 的适用类型中", where("unit", "type"),
                   f"可用：{'、'.join(pack.meta.unit_types)}")
    if unit.period.end < unit.period.start:
        sink.error("D205", f"测评周期结束日 {unit.period.end} 早于开始日 {unit.period.start}", where("period", "end"))
    _check_vocab(pack, unit, where, sink)
    _check_references(pack, unit, where, sink)
    return values


def _check_references(pack: CompiledPack, unit: Unit, where: Any, sink: DiagnosticSink) -> None:
    """Rule ids, the declared pack and the format version must match the pack, or data would be silently ignored."""
    if unit.schema_version != 1:
        sink.error("D213", f"单位数据格式版本 schema_version: {unit.schema_version} 不受支持", where("schema_version"),
                   "本版本只支持 schema_version: 1；可删除该行")
    if unit.pack is not None and unit.pack != pack.meta.id:
        sink.error("D212", f"单位数据声明的测评体系是 '{unit.pack}'，但本次按 '{pack.meta.id}' 测评", where("pack"),
                   f"确认 --pack 是否选对；若数据确属 {pack.meta.id}，把 pack: 改为 {pack.meta.id}")
    manual = {r.id for r in pack.rules if r.rule.grading.model == "manual"}
    for rule_id in unit.judgements:
        if rule_id not in manual:
            known = pack.rule(rule_id) is not None
            close = difflib.get_close_matches(rule_id, sorted(manual), n=1, cutoff=0.6)
            problem = f"规则 {rule_id} 不是人工判定项，人工判定不会被采用" if known else f"人工判定引用了不存在的规则 '{rule_id}'"
            sink.error("D211", problem, where("judgements", rule_id, key=True),
                       f"是否想写 '{close[0]}'？" if close else f"人工判定项：{'、'.join(sorted(manual)) or '无'}")
    ids = sorted(r.id for r in pack.rules)
    for index, evidence in enumerate(unit.evidence):
        if evidence.rule is not None and pack.rule(evidence.rule) is None:
            close = difflib.get_close_matches(evidence.rule, ids, n=1, cutoff=0.6)
            sink.error("D211", f"材料“{evidence.title}”对应的规则 '{evidence.rule}' 不存在", where("evidence", index, "rule"),
                       f"是否想写 '{close[0]}'？" if close else "删除 rule，或写成测评体系中的规则编号")


def check_dates(unit: Unit, as_of: dt.date, where: Any, sink: DiagnosticSink) -> None:
    """Nothing a unit reports can be dated after the day it is assessed on: such a date is a typing error."""
    if as_of < unit.period.start:
        sink.error("D210", f"评测基准日 {as_of} 早于测评周期开始日 {unit.period.start}", where("as_of"),
                   "检查 as_of（或 --as-of）与 period.start")
    sections = (("evidence", "材料", "title"), ("inspections", "实地考察记录", "point"), ("incidents", "事件", "type"))
    for section, label, name_key in sections:
        for index, item in enumerate(getattr(unit, section)):
            if item.date is not None and item.date > as_of:
                sink.error("D210", f"{label}“{getattr(item, name_key)}”的日期 {item.date} 晚于评测基准日 {as_of}",
                           where(section, index, "date"), "检查年份是否写错；基准日之后的材料与事件不参与本次测评")


def _check_vocab(pack: CompiledPack, unit: Unit, where: Any, sink: DiagnosticSink) -> None:
    vocabularies = (
        ("evidence", "kind", {k.id for k in pack.file.evidence_kinds}, "材料类型", "evidence_kinds"),
        ("inspections", "point_type", set(pack.file.point_types), "点位类型", "point_types"),
        ("surveys", "topic", set(pack.file.survey_topics), "问卷题目", "survey_topics"),
        ("incidents", "type", set(pack.file.incident_types), "事件类型", "incident_types"),
    )
    for section, key, allowed, label, _ in vocabularies:
        for index, item in enumerate(getattr(unit, section)):
            value = getattr(item, key)
            if value not in allowed:
                close = difflib.get_close_matches(value, sorted(allowed), n=1, cutoff=0.4)
                sink.error("D206", f"未知的{label} '{value}'", where(section, index, key),
                           f"是否想写 '{close[0]}'？" if close else f"可用：{'、'.join(sorted(allowed)) or '无'}")
    _check_problem_types(pack, unit, where, sink)
    for index, survey in enumerate(unit.surveys):
        if survey.satisfied > survey.sample:
            sink.error("D207", f"问卷“{survey.topic}”满意人数 {survey.satisfied} 大于样本数 {survey.sample}", where("surveys", index, "satisfied"))
    for index, record in enumerate(unit.inspections):
        if record.passed > record.sampled:
            sink.error("D207", f"点位“{record.point}”合格数 {record.passed} 大于抽查数 {record.sampled}", where("inspections", index, "passed"))
    for index, evidence in enumerate(unit.evidence):
        if evidence.file and escapes_folder(evidence.file):
            sink.error("D208", f"材料文件引用 '{evidence.file}' 指向单位文件夹之外", where("evidence", index, "file"),
                       "只能引用单位数据所在文件夹内的文件，如 材料/方案.pdf")


def _check_problem_types(pack: CompiledPack, unit: Unit, where: Any, sink: DiagnosticSink) -> None:
    """Warn about a problem type that looks like a typo of one the rules count at that point type ('积水 容器' for
    '积水容器'): such a typo would silently lose a deduction. A type unlike any counted one is a problem the pack simply
    does not score there, and stays quiet."""
    counted = counted_problem_types(pack)
    for index, record in enumerate(unit.inspections):
        allowed = counted.get(record.point_type)
        if allowed is None:  # no rule counts problems by type here, or one counts every type
            continue
        for number, problem in enumerate(record.problems):
            close = [] if problem.type in allowed else difflib.get_close_matches(problem.type, sorted(allowed), n=1, cutoff=0.6)
            if close:
                sink.warning("D215", f"点位“{record.point}”的问题类型 '{problem.type}' 不被任何条款计入（{record.point_type}），疑似笔误",
                             where("inspections", index, "problems", number, "type"), f"是否想写 '{close[0]}'？")


def escapes_folder(reference: str) -> bool:
    """True for references that leave the unit's folder, in POSIX or Windows spelling (C:\\, \\\\server, ..\\)."""
    windows = PureWindowsPath(reference)
    parts = PurePosixPath(reference.replace("\\", "/")).parts
    return PurePosixPath(reference).is_absolute() or bool(windows.drive) or windows.is_absolute() or ".." in parts


def load_unit_file(path: Path, pack: CompiledPack, sink: DiagnosticSink,
                   as_of: dt.date | None = None) -> tuple[Unit | None, dict[str, Any]]:
    """Load one YAML/JSON unit file; all problems go to ``sink`` with locations. ``as_of``: the --as-of override."""
    before = len(sink.errors)
    unit, doc = load_model(path, Unit, sink, prefix="D")
    if unit is None:
        return None, {}
    values = check_fields(pack, unit, doc, sink, str(path))
    check_dates(unit, as_of or unit.as_of or unit.period.end, lambda *p, key=False: doc.locate(p, key=key) if doc else Location(str(path)), sink)
    return (unit if len(sink.errors) == before else None), values
