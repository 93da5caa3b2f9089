"""Benchmark every engine side by side on generated units and write docs/performance.md.

    python -m bench.run --pack wmcs --sizes 10000,100000,1000000 --engines reference,duckdb,spark,durable

Each measurement runs in its own child process (``python -m bench.run --child …``) so peak RSS is that
engine's alone; the parent samples the child's process tree (Spark's JVM included) from /proc.
* duckdb / spark: the flat Parquet → ``score-flat`` → two Parquet files, wall time end to end; for DuckDB the
  evaluation step (the long unit × rule query, aggregated in memory) is timed separately.
* reference / durable: work unit by unit, so they run on a sample (``--reference-sample``, ``--durable-sample``)
  of the same generated data, and their figures for N units are extrapolated — labelled as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


# --- child side ---------------------------------------------------------------------------------------


def _load(pack_id: str) -> Any:
    from evaluator.loader import load_pack_or_raise

    return load_pack_or_raise(pack_id)


def child_duckdb(pack_id: str, data: Path, out: Path, memory_limit: str | None) -> dict[str, Any]:
    import duckdb

    from evaluator.sqlc.flatfile import _typed_view, plan, score_flat

    pack = _load(pack_id)
    load_before = os.getloadavg()[0]
    plan_ = plan(pack)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    # The whole Parquet → Parquet run first, so its peak memory is measured alone (ru_maxrss only grows; the
    # evaluation-step query below runs afterwards in the same process and may hold more).
    started, cpu = time.perf_counter(), _cpu_seconds()
    stats = score_flat(pack, data, out, memory_limit=memory_limit)
    seconds, flat_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    flat_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _typed_view(con, plan_, data)
    started, cpu = time.perf_counter(), _cpu_seconds()
    con.execute(f"SELECT COUNT(*), SUM(earned) FROM ({plan_.pack_sql.sql('duckdb')})").fetchall()
    evaluation, eval_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    con.close()
    return {"seconds": seconds, "eval_seconds": evaluation, "memory_limit": memory_limit, "rules": stats["rules"], "units": stats["units"],
            "load": [round(load_before, 1), round(os.getloadavg()[0], 1)], "cpu_seconds": round(flat_cpu, 1), "eval_cpu_seconds": round(eval_cpu, 1),
            "flat_maxrss": flat_maxrss}


def _cpu_seconds() -> float:
    """CPU time of this process, all DuckDB threads included: unlike wall time it hardly depends on what else
    runs on the machine (the 2-core test machine is shared), so it is reported next to the wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_spark(pack_id: str, data: Path, out: Path) -> dict[str, Any]:
    from evaluator.sqlc.spark import score_flat_spark, spark_session

    pack = _load(pack_id)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    spark_session()
    startup = time.perf_counter() - started
    started = time.perf_counter()
    stats = score_flat_spark(pack, data, out)
    return {"seconds": time.perf_counter() - started, "startup_seconds": startup, "rules": stats["rules"], "units": stats["units"],
            "load": [round(load_before, 1), round(os.getloadavg()[0], 1)]}


