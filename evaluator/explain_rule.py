"""``civic explain``: one rule × one unit in full — rule text, data looked at, each condition, grading steps."""

from __future__ import annotations

from typing import Any

from evaluator.compiled import CompiledPack, CompiledRule
from evaluator.docgen import grading_text
from evaluator.explain import fmt_number, fmt_value
from schemas.result import OUTCOME_LABELS, RuleResult


def explain_text(pack: CompiledPack, rule: CompiledRule, item: Any, result: RuleResult) -> str:
    r = rule.rule
    lines = [
        f"规则 {r.id}{('（' + r.code + '）') if r.code else ''}：{r.title}",
        f"测评体系：{pack.meta.title}（{pack.meta.edition}）  目录：{r.node}  方法：{r.method}  分值：{fmt_number(r.points)}",
        f"出处：{r.source.document}{(' ' + r.source.clause) if r.source.clause else ''}",
        f"位置：{rule.location}",
    ]
    if r.text:
        lines.append(f"标准原文：{r.text}")
    lines += ["", f"评分方式：{grading_text(r.grading)}"]
    if r.params:
        lines.append("参数：" + "，".join(f"{k}={v}" for k, v in r.params.items()))
    names = sorted({n for e in rule.exprs.values() for n in e.reads})
    if names:
        lines += ["", "所用数据："]
        for name in names:
            if name in r.params:
                lines.append(f"  - 参数 {name}：{r.params[name]}")
                continue
            label = pack.scope.names[name].label if name in pack.scope.names else name
            unit = pack.scope.names[name].unit if name in pack.scope.names else None
            value = item.values.get(name)
            lines.append(f"  - {label}（{name}）：{fmt_value(value, unit) if name in item.values else '未填报'}")
    if r.evidence:
        lines += ["", "所需材料："]
        for req in r.evidence:
            have = [e for e in item.unit.evidence if e.kind == req.kind]
            lines.append(f"  - {req.kind} 至少 {req.min_count} 份（{_window_text(req.window)}{'，须有文字说明' if req.caption_required else ''}）：已提交 {len(have)} 份" +
                         ("".join(f"\n      · {e.title}（{e.date or '无日期'}）" for e in have)))
    lines += ["", "判定步骤："]
    lines += [f"  {'✓' if c.ok else '✗'} {c.sentence}" for c in result.checks] or ["  （无）"]
    lines += ["", f"结果：{OUTCOME_LABELS[result.outcome]}，得 {fmt_number(result.earned)} / {fmt_number(result.max)} 分" +
              (f"，等级 {result.level}" if result.level else "") + f"，失分 {fmt_number(result.lost)}", f"说明：{result.message}"]
    for m in result.missing:
        lines.append(f"缺项：{m.detail}")
    if result.waiver:
        lines.append(f"豁免：{result.waiver.reason}（{result.waiver.approved_by}，{result.waiver.approved_at}批准，有效期至 {result.waiver.expires or '长期'}）")
    if r.rectification and result.outcome in ("fail", "partial", "missing"):
        rect = r.rectification
        lines.append(f"整改：{rect.requirement}（责任：{rect.role}，期限 {rect.deadline_days} 天，{rect.severity}）")
    return "\n".join(lines)


def _window_text(window: Any) -> str:
    """The evidence date window in the words of the rule text, never the raw YAML value."""
    if window.within == "months_before_as_of":
        return f"基准日前{window.months or 12}个月内"
    return {"period": "测评周期内", "any": "不限日期"}.get(window.within, window.within)
