"""report.html structure: self-contained (no network), escaped, one anchor per unit, charts present, deterministic."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from evaluator.compiled import CompiledPack
from evaluator.render.charts_svg import shorten
from evaluator.render.html_payload import embed_json
from evaluator.render.html_report import render_html_report, unit_anchor
from schemas.result import RunReport


class _Collector(HTMLParser):
    """Collects tags, ids and resource-bearing attributes to check structure without regex guesswork."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.resources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href", "action", "data", "poster", "srcset") and value:
                self.resources.append(value)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_self_contained_without_network(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    html = render_html_report(sample_report, wmdw_pack)
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    parsed = _parse(html)
    assert all(r.startswith("#") for r in parsed.resources), parsed.resources
    assert "link" not in parsed.tags and "img" not in parsed.tags and "iframe" not in parsed.tags
    assert parsed.tags.count("script") == 2 and parsed.tags.count("style") == 1, "unit data (JSON) and the page script"
    assert not re.search(r"@import|url\(", html)


def test_sections_anchors_and_charts(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    html = render_html_report(sample_report, wmdw_pack)
    parsed = _parse(html)
    for section in ("overview", "charts", "ranking", "rules", "rollups", "units", "rejected", "method", "q"):
        assert section in parsed.ids, section
    for unit in sample_report.units:
        assert unit_anchor(unit.unit.id) in parsed.ids
        assert f'href="#{unit_anchor(unit.unit.id)}"' in html
    kinds = re.findall(r'<svg class="chart" data-chart="(\w+)"', html)
    assert sorted(kinds) == ["hbar", "hbar", "hbar", "histogram"]
    assert 'lang="zh-CN"' in html and "Noto Sans CJK SC" in html and "Microsoft YaHei" in html
    assert "某区人民医院" in html and "缺项清单" in html and "整改清单" in html
    hospital = next(u for u in sample_report.units if u.unit.id == "DW-330105-014")
    assert hospital.rectifications[0].requirement in html, "details travel in the embedded JSON"


def test_user_text_is_escaped(tied_report: RunReport, wmdw_pack: CompiledPack) -> None:
    html = render_html_report(tied_report, wmdw_pack)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;单位" in html
    assert _parse(html).tags.count("script") == 2
    payload = html.split('id="unit-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in payload and ">" not in payload


def test_embedded_json_cannot_close_the_script() -> None:
    hostile = {"s": ["</script><script>alert(1)</script>", "a\u2028b", "x & y"]}
    text = embed_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == hostile


def test_payload_round_trips_unit_details(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    html = render_html_report(sample_report, wmdw_pack)
    raw = re.search(r'<script type="application/json" id="unit-data">(.*?)</script>', html, re.S)
    assert raw
    data = json.loads(raw.group(1))
    strings = data["s"]
    order = re.findall(r'<details class="unit \w+" id="([^"]+)" data-i="(\d+)"', html)
    assert len(order) == len(sample_report.units) == len(data["units"])
    by_anchor = {unit_anchor(u.unit.id): u for u in sample_report.units}
    for anchor, index in order:
        unit, record = by_anchor[anchor], data["units"][int(index)]
        assert strings[record["f"][0]] == unit.unit.id
        assert [strings[r[0]] for r in record["r"]] == [r.problem for r in unit.rectifications]
        assert [strings[r[5]] for r in record["r"]] == [r.due for r in unit.rectifications]
        assert [strings[d[3]] for d in record["d"]] == [d.name for d in unit.deficiencies]
    assert [code for code, _ in data["nodes"]][:2] == ["01", "02"]


def test_ties_are_shown_with_shared_ranks(tied_report: RunReport, wmdw_pack: CompiledPack) -> None:
    html = render_html_report(tied_report, wmdw_pack)
    ranks = re.findall(r'<tr data-search="[^"]*"><td class="n">(\d+)</td>', html)
    assert [int(r) for r in ranks] == [1, 1, 3, 3, 5, 6, 6, 6, 9, 10, 11, 11]


def test_unsafe_ids_get_valid_anchors() -> None:
    assert unit_anchor("DW-001") == "u-DW-001"
    odd = unit_anchor("单位 1\"><x")
    assert re.fullmatch(r"u-[0-9a-f]+", odd)


def test_shorten_counts_cjk_double() -> None:
    assert shorten("杭州市余杭区仓前街道", 10) == "杭州市余…"
    assert shorten("short", 10) == "short"


def test_deterministic(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    assert render_html_report(sample_report, wmdw_pack) == render_html_report(sample_report, wmdw_pack)


def test_empty_report_renders(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    html = render_html_report(sample_report.model_copy(update={"units": []}), wmdw_pack)
    assert "参评单位" in html and "无数据" in html
