"""A rule (测评标准) and its grading models.

Every grading model of the real systems is a member of the ``Grading`` union, discriminated by
``model``. Expressions are stored as strings here; the evaluator parses them once at load time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas._base import Meta, Strict, meta_field

Expr = Annotated[str, Field(min_length=1, description="表达式（见 docs/rule-format.md 表达式语言）")]


class LevelStep(Strict):
    """One rung of a level ladder: reach ``min`` (count of items / passing samples) to earn ``level``."""

    level: str = Field(description="等级，如 A、B、C（须在 pack.levels 中定义）")
    min: int = Field(ge=0, description="达到该等级所需的最少符合项数/合格样本数")


class ProblemStep(Strict):
    """One rung of a problem-count ladder: at most ``max`` problems for ``level`` (A(0例) B(1例) …)."""

    level: str
    max: int = Field(ge=0, description="该等级允许的最多问题数（例）")


class Band(Strict):
    """A numeric band. Bands are tried in order; the first whose bounds all hold wins."""

    level: str | None = Field(default=None, description="命中时的等级（与 points 二选一）")
    points: float | None = Field(default=None, ge=0, description="命中时的得分（与 level 二选一）")
    at_least: float | None = Field(default=None, description="值 ≥ 此数")
    more_than: float | None = Field(default=None, description="值 > 此数")
    at_most: float | None = Field(default=None, description="值 ≤ 此数")
    less_than: float | None = Field(default=None, description="值 < 此数")

    @model_validator(mode="after")
    def _one_outcome(self) -> Band:
        if (self.level is None) == (self.points is None):
            raise ValueError("每个分档须且只能写 level 或 points 之一")
        return self


class ChecklistItem(Strict):
    """One of the n items of a k-of-n checklist."""

    id: str | None = None
    text: str = Field(description="该项的测评要求原文")
    condition: Expr = Field(description="该项符合的条件")
    method: str | None = Field(default=None, description="该项的测评方法（如与规则不同）")


class PassFail(Strict):
    """符合/不符合：the condition holds → full points, else 0."""

    model: Literal["pass_fail"]
    condition: Expr


class Checklist(Strict):
    """k-of-n → level ladder (文明村镇 "5项=A, 4项=B, 3项=C, 其余=C#")."""

    model: Literal["checklist"]
    items: list[ChecklistItem] = Field(min_length=1)
    ladder: list[LevelStep] = Field(min_length=1, description="从高到低的等级阶梯")
    otherwise: str = Field(default="C#", description="未达到任何阶梯时的等级")


class Sample(Strict):
    """Sampled objects passing → ladder (上海小区道路 "抽查5条，5条符合A，4条B，其余C")."""

    model: Literal["sample"]
    point_type: str = Field(description="点位类型：取单位数据 inspections 中该类型的检查记录")
    min_sampled: int = Field(default=1, ge=1, description="至少应抽查的对象数，不足视为缺项")
    ladder: list[LevelStep] = Field(min_length=1, description="按合格对象数的等级阶梯（从高到低）")
    otherwise: str = "C#"


class ProblemCount(Strict):
    """Count of problems (例) → level (街道文化站 "A(0例) B(1例) C(2例) C#(3例)")."""

    model: Literal["problem_count"]
    count: Expr = Field(description="问题数的表达式，常用 problems('点位类型', '问题类型')")
    ladder: list[ProblemStep] = Field(min_length=1, description="从 A 起，每档允许的最多问题数")
    otherwise: str = "C#"


class Bands(Strict):
    """Numeric value → level or points ("API<100的天数 A>85%, B>80%, C≤80%")."""

    model: Literal["bands"]
    value: Expr
    bands: list[Band] = Field(min_length=1)
    otherwise: str | float = Field(default="C#", description="无分档命中时的等级或得分")


class Deduction(Strict):
    """每发现一处扣 X 分，扣完为止 (with an optional cap on the total deduction)."""

    model: Literal["deduction"]
    count: Expr = Field(description="问题处数的表达式")
    per: float = Field(gt=0, description="每处扣分")
    cap: float | None = Field(default=None, gt=0, description="最多扣分（默认为本条分值，即扣完为止）")


class Linear(Strict):
    """Linear between two thresholds: 0 points at ``zero_at``, full points at ``full_at`` (either direction)."""

    model: Literal["linear"]
    value: Expr
    zero_at: float
    full_at: float

    @model_validator(mode="after")
    def _distinct(self) -> Linear:
        if self.zero_at == self.full_at:
            raise ValueError("zero_at 与 full_at 不能相等")
        return self


class Formula(Strict):
    """得分 = expression (e.g. 播出数量/4×分值), clamped to [0, points]. ``points`` is a name in scope."""

    model: Literal["formula"]
    score: Expr


class Part(Strict):
    """A named sub-measure of worst_of/best_of."""

    name: str
    grading: Grading


class Combine(Strict):
    """worst_of / best_of over sub-measures (病媒 C级: the vector level is the worst of 鼠/蚊/蝇/蟑)."""

    model: Literal["worst_of", "best_of"]
    parts: list[Part] = Field(min_length=2)


class VetoEffect(Strict):
    """What a veto incident does to the unit's total."""

    disqualify: bool = Field(default=False, description="取消资格（一票否决）")
    deduct: float | None = Field(default=None, gt=0, description="从总分中扣除的分数")
    cap: float | None = Field(default=None, ge=0, description="总分封顶")


