"""OSCAL export (NIST OSCAL 1.1 JSON): assessment-results and plan-of-action-and-milestones.

Mapping: a run → assessment-results ``result``; each (unit, rule) → ``finding`` with a target status of
satisfied / not-satisfied; missing data and evidence → ``observation``; each open rectification → POA&M item with
its responsible role and due date. UUIDs are derived (uuid5) from stable keys so exports are deterministic.
"""

from __future__ import annotations

import uuid
from typing import Any

from evaluator.history.compare import RunData

NS = uuid.UUID("6f1c7a52-8d0e-4b7a-9a55-2b8f6c1d0c11")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NS, "\x1f".join(parts)))


def _metadata(run: RunData, title: str) -> dict[str, Any]:
    stamp = f"{run.as_of}T00:00:00+08:00"
    return {"title": title, "last-modified": stamp, "version": run.label, "oscal-version": "1.1.2",
            "props": [{"name": "pack", "value": run.pack_id}, {"name": "edition", "value": run.edition}]}


def assessment_results(run: RunData) -> dict[str, Any]:
    findings, observations = [], []
    for unit in run.units:
        for rule in unit.rules:
            if rule.outcome == "not_applicable":
                continue
            status = "satisfied" if rule.outcome in ("pass", "waived") else "not-satisfied"
            obs_ids = []
            for item in rule.missing:
                obs_id = _uuid(run.label, unit.unit.id, rule.rule_id, item.kind, item.name)
                obs_ids.append({"observation-uuid": obs_id})
                observations.append({"uuid": obs_id, "title": f"缺项：{item.name}", "description": item.detail, "methods": ["EXAMINE"],
                                     "collected": f"{unit.as_of}T00:00:00+08:00",
                                     "subjects": [{"subject-uuid": _uuid(unit.unit.id), "type": "party", "title": unit.unit.name}]})
            finding: dict[str, Any] = {
                "uuid": _uuid(run.label, unit.unit.id, rule.rule_id), "title": f"{unit.unit.name} — {rule.title}",
                "description": rule.message,
                "target": {"type": "objective-id", "target-id": rule.rule_id,
                           "status": {"state": status, "reason": rule.outcome},
                           "props": [{"name": "earned", "value": f"{rule.earned:g}"}, {"name": "max", "value": f"{rule.max:g}"}]},
                "props": [{"name": "unit-id", "value": unit.unit.id}],
            }
            if obs_ids:
                finding["related-observations"] = obs_ids
            findings.append(finding)
    return {"assessment-results": {
        "uuid": _uuid("ar", run.label), "metadata": _metadata(run, f"{run.pack_id} 测评结果 {run.label}"),
        "import-ap": {"href": f"#{run.pack_id}"},
        "results": [{"uuid": _uuid("result", run.label), "title": run.label, "description": f"测评基准日 {run.as_of}",
                     "start": f"{run.as_of}T00:00:00+08:00", "reviewed-controls": {"control-selections": [{"include-all": {}}]},
                     "observations": observations, "findings": findings}],
    }}


def poam(run: RunData) -> dict[str, Any]:
    items = []
    for unit in run.units:
        for rect in unit.rectifications:
            items.append({
                "uuid": _uuid("poam", run.label, unit.unit.id, rect.rule_id), "title": f"{unit.unit.name}：{rect.title}",
                "description": f"{rect.problem}。整改要求：{rect.requirement}",
                "props": [{"name": "unit-id", "value": unit.unit.id}, {"name": "rule-id", "value": rect.rule_id},
                          {"name": "responsible-role", "value": rect.role}, {"name": "severity", "value": rect.severity},
                          {"name": "due", "value": rect.due}, {"name": "points-recoverable", "value": f"{rect.points_recoverable:g}"}],
            })
    return {"plan-of-action-and-milestones": {
        "uuid": _uuid("poam", run.label), "metadata": _metadata(run, f"{run.pack_id} 整改计划 {run.label}"),
        "poam-items": items,
    }}
