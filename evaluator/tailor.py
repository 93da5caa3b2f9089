"""Apply a local overlay (地方细则) to a loaded pack: unselect/select rules, change points, params, deadlines."""

from __future__ import annotations

import hashlib

from evaluator.compiled import CompiledPack
from evaluator.errors import DiagnosticSink
from evaluator.yamlio import LocatedDoc
from schemas.tailoring import Tailoring


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
