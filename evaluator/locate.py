"""Turn pydantic validation errors into located Chinese diagnostics (the dagster/rendercv technique).

The error's ``loc`` is walked through the located document; discriminator tags that pydantic inserts
(e.g. ``pass_fail``) are skipped because they are not keys in the file. A missing key is reported at
the mapping that should contain it.
"""

from __future__ import annotations

import difflib
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

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
    """Follow ``loc`` through ``data``, dropping parts that are not in the data (union tags).

    The tag comes right after the union's field, and may equal a key of the same mapping (``model: bands``
    has a ``bands:`` list): it is skipped when it names the mapping's own ``model``.
    """
    path: list[str | int] = []
    current = data
    tag_skipped: set[int] = set()
    for index, part in enumerate(loc):
        if isinstance(current, dict) and current.get("model") == part and id(current) not in tag_skipped:
            tag_skipped.add(id(current))
            continue
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
        elif isinstance(current, dict | list) and index == len(loc) - 1:
            path.append(part)  # a missing key: keep it for the message, location falls back to parent
            break
    return tuple(path)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return f"列表（{len(value)} 项，以 - 开头）"
    if isinstance(value, dict):
        return "映射（键: 值）"
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"


def _num(value: Any) -> str:
    """Bounds as people write them: 0 rather than 0.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _choices(expected: Any) -> str:
    """pydantic lists choices as "'a', 'b' or 'c'"; users read them as a、b、c."""
    text = str(expected or "")
    return "、".join(part.strip().strip("'") for part in text.replace(" or ", ", ").split(", ") if part.strip())


def _message(err: dict[str, Any], where: str, allowed: list[str] | None = None) -> tuple[str, str | None]:
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
        "list_type": (f"'{where}' 应为列表，实际是 {_show(found)}", "列表每项一行，以 - 开头"),
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
        "greater_than_equal": (f"'{where}' 应 ≥ {_num(ctx.get('ge'))}，实际是 {_show(found)}", None),
        "greater_than": (f"'{where}' 应 > {_num(ctx.get('gt'))}，实际是 {_show(found)}", None),
        "less_than_equal": (f"'{where}' 应 ≤ {_num(ctx.get('le'))}，实际是 {_show(found)}", None),
        "less_than": (f"'{where}' 应 < {_num(ctx.get('lt'))}，实际是 {_show(found)}", None),
        "literal_error": (f"'{where}' 的值 {_show(found)} 不在可选范围内", f"可选：{_choices(ctx.get('expected'))}"),
        "enum": (f"'{where}' 的值 {_show(found)} 不在可选范围内", f"可选：{_choices(ctx.get('expected'))}"),
        "union_tag_invalid": (
            f"未知的评分模型 {_show(ctx.get('tag'))}", f"可用模型：{_choices(ctx.get('expected_tags'))}",
        ),
        "union_tag_not_found": ("评分方式缺少 model", "添加 model: 写明评分模型，如 model: pass_fail"),
        "value_error": (str(ctx.get("error", err.get("msg", ""))).removeprefix("Value error, "), None),
        "assertion_error": (str(err.get("msg", "")), None),
    }
    if kind == "extra_forbidden":
        options = [n for n in (allowed if allowed is not None else _field_names()) if n != where]
        close = difflib.get_close_matches(where, options, n=1, cutoff=0.6)
        if close:
            return f"未知的键 '{where}'", f"是否想写 '{close[0]}'？"
        listed = f"此处可用的键：{'、'.join(allowed)}；" if allowed else ""
        return f"未知的键 '{where}'", f"{listed}自由内容请放在 meta: 下"
    if kind in templates:
        return templates[kind]
    return f"'{where}'：{err.get('msg')}", None


def diagnostics_from_validation(exc: ValidationError, doc: LocatedDoc, code_prefix: str = "R1") -> list[Diagnostic]:
    result: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    root = _model_named(exc.title)
    errors = _drop_missing_explained_by_typo(exc.errors(include_url=False), root)
    for err in errors:
        path = data_path(doc.data, tuple(err["loc"]))
        where = str(path[-1]) if path else "文件"
        if isinstance(path[-1:] and path[-1], int):
            where = f"第 {int(path[-1]) + 1} 项"
        location = doc.locate(path, key=err["type"] == "extra_forbidden")
        allowed = keys_at(root, tuple(err["loc"])[:-1]) if err["type"] == "extra_forbidden" and root else None
        message, hint = _message(err, where, allowed)
        code = _CODES.get(err["type"], f"{code_prefix}00")
        key = (str(location), message)
        if key in seen:
            continue
        seen.add(key)
        result.append(Diagnostic(code.replace("R1", code_prefix, 1), message, location, "error", hint))
    return result


def _drop_missing_explained_by_typo(errors: list[Any], root: type[BaseModel] | None) -> list[Any]:
    """``titel:`` yields both "unknown key titel" and "missing title"; the first (with its did-you-mean) says it all."""
    typos: set[tuple[Any, ...]] = set()
    for err in errors:
        if err["type"] != "extra_forbidden" or root is None:
            continue
        parent = tuple(err["loc"])[:-1]
        allowed = keys_at(root, parent) or []
        for close in difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1, cutoff=0.6):
            typos.add((*parent, close))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in typos)]


def _model_named(name: str) -> type[BaseModel] | None:
    import schemas

    found: set[type] = set()
    for value in vars(schemas).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            _collect_models(value, found)
    return next((m for m in sorted(found, key=lambda m: m.__name__) if m.__name__ == name), None)


def _collect_models(model: type[BaseModel], found: set[type]) -> None:
    if model in found:
        return
    found.add(model)
    for info in model.model_fields.values():
        for arg in _types_in(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _collect_models(arg, found)


def keys_at(root: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed at ``loc`` (a pydantic error location, union tags included), or None if not a mapping."""
    annotation: Any = root
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    model = _unwrap(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the one real type."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info = annotation.model_fields.get(str(part))
        return info.annotation if info is not None else None
    origin = get_origin(annotation)
    if origin is list and isinstance(part, int):
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    if origin in (Union, UnionType):
        return next((m for m in map(_unwrap, get_args(annotation)) if _has_tag(m, part)), None)
    return None


def _has_tag(model: Any, tag: Any) -> bool:
    """A member of a discriminated union whose ``Literal`` field accepts ``tag`` (e.g. ``model: pass_fail``)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    return any(get_origin(i.annotation) is Literal and tag in get_args(i.annotation) for i in model.model_fields.values())


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
