"""report.html: one self-contained page (inline CSS, SVG and a little JS) for non-technical officers.

The page is built from a view model computed here (all numbers from ``batch_stats``, the same as 汇总.xlsx) and a
Jinja2 template with autoescaping on, so every user-supplied string (unit names may contain ``<script>``) is
escaped. Charts are inline SVG drawn in Python (``charts_svg``); the page loads nothing from the network.

The page is streamed: the template's output is written piece by piece, unit rows are made as the template walks
them, and the per-unit JSON (``html_payload``) is copied in from a scratch file — a province's page (hundreds of
megabytes) is never held in memory.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any, overload

import jinja2
from markupsafe import Markup

from evaluator.compiled import CompiledPack
from evaluator.render.batch_digest import BatchDigest, UnitLine
from evaluator.render.batch_stats import (
    RANKING_NOTE,
    REGION_LEVELS,
    GroupStats,
    Ranked,
    histogram,
    overall_stats,
    region_path,
    region_rollup,
    type_rollup,
)
from evaluator.render.charts_svg import BarItem, hbar_svg, histogram_svg
from evaluator.render.html_payload import PAYLOAD_TAIL, fmt_number, write_payload, write_payload_head
from schemas.result import RunReport

#: Up to this many units the ranking chart shows every unit; above it, the top and bottom ``RANK_BARS``.
RANK_ALL_LIMIT = 24
RANK_BARS = 10
#: Unit sections start expanded for small batches (a long page of closed sections is easier to scan).
OPEN_UNITS_LIMIT = 30
MAX_REGION_BARS = 20
MAX_RULE_BARS = 10
_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-]+")
#: Where the per-unit JSON goes in the template's output (NUL never occurs in page text: unit data rejects it).
_PAYLOAD_MARK = "\x00civic-unit-data\x00"
_COPY_CHUNK = 1 << 20


def unit_anchor(unit_id: str) -> str:
    """A stable HTML id for a unit; ids with other characters are hex-encoded so the anchor is always valid."""
    return "u-" + (unit_id if _SAFE_ID.fullmatch(unit_id) else unit_id.encode("utf-8").hex())


def _num(value: float) -> str:
    return fmt_number(value)


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str
    tone: str = ""


def _cards(digest: BatchDigest) -> list[Card]:
    report, pack = digest.report, digest.pack
    overall = overall_stats(digest.lines, pack)
    disqualified = sum(1 for u in digest.lines if u.disqualified)
    cards = [Card("参评单位", str(len(digest.lines)), "已完成评分的单位")]
    if overall:
        cards += [
            Card("平均分", _num(overall.average), f"满分 {_num(pack.meta.full_marks)}，达标线 {_num(pack.meta.pass_mark)}",
                 "" if overall.average >= pack.meta.pass_mark else "bad"),
            Card("及格率", f"{_num(overall.pass_rate)}%", f"达标 {overall.passed} / {overall.units} 个单位",
                 "" if overall.pass_rate >= 60 else "bad"),
            Card("最高 / 最低分", f"{_num(overall.maximum)} / {_num(overall.minimum)}",
                 f"得分率 {_num(overall.score_rate)}%"),
        ]
    cards.append(Card("取消资格", str(disqualified), "触发否决项的单位", "bad" if disqualified else ""))
    cards.append(Card("未评分单位", str(len(report.rejected)), "数据有误、未能评分，见页末", "bad" if report.rejected else ""))
    return cards


def _rank_chart(ranked: list[Ranked], pack: CompiledPack) -> tuple[str, str]:
    if len(ranked) <= RANK_ALL_LIMIT:
        chosen, caption = ranked, "全部单位总分"
    else:
        chosen = ranked[:RANK_BARS] + ranked[-RANK_BARS:]
        caption = f"总分前 {RANK_BARS} 名与后 {RANK_BARS} 名（全部单位见下表）"
    items = [BarItem(f"{r.rank.overall}. {r.unit.name}", r.unit.total, f"{_num(r.unit.total)} 分 {r.unit.grade}",
                     bad=not r.unit.passed, href="#" + unit_anchor(r.unit.id)) for r in chosen]
    svg = hbar_svg(items, caption, pack.meta.full_marks, marker=pack.meta.pass_mark,
                   marker_label=f"达标线 {_num(pack.meta.pass_mark)}", width=760, label_cols=34)
    return caption, svg


def _chart_region_level(units: list[UnitLine]) -> tuple[int, str]:
    """The region level to chart: the first of 区县, 街道, 市 at which units fall into two or more regions."""
    for level, label in (REGION_LEVELS[1], REGION_LEVELS[2], REGION_LEVELS[0]):
        if len({region_path(u, level) for u in units} - {None}) >= 2:
            return level, label
    return REGION_LEVELS[1]


def _region_chart(units: list[UnitLine], pack: CompiledPack) -> tuple[str, str]:
    level, label = _chart_region_level(units)
    stats = [s for s in region_rollup(units, pack, ((level, label),))]
    stats = sorted(stats, key=lambda s: (-s.average, s.name))[:MAX_REGION_BARS]
    items = [BarItem(s.name.split("/", 1)[-1], s.average, f"均分 {_num(s.average)}，及格率 {_num(s.pass_rate)}%",
                     bad=s.average < pack.meta.pass_mark) for s in stats]
    caption = f"各{label}平均分与及格率"
    return caption, hbar_svg(items, caption, pack.meta.full_marks, marker=pack.meta.pass_mark,
                             marker_label=f"达标线 {_num(pack.meta.pass_mark)}", width=580, label_cols=18, note_cols=22)


def _rule_chart(digest: BatchDigest) -> tuple[str, str, list[Any]]:
    stats = [s for s in digest.rule_stats if s.lost_units]
    items = [BarItem(f"{s.code} {s.title}".strip(), s.failure_rate,
                     f"{_num(s.failure_rate)}%（{s.lost_units}/{s.applicable}）", bad=s.failure_rate >= 50)
             for s in stats[:MAX_RULE_BARS]]
    caption = f"失分率最高的 {len(items)} 条测评标准"
    return caption, hbar_svg(items, caption, 100, width=760, label_cols=34, note_cols=18), stats


def _rollup_rows(stats: list[GroupStats]) -> list[dict[str, Any]]:
    return [{"dimension": s.dimension, "name": s.name, "units": s.units, "passed": s.passed, "average": _num(s.average),
             "score_rate": _num(s.score_rate), "pass_rate": _num(s.pass_rate), "min": _num(s.minimum),
             "max": _num(s.maximum), "pass_pct": s.pass_rate} for s in stats]


def _unit_view(index: int, r: Ranked) -> dict[str, Any]:
    """What the static page shows of a unit (ranking row and section summary); details come from the JSON payload."""
    u: UnitLine = r.unit
    return {
        "i": index, "anchor": unit_anchor(u.unit.id), "unit": u, "rank": r.rank, "total": _num(u.total),
        "region": "/".join(u.unit.region),
        "search": " ".join([u.unit.id, u.unit.name, u.unit.type, *u.unit.region, u.unit.group or "", *u.unit.responsible,
                            u.grade]).lower(),
        "tone": "dq" if u.disqualified else ("ok" if u.passed else "bad"),
    }


class _Views:
    """The units' views, made afresh each time the template walks them (the ranking table, then the sections)."""

    def __init__(self, ranked: list[Ranked]) -> None:
        self.ranked = ranked

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (_unit_view(i, r) for i, r in enumerate(self.ranked))


