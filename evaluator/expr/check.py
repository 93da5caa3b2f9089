"""Static checks at load time: every name exists in the data dictionary, every function is whitelisted,
argument counts and types fit. A typo in a field name is a lint error, not a silent ``missing`` at run time.
"""

from __future__ import annotations

import difflib

from evaluator.expr.errors import ExprNameError, ExprTypeError
from evaluator.expr.functions import FUNCTIONS, TYPE_LABELS
from evaluator.expr.nodes import Binary, BoolOp, Call, Compare, Const, ListLit, Name, Node, Num, Str, Unary
from evaluator.expr.scope import ANY, BOOL, BUILTIN_NAMES, DATE, LIST, NUMBER, TEXT, NameInfo, Scope

_VOCAB_LABELS = {"point_types": "点位类型", "survey_topics": "问卷题目", "evidence_kinds": "材料类型", "incident_types": "事件类型"}


def _suggest(word: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f"是否想写 '{close[0]}'？" if close else None


def _keyword_hint(word: str, options: list[str]) -> str | None:
    """``有方案且有制度`` reads as one name: say that 且/或/非 need spaces around them."""
    import re

    parts = [p for p in re.split("[且或非]", word) if p]
    if len(parts) > 1 and all(p in options for p in parts):
        return "且、或、非 前后要留空格，如 有方案 且 有制度"
    return None


class Checker:
    def __init__(self, scope: Scope):
        self.scope = scope
        self.items: list[dict[str, NameInfo]] = []

    def lookup(self, node: Name) -> NameInfo:
        head = node.parts[0]
        info: NameInfo | None = None
        for frame in reversed(self.items):
            if head in frame:
                info = frame[head]
                break
        if info is None:
            info = self.scope.names.get(head)
        if info is None and head in BUILTIN_NAMES:
            kind, label = BUILTIN_NAMES[head]
            info = NameInfo(kind, label)
        if info is None:
            options = list(self.scope.names) + list(BUILTIN_NAMES) + [k for f in self.items for k in f]
            hint = _keyword_hint(head, options) or _suggest(head, options) or "名称须在 pack.yaml 的 fields（数据字典）或本条 params 中定义"
            raise ExprNameError(f"未知的名称 '{head}'", node.start, node.start + len(head), hint)
        for part in node.parts[1:]:
            if info.type == LIST:
                raise ExprTypeError(f"'{info.label}' 是列表，不能直接取其中的“{part}”", node.start, node.end,
                                    f"用聚合函数逐条计算，如 count({head}, {part} > 0)、sum({head}, {part})")
            if part not in info.items:
                hint = _suggest(part, list(info.items)) or f"'{info.label}' 没有字段 '{part}'"
                raise ExprNameError(f"'{info.label}' 中没有字段 '{part}'", node.start, node.end, hint)
            info = info.items[part]
        return info

    def check(self, node: Node) -> str:
        if isinstance(node, Num):
            return NUMBER
        if isinstance(node, Str):
            return TEXT
        if isinstance(node, Const):
            return BOOL if node.value is not None else ANY
        if isinstance(node, Name):
            return self.lookup(node).type
        if isinstance(node, ListLit):
            for item in node.items:
                self.check(item)
            return LIST
        if isinstance(node, Unary):
            inner = self.check(node.operand)
            if node.op == "-":
                self.require(node.operand, inner, NUMBER)
                return NUMBER
            return BOOL
        if isinstance(node, Binary):
            left, right = self.check(node.left), self.check(node.right)
            self.require(node.left, left, NUMBER)
            self.require(node.right, right, NUMBER)
            return NUMBER
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, BoolOp):
            for value in node.values:
                self.check(value)
            return BOOL
        if isinstance(node, Call):
            return self.call(node)
        raise ExprTypeError("无法识别的表达式", node.start, node.end)  # pragma: no cover

    def require(self, node: Node, actual: str, wanted: str) -> None:
        if actual not in (wanted, ANY):
            raise ExprTypeError(
                f"此处需要{TYPE_LABELS[wanted]}，却是{TYPE_LABELS[actual]}", node.start, node.end,
                "检查字段类型（数据字典中的 type）",
            )

    def compare(self, node: Compare) -> str:
        left, right = self.check(node.left), self.check(node.right)
        if node.op in ("in", "not in"):
            if right not in (LIST, ANY, TEXT):
                raise ExprTypeError("in 的右边应为列表，如 ['甲', '乙']", node.right.start, node.right.end)
            return BOOL
        if ANY not in (left, right) and left != right:
            raise ExprTypeError(
                f"不能比较{TYPE_LABELS[left]}与{TYPE_LABELS[right]}", node.start, node.end,
                "日期请用 date('2024-01-01')；数值不要加引号",
            )
        if node.op in ("<", "<=", ">", ">=") and left in (BOOL, TEXT, LIST):
            raise ExprTypeError(f"{TYPE_LABELS[left]}不能比较大小", node.start, node.end)
        return BOOL

    def call(self, node: Call) -> str:
        spec = FUNCTIONS.get(node.func)
        if spec is None:
            hint = _suggest(node.func, list(FUNCTIONS)) or "可用函数见 docs/rule-format.md"
            raise ExprNameError(f"未知的函数 '{node.func}'", node.start, node.start + len(node.func), hint)
        count = len(node.args)
        if not spec.min_args <= count <= spec.max_args:
            want = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args}–{spec.max_args}"
            raise ExprTypeError(f"函数 {node.func} 需要 {want} 个参数，却给了 {count} 个", node.start, node.end, spec.doc)
        if node.func in ("exists", "coalesce") and not isinstance(node.args[0], Name):
            raise ExprTypeError(f"{node.func} 的第一个参数应为字段名", node.args[0].start, node.args[0].end, spec.doc)
        if node.func in ("min", "max") and self.is_list(node.args[0]) and count < 2:
            raise ExprTypeError(f"{node.func} 用于列表时还需给出取值，如 {node.func}({node.args[0].dotted if isinstance(node.args[0], Name) else '列表'}, 字段)",
                                node.start, node.end, spec.doc)
        if spec.aggregate or (node.func in ("min", "max") and self.is_list(node.args[0])):
            return self.aggregate(node, spec.returns)
        types = [self.check(arg) for arg in node.args]
        for arg, actual, wanted in zip(node.args, types, spec.arg_types, strict=False):
            self.require(arg, actual, wanted)
        if spec.vocab:
            self.vocab(node, spec.vocab)
        if node.func == "coalesce":
            return types[0] if types[0] != ANY else types[1]
        if node.func in ("min", "max"):
            for arg, actual in zip(node.args, types, strict=True):
                self.require(arg, actual, NUMBER)
        return spec.returns

    def is_list(self, node: Node) -> bool:
        return isinstance(node, Name) and self.lookup(node).type == LIST

    def aggregate(self, node: Call, returns: str) -> str:
        source = node.args[0]
        if not isinstance(source, Name) or self.lookup(source).type != LIST:
            raise ExprTypeError(f"{node.func} 的第一个参数应为列表字段", source.start, source.end, FUNCTIONS[node.func].doc)
        info = self.lookup(source)
        self.items.append(info.items)
        try:
            for index, arg in enumerate(node.args[1:], start=1):
                kind = self.check(arg)
                is_condition = node.func in ("count", "any", "all") or index == 2
                if is_condition:
                    self.require(arg, kind, BOOL)
                else:
                    self.require(arg, kind, NUMBER)
        finally:
            self.items.pop()
        return returns

    def vocab(self, node: Call, vocab: str) -> None:
        allowed: frozenset[str] = getattr(self.scope, vocab)
        label = _VOCAB_LABELS[vocab]
        string_args = node.args[:1] if node.func in ("evidence_count", "incidents") else node.args
        if node.func == "problems":
            string_args = node.args[:1]
        for arg in string_args:
            if not isinstance(arg, Str):
                raise ExprTypeError(f"{node.func} 的参数应为加引号的{label}", arg.start, arg.end)
            if allowed and arg.value not in allowed:
                hint = _suggest(arg.value, sorted(allowed)) or f"{label}须在 pack.yaml 的 {vocab} 中定义"
                raise ExprNameError(f"未知的{label} '{arg.value}'", arg.start, arg.end, hint)
        if node.func in ("evidence_count", "incidents") and len(node.args) == 2:
            self.require(node.args[1], self.check(node.args[1]), NUMBER)


