"""Apply a local overlay (地方细则) to a loaded pack: unselect/select rules, change points, params, deadlines."""

from __future__ import annotations

import hashlib

from evaluator.compiled import CompiledPack
from evaluator.errors import DiagnosticSink
from evaluator.yamlio import LocatedDoc
from schemas.rule import Rule
from schemas.tailoring import RuleChange, Tailoring


def apply_tailoring(pack: CompiledPack, overlay: Tailoring, doc: LocatedDoc, sink: DiagnosticSink) -> None:
    if overlay.pack != pack.meta.id:
        sink.error("R220", f"细则针对的测评体系是 '{overlay.pack}'，而当前是 '{pack.meta.id}'", doc.locate(("tailoring", "pack")),
                   "确认 --tailoring 与 --pack 配套")
        return
    known = {r.id for r in pack.rules}
    for section in ("unselect", "select"):
        for index, rule_id in enumerate(getattr(overlay, section)):
            if rule_id not in known:
                sink.error("R221", f"细则引用了不存在的规则 '{rule_id}'", doc.locate(("tailoring", section, index)))
    for rule_id in overlay.rules:
        if rule_id not in known:
            sink.error("R221", f"细则引用了不存在的规则 '{rule_id}'", doc.locate(("tailoring", "rules", rule_id), key=True))
    pack.rules = [r for r in pack.rules if r.id not in set(overlay.unselect)]
    for compiled in pack.rules:
        rule = compiled.rule
        if rule.id in overlay.select and rule.status == "draft":
            compiled.rule = rule = rule.model_copy(update={"status": "stable"})
        change = overlay.rules.get(rule.id)
        if change is None:
            continue
        unknown = sorted(set(change.params) - set(rule.params))
        for name in unknown:
            sink.error("R222", f"规则 {rule.id} 没有参数 '{name}'", doc.locate(("tailoring", "rules", rule.id, "params", name), key=True),
                       f"可改的参数：{', '.join(rule.params) or '无'}")
        if not _check_compatible(compiled.rule, change, doc, sink):
            continue  # not applied: the overlay's own error says why, not a follow-on error in the national pack
        update: dict[str, object] = {"params": {**rule.params, **change.params}}
        if change.points is not None:
            update["points"] = change.points
        if rule.rectification is not None and (change.deadline_days is not None or change.severity is not None):
            rect_update: dict[str, object] = {}
            if change.deadline_days is not None:
                rect_update["deadline_days"] = change.deadline_days
            if change.severity is not None:
                rect_update["severity"] = change.severity
            update["rectification"] = rule.rectification.model_copy(update=rect_update)
        compiled.rule = rule.model_copy(update=update)
    if overlay.pass_mark is not None:
        pack.file.pack = pack.meta.model_copy(update={"pass_mark": overlay.pass_mark})
    pack.tailoring = overlay
    pack.content_hash = hashlib.sha256((pack.content_hash + overlay.model_dump_json()).encode()).hexdigest()[:16]


def _check_compatible(rule: Rule, change: RuleChange, doc: LocatedDoc, sink: DiagnosticSink) -> bool:
    """A change the rule cannot take is an error in the overlay, not a silent no-op or a run-time failure."""
    before = len(sink.errors)
    where = ("tailoring", "rules", rule.id)
    for name, value in change.params.items():
        old = rule.params.get(name)
        if old is not None and isinstance(old, str) != isinstance(value, str):
            kind = "文字" if isinstance(old, str) else "数值"
            sink.error("R223", f"规则 {rule.id} 的参数 '{name}' 原为{kind}（{old}），细则中写成了 '{value}'",
                       doc.locate((*where, "params", name)), f"写成{kind}，例如 {name}: {old}")
    if rule.rectification is None:
        for key in ("deadline_days", "severity"):
            if getattr(change, key) is not None:
                sink.error("R223", f"规则 {rule.id} 没有整改要求（rectification），不能修改 {key}", doc.locate((*where, key), key=True),
                           "删除这一项，或先在规则中写明 rectification")
    if rule.grading.model == "veto" and change.points is not None:
        sink.error("R223", f"规则 {rule.id} 是否决项，不计分，不能修改 points", doc.locate((*where, "points"), key=True),
                   "否决项的效果（扣分、封顶、取消资格）在规则的 effect 中设置")
    return len(sink.errors) == before
