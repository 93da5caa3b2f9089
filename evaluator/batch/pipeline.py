"""``civic batch``: read every unit, score them (in parallel), substitute peer averages, write the outputs.

Phases: (1) stream the inputs and score each unit in input order, appending result lines to a scratch file;
(2) re-score units whose not-applicable rules take the batch's peer average; (3) write results.jsonl sorted by
unit id; (4) read results.jsonl back once into a ``BatchDigest`` (a compact line per unit, per-rule tallies, the
units' list rows spooled to disk); (5) render each unit's 自评报告.md and 整改通知书.docx in the workers;
(6) stream summary.json, 汇总.xlsx and report.html from the digest; (7) swap the staging folder in for OUTDIR.
Nothing depends on the clock or on ``--jobs``: the same inputs give byte-identical outputs.

Memory: the parent never holds the units' full results (about 0.1 MB each), only the digest (about 1 KB a unit)
and bounded buffers, so a province-sized batch runs in a few hundred megabytes — see docs/batch.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.batch import substitute
from evaluator.batch.collect import Collector
from evaluator.batch.outputs import LineStore, Staging
from evaluator.batch.parquet_out import ResultsParquet
from evaluator.batch.runner import Runner, Settings, Substitutes, chunks, score_chunk
from evaluator.batch.sources import (
    FileJob,
    Job,
    RecordJob,
    estimate_units,
    expand_inputs,
    input_digests,
    iter_jobs,
)
from evaluator.batch.summary import build_summary, write_summary
from evaluator.batch.unit_files import NoticeSettings, RenderChunk, RenderTask, render_chunk
from evaluator.compiled import CompiledPack
from evaluator.errors import UnitDataError, usage_error
from evaluator.render.batch_digest import BatchDigest
from evaluator.report import run_report
from schemas.result import RunReport, UnitResult

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
WORKBOOK = "汇总.xlsx"
HTML = "report.html"
RENDER_CHUNK = 8


class Progress:
    """A phase's progress: ``update(n)``. The command gives a terminal bar; tests and pipes get this no-op."""

    def update(self, n: int) -> None:  # pragma: no cover - nothing to do
        return None


ProgressFactory = Callable[[str, int], contextlib.AbstractContextManager[Progress]]


@contextlib.contextmanager
def no_progress(_label: str, _length: int) -> Iterator[Progress]:
    yield Progress()


@dataclass
class BatchOptions:
    inputs: list[Path]
    pack_spec: str
    outdir: Path
    as_of: dt.date | None = None
    waivers: Path | None = None
    tailoring: Path | None = None
    jobs: int = 1
    strict: bool = False
    encoding: str | None = None
    notice: NoticeSettings = field(default_factory=lambda: NoticeSettings("文明办", "整改通知", None))
    engine: str = "reference"


@dataclass
class BatchOutcome:
    report: RunReport  # the run's header and rejected units; its ``units`` are empty (the results are in results.jsonl)
    summary: dict[str, Any]
    warnings: list[dict[str, Any]]

    @property
    def rejected(self) -> list[dict[str, str]]:
        return self.report.rejected


def run_batch(options: BatchOptions, pack: CompiledPack, progress: ProgressFactory = no_progress) -> BatchOutcome:
    files, missing = expand_inputs(options.inputs, pack)
    if missing:
        raise UnitDataError(missing) if files else usage_error("U032", "输入文件或文件夹不存在：" + "、".join(d.location.path for d in missing))
    if not files:
        raise usage_error("U033", "输入中没有找到单位数据文件（.yaml/.json/.xlsx/.csv）", hint="检查路径；文件夹中以 . 或 ~$ 开头的文件会被跳过")
    settings = Settings(options.pack_spec, str(options.tailoring) if options.tailoring else None,
                        str(options.waivers) if options.waivers else None, options.as_of, options.encoding, options.engine)
    with Staging(options.outdir) as staging, Runner(settings, options.jobs) as runner:
        store = LineStore(staging.file(".results.unsorted"))
        collector = Collector(store)
        try:
            with progress("评分", estimate_units(files)) as bar:
                _score(runner, iter_jobs(files, pack, options.encoding), collector, bar, options.strict)
            averages = _substitute(runner, pack, collector)
            positions = store.write_sorted(staging.file(RESULTS))
        finally:
            store.close()
        report = run_report(pack, [], options.as_of, collector.rejected_entries())
        report.inputs = input_digests(files, pack)
        digest = BatchDigest(report, pack, staging.path)
        try:
            with progress("汇总", len(positions)) as bar, ResultsParquet(staging.path) as parquet:
                _digest(staging.file(RESULTS), digest, parquet, bar)
            if options.as_of is None:
                report.as_of = digest.shown_as_of()
            with progress("生成报告", len(positions)) as bar:
                _render_units(runner, staging, report, options.notice, positions, bar)
            warnings = collector.warning_dicts()
            summary = build_summary(digest, options, averages, warnings, runner.engine_log.entries(collector.sources))
            _write_reports(staging, digest, summary)
        finally:
            digest.close()
        staging.commit()
    return BatchOutcome(report, summary, warnings)


