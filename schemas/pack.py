"""A rule pack (测评体系): metadata, the catalogue tree, the data dictionary and evidence kinds.

A pack lives in ``rules/<pack-id>/``: ``pack.yaml`` (this model), ``rules/*.yaml`` (rule lists),
``fixtures/*.yaml`` (test cases) and ``samples/*.yaml`` (sample units).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from schemas._base import Meta, Strict, meta_field
from schemas.rule import Source

FieldType = Literal["integer", "number", "percent", "boolean", "text", "date", "enum", "list"]


class Grade(Strict):
    label: str = Field(description="等级名称，如 优秀、达标")
    min: float = Field(ge=0, description="总分达到此分即为该等级")


class CatalogueNode(Strict):
    """测评项目 → 测评内容 → 测评标准. ``points`` of children must add up to the parent."""

    code: str = Field(description="目录编号，如 1、1-2、Ⅲ-12")
    title: str
    points: float = Field(ge=0)
    bonus: bool = Field(default=False, description="奖励分节点：不计入满分分母，另设封顶")
    children: list[CatalogueNode] = Field(default_factory=list)


class ItemField(Strict):
    name: str
    type: FieldType
    label: str | None = None
    values: list[str] | None = None


class FieldDef(Strict):
    """One entry of the data dictionary: what a unit submits."""

    name: str = Field(description="字段名（可用中文），表达式中按此名引用")
    type: FieldType
    label: str | None = Field(default=None, description="中文标签；默认同 name")
    unit: str | None = Field(default=None, description="计量单位，如 人、次、%")
    description: str | None = None
    required: bool = Field(default=False, description="必填：缺失时单位数据校验报错（而非仅缺项）")
    min: float | None = None
    max: float | None = None
    values: list[str] | None = Field(default=None, description="enum 的可选值")
    item_fields: list[ItemField] | None = Field(default=None, description="list 类型中每条记录的字段")
    unit_types: list[str] = Field(default_factory=list, description="仅这些单位类型需要填报；空表示全部")

    @model_validator(mode="after")
    def _shape(self) -> FieldDef:
        if self.type == "enum" and not self.values:
            raise ValueError("enum 类型的字段须列出 values")
        if self.type == "list" and not self.item_fields:
            raise ValueError("list 类型的字段须列出 item_fields")
        return self


class EvidenceKind(Strict):
    id: str = Field(description="材料类型编号（中文可），如 年度方案、会议纪要、活动照片")
    label: str | None = None
    description: str | None = None


class Gate(Strict):
    at_least: float
    effect: Literal["disqualify"] = "disqualify"


class Component(Strict):
    """Another assessment counted into this pack's total (未成年人 20 %, gate ≥ 85)."""

    id: str
    title: str
    score: str = Field(description="该组成部分得分的表达式（通常是数据字典中的一个字段）")
    weight: float = Field(gt=0, lt=1, description="计入总分的权重，如 0.2")
    gate: Gate | None = None


class Composite(Strict):
    components: list[Component] = Field(min_length=1)


class Escalation(Strict):
    """When an open finding is escalated (通报/约谈)."""

    overdue_days: int = Field(default=15, ge=0, description="逾期超过此天数即升级")
    consecutive_failures: int = Field(default=2, ge=2, description="连续此数轮未通过即升级")
    action: str = Field(default="通报", description="升级措施，如 通报、约谈")


class PackMeta(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", description="包编号，小写字母数字")
    title: str
    edition: str
    source: Source
    issuer: str | None = Field(default=None, description="发布/测评机关，如 中央文明办")
    scope: Literal["unit", "city", "point"] = Field(default="unit", description="测评对象层级")
    unit_types: list[str] = Field(min_length=1)
    full_marks: float = Field(gt=0)
    pass_mark: float = Field(ge=0)
    bonus_cap: float = Field(default=0, ge=0, description="奖励分封顶")
    grades: list[Grade] = Field(default_factory=list, description="从高到低的等级划分")
    levels: dict[str, float] = Field(
        default_factory=lambda: {"A": 1.0, "B": 0.66, "C": 0.33, "C#": 0.0},
        description="等级 → 得分比例（状态描述法 A/B/C/C# = 100%/66%/33%/0）",
    )
    methods: list[str] = Field(min_length=1, description="本体系使用的测评方法")
    method_weights: dict[str, float] | None = Field(default=None, description="各方法满分权重，如 材料审核 40 实地考察 40 问卷调查 20")
    na_policy: Literal["rescale", "full_marks"] = Field(
        default="rescale", description="不适用条目：rescale 从分母剔除后折算；full_marks 视为满分"
    )
    composite: Composite | None = None
    escalation: Escalation = Field(default_factory=Escalation)
    meta: Meta = meta_field()

    @model_validator(mode="after")
    def _consistent(self) -> PackMeta:
        if self.pass_mark > self.full_marks:
            raise ValueError(f"pass_mark（{self.pass_mark:g}）不能高于 full_marks（{self.full_marks:g}）")
        if self.method_weights is not None:
            unknown = sorted(set(self.method_weights) - set(self.methods))
            if unknown:
                raise ValueError(f"method_weights 中的方法 {unknown} 不在 methods 中")
        return self


class PackFile(Strict):
    """``rules/<pack>/pack.yaml``."""

    pack: PackMeta
    catalogue: list[CatalogueNode] = Field(min_length=1)
    fields: list[FieldDef] = Field(default_factory=list)
    evidence_kinds: list[EvidenceKind] = Field(default_factory=list)
    incident_types: list[str] = Field(default_factory=list, description="veto 规则可引用的事件类型")
    point_types: list[str] = Field(default_factory=list, description="实地考察点位类型")
    survey_topics: list[str] = Field(default_factory=list, description="问卷调查题目/指标")
