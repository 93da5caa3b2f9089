"""Inline SVG charts for report.html, drawn in Python so the page needs no network and no chart library.

Every label is escaped here (unit and region names are user data and may contain ``<script>``); long labels are
shortened to a display width (CJK counted double) with the full text kept in a ``<title>`` tooltip. Colours and
fonts come from the page's CSS (classes ``bar``, ``bar-bad``, ``axis``, ``label``…), so charts match the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from evaluator.render.batch_stats import Bin, display_width

FONT_PX = 13
CHAR_PX = 7.2  # width of one display column (half a CJK character) at 13 px


def shorten(text: str, max_width: int) -> str:
    """Cut ``text`` to ``max_width`` display columns, ending with “…” when cut."""
    if display_width(text) <= max_width:
        return text
    out, width = "", 0
    for ch in text:
        w = display_width(ch)
        if width + w > max_width - 1:
            break
        out, width = out + ch, width + w
    return out + "…"


def _svg_open(width: float, height: float, label: str, kind: str) -> str:
    """Inline SVG needs no ``xmlns`` in HTML5; leaving it out keeps the page free of any ``http://`` string."""
    return (f'<svg class="chart" data-chart="{escape(kind)}" role="img" '
            f'aria-label="{escape(label)}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" preserveAspectRatio="xMinYMin meet"><title>{escape(label)}</title>')


def histogram_svg(bins: list[Bin], title: str, width: int = 560, height: int = 260) -> str:
    """Vertical bars, one per score band; bands below the pass mark use the warning colour."""
    left, right, top, bottom = 40, 10, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    step = max(1, -(-max((b.count for b in bins), default=0) // 4))  # integer ticks: counts are whole units
    peak = step * 4
    slot = plot_w / max(len(bins), 1)
    parts = [_svg_open(width, height, title, "histogram")]
    for tick in range(0, 5):
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{step * tick}</text>')
    for index, band in enumerate(bins):
        h = plot_h * band.count / peak
        x = left + index * slot + slot * 0.12
        y = top + plot_h - h
        css = "bar-bad" if band.below_pass else "bar"
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}">'
                     f"<title>{escape(band.label)} 分：{band.count} 个单位</title></rect>")
        if band.count:
            parts.append(f'<text class="value" x="{x + slot * 0.38:.1f}" y="{y - 5:.1f}" text-anchor="middle">{band.count}</text>')
        parts.append(f'<text class="axis" x="{x + slot * 0.38:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                     f"{escape(band.label)}</text>")
    parts.append(f'<line class="axis-line" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    parts.append(f'<text class="axis" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">总分区间（分）</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class BarItem:
    """One horizontal bar: label, value on a 0..scale axis, trailing note, and whether it is a warning bar."""

    label: str
    value: float
    note: str
    bad: bool = False
    href: str | None = None


def hbar_svg(items: list[BarItem], title: str, scale: float, marker: float | None = None, marker_label: str = "",
             width: int = 560, label_cols: int = 26, note_cols: int = 16) -> str:
    """Horizontal bars with labels on the left and a note on the right; an optional vertical marker (达标线)."""
    row_h, top, bottom = 24, 8, 26 if marker is not None else 8
    left = label_cols * CHAR_PX + 8
    right = note_cols * CHAR_PX + 8
    plot_w = width - left - right
    height = top + bottom + row_h * max(len(items), 1)
    parts = [_svg_open(width, height, title, "hbar")]
    # the 达标线 goes first so that bars and their notes are drawn over it
    if marker is not None and scale:
        x = left + plot_w * marker / scale
        bottom_y = top + row_h * max(len(items), 1)
        parts.append(f'<line class="marker" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom_y}"/>'
                     f'<text class="marker-label" x="{x:.1f}" y="{bottom_y + 16}" text-anchor="middle">{escape(marker_label)}</text>')
    if not items:
        parts.append(f'<text class="label" x="{width / 2:.0f}" y="{top + 16}" text-anchor="middle">无数据</text>')
    for index, item in enumerate(items):
        y = top + index * row_h
        w = max(plot_w * min(item.value, scale) / scale, 0) if scale else 0
        label = escape(shorten(item.label, label_cols))
        text = f'<text class="label" x="{left - 8:.1f}" y="{y + 16}" text-anchor="end">{label}<title>{escape(item.label)}</title></text>'
        if item.href:
            text = f'<a href="{escape(item.href)}">{text}</a>'
        parts.append(text)
        parts.append(f'<rect class="{"bar-bad" if item.bad else "bar"}" x="{left:.1f}" y="{y + 4}" width="{w:.1f}" '
                     f'height="{row_h - 8}" rx="2"><title>{escape(item.label)}：{escape(item.note)}</title></rect>')
        parts.append(f'<text class="value" x="{left + w + 6:.1f}" y="{y + 16}">{escape(shorten(item.note, note_cols + 8))}</text>')
    parts.append("</svg>")
    return "".join(parts)
