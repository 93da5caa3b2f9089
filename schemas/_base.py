"""Shared base for every contract: unknown keys are errors, so a typo in a rule file never passes silently."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A model that forbids unknown keys (only an explicit ``meta:`` mapping may hold free data)."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True, allow_inf_nan=False)


Meta = dict[str, Any]


def meta_field() -> Any:
    """Free-form metadata: the one place where any key is allowed (e.g. ``uncertain: 阈值待核实``)."""
    return Field(default_factory=dict, description="自由元数据（唯一允许任意键的位置），如 uncertain: 阈值待核实")
