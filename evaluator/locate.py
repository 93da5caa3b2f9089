"""Turn pydantic validation errors into located Chinese diagnostics (the dagster/rendercv technique).

The error's ``loc`` is walked through the located document; discriminator tags that pydantic inserts
(e.g. ``pass_fail``) are skipped because they are not keys in the file. A missing key is reported at
the mapping that should contain it.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from evaluator.errors import Diagnostic
from evaluator.yamlio import LocatedDoc


def _all_field_names() -> list[str]:
    import schemas
    names: set[str] = set()
    for value in vars(schemas).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            _collect(value, names, set())
    return sorted(names)


def _collect(model: type[BaseModel], names: set[str], seen: set[type]) -> None:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        names.add(name)
        for arg in _types_in(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _collect(arg, names, seen)


def _types_in(annotation: Any) -> list[Any]:
    found = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _types_in(arg)
    for meta in getattr(annotation, "__metadata__", ()) or ():
        found += _types_in(meta)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None:
        found.append(origin)
    return found


_FIELD_NAMES: list[str] | None = None


def _field_names() -> list[str]:
    global _FIELD_NAMES
    if _FIELD_NAMES is None:
        _FIELD_NAMES = _all_field_names()
    return _FIELD_NAMES


def data_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Follow ``loc`` through ``data``, dropping parts that are not in the data (union tags)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict | list) and part == loc[-1]:
            path.append(part)  # a missing key: keep it for the message, location falls back to parent
            break
    return tuple(path)


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"


def _message(err: dict[str, Any], where: str) -> tuple[str, str | None]:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = err.get("input")
    templates: dict[str, tuple[str, str | None]] = {
        "missing": (f"缺少必填项 '{where}'", f"在此处添加 {where}:"),
        "string_type": (f"'{where}' 应为文字，实际是 {_show(found)}", "文字可加引号"),
        "int_type": (f"'{where}' 应为整数，实际是 {_show(found)}", None),
        "int_parsing": (f"'{where}' 应为整数，实际是 {_show(found)}", "只写阿拉伯数字，如 12，不要写“十二”或单位"),
        "int_from_float": (f"'{where}' 应为整数，实际是 {_show(found)}", "去掉小数部分"),
        "float_type": (f"'{where}' 应为数值，实际是 {_show(found)}", None),
        "float_parsing": (f"'{where}' 应为数值，实际是 {_show(found)}", "只写数字，如 85 或 12.5；不要写 % 或单位、不要用逗号作小数点"),
        "finite_number": (f"'{where}' 不能是 NaN 或无穷大", "写一个有限的数值"),
        "bool_type": (f"'{where}' 应为 true 或 false，实际是 {_show(found)}", None),
        "bool_parsing": (f"'{where}' 应为 true 或 false，实际是 {_show(found)}", "是写 true，否写 false"),
        "list_type": (f"'{where}' 应为列表，实际是 {type(found).__name__}", "列表每项一行，以 - 开头"),
        "dict_type": (f"'{where}' 应为映射（键: 值），实际是 {_show(found)}", None),
        "model_type": (f"'{where}' 应为映射（键: 值），实际是 {_show(found)}", "检查缩进：下一级内容应缩进两个空格"),
        "model_attributes_type": (f"'{where}' 应为映射（键: 值），实际是 {_show(found)}", None),
        "date_type": (f"'{where}' 应为日期，实际是 {_show(found)}", "日期写成 2024-01-31"),
        "date_parsing": (f"'{where}' 日期格式不正确：{_show(found)}", "日期写成 2024-01-31"),
        "date_from_datetime_parsing": (f"'{where}' 日期格式不正确：{_show(found)}", "日期写成 2024-01-31"),
        "date_from_datetime_inexact": (f"'{where}' 应为日期（不含时刻）：{_show(found)}", "日期写成 2024-01-31"),
        "too_short": (f"'{where}' 至少需要 {ctx.get('min_length')} 项", None),
        "too_long": (f"'{where}' 最多 {ctx.get('max_length')} 项", None),
        "string_too_short": (f"'{where}' 不能为空", None),
        "string_too_long": (f"'{where}' 过长（上限 {ctx.get('max_length')} 个字符）", None),
        "string_pattern_mismatch": (f"'{where}' 的格式不正确：{_show(found)}", f"应符合 {ctx.get('pattern')}"),
        "greater_than_equal": (f"'{where}' 应 ≥ {ctx.get('ge')}，实际是 {_show(found)}", None),
        "greater_than": (f"'{where}' 应 > {ctx.get('gt')}，实际是 {_show(found)}", None),
        "less_than_equal": (f"'{where}' 应 ≤ {ctx.get('le')}，实际是 {_show(found)}", None),
        "less_than": (f"'{where}' 应 < {ctx.get('lt')}，实际是 {_show(found)}", None),
        "literal_error": (f"'{where}' 的值 {_show(found)} 不在可选范围内", f"可选：{ctx.get('expected')}"),
        "enum": (f"'{where}' 的值 {_show(found)} 不在可选范围内", f"可选：{ctx.get('expected')}"),
        "union_tag_invalid": (
            f"未知的评分模型 {_show(ctx.get('tag'))}", f"可用模型：{ctx.get('expected_tags')}",
        ),
        "union_tag_not_found": ("评分方式缺少 model", "添加 model: pass_fail（或其他评分模型）"),
        "value_error": (str(ctx.get("error", err.get("msg", ""))).removeprefix("Value error, "), None),
        "assertion_error": (str(err.get("msg", "")), None),
    }
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(where, _field_names(), n=1, cutoff=0.6)
        hint = f"是否想写 '{close[0]}'？" if close else "此处不允许该键；自由内容请放在 meta: 下"
        return f"未知的键 '{where}'", hint
    if kind in templates:
        return templates[kind]
    return f"'{where}'：{err.get('msg')}", None


def diagnostics_from_validation(exc: ValidationError, doc: LocatedDoc, code_prefix: str = "R1") -> list[Diagnostic]:
    result: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        path = data_path(doc.data, tuple(err["loc"]))
        where = str(path[-1]) if path else "文件"
        if isinstance(path[-1:] and path[-1], int):
            where = f"第 {int(path[-1]) + 1} 项"
        if err["type"] == "extra_forbidden":
            location = doc.locate(path, key=True)
        else:
            location = doc.locate(path)
        message, hint = _message(err, where)
        code = _CODES.get(err["type"], f"{code_prefix}00")
        key = (str(location), message)
        if key in seen:
            continue
        seen.add(key)
        result.append(Diagnostic(code.replace("R1", code_prefix, 1), message, location, "error", hint))
    return result


_CODES = {
    "missing": "R101", "extra_forbidden": "R102", "union_tag_invalid": "R103", "union_tag_not_found": "R103",
    "literal_error": "R104", "value_error": "R105",
}
for _t in ("string_type", "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "bool_type",
           "bool_parsing", "list_type", "dict_type", "model_type", "date_type", "date_parsing", "finite_number",
           "date_from_datetime_parsing", "date_from_datetime_inexact", "model_attributes_type"):
    _CODES[_t] = "R106"
for _t in ("too_short", "too_long", "string_too_short", "string_too_long", "string_pattern_mismatch",
           "greater_than_equal", "greater_than", "less_than_equal", "less_than"):
    _CODES[_t] = "R107"
