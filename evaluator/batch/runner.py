"""Score a stream of jobs, in this process (``--jobs 1``) or in worker processes, with results in input order.

Workers get the settings once (pack spec, tailoring, waivers, as-of) and load the pack themselves, so nothing
large crosses the process boundary except one unit's data in and one result (as JSON text) out. Jobs are sent
in fixed-size chunks and at most a few chunks are in flight, which bounds memory however long the input is.
The order of results is the order of the input — and does not depend on ``--jobs``.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from evaluator.batch.disagreements import FALLBACK_CODE, EngineLog
from evaluator.batch.loading import Loaded, load_path, load_record
from evaluator.batch.sources import Job, RecordJob
from evaluator.compiled import CompiledPack
from evaluator.errors import Diagnostic, DiagnosticSink, Location
from schemas.unit import Waiver

CHUNK = 16
IN_FLIGHT = 4  # chunks queued per worker: a slow chunk at the head of the queue does not leave the others idle
T = TypeVar("T")
R = TypeVar("R")
Substitutes = dict[str, tuple[Decimal, int]]


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to score units exactly as the parent would."""

    pack_spec: str
    tailoring: str | None
    waivers: str | None
    as_of: dt.date | None
    encoding: str | None = None
    engine: str = "reference"  # or "sql" / "durable" (evaluator/batch/engines.py); explanations from the reference


@dataclass
class Outcome:
    """One unit's outcome: its result as canonical JSON text, or the located reasons it was not scored."""

    source: str
    unit_id: str
    name: str
    result_json: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    substitutable: bool = False
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # engine cells the reference overrode


@dataclass
class WorkerState:
    pack: CompiledPack
    waivers: list[Waiver]
    settings: Settings
    substitutable_rules: frozenset[str]


_STATE: WorkerState | None = None


def init_worker(settings: Settings, in_child: bool = True) -> None:
    """Load the pack and waivers once per process. Children ignore Ctrl-C: the parent handles it and stops them."""
    global _STATE
    if in_child:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent()
    from evaluator.api import load_waivers
    from evaluator.loader import load_pack_or_raise

    try:
        pack = load_pack_or_raise(settings.pack_spec, Path(settings.tailoring) if settings.tailoring else None)
        rules = frozenset(r.id for r in pack.rules if r.rule.na_substitute == "peer_average")
        _STATE = WorkerState(pack, load_waivers(Path(settings.waivers) if settings.waivers else None), settings, rules)
        if in_child:
            # The loaded pack lives as long as the worker: keep it out of the collector's full scans, which
            # otherwise cost 10–19% of the scoring time (measured by bench/reference_profile.py --gc-freeze).
            gc.freeze()
    except Exception:
        if not in_child:
            raise
        # A prestarted worker (see ``prestart``) may meet a bad pack or waiver file before the parent does: it stays
        # quiet (no traceback, no respawn loop) and the parent reports the located error and terminates the pool.


def _die_with_parent() -> None:
    """A worker must not outlive its parent (kill -9, the OOM killer), nor print a Python traceback into the
    officer's terminal when the parent's pipe closes: on Linux the kernel kills it the moment the parent dies."""
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def state() -> WorkerState:
    assert _STATE is not None, "init_worker was not called (or failed)"
    return _STATE


_PRESTARTED: dict[tuple[Settings, int], Any] = {}


def _new_pool(settings: Settings, jobs: int) -> Any:
    return multiprocessing.get_context("spawn").Pool(jobs, initializer=init_worker, initargs=(settings,))


def prestart(settings: Settings, jobs: int) -> None:
    """Start the worker processes before the parent loads the pack and lists the inputs.

    Why: a spawned worker needs 1–2 s to import civic and compile the pack; started first, that overlaps the
    parent's own start-up instead of delaying the first scored chunk (measured in docs/performance.md).
    ``Runner`` takes the prestarted pool if its settings match; ``discard_prestarted`` ends an unused one."""
    if jobs > 1 and (settings, jobs) not in _PRESTARTED:
        _PRESTARTED[(settings, jobs)] = _new_pool(settings, jobs)


def discard_prestarted() -> None:
    while _PRESTARTED:
        pool = _PRESTARTED.popitem()[1]
        pool.terminate()
        pool.join()


def _load(job: Job, sink: DiagnosticSink) -> list[Loaded]:
    st = state()
    if isinstance(job, RecordJob):
        return [load_record(job.record, st.pack, sink, st.settings.as_of)]
    return list(load_path(Path(job.path), st.pack, sink, st.settings.encoding, st.settings.as_of))


def score_job(job: Job, substitutes: Substitutes | None = None) -> list[Outcome]:
    """Load, validate and score one job (one unit, or every unit of a one-unit workbook)."""
    from evaluator.api import effective_as_of
    from evaluator.engine import evaluate

    st = state()
    sink = DiagnosticSink()
    loaded = _load(job, sink)
    if not loaded:  # e.g. a lock file: nothing to score, only notices
        return [Outcome(getattr(job, "path", ""), "", "", None, list(sink.items))] if sink.items else []
    outcomes: list[Outcome] = []
    for item in loaded:  # a job holds one unit; its diagnostics are all of the sink
        mine = list(sink.items)
        if item.unit is None or any(d.severity == "error" for d in mine):
            outcomes.append(Outcome(item.source, item.unit_id, item.name, None, mine or [_unknown(item.source)]))
            continue
        result = evaluate(st.pack, item.unit, item.values, as_of=effective_as_of(item.unit, st.settings.as_of),
                          waivers=st.waivers, substitutes=substitutes)
        needs = any(r.outcome == "not_applicable" and r.rule_id in st.substitutable_rules and not r.substituted for r in result.rules)
        outcomes.append(Outcome(item.source, item.unit_id, item.name, result.model_dump_json(), mine, needs))
    return outcomes


