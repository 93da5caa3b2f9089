"""Profile the reference evaluator (``evaluator.engine.evaluate``) on one or more packs.

A command, not a test: it measures, it asserts nothing. It loads a pack once, prepares N units (synthetic
units from ``civic sample``'s generator, or the pack's shipped samples repeated with varied unit ids),
evaluates them one by one and reports per-unit times and units/s on one core. A digest of the canonical
JSON of every result is printed so a before/after run proves the output did not change.

    python bench/reference_profile.py --pack rules/wmdw --pack rules/wmcs -n 2000
    python bench/reference_profile.py --pack rules/wmcs -n 500 --profile cprofile --top 30
    python bench/reference_profile.py --pack rules/wmcs -n 500 --profile pyinstrument   # pip install pyinstrument
    python bench/reference_profile.py --startup 10      # wall time of `civic evaluate` on one unit, 10 runs

Machine noise matters (other processes share the cores): the load average is printed with every run, and
times are given both as wall time and as this process's CPU time. On a busy 2-core machine even CPU time
moves by ±30 %; for a before/after comparison that load cannot disturb, count instructions instead:
``--plain N`` only evaluates (no timing, no digest), so the difference between two runs under callgrind is
the cost of the extra units:

    PY=$(python -c 'import sys; print(sys.executable)')
    valgrind --tool=callgrind --callgrind-out-file=/dev/null $PY bench/reference_profile.py --pack rules/wmcs -n 30 --plain 10
    valgrind --tool=callgrind --callgrind-out-file=/dev/null $PY bench/reference_profile.py --pack rules/wmcs -n 30 --plain 60
    # (Ir of the second − Ir of the first) / 50 = instructions per unit
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import hashlib
import os
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluator.compiled import CompiledPack  # noqa: E402
from evaluator.engine import evaluate  # noqa: E402
from evaluator.errors import DiagnosticSink  # noqa: E402
from evaluator.loader import load_pack_or_raise  # noqa: E402
from schemas.unit import Unit  # noqa: E402


@dataclass
class Prepared:
    """One unit ready for ``evaluate``: validated model, normalised values, assessment day."""

    unit: Unit
    values: dict[str, Any]
    as_of: dt.date


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (cores: {os.cpu_count()})"


def _with_id(unit: Unit, unit_id: str) -> Unit:
    """A copy of ``unit`` under another id: repeated samples must look like distinct units."""
    return unit.model_copy(update={"unit": unit.unit.model_copy(update={"id": unit_id})})


def shipped_units(pack: CompiledPack, count: int) -> list[Prepared]:
    """The pack's ``samples/*.yaml`` repeated round-robin up to ``count``, each copy with its own id."""
    from evaluator.unitdata import load_unit_file

    base: list[tuple[Unit, dict[str, Any]]] = []
    for path in sorted((pack.root / "samples").glob("*.yaml")):
        sink = DiagnosticSink()
        unit, values = load_unit_file(path, pack, sink)
        if unit is not None:
            base.append((unit, values))
    if not base:
        raise SystemExit(f"{pack.root}: no loadable samples/*.yaml")
    prepared = []
    for index in range(count):
        unit, values = base[index % len(base)]
        copy = _with_id(unit, f"{unit.unit.id}-{index:06d}")
        prepared.append(Prepared(copy, values, unit.as_of or unit.period.end))
    return prepared


def generated_units(pack: CompiledPack, count: int, seed: int) -> list[Prepared]:
    """Synthetic units from ``civic sample``'s generator, validated and normalised like a loaded file."""
    from evaluator.sample_gen import generate
    from evaluator.unitdata import check_fields

    prepared = []
    rejected = 0
    for raw in generate(pack, count, seed=seed):
        unit = Unit.model_validate(raw)
        sink = DiagnosticSink()
        values = check_fields(pack, unit, None, sink, f"sample-{unit.unit.id}")
        if sink.errors:
            rejected += 1
            continue
        prepared.append(Prepared(unit, values, unit.as_of or unit.period.end))
    if rejected:
        print(f"  note: {rejected} generated units had data errors and were left out")
    return prepared


def prepare(pack: CompiledPack, count: int, source: str, seed: int) -> list[Prepared]:
    if source == "generate":
        return generated_units(pack, count, seed)
    return shipped_units(pack, count)


@dataclass
class Timing:
    cpu: list[float]  # per unit, CPU seconds of this process inside evaluate()
    wall: list[float]  # per unit, wall seconds inside evaluate()
    digest: str

    @property
    def total_cpu(self) -> float:
        return sum(self.cpu)

    @property
    def total_wall(self) -> float:
        return sum(self.wall)


def run_all(pack: CompiledPack, units: list[Prepared], with_digest: bool = True) -> Timing:
    """Evaluate every unit, timing only the ``evaluate`` call. Results are not kept: as in a batch, each is
    serialised (into the digest, outside the timed part) and dropped, so the garbage collector does not pay
    for an ever larger heap of results that a real run would not hold."""
    cpu: list[float] = []
    wall: list[float] = []
    sha = hashlib.sha256()
    for item in units:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = evaluate(pack, item.unit, item.values, as_of=item.as_of)
        cpu.append(time.process_time() - cpu0)
        wall.append(time.perf_counter() - wall0)
        if with_digest:
            sha.update(result.model_dump_json(indent=2).encode())
    return Timing(cpu, wall, sha.hexdigest()[:16])


