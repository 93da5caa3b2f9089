"""Shared pieces of the human-readable reports (terminal table and Markdown)."""

from __future__ import annotations

from evaluator.explain import fmt_number
from schemas.result import OUTCOME_LABELS, RunReport, UnitResult

LOST_OUTCOMES = ("fail", "partial", "missing", "error", "manual_pending", "waived")


def header_lines(report: RunReport, unit: UnitResult) -> list[str]:
    u = unit.unit
    region = "/".join(u.region) or "—"
    lines = [
        f"单位：{u.name}（{u.id}，{u.type}）  区域：{region}" + (f"  组别：{u.group}" if u.group else ""),
        f"测评体系：{report.pack.title}（{report.pack.edition}）" + (f"  细则：{report.pack.tailoring}" if report.pack.tailoring else ""),
        f"测评周期：{unit.period}  基准日：{unit.as_of}",
        f"总分：{fmt_number(unit.total)}  等级：{unit.grade}  {'达到' if unit.passed else '未达到'}及格线",
    ]
    if unit.total_without_waivers != unit.total:
        lines.append(f"不含豁免的得分：{fmt_number(unit.total_without_waivers)}")
    if unit.components:
        for c in unit.components:
            score = fmt_number(c.score) if c.score is not None else "未提供"
            gate = "" if c.gate is None else f"（门槛 {fmt_number(c.gate)}：{'通过' if c.gate_passed else '未通过'}）"
            lines.append(f"{c.title}：{score}，按 {c.weight:.0%} 计入{gate}")
    counts = "，".join(f"{OUTCOME_LABELS[k]} {v}" for k, v in unit.counts.items())
    lines.append(f"结果统计：{counts}")
    for hit in unit.vetoes:
        lines.append(f"否决项：{hit.title} — {hit.date} {hit.incident}：{hit.effect}")
    lines += [f"说明：{note}" for note in unit.notes]
    return lines


def node_rows(unit: UnitResult, max_depth: int = 1) -> list[list[str]]:
    return [
        [n.code, n.title, fmt_number(n.earned), fmt_number(n.max), f"{fmt_number(n.rate)}%"]
        for n in unit.nodes if n.depth <= max_depth
    ]


def method_rows(unit: UnitResult) -> list[list[str]]:
    return [
        [m.method, fmt_number(m.earned), fmt_number(m.max), "—" if m.weight is None else fmt_number(m.weight),
         "—" if m.weighted is None else fmt_number(m.weighted)]
        for m in unit.methods if m.max
    ]


def lost_rows(unit: UnitResult) -> list[list[str]]:
    rows = []
    for r in unit.rules:
        if r.outcome not in LOST_OUTCOMES and not (r.outcome == "fail" and r.max == 0):
            continue
        rows.append([r.rule_id, r.code or "", r.title, OUTCOME_LABELS[r.outcome], f"{fmt_number(r.earned)}/{fmt_number(r.max)}", r.message])
    return rows


def deficiency_rows(unit: UnitResult) -> list[list[str]]:
    return [[d.rule_id, d.title, d.name, d.detail, fmt_number(d.points_recoverable)] for d in unit.deficiencies]


def rectification_rows(unit: UnitResult) -> list[list[str]]:
    return [[str(i), r.rule_id, r.title, r.requirement, r.role, r.due, r.severity, fmt_number(r.points_recoverable)]
            for i, r in enumerate(unit.rectifications, start=1)]


NODE_HEADERS = ["编号", "测评项目", "得分", "满分", "得分率"]
METHOD_HEADERS = ["测评方法", "得分", "适用满分", "权重", "加权得分"]
LOST_HEADERS = ["规则", "条款", "测评标准", "结果", "得分", "说明"]
DEFICIENCY_HEADERS = ["规则", "测评标准", "缺项", "说明", "可挽回分"]
RECTIFICATION_HEADERS = ["序号", "规则", "测评标准", "整改要求", "责任岗位", "整改期限", "严重程度", "可挽回分"]