def check(node: Node, scope: Scope) -> str:
    """Type-check ``node`` in ``scope``; returns its type or raises ``ExprError``."""
    return Checker(scope).check(node)


def names_used(node: Node) -> set[str]:
    """Top-level data-dictionary names a rule reads outside ``exists``/``coalesce`` guards and record scopes."""
    found: set[str] = set()

    def visit(n: Node, guarded: bool, in_items: bool) -> None:
        if isinstance(n, Name):
            if not guarded and not in_items:
                found.add(n.parts[0])
            return
        if isinstance(n, Call):
            spec = FUNCTIONS.get(n.func)
            if n.func in ("exists", "coalesce"):
                visit(n.args[0], True, in_items)
                for arg in n.args[1:]:
                    visit(arg, guarded, in_items)
                return
            if spec and (spec.aggregate or n.func in ("min", "max")) and n.args:
                visit(n.args[0], guarded, in_items)
                for arg in n.args[1:]:
                    visit(arg, guarded, True)
                return
            for arg in n.args:
                visit(arg, guarded, in_items)
            return
        if isinstance(n, BoolOp):
            for value in n.values:
                visit(value, guarded, in_items)
        elif isinstance(n, Binary | Compare):
            visit(n.left, guarded, in_items)
            visit(n.right, guarded, in_items)
        elif isinstance(n, Unary):
            visit(n.operand, guarded, in_items)
        elif isinstance(n, ListLit):
            for item in n.items:
                visit(item, guarded, in_items)

    visit(node, False, False)
    return found


_ = (DATE, TEXT)
