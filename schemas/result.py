"""The canonical result of a run. Every renderer reads these models; none recomputes a score."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas._base import Strict

SCHEMA_VERSION = 1

Outcome = Literal["pass", "partial", "fail", "missing", "not_applicable", "waived", "manual_pending", "error"]

OUTCOME_LABELS: dict[str, str] = {
    "pass": "符合",
    "partial": "部分符合",
    "fail": "不符合",
    "missing": "缺项",
    "not_applicable": "不适用",
    "waived": "豁免",
    "manual_pending": "待人工判定",
    "error": "无法评测",
}


class Check(Strict):
    """One evaluated sub-condition: what was looked at, what it was, what was required."""

    what: str
    observed: str
    expected: str
    ok: bool
    sentence: str


class MissingItem(Strict):
    kind: Literal["field", "evidence", "inspection", "survey", "judgement"]
    name: str
    detail: str


class WaiverInfo(Strict):
    reason: str
    approved_by: str
    approved_at: str
    expires: str | None = None
    expired: bool = False


class RectificationItem(Strict):
    rule_id: str
    code: str | None
    title: str
    node: str
    requirement: str
    role: str
    due: str
    severity: str
    points_recoverable: float
    problem: str


class DeficiencyItem(Strict):
    rule_id: str
    code: str | None
    title: str
    kind: str
    name: str
    detail: str
    period: str
    points_recoverable: float


class RuleResult(Strict):
    rule_id: str
    code: str | None
    title: str
    node: str
    method: str
    outcome: Outcome
    earned: float
    max: float
    lost: float
    level: str | None = None
    message: str
    checks: list[Check] = Field(default_factory=list)
    missing: list[MissingItem] = Field(default_factory=list)
    waiver: WaiverInfo | None = None
    earned_without_waiver: float | None = None
    error: str | None = None
    substituted: bool = False


class NodeScore(Strict):
    code: str
    title: str
    depth: int
    earned: float
    max: float
    rate: float


class MethodScore(Strict):
    method: str
    earned: float
    max: float
    weight: float | None
    weighted: float | None


class VetoHit(Strict):
    rule_id: str
    title: str
    incident: str
    date: str
    effect: str


class ComponentScore(Strict):
    id: str
    title: str
    score: float | None
    weight: float
    gate: float | None
    gate_passed: bool | None


class UnitSummary(Strict):
    id: str
    name: str
    type: str
    region: list[str]
    region_code: str | None
    group: str | None
    responsible: list[str]


class UnitResult(Strict):
    unit: UnitSummary
    period: str
    as_of: str
    total: float
    total_without_waivers: float
    base_score: float
    grade: str
    passed: bool
    disqualified: bool
    counts: dict[str, int]
    vetoes: list[VetoHit] = Field(default_factory=list)
    components: list[ComponentScore] = Field(default_factory=list)
    nodes: list[NodeScore]
    methods: list[MethodScore]
    rules: list[RuleResult]
    deficiencies: list[DeficiencyItem]
    rectifications: list[RectificationItem]
    notes: list[str] = Field(default_factory=list)


class PackRef(Strict):
    id: str
    title: str
    edition: str
    content_hash: str
    tailoring: str | None = None


class InputFile(Strict):
    """One file a run read, with its SHA-256: the audit trail from a result back to exactly the data scored."""

    path: str
    sha256: str
    bytes: int


class RunReport(Strict):
    schema_version: int = SCHEMA_VERSION
    tool: str = "civic"
    pack: PackRef
    as_of: str
    formula: str
    units: list[UnitResult]
    rejected: list[dict[str, str]] = Field(default_factory=list)
    #: Files read by ``civic batch`` (sorted by path); absent (not written) when a run does not record them.
    inputs: list[InputFile] | None = Field(default=None, exclude_if=lambda value: value is None)
