"""A local overlay (地方细则) applied on top of a national pack without editing it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas._base import Strict


class RuleChange(Strict):
    points: float | None = Field(default=None, ge=0)
    params: dict[str, float | int | str] = Field(default_factory=dict)
    deadline_days: int | None = Field(default=None, ge=0)
    severity: Literal["高", "中", "低"] | None = None


class Tailoring(Strict):
    id: str
    title: str
    pack: str = Field(description="所覆盖的测评体系编号")
    unselect: list[str] = Field(default_factory=list, description="不采用的规则编号")
    select: list[str] = Field(default_factory=list, description="额外采用的（草稿）规则编号")
    pass_mark: float | None = None
    rules: dict[str, RuleChange] = Field(default_factory=dict)


class TailoringFile(Strict):
    tailoring: Tailoring
