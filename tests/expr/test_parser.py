"""Parser: precedence, spans, the operators it refuses (with reasons), and its depth limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluator.expr.errors import ExprSyntaxError
from evaluator.expr.nodes import Binary, BoolOp, Call, Compare, Const, ListLit, Name, Num, Str, Unary, walk
from evaluator.expr.parser import MAX_DEPTH, MAX_LINKS, parse


def test_arithmetic_precedence_and_left_association() -> None:
    """* and / bind tighter than + and -; equal operators group to the left."""
    tree = parse("1 + 2 * 3 - 4")
    assert isinstance(tree, Binary) and tree.op == "-"
    assert isinstance(tree.left, Binary) and tree.left.op == "+"
    assert isinstance(tree.left.right, Binary) and tree.left.right.op == "*"


def test_boolean_precedence() -> None:
    """not binds tighter than and, and tighter than or; and/or chains are flat."""
    tree = parse("not a and b or c and d and e")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    first, second = tree.values
    assert isinstance(first, BoolOp) and first.op == "and" and isinstance(first.values[0], Unary)
    assert isinstance(second, BoolOp) and len(second.values) == 3


def test_comparisons_and_membership() -> None:
    """Every comparison operator, in and not in, with a list literal on the right."""
    for op in ("==", "!=", "<", "<=", ">", ">="):
        tree = parse(f"a {op} 1")
        assert isinstance(tree, Compare) and tree.op == op
    tree = parse("类别 not in ['机关', '企业']")
    assert isinstance(tree, Compare) and tree.op == "not in"
    assert isinstance(tree.right, ListLit) and [i.value for i in tree.right.items] == ["机关", "企业"]  # type: ignore[attr-defined]


def test_literals() -> None:
    """Numbers are exact Decimals; true/false/null are constants; texts keep their content."""
    assert parse("0.1") == Num(0, 3, Decimal("0.1"))
    assert parse("true") == Const(0, 4, True) and parse("null") == Const(0, 4, None)
    assert parse("'春节'") == Str(0, 4, "春节")
    assert parse("[]") == ListLit(0, 2, ())


def test_calls_and_dotted_names() -> None:
    """A function call keeps its arguments; a dotted path is one Name."""
    tree = parse("count(活动记录, 参与人数 >= 10)")
    assert isinstance(tree, Call) and tree.func == "count" and len(tree.args) == 2
    name = parse("单位.地址.街道")
    assert isinstance(name, Name) and name.parts == ("单位", "地址", "街道") and name.dotted == "单位.地址.街道"


def test_spans_cover_the_source() -> None:
    """Every node's span lies inside the text; the root spans the whole expression."""
    source = "ratio(注册人数, 职工人数) >= 目标占比 且 非 有制度"
    tree = parse(source)
    assert (tree.start, tree.end) == (0, len(source))
    for node in walk(tree):
        assert 0 <= node.start <= node.end <= len(source)


@pytest.mark.parametrize(("source", "message", "hint"), [
    ("10**10**10 > 1", "不支持乘方运算", "x * x"),
    ("a % 2", "不支持 % 运算", "百分比"),
    ("a && b", "不支持 &&", "and"),
    ("a || b", "不支持 ||", "or"),
    ("活动次数 = 1", "单个等号不是比较运算", "=="),
    ("!a", "不支持 !", "not"),
])
def test_rejected_operators_explain_the_alternative(source: str, message: str, hint: str) -> None:
    """Operators from other languages are refused with the civic way to write them."""
    with pytest.raises(ExprSyntaxError) as info:
        parse(source)
    assert message in info.value.message and hint in (info.value.hint or "")


@pytest.mark.parametrize(("source", "message"), [
    ("__import__('os')", "名称不能以下划线开头"),
    ("职工人数.__class__", "名称不能以下划线开头"),
    ("a._b", "名称不能以下划线开头"),
    ("单位简称.upper()", "不允许调用属性方法"),
    ("", "表达式是空的"),
    ("a b", "多余的内容"),
    ("a < b < c", "不能连写比较"),
    ("count(活动记录", "结尾缺少右括号"),
    ("(1 + 2", "结尾缺少右括号"),
    ("[1, 2", "结尾缺少右方括号"),
    ("1 +", "结尾缺少名称、数字或括号"),
    ("a.", "点号 . 后应为字段名"),
    ("(1 ]", "此处应为右括号"),
    ("[1,]", "此处应为名称、数字或括号"),
])
def test_syntax_errors(source: str, message: str) -> None:
    """Each malformed expression raises ExprSyntaxError with a Chinese message naming the problem."""
    with pytest.raises(ExprSyntaxError) as info:
        parse(source)
    assert message in info.value.message


def test_nesting_limit_is_exact() -> None:
    """MAX_DEPTH levels of parentheses parse; one more is refused."""
    assert isinstance(parse("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH), Num)
    with pytest.raises(ExprSyntaxError) as info:
        parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    assert "嵌套超过" in info.value.message


def test_not_and_minus_count_towards_depth() -> None:
    """Repeated not / unary minus nest too, so they are bounded by the same limit."""
    with pytest.raises(ExprSyntaxError):
        parse("not " * (MAX_DEPTH + 1) + "a")
    with pytest.raises(ExprSyntaxError):
        parse("-" * (MAX_DEPTH + 1) + "1")


def test_long_operator_chain_is_bounded() -> None:
    """``1+1+…`` nests one level per operator: MAX_LINKS are fine, more are refused (no RecursionError later)."""
    assert isinstance(parse("+".join(["1"] * (MAX_LINKS + 1))), Binary)
    with pytest.raises(ExprSyntaxError) as info:
        parse("+".join(["1"] * (MAX_LINKS + 2)))
    assert "运算超过" in info.value.message


def test_chain_budget_is_per_path() -> None:
    """Separate chains inside function arguments each get the full budget."""
    half = "+".join(["1"] * 60)
    assert isinstance(parse(f"max({half}, {half}) > 0"), Compare)