def _unknown(source: str) -> Diagnostic:
    return Diagnostic("D399", "单位数据无法读取", Location(source), "error")


def score_chunk(chunk: list[tuple[Job, Substitutes | None]]) -> list[list[Outcome]]:
    if state().settings.engine != "reference":
        return score_chunk_engine(chunk)
    return [score_job(job, subs) for job, subs in chunk]


def score_chunk_engine(chunk: list[tuple[Job, Substitutes | None]]) -> list[list[Outcome]]:
    """``--engine sql|durable``: load the chunk's units, score them in one engine call, keep what it reports.

    The substitutes of a chunk are the same for every job (the second pass sends one dict), so one call serves all.
    Any failure of the engine scores the whole chunk with the reference instead (no unit is lost) and says so (W502).
    """
    from evaluator.api import LoadedUnit
    from evaluator.batch.engines import ENGINES, EngineCall

    st = state()
    per_job: list[list[tuple[Loaded, list[Diagnostic]]]] = []
    valid: list[LoadedUnit] = []
    for job, _subs in chunk:
        sink = DiagnosticSink()
        loaded = _load(job, sink)
        entries = [(item, list(sink.items)) for item in loaded]
        per_job.append(entries)
        valid += [LoadedUnit(item.unit, item.values, item.source) for item, diags in entries
                  if item.unit is not None and not any(d.severity == "error" for d in diags)]
    substitutes = next((subs for _job, subs in chunk if subs), None)
    engine = st.settings.engine
    try:
        run = ENGINES[engine](EngineCall(st.pack, valid, st.settings.as_of, st.waivers, substitutes))
    except Exception as exc:  # noqa: BLE001 - an engine must never lose units: score this chunk with the reference instead
        return _with_note([score_job(job, subs) for job, subs in chunk], _failure(engine, valid, exc))
    by_id = {r.unit.id: r for r in run.results}
    cells: dict[str, list[dict[str, Any]]] = {}
    for cell in run.disagreements:
        cells.setdefault(cell.unit, []).append(cell.as_dict())
    outcomes: list[list[Outcome]] = []
    for (_job, _subs), entries in zip(chunk, per_job, strict=True):
        if not entries:
            outcomes.append([])
            continue
        job_outcomes = []
        for item, diags in entries:
            result = by_id.get(item.unit_id) if item.unit is not None and not any(d.severity == "error" for d in diags) else None
            if result is None:
                job_outcomes.append(Outcome(item.source, item.unit_id, item.name, None, diags or [_unknown(item.source)]))
                continue
            needs = any(r.outcome == "not_applicable" and r.rule_id in st.substitutable_rules and not r.substituted for r in result.rules)
            job_outcomes.append(Outcome(item.source, item.unit_id, item.name, result.model_dump_json(), diags, needs,
                                        cells.get(item.unit_id, [])))
        outcomes.append(job_outcomes)
    return _with_note(outcomes, "；".join(run.notes)) if run.notes else outcomes


def _failure(engine: str, units: list[Any], exc: Exception) -> str:
    ids = [u.unit.unit.id for u in units]
    which = f"{len(ids)} 个单位（{ids[0]} 至 {ids[-1]}）" if ids else "一批单位"
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{engine} 引擎在评测 {which}时出错（{type(exc).__name__}{'：' + text if text else ''}），这批单位已改由参考评测器评分，结果不受影响"


def _with_note(outcomes: list[list[Outcome]], note: str) -> list[list[Outcome]]:
    """Attach one W502 warning to the chunk's first outcome (warnings are collected from outcomes into summary.json)."""
    first = next((o for job_outcomes in outcomes for o in job_outcomes), None)
    if first is not None and note:
        first.diagnostics.append(Diagnostic(FALLBACK_CODE, note, Location(first.source), "warning",
                                            "引擎的这次失败不影响结果；若反复出现，改用默认引擎（--engine reference）并报告维护者"))
    return outcomes


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Runner:
    """Runs a function over chunks, in order, in this process or in a pool of ``jobs`` processes."""

    def __init__(self, settings: Settings, jobs: int):
        self.jobs = jobs
        self.pool: Any = None
        self.engine_log = EngineLog()
        if jobs > 1:
            self.pool = _PRESTARTED.pop((settings, jobs), None) or _new_pool(settings, jobs)
        else:
            init_worker(settings, in_child=False)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for result in self._map(fn, items):
            self._observe(result)
            yield result

    def _map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        if self.pool is None:
            yield from map(fn, items)
            return
        pending: deque[Any] = deque()
        for item in items:
            pending.append(self.pool.apply_async(fn, (item,)))
            if len(pending) >= IN_FLIGHT * self.jobs:  # results are taken in order: keep every worker busy meanwhile
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def _observe(self, result: Any) -> None:
        """Keep the engine disagreements of scored chunks as they pass (the collector keeps the rest)."""
        if not isinstance(result, list):
            return
        for job_outcomes in result:
            for outcome in job_outcomes if isinstance(job_outcomes, list) else ():
                if isinstance(outcome, Outcome) and outcome.result_json is not None:
                    self.engine_log.observe(outcome.unit_id, outcome.source, outcome.disagreements)

    def close(self, *, abort: bool = False) -> None:
        if self.pool is None:
            from evaluator.batch.engines import close_engines

            close_engines()
            return
        if abort:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()
        self.pool = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.close(abort=exc_type is not None)
