"""What names an expression may use: the pack's data dictionary, the rule's params and a few builtins."""

from __future__ import annotations

from dataclasses import dataclass, field

# Types known to the checker. "list" values are lists of records whose fields are ``items``.
NUMBER, TEXT, BOOL, DATE, LIST, ANY = "number", "text", "bool", "date", "list", "any"

FIELD_TYPE_TO_EXPR = {
    "integer": NUMBER, "number": NUMBER, "percent": NUMBER, "boolean": BOOL, "text": TEXT,
    "date": DATE, "enum": TEXT, "list": LIST,
}

BUILTIN_NAMES: dict[str, tuple[str, str]] = {
    "points": (NUMBER, "本条分值"),
    "分值": (NUMBER, "本条分值"),
    "as_of": (DATE, "评测基准日"),
    "period_start": (DATE, "测评周期开始日"),
    "period_end": (DATE, "测评周期结束日"),
}


@dataclass(frozen=True)
class NameInfo:
    type: str
    label: str
    unit: str | None = None
    items: dict[str, NameInfo] = field(default_factory=dict)
    values: tuple[str, ...] = ()


@dataclass
class Scope:
    """Names visible to an expression, plus the pack vocabularies string arguments are checked against."""

    names: dict[str, NameInfo] = field(default_factory=dict)
    point_types: frozenset[str] = frozenset()
    survey_topics: frozenset[str] = frozenset()
    evidence_kinds: frozenset[str] = frozenset()
    incident_types: frozenset[str] = frozenset()

    def with_params(self, params: dict[str, object]) -> Scope:
        extra = {
            name: NameInfo(TEXT if isinstance(value, str) else NUMBER, f"参数 {name}")
            for name, value in params.items()
        }
        return Scope({**self.names, **extra}, self.point_types, self.survey_topics, self.evidence_kinds, self.incident_types)
