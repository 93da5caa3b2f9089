"""What a unit (创建单位) submits: identity, period, field values, evidence, inspections, surveys, incidents."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from schemas._base import Meta, Strict, meta_field

_CN_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$")


def _loose_date(value: Any) -> Any:
    """Officers write 2024/1/5, 2024.1.5, 2024-1-5 or 2024年1月5日 (also with full-width digits): read them as the ISO date.

    Anything else is left to pydantic, which rejects it with a located message (2024-13-01 does not exist).
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    match = _CN_DATE.match(text)
    if match is None:
        return text
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return text  # pydantic reports the impossible date with its location


Date = Annotated[dt.date, BeforeValidator(_loose_date)]


class Region(Strict):
    path: list[str] = Field(default_factory=list, description="区划路径，如 [某省, 某市, 某区, 某街道]")
    code: str | None = Field(default=None, pattern=r"^\d{12}$", description="12 位统计用区划代码")


class Identity(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[^/\\:*?\"<>|\s]+$")
    name: str = Field(min_length=1)
    type: str = Field(description="单位类型，须在测评体系的 unit_types 中")
    region: Region = Field(default_factory=Region)
    group: str | None = Field(default=None, description="竞赛组别")
    responsible: list[str] = Field(default_factory=list, description="责任单位/包保单位")
    contacts: dict[str, str] = Field(default_factory=dict, description="分管领导、联络员、资料员")


class Period(Strict):
    start: Date
    end: Date


class EvidenceItem(Strict):
    kind: str
    title: str
    date: Date | None = None
    file: str | None = Field(default=None, description="文件引用（相对单位数据所在文件夹）")
    caption: str | None = Field(default=None, description="图片文字说明")
    rule: str | None = Field(default=None, description="对应测评标准编号（可选）")


class Problem(Strict):
    type: str
    count: int = Field(default=1, ge=0)
    description: str | None = None


class Inspection(Strict):
    point_type: str
    point: str = Field(description="点位名称")
    address: str | None = None
    date: Date | None = None
    inspector: str | None = None
    sampled: int = Field(default=0, ge=0, description="抽查对象数")
    passed: int = Field(default=0, ge=0, description="合格对象数")
    problems: list[Problem] = Field(default_factory=list)


class Survey(Strict):
    topic: str
    sample: int = Field(ge=0, description="有效样本数")
    satisfied: int = Field(ge=0, description="满意/知晓/支持人数")
    group: str | None = None


class Incident(Strict):
    type: str
    date: Date
    level: str | None = None
    description: str | None = None


class Judgement(Strict):
    level: str | None = None
    points: float | None = Field(default=None, ge=0)
    note: str | None = None
    by: str | None = None


class Unit(Strict):
    schema_version: int = 1
    pack: str | None = Field(default=None, description="测评体系编号（可选，命令行 --pack 优先）")
    unit: Identity
    period: Period
    as_of: Date | None = Field(default=None, description="评测基准日；命令行 --as-of 优先")
    mode: str = Field(default="self", description="self 自评 / mock 模拟测评 / official 正式测评")
    fields: dict[str, Any] = Field(default_factory=dict)
    evidence: list[EvidenceItem] = Field(default_factory=list)
    inspections: list[Inspection] = Field(default_factory=list)
    surveys: list[Survey] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    judgements: dict[str, Judgement] = Field(default_factory=dict, description="人工判定：规则编号 → 判定")
    meta: Meta = meta_field()


class Waiver(Strict):
    unit: str = Field(description="单位编号，* 表示全部")
    rule: str = Field(description="规则编号，可用 * 通配")
    reason: str = Field(min_length=2)
    approved_by: str
    approved_at: Date
    expires: Date | None = Field(default=None, description="失效日期（含当日有效）")


class WaiverFile(Strict):
    waivers: list[Waiver]