class Veto(Strict):
    """负面清单/一票否决: an incident of the listed types inside the look-back window triggers ``effect``."""

    model: Literal["veto"]
    incident_types: list[str] = Field(min_length=1)
    lookback_months: int = Field(ge=1, le=120, description="回溯月数（相对 as_of）")
    min_level: str | None = Field(default=None, description="事件等级至少为（如 重大）；不填则任何等级均触发")
    effect: VetoEffect


class Manual(Strict):
    """A judgement entered by a person (整体观察, 问卷 by reviewers). Absent → manual_pending."""

    model: Literal["manual"]
    guidance: str | None = Field(default=None, description="给测评员的判定指引")


Grading = Annotated[
    PassFail | Checklist | Sample | ProblemCount | Bands | Deduction | Linear | Formula | Combine | Veto | Manual,
    Field(discriminator="model"),
]
Part.model_rebuild()

GRADING_MODELS = (
    "pass_fail", "checklist", "sample", "problem_count", "bands",
    "deduction", "linear", "formula", "worst_of", "best_of", "veto", "manual",
)


class EvidenceWindow(Strict):
    """Date window an evidence item must fall in. Default: the assessment period."""

    within: Literal["period", "months_before_as_of", "any"] = "period"
    months: int | None = Field(default=None, ge=1, le=120, description="within=months_before_as_of 时的月数")


class EvidenceRequirement(Strict):
    kind: str = Field(description="材料类型（须在 pack 的 evidence_kinds 中定义）")
    min_count: int = Field(default=1, ge=1)
    window: EvidenceWindow = Field(default_factory=EvidenceWindow)
    caption_required: bool = Field(default=False, description="图片须有文字说明（时间、地点、人物、主题）")
    note: str | None = None


class Rectification(Strict):
    requirement: str = Field(description="整改要求")
    role: str = Field(description="责任岗位/部门，如 办公室、联络员")
    deadline_days: int = Field(ge=0, le=3650, description="整改期限（天），到期日 = as_of + 天数")
    severity: Literal["高", "中", "低"] = "中"


class Source(Strict):
    document: str = Field(description="出处文件名称")
    clause: str | None = Field(default=None, description="条款编号/位置")
    ref: str | None = Field(default=None, description="资料编号，如 SRC-DU12")


class Rule(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", description="稳定编号，不随版本变动")
    code: str | None = Field(default=None, description="官方条款编号，如 Ⅲ-12-3")
    node: str = Field(description="所属测评目录节点（catalogue 中的 code）")
    title: str
    text: str | None = Field(default=None, description="测评标准原文")
    points: float = Field(ge=0, le=1000)
    method: str = Field(description="测评方法（须在 pack.methods 中）")
    applies_to: list[str] = Field(default_factory=list, description="适用单位类型；空表示全部")
    applicable_if: Expr | None = Field(default=None, description="适用条件表达式；为假时本条不适用")
    params: dict[str, float | int | str] = Field(default_factory=dict, description="可被地方细则覆盖的参数（阈值等），表达式中按名引用")
    evidence: list[EvidenceRequirement] = Field(default_factory=list)
    grading: Grading
    na_substitute: Literal["none", "peer_average"] = Field(default="none", description="不适用时是否以同批平均得分替代")
    rectification: Rectification | None = None
    source: Source
    status: Literal["draft", "stable", "deprecated"] = "stable"
    meta: Meta = meta_field()


class RuleFile(Strict):
    """A file under ``rules/<pack>/rules/``: a list of rules."""

    rules: list[Rule] = Field(min_length=1)
