"""The per-unit details of report.html as one compact JSON document, drawn by the page's script on demand.

Why: rendering every unit's 测评项目/缺项/整改 tables as HTML makes a 10,000-unit page about 100 MB, which a
browser cannot open in reasonable time. The details are instead embedded once as JSON with a string table (rule
titles, requirements, roles and region names repeat across thousands of units and are stored once), and a unit's
section is drawn only when it is opened (small batches open every section at load; printing opens all).
The records are written one unit at a time to a scratch file and copied into the page, never held together.

Safety: the script builds the section with ``textContent`` only (never ``innerHTML``), and the JSON is embedded
with ``<``, ``>``, ``&`` and the JavaScript line separators escaped, so no unit text can end the script element.
"""

from __future__ import annotations

import functools
import json
from typing import IO, TYPE_CHECKING, Any

from evaluator.explain import fmt_number as _fmt_number
from evaluator.render.batch_stats import Ranked, chinese_period, top_nodes

if TYPE_CHECKING:
    from evaluator.render.batch_digest import BatchDigest

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


def unit_record(r: Ranked, page: tuple[Any, ...], s: StringTable) -> dict[str, Any]:
    """One unit's details; every text is a string-table index, numbers are pre-formatted like the rest of the page.

    ``page`` is what ``BatchDigest`` kept of the unit (node scores, 缺项, 整改, 否决, 说明 texts); texts are interned
    in the page's order (nodes, facts, 缺项, 整改, 否决, 说明), which fixes their indices.
    """
    u = r.unit
    node_texts, deficiencies, rectifications, vetoes, notes = page
    nodes: list[list[int] | None] = [None if n is None else [s(n[0]), s(n[1]), s(n[2]), n[3]] for n in node_texts]
    facts = [u.id, u.type, "/".join(u.region) or "—", u.group or "—", "、".join(u.responsible) or "—",
             chinese_period(u.period), u.as_of,
             fmt_number(u.total_without_waivers) if u.total_without_waivers != u.total else ""]
    return {
        "f": [s(x) for x in facts],
        "k": [r.rank.in_group or 0, r.rank.in_region or 0],
        "n": nodes,
        "d": [[s(x) for x in item] for item in deficiencies],
        "r": [[s(x) for x in item] for item in rectifications],
        "v": [s(text) for text in vetoes],
        "o": [s(text) for text in notes],
    }


def write_payload(digest: BatchDigest, scratch: IO[str]) -> list[str]:
    """Write the units' JSON records (ranking order, index = data-i) to ``scratch``, comma-separated, escaped;
    return the string table, which the page places before them (``{"nodes": …, "s": …, "units": […]}``)."""
    table = StringTable()
    for index, r in enumerate(digest.ranked):
        page, _, _ = digest.details(r.unit)
        record = json.dumps(unit_record(r, page, table), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        scratch.write(("," if index else "") + escape_json(record))
    return table.items


def write_payload_head(digest: BatchDigest, strings: list[str], out: IO[str]) -> None:
    """The JSON document's opening, up to the units' list, exactly as ``json.dumps(..., sort_keys=True)`` writes it;
    the string table is written one string at a time (as one text it would be tens of megabytes, several times over)."""
    dump = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    out.write(escape_json('{"nodes":' + dump([[n.code, n.title] for n in top_nodes(digest.pack)]) + ',"s":['))
    for index, text in enumerate(strings):
        out.write(("," if index else "") + escape_json(dump(text)))
    out.write('],"units":[')


PAYLOAD_TAIL = "]}"


def escape_json(text: str) -> str:
    """Make JSON text safe inside ``<script type="application/json">`` (no ``</script>``, no HTML parsing hazards)."""
    for raw, escaped in _JSON_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def embed_json(data: dict[str, Any]) -> str:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>``, no HTML parsing hazards)."""
    return escape_json(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
