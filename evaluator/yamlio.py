"""YAML loading that keeps the line and column of every key and value.

PyYAML's composer gives nodes with marks; we build plain Python values from those nodes ourselves, so we
can (a) record a location for every path, (b) reject duplicate keys, and (c) bound alias expansion and
nesting, which defeats "billion laughs" files. Only the YAML 1.1 safe tags are accepted.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evaluator.errors import Diagnostic, Location

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
#: C0/C1 control characters other than tab and line breaks: they cannot be written to xlsx/docx (XML) and are never meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Path_ = tuple[str | int, ...]


@dataclass
class LocatedDoc:
    """A loaded document plus the location of each value (``values``) and mapping key (``keys``)."""

    path: str
    data: Any
    values: dict[Path_, Location] = field(default_factory=dict)
    keys: dict[Path_, Location] = field(default_factory=dict)

    def locate(self, loc: Path_, *, key: bool = False) -> Location:
        """The closest recorded location for ``loc``; a missing key falls back to its parent mapping."""
        table = self.keys if key else self.values
        probe = tuple(loc)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), Location(self.path, 1, 1))


class YamlProblem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.one_line())


def _loc(path: str, mark: Any, end: Any | None = None) -> Location:
    end_col = end.column + 1 if end is not None and end.line == mark.line else None
    return Location(path, mark.line + 1, mark.column + 1, end_col)


class _Builder:
    """Turns a composed node tree into Python values, recording locations."""

    def __init__(self, path: str, prefix: str = "R"):
        self.path = path
        self.prefix = prefix
        self.doc = LocatedDoc(path, None)
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only used to resolve scalars of the safe schema

    def build(self, node: yaml.Node, where: Path_ = (), depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(Diagnostic(
                f"{self.prefix}004", f"文件展开后的节点超过 {MAX_NODES} 个（可能是锚点/别名炸弹）",
                _loc(self.path, node.start_mark), hint="删除重复引用的锚点（&）和别名（*），直接写出内容",
            ))
        if depth > MAX_DEPTH:
            raise YamlProblem(Diagnostic(
                f"{self.prefix}005", f"嵌套层级超过 {MAX_DEPTH} 层", _loc(self.path, node.start_mark),
                hint="测评体系文件无需如此深的嵌套，请检查缩进",
            ))
        self.doc.values.setdefault(where, _loc(self.path, node.start_mark, node.end_mark))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            raise YamlProblem(Diagnostic(
                f"{self.prefix}008", f"不支持的 YAML 标签 {_tag_as_written(node.tag)}", _loc(self.path, node.start_mark),
                hint="去掉以 ! 开头的标签，直接写出内容",
            ))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, where, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*where, i), depth + 1) for i, child in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, where: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Location] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(Diagnostic(
                    f"{self.prefix}006", "不支持合并键 <<", _loc(self.path, key_node.start_mark), hint="请直接写出各个键",
                ))
            key = self._scalar(key_node)
            if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
                raise YamlProblem(Diagnostic(
                    f"{self.prefix}007", "映射的键必须是文字", _loc(self.path, key_node.start_mark), hint="键写成普通文字，例如 title:",
                ))
            key = str(key)
            key_loc = _loc(self.path, key_node.start_mark, key_node.end_mark)
            if key in seen:
                first = seen[key]
                raise YamlProblem(Diagnostic(
                    f"{self.prefix}003", f"重复的键 '{key}'（第一次出现在第 {first.line} 行）", key_loc,
                    hint="同一层级中每个键只能出现一次，请删除或合并重复的键",
                ))
            seen[key] = key_loc
            self.doc.keys[(*where, key)] = key_loc
            result[key] = self.build(value_node, (*where, key), depth + 1)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlProblem(Diagnostic(
                f"{self.prefix}007", "此处应为单个值，却写成了列表或映射", _loc(self.path, node.start_mark),
                hint="检查缩进与冒号",
            ))
        if node.tag not in _SAFE_TAGS:
            raise YamlProblem(Diagnostic(
                f"{self.prefix}008", f"不支持的 YAML 标签 {_tag_as_written(node.tag)}", _loc(self.path, node.start_mark),
                hint="去掉以 ! 开头的标签",
            ))
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError:
            if node.tag != "tag:yaml.org,2002:timestamp":
                raise
            return node.value  # an impossible date (2024-13-01, 2024-02-30): the schema check reports it, located
        if isinstance(value, dt.datetime):
            return value.date() if value.time() == dt.time() else value
        if isinstance(value, str) and (bad := _CONTROL.search(value)):
            raise YamlProblem(Diagnostic(
                f"{self.prefix}014", f"文字中有不可见的控制字符 U+{ord(bad.group()):04X}", _loc(self.path, node.start_mark),
                hint="删除该字符（常见于从其他系统复制的文字，或 \\0 之类的转义）后重新输入",
            ))
        return value


def _tag_as_written(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` is written ``!!python/object`` in the file: show it that way."""
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_SAFE_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}