def _score(runner: Runner, stream: Iterator[Any], collector: Collector, bar: Any, strict: bool) -> None:
    def jobs() -> Iterator[tuple[int, Job]]:
        for seq, item in enumerate(stream):
            if isinstance(item, FileJob | RecordJob):
                yield seq, item
            else:
                collector.source_item(seq, item)

    for batch in _paired(runner, jobs()):
        for (seq, job), outcomes in batch:
            for outcome in outcomes:
                collector.outcome(seq, job, outcome)
            bar.update(1)
        if strict and collector.first_error(final=False):
            break
    if strict and (first := collector.first_error(final=True)):
        raise UnitDataError(first.diagnostics)


def _paired(runner: Runner, items: Iterator[tuple[int, Job]]) -> Iterator[list[tuple[tuple[int, Job], list[Any]]]]:
    """Score chunks of jobs and give each job back with its outcomes (the chunk is kept in the parent)."""
    sent: list[list[tuple[int, Job]]] = []

    def payloads() -> Iterator[list[tuple[Job, Substitutes | None]]]:
        for chunk in chunks(items):
            sent.append(chunk)
            yield [(job, None) for _, job in chunk]

    for results in runner.map(score_chunk, payloads()):
        chunk = sent.pop(0)
        yield list(zip(chunk, results, strict=True))


def _substitute(runner: Runner, pack: CompiledPack, collector: Collector) -> dict[str, substitute.PeerAverage]:
    averages = substitute.peer_averages(pack, collector.stored_results())
    if not averages or not collector.redo:
        return averages
    subs = substitute.as_substitutes(averages)
    work: list[tuple[Job, Substitutes | None]] = [(job, subs) for _, job in sorted(collector.redo.items())]
    for results in runner.map(score_chunk, chunks(work)):
        for outcomes in results:
            for outcome in outcomes:
                if outcome.result_json is not None:
                    collector.replace(outcome)
    return averages


def _render_units(runner: Runner, staging: Staging, report: RunReport, notice: NoticeSettings,
                  positions: dict[str, tuple[int, int]], bar: Any) -> None:
    tasks = [RenderTask(uid, off, length, serial) for serial, (uid, (off, length)) in enumerate(sorted(positions.items()), start=1)]
    work = (RenderChunk(str(staging.file(RESULTS)), str(staging.path), report.pack, report.as_of, report.formula, notice, part)
            for part in chunks(tasks, RENDER_CHUNK))
    for done in runner.map(render_chunk, work):
        bar.update(done)


def _digest(results: Path, digest: BatchDigest, parquet: ResultsParquet, bar: Any) -> None:
    """One pass over results.jsonl (sorted by unit id: the order of the reports' tie-breaks), one unit at a time:
    into the reports' digest and the two Parquet result files."""
    with results.open(encoding="utf-8") as lines:
        for line in lines:
            unit = UnitResult.model_validate_json(line)
            digest.add(unit)
            parquet.add(unit)
            bar.update(1)


def _write_reports(staging: Staging, digest: BatchDigest, summary: dict[str, Any]) -> None:
    """summary.json, 汇总.xlsx and report.html, each streamed to its file (see ``BatchDigest``)."""
    from evaluator.render.html_report import render_html_report
    from evaluator.render.summary_xlsx import render_summary_xlsx

    write_summary(staging.file(SUMMARY), summary)
    render_summary_xlsx(digest, digest.pack, staging.file(WORKBOOK))
    render_html_report(digest, digest.pack, staging.file(HTML))
