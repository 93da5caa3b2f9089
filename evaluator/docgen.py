"""Render a pack as the familiar 测评体系 table (Markdown) — generated from the rules, never by hand."""

from __future__ import annotations

from typing import Any

from evaluator.compiled import CompiledPack, CompiledRule, walk_catalogue
from evaluator.explain import fmt_number
from schemas.rule import (
    Bands,
    Checklist,
    Combine,
    Deduction,
    Formula,
    Linear,
    Manual,
    PassFail,
    ProblemCount,
    Sample,
    Veto,
)


def _ladder(steps: list[Any], word: str, otherwise: str) -> str:
    return "，".join(f"{word.format(n=s.min if hasattr(s, 'min') else s.max)}为{s.level}" for s in steps) + f"，其余为{otherwise}"


def grading_text(g: Any) -> str:
    """One sentence per grading model, in the words of the official tables."""
    if isinstance(g, PassFail):
        return f"符合（{g.condition}）得满分，否则不得分"
    if isinstance(g, Checklist):
        items = "；".join(f"{i + 1}）{item.text}" for i, item in enumerate(g.items))
        return f"{items}。{_ladder(g.ladder, '符合{n}项', g.otherwise)}"
    if isinstance(g, Sample):
        return f"抽查{g.point_type}至少{g.min_sampled}个，{_ladder(g.ladder, '{n}个符合', g.otherwise)}"
    if isinstance(g, ProblemCount):
        return f"问题数（{g.count}）：{_ladder(g.ladder, '{n}例及以下', g.otherwise)}"
    if isinstance(g, Bands):
        bands = []
        for band in g.bands:
            bounds = "且".join(f"{sign}{fmt_number(v)}" for v, sign in ((band.at_least, "≥"), (band.more_than, ">"), (band.at_most, "≤"), (band.less_than, "<")) if v is not None)
            bands.append(f"{bounds}为{band.level if band.level else fmt_number(band.points or 0) + '分'}")
        return f"{g.value}：{'，'.join(bands)}，其余为{g.otherwise}"
    if isinstance(g, Deduction):
        cap = f"，最多扣{fmt_number(g.cap)}分" if g.cap else "，扣完为止"
        return f"每发现一处（{g.count}）扣{fmt_number(g.per)}分{cap}"
    if isinstance(g, Linear):
        return f"{g.value} 为 {fmt_number(g.zero_at)} 得0分、{fmt_number(g.full_at)} 得满分，其间按比例"
    if isinstance(g, Formula):
        return f"得分 = {g.score}（不超过本条分值）"
    if isinstance(g, Combine):
        word = "最差" if g.model == "worst_of" else "最好"
        return f"按{word}一项计：" + "；".join(f"{p.name}：{grading_text(p.grading)}" for p in g.parts)
    if isinstance(g, Veto):
        from evaluator.engine import describe_effect
        return f"回溯{g.lookback_months}个月内发生{'、'.join(g.incident_types)}：{describe_effect(g)}"
    if isinstance(g, Manual):
        return f"人工判定{('：' + g.guidance) if g.guidance else ''}"
    return g.model  # pragma: no cover


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "｜").replace("\n", " ")


def applicability_text(r: Any) -> str:
    """Who the rule is for, in the words of the doc: a reviewer must see that an item is skipped for some units."""
    parts = []
    if r.applies_to:
        parts.append(f"仅适用于{'、'.join(r.applies_to)}")
    if r.applicable_if is not None:
        parts.append(f"适用条件：{r.applicable_if}（不满足时本条不适用）")
    return f"（{'；'.join(parts)}）" if parts else ""


def _rule_row(rule: CompiledRule) -> str:
    r = rule.rule
    evidence = "、".join(f"{e.kind}≥{e.min_count}" for e in r.evidence) or "—"
    standard = (r.text or r.title) + applicability_text(r)
    cells = [r.id, r.code or "", f"**{r.title}**：{standard}", fmt_number(r.points), r.method, grading_text(r.grading), evidence,
             f"{r.source.document}{(' ' + r.source.clause) if r.source.clause else ''}"]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_pack_doc(pack: CompiledPack) -> str:
    meta = pack.meta
    lines = [
        f"# {meta.title}（{meta.edition}）", "",
        f"> 本文件由 `civic rules doc {meta.id}` 根据规则包生成，请勿手工编辑。", "",
        f"- 编号：`{meta.id}`；适用单位：{'、'.join(meta.unit_types)}；满分 {fmt_number(meta.full_marks)}，及格线 {fmt_number(meta.pass_mark)}",
        f"- 测评方法：{'、'.join(meta.methods)}" + (f"（权重 {'、'.join(f'{m} {fmt_number(w)}' for m, w in meta.method_weights.items())}）" if meta.method_weights else ""),
        f"- 等级比例：{'、'.join(f'{k}={fmt_number(v * 100)}%' for k, v in meta.levels.items())}",
        f"- 出处：{meta.source.document}{(' ' + meta.source.clause) if meta.source.clause else ''}",
        f"- 规则 {len(pack.rules)} 条（否决项 {len(pack.veto_rules())} 条）", "",
    ]
    by_node: dict[str, list[CompiledRule]] = {}
    for rule in pack.rules:
        by_node.setdefault(rule.rule.node, []).append(rule)
    for node, depth, _parent, _ in walk_catalogue(pack.file.catalogue):
        heading = "#" * min(depth + 1, 6)
        bonus = "（奖励分）" if node.bonus else ""
        lines += [f"{heading} {node.code} {node.title}（{fmt_number(node.points)}分）{bonus}", ""]
        rules = by_node.get(node.code, [])
        if rules:
            lines += ["| 编号 | 条款 | 测评标准 | 分值 | 测评方法 | 评分方式 | 所需材料 | 出处 |", "|---|---|---|---|---|---|---|---|"]
            lines += [_rule_row(r) for r in rules]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def pack_index_row(pack: CompiledPack) -> str:
    """One row of docs/packs/README.md: counts computed from the pack, so the table cannot drift."""
    scored = pack.scored_rules()
    manual = sum(1 for r in scored if r.rule.grading.model == "manual")
    uncertain = sum(1 for r in pack.rules if "uncertain" in r.rule.meta)
    samples = len(list((pack.root / "samples").glob("*.yaml")))
    cells = [f"[`{pack.meta.id}`]({pack.meta.id}.md)", pack.meta.title, pack.meta.edition, str(len(scored)), str(len(pack.veto_rules())),
             f"{len(scored) - manual} / {manual}", str(uncertain), str(len(pack.cases)), str(samples), f"[覆盖说明](coverage/{pack.meta.id}.md)"]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"