_SCANNER_HINTS = {
    "found character '\\t'": ("R001", "此处有制表符（Tab）", "YAML 缩进只能用空格，请把 Tab 换成空格"),
    "could not find expected ':'": ("R002", "缺少冒号，或引号/括号未闭合", "检查上一行的引号与括号是否成对"),
    "did not find expected key": ("R002", "缩进不一致或括号未闭合", "检查本行与上一行的缩进"),
    "expected ',' or ']'": ("R002", "方括号 [ ] 未闭合", "补上 ]，或改用每行一个 - 的列表写法"),
    "expected ',' or '}'": ("R002", "花括号 { } 未闭合", "补上 }，或改用缩进的映射写法"),
    "found undefined alias": ("R002", "引用了未定义的别名（*名称）", "先用 &名称 定义锚点，或直接写出内容"),
    "mapping values are not allowed here": ("R002", "此处不能出现冒号（值中含冒号时请加引号）", "把含冒号的文字用引号括起来"),
    "found unexpected end of stream": ("R002", "文件意外结束（引号或括号未闭合）", "检查引号与括号是否成对"),
    "expected <block end>, but found": ("R002", "缩进不一致，或加引号的文字后面还有内容", "检查本行缩进是否与上一项对齐；整段值含引号时，把整个值再用另一种引号括起来"),
    "expected <document start>, but found": ("R002", "文件结构不完整（缩进或冒号有误）", "检查本行缩进与冒号"),
    "found character that cannot start any token": ("R002", "此处的字符不能作为值的开头（如 @ 或 `）", "把整个值用引号括起来"),
    "expected alphabetic or numeric character": ("R002", "锚点（&）或别名（*）的名称只能用英文字母、数字", "改用英文名称，如 &base；或不用锚点，直接写出内容"),
}


def _syntax_diagnostic(path: str, exc: yaml.YAMLError, prefix: str = "R") -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    loc = _loc(path, mark) if mark is not None else Location(path, 1, 1)
    problem = str(getattr(exc, "problem", "") or "")
    for needle, (code, message, hint) in _SCANNER_HINTS.items():
        if needle in problem:
            return Diagnostic(prefix + code[1:], f"YAML 语法错误：{message}", loc, hint=hint)
    return Diagnostic(f"{prefix}002", f"YAML 语法错误：{problem or exc}", loc, hint="对照 docs/rule-format.md 的示例检查本行的写法")


def read_text(path: Path, code_prefix: str = "R") -> str:
    """Read a UTF-8 text file (BOM allowed) or raise a located problem."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlProblem(Diagnostic(f"{code_prefix}000", f"无法读取文件：{exc.strerror}", Location(name))) from exc
    if size > MAX_FILE_BYTES:
        raise YamlProblem(Diagnostic(
            f"{code_prefix}009", f"文件过大（{math.ceil(size / 10485.76) / 100:.2f} MB，上限 {MAX_FILE_BYTES // 1048576} MB）", Location(name),
            hint="拆分为多个文件",
        ))
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise YamlProblem(Diagnostic(
            f"{code_prefix}010", "这是二进制文件，不是 YAML/JSON 文本", Location(name), hint="确认选择了正确的文件",
        ))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(Diagnostic(
            f"{code_prefix}011", "文件不是 UTF-8 编码（可能是 GBK）", Location(name, line, 1),
            hint="用记事本或 WPS 另存为“UTF-8”编码后重试",
        )) from exc


def _compose(text: str) -> list[Any]:
    """Node trees with marks. libyaml (CSafeLoader) composes the same nodes and marks about 20× faster, which
    matters when a batch reads thousands of unit files; any error is re-raised by the pure-Python composer so
    diagnostics stay exactly the same."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def load_yaml(path: Path, code_prefix: str = "R") -> LocatedDoc:
    """Load one YAML (or JSON) file with locations. Raises ``YamlProblem`` with a located diagnostic."""
    text = read_text(path, code_prefix)
    name = str(path)
    if not text.strip():
        raise YamlProblem(Diagnostic(f"{code_prefix}012", "文件是空的", Location(name, 1, 1), hint="写入内容或删除该文件"))
    try:
        nodes = _compose(text)
    except yaml.YAMLError as exc:
        raise YamlProblem(_syntax_diagnostic(name, exc, code_prefix)) from exc
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise YamlProblem(Diagnostic(f"{code_prefix}012", "文件只有注释，没有内容", Location(name, 1, 1), hint="写入内容或删除该文件"))
    if len(nodes) > 1:
        raise YamlProblem(Diagnostic(
            f"{code_prefix}013", "一个文件只能有一个 YAML 文档（发现了多余的 ---）", _loc(name, nodes[1].start_mark),
            hint="删除多余的 --- 分隔线，或拆成多个文件",
        ))
    builder = _Builder(name, code_prefix)
    try:
        builder.doc.data = builder.build(nodes[0])
    except yaml.YAMLError as exc:
        raise YamlProblem(_syntax_diagnostic(name, exc, code_prefix)) from exc
    return builder.doc
