"""The whitelist of functions an expression may call. Anything not in ``FUNCTIONS`` is a load-time error.

Aggregates (``count``, ``sum`` …) take a list field first; their other arguments are evaluated once per
record, where the record's own fields are in scope before the unit's fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.expr.scope import ANY, BOOL, DATE, LIST, NUMBER, TEXT


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int
    returns: str
    doc: str
    aggregate: bool = False  # first argument is a list; later ones are evaluated per record
    vocab: str | None = None  # string arguments must belong to this pack vocabulary
    arg_types: tuple[str, ...] = ()


_SPECS = [
    FunctionSpec("count", 1, 2, NUMBER, "count(列表[, 条件])：记录条数（可带筛选条件）", aggregate=True),
    FunctionSpec("sum", 2, 3, NUMBER, "sum(列表, 数值[, 条件])：对每条记录的数值求和", aggregate=True),
    FunctionSpec("avg", 2, 3, NUMBER, "avg(列表, 数值[, 条件])：平均值；无记录时无法计算（错误）", aggregate=True),
    FunctionSpec("min", 1, 8, NUMBER, "min(a, b, …) 或 min(列表, 数值[, 条件])：最小值"),
    FunctionSpec("max", 1, 8, NUMBER, "max(a, b, …) 或 max(列表, 数值[, 条件])：最大值"),
    FunctionSpec("any", 2, 2, BOOL, "any(列表, 条件)：至少一条记录符合", aggregate=True),
    FunctionSpec("all", 2, 2, BOOL, "all(列表, 条件)：全部记录符合；无记录时为假（无记录不算全部符合）", aggregate=True),
    FunctionSpec("exists", 1, 1, BOOL, "exists(字段)：字段已填报"),
    FunctionSpec("coalesce", 2, 2, ANY, "coalesce(字段, 默认值)：字段未填时取默认值"),
    FunctionSpec("len", 1, 1, NUMBER, "len(文字或列表)：长度"),
    FunctionSpec("abs", 1, 1, NUMBER, "abs(x)：绝对值", arg_types=(NUMBER,)),
    FunctionSpec("round", 1, 2, NUMBER, "round(x[, 位数])：四舍五入", arg_types=(NUMBER, NUMBER)),
    FunctionSpec("ratio", 2, 2, NUMBER, "ratio(a, b)：a/b×100（百分比）；b 为 0 时无法计算", arg_types=(NUMBER, NUMBER)),
    FunctionSpec("date", 1, 1, DATE, "date('2024-01-31')：日期", arg_types=(TEXT,)),
    FunctionSpec("days_between", 2, 2, NUMBER, "days_between(起, 止)：相隔天数", arg_types=(DATE, DATE)),
    FunctionSpec("year", 1, 1, NUMBER, "year(日期)：年份", arg_types=(DATE,)),
    FunctionSpec("contains", 2, 2, BOOL, "contains(文字, 片段)：文字中含有片段", arg_types=(TEXT, TEXT)),
    FunctionSpec("evidence_count", 1, 2, NUMBER, "evidence_count('材料类型'[, 月数])：测评周期内（或基准日前若干月内）该类材料份数", vocab="evidence_kinds"),
    FunctionSpec("problems", 1, 9, NUMBER, "problems('点位类型'[, '问题类型', …])：实地考察发现的问题处数；无该类点位记录时为缺项", vocab="point_types"),
    FunctionSpec("sampled", 1, 1, NUMBER, "sampled('点位类型')：抽查对象数；无记录时为缺项", vocab="point_types"),
    FunctionSpec("passed", 1, 1, NUMBER, "passed('点位类型')：合格对象数；无记录时为缺项", vocab="point_types"),
    FunctionSpec("inspected", 1, 1, NUMBER, "inspected('点位类型')：该类点位检查记录数（可为 0）", vocab="point_types"),
    FunctionSpec("survey_rate", 1, 1, NUMBER, "survey_rate('题目')：满意（知晓、支持）率 %；无有效样本时为缺项", vocab="survey_topics"),
    FunctionSpec("survey_sample", 1, 1, NUMBER, "survey_sample('题目')：有效样本数；无记录时为缺项", vocab="survey_topics"),
    FunctionSpec("incidents", 1, 2, NUMBER, "incidents('事件类型'[, 月数])：基准日前若干月（默认测评周期）内该类事件数", vocab="incident_types"),
]

FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}
TYPE_LABELS = {NUMBER: "数值", TEXT: "文字", BOOL: "是/否", DATE: "日期", LIST: "列表", ANY: "任意"}
