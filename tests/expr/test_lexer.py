"""Tokenizer: Chinese names, Chinese keywords, full-width punctuation, ≥ ≤ ≠, and located errors."""

from __future__ import annotations

import pytest

from evaluator.expr.errors import ExprSyntaxError
from evaluator.expr.lexer import MAX_LENGTH, tokenize


def kinds(source: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(source)]


def test_chinese_names_numbers_and_strings() -> None:
    """A Chinese field name, a decimal number and a quoted text are one token each, then END."""
    assert kinds("注册志愿者人数 >= 13.5 and 类别 == '机关'") == [
        ("NAME", "注册志愿者人数"), ("OP", ">="), ("NUM", "13.5"), ("KW", "and"),
        ("NAME", "类别"), ("OP", "=="), ("STR", "机关"), ("END", ""),
    ]


def test_chinese_keywords_are_aliases() -> None:
    """且、或、非 are read as and、or、not."""
    assert kinds("非 有方案 且 有制度 或 有方案") == [
        ("KW", "not"), ("NAME", "有方案"), ("KW", "and"), ("NAME", "有制度"), ("KW", "or"), ("NAME", "有方案"), ("END", ""),
    ]


@pytest.mark.parametrize(("typed", "meant"), [("≥", ">="), ("≤", "<="), ("≠", "!=")])
def test_math_symbols(typed: str, meant: str) -> None:
    """≥ ≤ ≠ as typed by Chinese input methods are the usual operators."""
    assert kinds(f"占比 {typed} 13")[1] == ("OP", meant)


def test_full_width_punctuation() -> None:
    """（ ） ， “ ” ＜ ＞ ＝ ＋ － ＊ ／ 【 】 typed with a Chinese IME work like their ASCII forms."""
    assert kinds("count（活动记录，类型 ＝＝ “春节”）＋1") == kinds('count(活动记录,类型 == "春节")+1')
    assert kinds("【１，２】")[0] == ("OP", "[")
    assert kinds("a ＜＝ b")[1] == ("OP", "<=")


def test_quoted_text_keeps_full_width_punctuation() -> None:
    """Inside quotes nothing is translated: '违法（情节严重）' must match the data as written, not '违法(情节严重)'."""
    assert kinds("类型 == “违法（情节严重），罚款”") == [("NAME", "类型"), ("OP", "=="), ("STR", "违法（情节严重），罚款"), ("END", "")]
    assert kinds("类型 == '１２＋３'")[2] == ("STR", "１２＋３")


def test_straight_and_curly_quotes_close_each_other() -> None:
    """“…" and "…” are both one literal: officers mix the IME's quotes with straight ones."""
    assert kinds('a == “春节"')[2] == ("STR", "春节")
    assert kinds("a == ‘春节'")[2] == ("STR", "春节")


def test_full_width_digits_are_numbers() -> None:
    """Full-width digits (１２) read as a number."""
    assert kinds("１２")[0][0] == "NUM"


def test_spans_are_character_offsets() -> None:
    """Each token knows its start and end inside the text, for carets under the exact spot."""
    tokens = tokenize("职工人数 >= 10")
    assert [(t.start, t.end) for t in tokens] == [(0, 4), (5, 7), (8, 10), (10, 10)]


def test_two_char_operators_before_one_char() -> None:
    """== != <= >= are single tokens; ** && || are tokens too so the parser can explain them."""
    assert [t.text for t in tokenize("a==b!=c<=d>=e**f&&g||h")][1::2] == ["==", "!=", "<=", ">=", "**", "&&", "||", ""]


@pytest.mark.parametrize(("source", "message"), [
    ("1.2.3", "数字写法不正确"),
    ("12. + 1", "数字写法不正确"),
    ("3个", "数字后紧跟文字"),
    ("'未闭合", "引号未闭合"),
    ("a @ b", "无法识别的字符 '@'"),
    ("a $ b", "无法识别的字符 '$'"),
    ("a；b", "无法识别的字符 '；'"),
])
def test_errors_say_what_was_found(source: str, message: str) -> None:
    """Bad input raises ExprSyntaxError with a Chinese message and the offending span."""
    with pytest.raises(ExprSyntaxError) as info:
        tokenize(source)
    assert message in info.value.message
    assert 0 <= info.value.start < info.value.end <= len(source)


def test_number_glued_to_chinese_keyword_explains_spaces() -> None:
    """``4且`` is a common slip: the hint says to put spaces around 且/或/非."""
    with pytest.raises(ExprSyntaxError) as info:
        tokenize("活动次数 >= 4且有方案")
    assert "留空格" in (info.value.hint or "")


def test_length_limit_is_exact() -> None:
    """Exactly MAX_LENGTH characters are accepted; one more is rejected before any work is done."""
    assert tokenize("1" * MAX_LENGTH)[0].kind == "NUM"
    with pytest.raises(ExprSyntaxError) as info:
        tokenize("1" * (MAX_LENGTH + 1))
    assert "过长" in info.value.message


def test_whitespace_only_gives_only_end() -> None:
    """Blank text has no tokens but END (the parser then reports an empty expression)."""
    assert kinds("  \t ") == [("END", "")]