def report(pack: CompiledPack, units: list[Prepared], timing: Timing) -> None:
    rules = sum(1 for r in pack.rules if r.rule.status == "stable")
    ms = sorted(t * 1000 for t in timing.cpu)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    cpu, wall = timing.total_cpu, timing.total_wall
    print(f"  rules (stable): {rules}   units: {len(units)}")
    print(f"  per unit (CPU): mean {statistics.fmean(ms):.3f} ms   median {statistics.median(ms):.3f} ms   p95 {p95:.3f} ms")
    print(f"  evaluate() total: wall {wall:.2f} s   CPU {cpu:.2f} s")
    print(f"  units/s per core (CPU): {len(units) / cpu:,.0f}   (wall: {len(units) / wall:,.0f})")
    print(f"  rule evaluations/s per core (CPU): {len(units) * rules / cpu:,.0f}")
    print(f"  output digest: {timing.digest}")


def profile_cprofile(pack: CompiledPack, units: list[Prepared], top: int, out: Path | None) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run_all(pack, units, with_digest=False)
    profiler.disable()
    if out:
        profiler.dump_stats(str(out))
        print(f"  profile written to {out}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def profile_pyinstrument(pack: CompiledPack, units: list[Prepared]) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("pyinstrument is not installed: pip install pyinstrument (not a project dependency)") from None
    profiler = Profiler(interval=0.0005)
    profiler.start()
    run_all(pack, units, with_digest=False)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def plain(pack: CompiledPack, units: list[Prepared], count: int) -> None:
    """Evaluate ``count`` units (cycling through ``units``) after a short warm-up, measuring nothing: for
    instruction counts under ``valgrind --tool=callgrind``, which other processes cannot disturb."""
    for item in units[:3]:
        evaluate(pack, item.unit, item.values, as_of=item.as_of)
    for index in range(count):
        item = units[index % len(units)]
        evaluate(pack, item.unit, item.values, as_of=item.as_of)
    print(f"  evaluated {count} units (plain run)")


def bench_pack(spec: str, args: argparse.Namespace) -> None:
    pack = load_pack_or_raise(spec, None)
    units = prepare(pack, args.n, args.source, args.seed)
    print(f"\n== {pack.meta.id} ({pack.root}) — source: {args.source}, load average {load_average()}")
    if args.profile == "cprofile":
        profile_cprofile(pack, units, args.top, args.profile_out)
        return
    if args.profile == "pyinstrument":
        profile_pyinstrument(pack, units)
        return
    if args.plain is not None:
        plain(pack, units[: min(len(units), 30)], args.plain)
        return
    run_all(pack, units[: min(len(units), 50)], with_digest=False)  # warm caches, as a long batch would be
    if args.gc_freeze:
        gc.freeze()  # the loaded pack and prepared units leave the collector's view, as a batch could arrange
    runs = [run_all(pack, units) for _ in range(args.repeat)]
    report(pack, units, min(runs, key=lambda t: t.total_cpu))


def _time_processes(command: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each run; CPU time is the steadier figure on a busy machine."""
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def startup(runs: int, unit: str) -> None:
    """Wall time of a whole ``civic evaluate`` process on one unit (imports, pack loading, rendering).

    Measured twice: with byte-code caching as on a normal install (``.pyc`` files kept, here under a temporary
    PYTHONPYCACHEPREFIX so the work tree is not touched), and without (PYTHONDONTWRITEBYTECODE=1, as some
    sandboxes run: every module is compiled from source on every start)."""
    import tempfile

    command = [sys.executable, "-m", "cli", "evaluate", unit, "-f", "json"]
    print(f"`civic evaluate {unit} -f json`, {runs} runs each, load average {load_average()}:")
    with tempfile.TemporaryDirectory() as prefix:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": prefix}
        _time_processes(command, 1, cached)  # writes the byte code
        for label, env in (("byte code cached", cached), ("no byte code (PYTHONDONTWRITEBYTECODE=1)", os.environ | {"PYTHONDONTWRITEBYTECODE": "1"})):
            walls, cpus = _time_processes(command, runs, dict(env))
            print(f"  {label}: wall min {min(walls):.3f} s, median {statistics.median(walls):.3f} s;"
                  f"   CPU min {min(cpus):.3f} s, median {statistics.median(cpus):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", action="append", help="pack id or directory (repeatable; default rules/wmdw and rules/wmcs)")
    parser.add_argument("-n", type=int, default=1000, help="units per pack (default 1000)")
    parser.add_argument("--source", choices=["samples", "generate"], default="samples",
                        help="shipped samples repeated with new ids, or units from the civic sample generator")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (--source generate)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the fastest (least disturbed) is reported")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"], help="profile instead of timing")
    parser.add_argument("--profile-out", type=Path, help="with --profile cprofile: also write the stats file")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile to print")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after preparing the units: full collections then skip the loaded data "
                             "(about 10%% of evaluate() on wmcs); shows what a batch runner could gain")
    parser.add_argument("--plain", type=int, metavar="N", help="only evaluate N units, no timing (for callgrind instruction counts)")
    parser.add_argument("--startup", type=int, metavar="RUNS", help="time RUNS whole `civic evaluate` processes instead")
    parser.add_argument("--startup-unit", default="rules/wmdw/samples/weak.yaml", help="unit file for --startup")
    args = parser.parse_args()
    if args.startup:
        startup(args.startup, args.startup_unit)
        return
    for spec in args.pack or ["rules/wmdw", "rules/wmcs"]:
        bench_pack(spec, args)


if __name__ == "__main__":
    main()
