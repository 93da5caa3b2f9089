"""The in-memory form of a loaded pack: validated models plus parsed, checked expressions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evaluator.errors import Location
from evaluator.evalplan import pack_plan
from evaluator.expr import Expr
from evaluator.expr.scope import FIELD_TYPE_TO_EXPR, NameInfo, Scope
from evaluator.yamlio import LocatedDoc
from schemas.fixture import Case
from schemas.pack import CatalogueNode, FieldDef, PackFile, PackMeta
from schemas.rule import Rule
from schemas.tailoring import Tailoring

EXPR_KEYS = ("condition", "count", "value", "score")


@dataclass
class CompiledRule:
    rule: Rule
    location: Location
    exprs: dict[str, Expr] = field(default_factory=dict)
    applicable: Expr | None = None
    doc: LocatedDoc | None = None
    where: tuple[str | int, ...] = ()

    @property
    def id(self) -> str:
        return self.rule.id

    def expr(self, path: str) -> Expr:
        return self.exprs[path]

    def locate(self, *sub: str | int, key: bool = False) -> Location:
        """Location of a key or value inside this rule's YAML (falls back to the rule itself)."""
        if self.doc is None:
            return self.location
        return self.doc.locate((*self.where, *sub), key=key)


@dataclass
class NodeInfo:
    node: CatalogueNode
    depth: int
    parent: str | None
    location: Location


@dataclass
class LoadedCase:
    case: Case
    location: Location


@dataclass
class CompiledPack:
    root: Path
    file: PackFile
    rules: list[CompiledRule]
    scope: Scope
    content_hash: str
    nodes: dict[str, NodeInfo]
    cases: list[LoadedCase] = field(default_factory=list)
    tailoring: Tailoring | None = None
    rule_files: list[Path] = field(default_factory=list)
    doc: LocatedDoc | None = None
    plan_cache: Any = field(default=None, repr=False, compare=False)  # evaluator.evalplan.PackPlan, built on first use
    problem_types_cache: Any = field(default=None, repr=False, compare=False)  # evaluator.problem_vocab, on first use

    @property
    def meta(self) -> PackMeta:
        return self.file.pack

    @property
    def fields(self) -> dict[str, FieldDef]:
        return {f.name: f for f in self.file.fields}

    def rule(self, rule_id: str) -> CompiledRule | None:
        return pack_plan(self).rules_by_id.get(rule_id)

    def scored_rules(self) -> list[CompiledRule]:
        return [r for r in self.rules if r.rule.grading.model != "veto"]

    def veto_rules(self) -> list[CompiledRule]:
        return [r for r in self.rules if r.rule.grading.model == "veto"]

    def leaf_ancestors(self, code: str) -> list[str]:
        """``code`` and every ancestor, nearest first."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and current in self.nodes:
            chain.append(current)
            current = self.nodes[current].parent
        return chain


def scope_for(pack: PackFile) -> Scope:
    names: dict[str, NameInfo] = {}
    for f in pack.fields:
        items = {
            item.name: NameInfo(FIELD_TYPE_TO_EXPR[item.type], item.label or item.name, values=tuple(item.values or ()))
            for item in f.item_fields or []
        }
        names[f.name] = NameInfo(FIELD_TYPE_TO_EXPR[f.type], f.label or f.name, "%" if f.type == "percent" else f.unit, items)
    return Scope(
        names,
        point_types=frozenset(pack.point_types),
        survey_topics=frozenset(pack.survey_topics),
        evidence_kinds=frozenset(k.id for k in pack.evidence_kinds),
        incident_types=frozenset(pack.incident_types),
    )


def expression_slots(grading: BaseModel, prefix: str = "grading") -> Iterator[tuple[str, str]]:
    """Every expression string inside a grading block, with a dotted path such as ``grading.items.2.condition``."""
    for name in type(grading).model_fields:
        value: Any = getattr(grading, name)
        path = f"{prefix}.{name}"
        if name in EXPR_KEYS and isinstance(value, str):
            yield path, value
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from expression_slots(item, f"{path}.{index}")
        elif isinstance(value, BaseModel):
            yield from expression_slots(value, path)


def walk_catalogue(nodes: list[CatalogueNode], depth: int = 1, parent: str | None = None) -> Iterator[tuple[CatalogueNode, int, str | None, int]]:
    for index, node in enumerate(nodes):
        yield node, depth, parent, index
        yield from walk_catalogue(node.children, depth + 1, node.code)
