"""Recursive-descent parser with a depth limit. No Python ``eval``/``compile`` anywhere."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from evaluator.expr.errors import ExprSyntaxError
from evaluator.expr.lexer import Token, tokenize
from evaluator.expr.nodes import Binary as BinaryNode
from evaluator.expr.nodes import BoolOp, Call, Compare, Const, ListLit, Name, Node, Num, Str, Unary

MAX_DEPTH = 40
MAX_LINKS = 100  # arithmetic operators along one path of the tree
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}
_REJECTED = {
    "**": ("不支持乘方运算 **", "如需平方请写成 x * x"),
    "%": ("不支持 % 运算", "百分比字段直接写数值，如 占比 >= 13 表示 ≥13%"),
    "&&": ("不支持 &&", "请写 and（或 且）"),
    "||": ("不支持 ||", "请写 or（或 或）"),
    "=": ("单个等号不是比较运算", "比较相等请写 =="),
    "!": ("不支持 !", "取反请写 not（或 非）"),
}


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0
        self.links = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str, what: str) -> Token:
        if self.tok.text != text or self.tok.kind not in ("OP", "KW"):
            if self.tok.kind == "END":
                raise ExprSyntaxError(f"表达式不完整：结尾缺少{what}", self.tok.start, self.tok.start + 1, "检查括号是否成对")
            raise ExprSyntaxError(f"此处应为{what}，实际是 '{self.tok.text}'", self.tok.start, max(self.tok.end, self.tok.start + 1))
        return self.advance()

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprSyntaxError(f"表达式嵌套超过 {MAX_DEPTH} 层", token.start, token.end, "拆分为更简单的条件")

    def parse(self) -> Node:
        if self.tok.kind == "END":
            raise ExprSyntaxError("表达式是空的", 0, 1)
        node = self.or_expr()
        if self.tok.kind != "END":
            self.reject_operator(self.tok)
            raise ExprSyntaxError(f"多余的内容 '{self.tok.text}'", self.tok.start, self.tok.end, "检查是否漏写了 and/or 或运算符")
        return node

    def reject_operator(self, token: Token) -> None:
        if token.kind == "OP" and token.text in _REJECTED:
            message, hint = _REJECTED[token.text]
            raise ExprSyntaxError(message, token.start, token.end, hint)

    def or_expr(self) -> Node:
        return self.bool_chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self.bool_chain("and", self.not_expr)

    def bool_chain(self, op: str, operand: Callable[[], Node]) -> Node:
        first = operand()
        values = [first]
        while self.tok.kind == "KW" and self.tok.text == op:
            self.advance()
            values.append(operand())
        if len(values) == 1:
            return first
        return BoolOp(first.start, values[-1].end, op, tuple(values))

    def not_expr(self) -> Node:
        if self.tok.kind == "KW" and self.tok.text == "not":
            token = self.advance()
            self.enter(token)
            operand = self.not_expr()
            self.depth -= 1
            return Unary(token.start, operand.end, "not", operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        token = self.tok
        op: str | None = None
        if token.kind == "OP" and token.text in _COMPARE:
            op = token.text
            self.advance()
        elif token.kind == "KW" and token.text == "in":
            op = "in"
            self.advance()
        elif token.kind == "KW" and token.text == "not" and self.tokens[self.pos + 1].text == "in":
            op = "not in"
            self.pos += 2
        if op is None:
            self.reject_operator(token)
            return left
        right = self.additive()
        if self.tok.kind == "OP" and self.tok.text in _COMPARE:
            raise ExprSyntaxError("不能连写比较（如 a < b < c）", self.tok.start, self.tok.end, "写成 a < b and b < c")
        return Compare(left.start, right.end, op, left, right)

    def additive(self) -> Node:
        return self.chain(("+", "-"), self.multiplicative)

    def multiplicative(self) -> Node:
        node = self.chain(("*", "/"), self.unary)
        self.reject_operator(self.tok) if self.tok.text in ("**", "%") else None
        return node

    def chain(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        """``a + b + c`` nests to the left, one level per operator: count them, so evaluation never recurses too deep."""
        node = operand()
        links = 0
        try:
            while self.tok.kind == "OP" and self.tok.text in ops:
                token = self.advance()
                links += 1
                self.links += 1
                if self.links > MAX_LINKS:
                    raise ExprSyntaxError(f"一个算式中的运算超过 {MAX_LINKS} 个", token.start, token.end, "拆成几个字段或几条规则")
                right = operand()
                node = BinaryNode(node.start, right.end, token.text, node, right)
        finally:
            self.links -= links
        return node

    def unary(self) -> Node:
        if self.tok.kind == "OP" and self.tok.text == "-":
            token = self.advance()
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            return Unary(token.start, operand.end, "-", operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.tok
        if token.kind == "NUM":
            self.advance()
            try:
                return Num(token.start, token.end, Decimal(token.text))
            except InvalidOperation as exc:  # pragma: no cover - the lexer only passes digits and one dot
                raise ExprSyntaxError(f"数字写法不正确：'{token.text}'", token.start, token.end) from exc
        if token.kind == "STR":
            self.advance()
            return Str(token.start, token.end, token.text)
        if token.kind == "KW" and token.text in ("true", "false", "null"):
            self.advance()
            return Const(token.start, token.end, {"true": True, "false": False, "null": None}[token.text])
        if token.kind == "NAME":
            return self.name_or_call()
        if token.kind == "OP" and token.text == "(":
            self.advance()
            self.enter(token)
            inner = self.or_expr()
            self.depth -= 1
            self.expect(")", "右括号“)”")
            return inner
        if token.kind == "OP" and token.text == "[":
            return self.list_literal()
        self.reject_operator(token)
        if token.kind == "END":
            raise ExprSyntaxError("表达式不完整：结尾缺少名称、数字或括号", token.start, token.start + 1, "检查运算符后面是否漏写了内容")
        raise ExprSyntaxError(f"此处应为名称、数字或括号，实际是 '{token.text}'", token.start, max(token.end, token.start + 1))

    def name_or_call(self) -> Node:
        first = self.advance()
        parts = [first.text]
        end = first.end
        while self.tok.kind == "OP" and self.tok.text == ".":
            self.advance()
            if self.tok.kind != "NAME":
                raise ExprSyntaxError("点号 . 后应为字段名", self.tok.start, max(self.tok.end, self.tok.start + 1))
            part = self.advance()
            parts.append(part.text)
            end = part.end
        for piece in parts:
            if piece.startswith("_"):
                raise ExprSyntaxError(f"名称不能以下划线开头：'{piece}'", first.start, end, "表达式只能引用数据字典中的字段")
        if self.tok.kind == "OP" and self.tok.text == "(":
            if len(parts) > 1:
                raise ExprSyntaxError(f"不允许调用属性方法 '{'.'.join(parts)}(...)'", first.start, end, "只能调用内置函数，如 count(...)")
            open_tok = self.advance()
            self.enter(open_tok)
            args: list[Node] = []
            if not (self.tok.kind == "OP" and self.tok.text == ")"):
                args.append(self.or_expr())
                while self.tok.kind == "OP" and self.tok.text == ",":
                    self.advance()
                    args.append(self.or_expr())
            self.depth -= 1
            close = self.expect(")", "右括号“)”或逗号“,”")
            return Call(first.start, close.end, parts[0], tuple(args))
        return Name(first.start, end, tuple(parts))

    def list_literal(self) -> Node:
        open_tok = self.advance()
        self.enter(open_tok)
        items: list[Node] = []
        if not (self.tok.kind == "OP" and self.tok.text == "]"):
            items.append(self.or_expr())
            while self.tok.kind == "OP" and self.tok.text == ",":
                self.advance()
                items.append(self.or_expr())
        self.depth -= 1
        close = self.expect("]", "右方括号“]”")
        return ListLit(open_tok.start, close.end, tuple(items))


def parse(source: str) -> Node:
    """Parse an expression or raise ``ExprSyntaxError`` with the offending span."""
    return _Parser(source).parse()
