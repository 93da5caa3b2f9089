"""report.html in a real headless Chromium: the page renders, is not blank, and every chart is drawn.

Skips (with the reason) when no Chromium is installed; CI installs it (apt: chromium fonts-noto-cjk). When
Chromium is present but no Chinese font is, the test fails: the page would show tofu boxes to its readers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evaluator.compiled import CompiledPack
from evaluator.render.html_report import render_html_report
from schemas.result import RunReport

from .pngcheck import inspect_png

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_S = 120


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("未安装 Chromium（CI 通过 apt-get install chromium fonts-noto-cjk 安装）")


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)


def _write(directory: Path, html: str) -> Path:
    path = directory / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, sample_report: RunReport, wmdw_pack: CompiledPack) -> Path:
    return _write(tmp_path_factory.mktemp("html"), render_html_report(sample_report, wmdw_pack))


def test_chinese_font_is_installed_for_the_browser() -> None:
    _browser()
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("没有 fontconfig（fc-list），无法确认中文字体")
    families = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert families.strip(), "浏览器可用但没有中文字体，页面会显示方框；请安装 fonts-noto-cjk"


def test_screenshot_is_a_real_page(page: Path, tmp_path: Path) -> None:
    browser = _browser()
    shot = tmp_path / "report.png"
    result = _run(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert shot.is_file(), f"Chromium 没有生成截图：{result.stderr[-2000:]}"
    assert shot.stat().st_size > 50_000, "截图过小，页面可能是空白"
    info = inspect_png(shot)
    assert (info.width, info.height) == (1280, 2000)
    assert info.rich_row_share > 0.2, f"截图几乎是纯色（内容行占比 {info.rich_row_share:.2f}）"


def test_all_charts_are_drawn(page: Path, tmp_path: Path, sample_report: RunReport) -> None:
    browser = _browser()
    result = _run(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    match = re.search(r'<html[^>]*data-charts-rendered="(\d+)/(\d+)"', result.stdout)
    assert match, f"页面脚本没有运行（没有 data-charts-rendered 标记）：{result.stderr[-2000:]}"
    drawn, total = int(match.group(1)), int(match.group(2))
    assert total == 4 and drawn == total, f"只画出了 {drawn}/{total} 张图"
    units = re.search(r'data-units-drawn="(\d+)"', result.stdout)
    assert units and int(units.group(1)) == 3, "the three sample units' sections are drawn at load"
    hospital = next(u for u in sample_report.units if u.unit.id == "DW-330105-014")
    assert "某区人民医院" in result.stdout
    assert f"整改清单（{len(hospital.rectifications)} 项）" in result.stdout
    assert hospital.rectifications[0].requirement in result.stdout


def test_hostile_names_stay_text(tied_report: RunReport, wmdw_pack: CompiledPack, tmp_path: Path) -> None:
    browser = _browser()
    page = _write(tmp_path, render_html_report(tied_report, wmdw_pack))
    result = _run(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert 'data-units-drawn="12"' in result.stdout, result.stderr[-2000:]
    assert len(re.findall(r"<script[\s>]", result.stdout)) == 2, "no script element was injected by unit data"
    assert "&lt;script&gt;alert('x')&lt;/script&gt;&amp;单位" in result.stdout
