"""The per-unit details of report.html as one compact JSON document, drawn by the page's script on demand.

Why: rendering every unit's 测评项目/缺项/整改 tables as HTML makes a 10,000-unit page about 100 MB, which a
browser cannot open in reasonable time. The details are instead embedded once as JSON with a string table (rule
titles, requirements, roles and region names repeat across thousands of units and are stored once), and a unit's
section is drawn only when it is opened (small batches open every section at load; printing opens all).

Safety: the script builds the section with ``textContent`` only (never ``innerHTML``), and the JSON is embedded
with ``<``, ``>``, ``&`` and the JavaScript line separators escaped, so no unit text can end the script element.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from evaluator.compiled import CompiledPack
from evaluator.explain import fmt_number as _fmt_number
from evaluator.render.batch_stats import DEFICIENCY_KIND_LABELS, Ranked, chinese_period, top_nodes

#: Scores repeat across thousands of units; formatting through ``Decimal`` is the costly part, so it is cached.
fmt_number = functools.lru_cache(maxsize=8192)(_fmt_number)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class StringTable:
    """Interns strings: each distinct text is stored once and referred to by its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def __call__(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.items)
            self.items.append(text)
        return found


def _clause(code: str | None, title: str) -> str:
    return f"{code} {title}" if code else title


def unit_record(r: Ranked, pack: CompiledPack, node_codes: list[str], s: StringTable) -> dict[str, Any]:
    """One unit's details; every text is a string-table index, numbers are pre-formatted like the rest of the page."""
    u = r.unit
    ratio = pack.meta.pass_mark / pack.meta.full_marks * 100
    by_code = {n.code: n for n in u.nodes}
    nodes: list[list[int] | None] = []
    for code in node_codes:
        n = by_code.get(code)
        nodes.append(None if n is None else
                     [s(fmt_number(n.earned)), s(fmt_number(n.max)), s(fmt_number(n.rate)), int(n.max > 0 and n.rate < ratio)])
    facts = [u.unit.id, u.unit.type, "/".join(u.unit.region) or "—", u.unit.group or "—", "、".join(u.unit.responsible) or "—",
             chinese_period(u.period), u.as_of,
             fmt_number(u.total_without_waivers) if u.total_without_waivers != u.total else ""]
    return {
        "f": [s(x) for x in facts],
        "k": [r.rank.in_group or 0, r.rank.in_region or 0],
        "n": nodes,
        "d": [[s(_clause(d.code, d.title)), s(d.rule_id), s(DEFICIENCY_KIND_LABELS.get(d.kind, d.kind)), s(d.name), s(d.detail),
               s(fmt_number(d.points_recoverable))] for d in u.deficiencies],
        "r": [[s(x.problem), s(_clause(x.code, x.title)), s(x.rule_id), s(x.requirement), s(x.role), s(x.due), s(x.severity),
               s(fmt_number(x.points_recoverable))] for x in u.rectifications],
        "v": [s(f"否决项：{v.title} — {v.date} 发生“{v.incident}”：{v.effect}") for v in u.vetoes],
        "o": [s(f"说明：{note}") for note in u.notes],
    }


def payload(ranked: list[Ranked], pack: CompiledPack) -> dict[str, Any]:
    """``{"s": strings, "nodes": [[code, title]], "units": [...]}`` with units in ranking order (index = data-i)."""
    table = StringTable()
    nodes = top_nodes(pack)
    codes = [n.code for n in nodes]
    units = [unit_record(r, pack, codes, table) for r in ranked]
    return {"s": table.items, "nodes": [[n.code, n.title] for n in nodes], "units": units}


def embed_json(data: dict[str, Any]) -> str:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>``, no HTML parsing hazards)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for raw, escaped in _JSON_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text
