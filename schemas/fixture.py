"""Rule fixtures (``rules/<pack>/fixtures/*.yaml``): unit data snippets with the expected result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from schemas._base import Strict
from schemas.result import Outcome


class Expect(Strict):
    outcome: Outcome
    points: float | None = None
    level: str | None = None
    missing: list[str] | None = Field(default=None, description="期望的缺项名称（字段名或材料类型）")


class Case(Strict):
    name: str
    rule: str
    unit_type: str | None = None
    as_of: dt.date | None = None
    data: dict[str, Any] = Field(default_factory=dict, description="与单位数据同结构的片段：fields/evidence/inspections/...")
    expect: Expect
    todo: bool = Field(default=False, description="已知缺口：失败不计")


class FixtureFile(Strict):
    cases: list[Case] = Field(min_length=1)
