"""Tokenizer. Chinese identifiers are allowed; full-width punctuation and ≥ ≤ ≠ are accepted as users type them
(outside quoted text only: a literal keeps its characters as written)."""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.expr.errors import ExprSyntaxError

MAX_LENGTH = 2000

KEYWORDS = {"and", "or", "not", "in", "true", "false", "null", "且", "或", "非"}
KEYWORD_ALIASES = {"且": "and", "或": "or", "非": "not"}

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "，": ",", "【": "[", "】": "]", "＝": "=", "＜": "<", "＞": ">",
                            "＋": "+", "－": "-", "＊": "*", "／": "/", "．": ".", "“": '"', "”": '"', "‘": "'", "’": "'"})
_QUOTE_FAMILIES = {'"': '"“”', "'": "'‘’"}
_SYMBOL_ALIASES = {"≥": ">=", "≤": "<=", "≠": "!="}
_TWO_CHAR = {"==", "!=", "<=", ">=", "&&", "||", "**"}
_ONE_CHAR = set("()[],.+-*/<>=!%")


@dataclass(frozen=True)
class Token:
    kind: str  # NUM STR NAME OP KW END
    text: str
    start: int
    end: int


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def _closing_quote(source: str, start: int, family: str) -> int:
    """Index of the quote that closes a literal, or -1. Straight and curly quotes of one family close each other
    (officers type “…" as often as "…"); the literal's text is taken from the original source, so full-width
    punctuation inside it — '（情节严重）' — is kept exactly as written."""
    for j in range(start, len(source)):
        if source[j] in family:
            return j
    return -1


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_LENGTH:
        raise ExprSyntaxError(f"表达式过长（{len(source)} 个字符，上限 {MAX_LENGTH}）", 0, 1, "拆成多条规则或使用清单（checklist）模型")
    text = source.translate(_FULLWIDTH)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch.isdigit():
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            literal = text[i:j]
            if literal.count(".") > 1 or literal.endswith("."):
                raise ExprSyntaxError(f"数字写法不正确：'{literal}'", i, j, "数字如 13 或 13.5")
            if j < len(text) and _is_name_char(text[j]):
                hint = "且、或、非 前后要留空格" if text[j] in KEYWORD_ALIASES else "名称不能以数字开头；数字与名称之间用运算符隔开"
                raise ExprSyntaxError(f"数字后紧跟文字：'{text[i:j + 1]}'", i, j + 1, hint)
            tokens.append(Token("NUM", literal, i, j))
            i = j
            continue
        if ch in _QUOTE_FAMILIES:
            j = _closing_quote(source, i + 1, _QUOTE_FAMILIES[ch])
            if j < 0:
                raise ExprSyntaxError("引号未闭合", i, len(text), f"在文字结尾补上 {ch}")
            tokens.append(Token("STR", source[i + 1 : j], i, j + 1))
            i = j + 1
            continue
        if _is_name_start(ch):
            j = i
            while j < len(text) and _is_name_char(text[j]):
                j += 1
            word = text[i:j]
            if word in KEYWORDS:
                tokens.append(Token("KW", KEYWORD_ALIASES.get(word, word), i, j))
            else:
                tokens.append(Token("NAME", word, i, j))
            i = j
            continue
        if ch in _SYMBOL_ALIASES:
            tokens.append(Token("OP", _SYMBOL_ALIASES[ch], i, i + 1))
            i += 1
            continue
        pair = text[i : i + 2]
        if pair in _TWO_CHAR:
            tokens.append(Token("OP", pair, i, i + 2))
            i += 2
            continue
        if ch in _ONE_CHAR:
            tokens.append(Token("OP", ch, i, i + 1))
            i += 1
            continue
        raise ExprSyntaxError(f"无法识别的字符 '{ch}'", i, i + 1, "表达式只能包含名称、数字、文字（加引号）、运算符和括号")
    tokens.append(Token("END", "", len(text), len(text)))
    return tokens
