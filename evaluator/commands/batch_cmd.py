"""``civic batch``: score every unit of a city (folder, workbook or CSV) and write the reports officers use."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from evaluator.commands.common import (
    EPILOG,
    SHOWN_PER_CODE,
    cap_per_code,
    guarded,
    parse_date,
    show_diagnostics,
)
from evaluator.errors import EXIT_INTERNAL, EXIT_UNIT, Diagnostic, Location


@contextlib.contextmanager
def terminal_progress(label: str, length: int) -> Iterator[Any]:
    """A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or tests)."""
    if not sys.stderr.isatty():
        from evaluator.batch.pipeline import Progress

        yield Progress()
        return
    with click.progressbar(length=max(length, 1), label=label, file=sys.stderr, show_pos=True, width=30) as bar:
        yield bar


@click.command(name="batch", epilog=EPILOG)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pack", "pack_spec", required=True, help="测评体系编号或目录，如 wmdw")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹（整体替换：写完后才替换旧内容，中断不会留下半成品）")
@click.option("--as-of", callback=parse_date, help="评测基准日（默认取各单位数据的基准日或测评周期结束日）")
@click.option("--waivers", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="豁免文件")
@click.option("--tailoring", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="地方细则（覆盖文件）")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="并行进程数（结果与 1 个进程完全相同）")
@click.option("--strict", is_flag=True, help="遇到第一个有错误的单位就停止（退出码 4，不写输出）")
@click.option("--issuer", default="文明办", show_default=True, help="整改通知书的发文单位，如 某市文明办")
@click.option("--notice-prefix", default="整改通知", show_default=True, help="整改通知书文号前缀，文号形如 整改通知〔2024〕001号")
@click.option("--issue-date", callback=parse_date, help="整改通知书落款日期（默认取各单位的评测基准日）")
@click.option("--encoding", help="CSV 文件编码（默认自动识别 UTF-8 / GBK）")
@click.option("--engine", type=click.Choice(["reference", "sql", "durable"]), default="reference", show_default=True,
              help="评分引擎：reference 逐条 Python 评测；sql 用 DuckDB 批量评测；durable 用 durable-rules 判定叶条件"
                   "（可选，需 pip install 'civic[durable]'）。报告相同，说明都由参考评测器给出，不一致时以参考评测器为准")
@click.option("--strict-engine", is_flag=True,
              help="sql/durable 引擎与参考评测器有任何不一致（W501）时以退出码 5 结束（输出照常写出，以参考评测器为准）")
@guarded
def batch(inputs: tuple[Path, ...], pack_spec: str, outdir: Path, as_of: dt.date | None, waivers: Path | None,
          tailoring: Path | None, jobs: int, strict: bool, issuer: str, notice_prefix: str, issue_date: dt.date | None,
          encoding: str | None, engine: str, strict_engine: bool) -> None:
    """批量测评：读取文件夹（YAML/JSON/Excel 模板）、多单位工作簿或 CSV 中的全部单位，评分、排名，
    写出 results.jsonl、summary.json、汇总.xlsx、report.html 和每个单位的自评报告与整改通知书。"""
    from evaluator.api import load_waivers
    from evaluator.batch.disagreements import warning_lines
    from evaluator.batch.pipeline import BatchOptions, run_batch
    from evaluator.batch.runner import Settings, discard_prestarted, prestart
    from evaluator.batch.unit_files import NoticeSettings
    from evaluator.loader import load_pack_or_raise

    if engine == "durable":
        from evaluator.durable_engine import require_durable

        require_durable()  # not installed: U054 with the install command, exit 2, before any work
    jobs = min(jobs, os.cpu_count() or jobs)
    prestart(Settings(pack_spec, str(tailoring) if tailoring else None, str(waivers) if waivers else None, as_of, encoding, engine), jobs)
    try:
        pack = load_pack_or_raise(pack_spec, tailoring)
        load_waivers(waivers)  # a bad waiver file stops here, before any work (exit 4)
        options = BatchOptions(list(inputs), pack_spec, outdir, as_of, waivers, tailoring, jobs, strict,
                               encoding, NoticeSettings(issuer, notice_prefix, issue_date), engine)
        outcome = run_batch(options, pack, terminal_progress)
    finally:
        discard_prestarted()  # the pool was not used (an error before scoring): stop its workers
    shown, hidden = cap_per_code([_diag(w) for w in outcome.warnings], SHOWN_PER_CODE)
    show_diagnostics(shown)
    for code, count in hidden.items():
        click.echo(f"……另有 {count} 条 {code} 警告未逐条显示，全部列在 {outdir}/summary.json 的 warnings 中", err=True)
    counts = outcome.summary["counts"]
    average = outcome.summary["average"]
    click.echo(f"已评分 {counts['units']} 个单位（平均 {average if average is not None else '—'} 分，达标 {counts['passed']} 个），"
               f"未评分 {counts['rejected']} 个；输出在 {outdir}", err=True)
    disagreements = outcome.summary.get("engine_disagreements", [])
    for line in warning_lines(disagreements):
        click.echo(line, err=True)
    if outcome.rejected:
        for entry in outcome.rejected:
            click.echo(f"未评分：{entry['unit'] or '（无编号）'} {entry['message']}", err=True)
    if strict_engine and disagreements:
        click.echo(f"--strict-engine：评分引擎与参考评测器有 {len(disagreements)} 处不一致，以退出码 {EXIT_INTERNAL} 结束（输出已写出，以参考评测器为准）",
                   err=True)
        sys.exit(EXIT_INTERNAL)
    if outcome.rejected:
        sys.exit(EXIT_UNIT)


def _diag(data: dict[str, Any]) -> Diagnostic:
    loc = Location(str(data["path"]), data.get("line"), data.get("col"), sheet=data.get("sheet"), cell=data.get("cell"))
    return Diagnostic(str(data["code"]), str(data["message"]), loc, data.get("severity", "warning"), data.get("hint"))


def register(group: click.Group) -> None:
    group.add_command(batch)