def _sample_units(pack: Any, n: int, sample: int) -> tuple[list[Any], list[str]]:
    from bench.gen import check_sample, flat_table, generate, unit_of
    from evaluator.api import LoadedUnit
    from evaluator.sqlc.flatfile import plan

    needs = plan(pack).needs
    latent = generate(pack, needs, n)
    rows = list(range(0, n, max(1, n // sample)))[:sample]
    # the unit view must flatten to exactly the rows the SQL engines read (checked where the table fits easily)
    problems = check_sample(pack, latent, flat_table(latent, needs), needs, rows[:20]) if n <= 100_000 else []
    units = []
    for i in rows:
        unit, values = unit_of(pack, latent, i)
        units.append(LoadedUnit(unit, values, "bench"))
    return units, problems


def child_reference(pack_id: str, n: int, sample: int) -> dict[str, Any]:
    from evaluator.api import evaluate_loaded

    pack = _load(pack_id)
    units, problems = _sample_units(pack, n, sample)
    started = time.perf_counter()
    results = evaluate_loaded(pack, units, None, [])
    seconds = time.perf_counter() - started
    rules = len([r for r in pack.scored_rules() if r.rule.status == "stable"])
    return {"seconds": seconds, "units": len(results), "rules": rules, "generator_mismatches": problems}


def child_durable(pack_id: str, n: int, sample: int) -> dict[str, Any]:
    from evaluator.api import evaluate_loaded
    from evaluator.durable_engine import score_units_durable_detailed

    pack = _load(pack_id)
    units, _ = _sample_units(pack, n, sample)
    started = time.perf_counter()
    outcome = score_units_durable_detailed(pack, units, None, [])
    seconds = time.perf_counter() - started
    reference = evaluate_loaded(pack, units, None, [])
    mismatches = sum(1 for a, b in zip(outcome.results, reference, strict=True) if a.model_dump() != b.model_dump())
    rules = len([r for r in pack.scored_rules() if r.rule.status == "stable"])
    return {"seconds": seconds, "units": len(units), "rules": rules, "leaves": outcome.leaves, "facts": outcome.facts_sent,
            "fallback_rules": len(outcome.fallback), "invalid_units": len(outcome.invalid_units), "mismatches": mismatches}


def child_main(args: argparse.Namespace) -> None:
    data, out = Path(args.data or "."), Path(args.out or ".")
    if args.child == "duckdb":
        result = child_duckdb(args.pack, data, out, args.memory_limit)
    elif args.child == "spark":
        result = child_spark(args.pack, data, out)
    elif args.child == "reference":
        result = child_reference(args.pack, args.n, args.sample)
    else:
        result = child_durable(args.pack, args.n, args.sample)
    result["self_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


# --- parent side --------------------------------------------------------------------------------------


def run_child(argv: list[str]) -> dict[str, Any]:
    process = subprocess.Popen([sys.executable, "-m", "bench.run", *argv], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    started = time.perf_counter()
    output, _ = process.communicate()
    wall = time.perf_counter() - started
    watcher.join()
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if process.returncode != 0 or not lines:
        return {"error": f"exit {process.returncode}", "process_seconds": wall}
    result: dict[str, Any] = json.loads(lines[-1][7:])
    # DuckDB: the Parquet → Parquet run's own peak (measured before the evaluation-step query in the same process).
    result["peak_rss"] = result.get("flat_maxrss") or max(peak[0], result.get("self_maxrss", 0))
    result["process_seconds"] = wall
    return result


def generate_parquet(pack_id: str, n: int, folder: Path) -> tuple[Path, float]:
    import pyarrow.parquet as pq

    from bench.gen import flat_table, generate
    from evaluator.sqlc.flatfile import ROW_GROUP_ROWS, plan

    pack = _load(pack_id)
    needs = plan(pack).needs
    path = folder / f"{pack_id}_{n}.parquet"
    started = time.perf_counter()
    if not path.exists():
        from evaluator.sqlc.duck import arrow_schema

        table = flat_table(generate(pack, needs, n), needs).cast(arrow_schema(needs, plan(pack).pack_sql))  # the layout's types
        pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP_ROWS)  # as civic flatten writes it
    return path, time.perf_counter() - started


def parent_main(args: argparse.Namespace) -> None:
    from bench.report import write_report

    folder = Path(args.work)
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    saved = folder / "rows.json"
    sizes, engines = [int(s) for s in args.sizes.split(",")], args.engines.split(",")
    if args.keep_other and saved.exists():  # re-measure some engines, keep the others' rows from the last run
        rows = [r for r in json.loads(saved.read_text()) if not (r["engine"] in engines and r["n"] in sizes)]
    for n in sizes:
        data, gen_seconds = generate_parquet(args.pack, n, folder)
        print(f"[{n}] generated {data.name} in {gen_seconds:.1f}s", file=sys.stderr, flush=True)
        for engine in engines:
            if engine in ("duckdb", "spark"):
                if engine == "spark" and n > args.spark_max:
                    continue
                argv = ["--child", engine, "--pack", args.pack, "--data", str(data), "--out", str(folder / f"out_{engine}_{n}"),
                        "--memory-limit", args.duckdb_memory_limit]
            else:
                sample = args.reference_sample if engine == "reference" else args.durable_sample
                argv = ["--child", engine, "--pack", args.pack, "--n", str(n), "--sample", str(min(sample, n))]
            result = run_child(argv)
            result.update(engine=engine, n=n)
            print(f"[{n}] {engine}: {json.dumps(result, ensure_ascii=False)}", file=sys.stderr, flush=True)
            rows.append(result)
            saved.write_text(json.dumps(rows, ensure_ascii=False))
    rows.sort(key=lambda r: (r["n"], ["reference", "duckdb", "spark", "durable"].index(r["engine"])))
    command = "python -m bench.run " + " ".join(sys.argv[1:])
    write_report(rows, args.pack, command, _cpu_model(), os.cpu_count() or 0, Path(args.report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", default="wmcs")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="reference,duckdb,spark,durable")
    parser.add_argument("--reference-sample", type=int, default=2000)
    parser.add_argument("--durable-sample", type=int, default=300)
    parser.add_argument("--spark-max", type=int, default=1_000_000, help="largest size given to Spark")
    parser.add_argument("--work", default="/tmp/civic-bench")
    parser.add_argument("--duckdb-memory-limit", default="3GB", help="DuckDB memory_limit (spills to disk above it)")
    parser.add_argument("--keep-other", action="store_true", help="keep the last run's rows of engines/sizes not measured now")
    parser.add_argument("--memory-limit", help=argparse.SUPPRESS)
    parser.add_argument("--report", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