@functools.lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    source = resources.files("evaluator.render.templates").joinpath("report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source)


def _context(digest: BatchDigest) -> dict[str, Any]:
    report, pack, units = digest.report, digest.pack, digest.lines
    ranked = digest.ranked
    rank_caption, rank_svg = _rank_chart(ranked, pack)
    region_caption, region_svg = _region_chart(units, pack)
    rule_caption, rule_svg, rule_stats = _rule_chart(digest)
    hist = histogram(units, pack)
    return {
        "report": report, "pack": pack, "title": f"{report.pack.title}（{report.pack.edition}）测评报告",
        "unit_count": len(units),
        "cards": _cards(digest), "full_marks": _num(pack.meta.full_marks), "pass_mark": _num(pack.meta.pass_mark),
        "hist_svg": Markup(histogram_svg(hist, "总分分布（各分数段单位数）")),
        "rank_caption": rank_caption, "rank_svg": Markup(rank_svg),
        "region_caption": region_caption, "region_svg": Markup(region_svg),
        "rule_caption": rule_caption, "rule_svg": Markup(rule_svg),
        "rules": [{"s": s, "rate": _num(s.failure_rate), "lost": _num(s.points_lost),
                   "where": "、".join(f"{name}（{n}）" for name, n in s.top_regions)} for s in rule_stats],
        "regions": _rollup_rows(region_rollup(units, pack)), "types": _rollup_rows(type_rollup(units, pack)),
        "units": _Views(ranked), "open_units": len(ranked) <= OPEN_UNITS_LIMIT,
        "unit_data": Markup(_PAYLOAD_MARK),
        "ranking_note": RANKING_NOTE, "rejected": report.rejected,
    }


def _write_page(digest: BatchDigest, out: IO[str], scratch: IO[str]) -> None:
    """The per-unit JSON goes to ``scratch`` first (its string table must precede it); then the template is streamed
    to ``out`` and the JSON copied in where the template places it."""
    strings = write_payload(digest, scratch)
    for piece in _template().generate(**_context(digest)):
        before, mark, after = piece.partition(_PAYLOAD_MARK)
        out.write(before)
        if mark:
            write_payload_head(digest, strings, out)
            scratch.seek(0)
            shutil.copyfileobj(scratch, out, _COPY_CHUNK)
            out.write(PAYLOAD_TAIL)
            out.write(after)


@overload
def render_html_report(report: RunReport | BatchDigest, pack: CompiledPack) -> str: ...
@overload
def render_html_report(report: RunReport | BatchDigest, pack: CompiledPack, target: Path) -> None: ...
def render_html_report(report: RunReport | BatchDigest, pack: CompiledPack, target: Path | None = None) -> str | None:
    """Render the whole batch report as one HTML page; pure and deterministic.

    With ``target`` (what ``civic batch`` does) the page is streamed to that file; without it the text is returned.
    """
    digest = report if isinstance(report, BatchDigest) else BatchDigest.of(report, pack)
    try:
        if target is None:
            page = io.StringIO()
            _write_page(digest, page, io.StringIO())
            return page.getvalue()
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=target.parent) as scratch, \
                target.open("w", encoding="utf-8") as out:
            _write_page(digest, out, scratch)
        return None
    finally:
        if digest is not report:
            digest.close()
