"""AST of the expression language. Nodes are frozen dataclasses with the source span they came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Num(Node):
    value: Decimal


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Const(Node):
    value: bool | None


@dataclass(frozen=True)
class Name(Node):
    """A field path: ``志愿者人数`` or ``活动记录.类型`` (dotted parts)."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and / or
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    children: tuple[Node, ...] = ()
    if isinstance(node, ListLit):
        children = node.items
    elif isinstance(node, Unary):
        children = (node.operand,)
    elif isinstance(node, Binary | Compare):
        children = (node.left, node.right)
    elif isinstance(node, BoolOp):
        children = node.values
    elif isinstance(node, Call):
        children = node.args
    for child in children:
        yield from walk(child)
