"""SQL-engine commands: show the compiled SQL, flatten units to the flat layout, score a flat table in SQL."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from evaluator.commands.common import (
    SHOWN_PER_CODE,
    cap_per_code,
    emit,
    guarded,
    parse_date,
    show_diagnostics,
)
from evaluator.errors import EXIT_UNIT, Diagnostic


def register(group: click.Group) -> None:
    @group.command(name="sql")
    @click.argument("pack")
    @click.option("--dialect", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
    @click.option("--columns", is_flag=True, help="只列出平铺表需要的列")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
    @guarded
    def sql(pack: str, dialect: str, columns: bool, output: Path | None) -> None:
        """显示测评体系编译成的 SQL（逐条规则结果 + 单位汇总），以及无法编译、回退到参考评测器的规则。"""
        from evaluator.loader import load_pack_or_raise
        from evaluator.sqlc.rollup_sql import summary_sql
        from evaluator.sqlc.runner import compile_pack_sql

        p = load_pack_or_raise(pack)
        pack_sql = compile_pack_sql(p)
        needs = set(pack_sql.needs)
        summary = summary_sql(p, needs, dialect=dialect)
        if columns:
            emit("\n".join(["unit_id", *sorted(n.column for n in needs)]) + "\n", output)
            return
        header = f"-- {p.meta.title}（{p.meta.edition}）：{len(pack_sql.rules)} 条规则编译为 SQL"
        fallback = "".join(f"\n-- 回退到参考评测器：{rule}（{why}）" for rule, why in sorted(pack_sql.fallback.items()))
        if dialect == "spark":
            from evaluator.sqlc.spark import spark_sql

            long_sql = spark_sql(pack_sql)
        else:
            long_sql = pack_sql.sql(dialect)
        emit(f"{header}{fallback}\n-- 逐条规则结果（long 表）\n{long_sql};\n\n-- 单位汇总\n{summary};\n", output)

    @group.command()
    @click.argument("units", nargs=-1, type=click.Path(path_type=Path))
    @click.option("--pack", "pack_spec", required=True, help="测评体系")
    @click.option("--as-of", callback=parse_date)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出 .parquet 或 .csv")
    @guarded
    def flatten(units: tuple[Path, ...], pack_spec: str, as_of: dt.date | None, output: Path) -> None:
        """把单位数据文件转成 SQL 引擎读取的平铺表（每单位一行）。"""
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        from evaluator.api import effective_as_of, load_units
        from evaluator.errors import DiagnosticSink
        from evaluator.fsutil import write_atomic
        from evaluator.loader import load_pack_or_raise
        from evaluator.sqlc.duck import rows_to_arrow
        from evaluator.sqlc.flat import flatten_unit
        from evaluator.sqlc.flatfile import ROW_GROUP_ROWS, plan

        p = load_pack_or_raise(pack_spec)
        plan_ = plan(p)
        sink = DiagnosticSink()
        loaded = load_units(list(units), p, sink)
        show_diagnostics(sink.sorted())
        rows = [flatten_unit(plan_.needs, u.unit, u.values, effective_as_of(u.unit, as_of)) for u in loaded]
        table = rows_to_arrow(rows, plan_.needs, plan_.pack_sql)
        import io

        buffer = io.BytesIO()
        if output.suffix.lower() == ".csv":
            _refuse_lists_in_csv(table, output)
            pacsv.write_csv(table, buffer)
        else:
            pq.write_table(table, buffer, row_group_size=ROW_GROUP_ROWS)
        write_atomic(output, buffer.getvalue())
        click.echo(f"已写入 {output}（{len(rows)} 个单位，{len(table.column_names)} 列）", err=True)

    @group.command(name="score-flat")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--pack", "pack_spec", required=True)
    @click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录")
    @click.option("--threads", type=int, help="DuckDB 线程数（默认全部核心）")
    @click.option("--memory-limit", help="DuckDB 内存上限，如 3GB")
    @click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
                  help="duckdb：本机嵌入式；spark：Apache Spark（需安装 civic[spark] 与 Java 17）")
    @click.option("--spark-master", help="Spark 集群地址，如 spark://主机:7077；默认取环境变量 CIVIC_SPARK_MASTER，再默认本机 local[2]")
    @guarded
    def score_flat(source: Path, pack_spec: str, output: Path, threads: int | None, memory_limit: str | None,
                   engine: str, spark_master: str | None) -> None:
        """用 SQL（DuckDB 或 Spark）为平铺表中的全部单位评分，写出 unit_summary.parquet 与 rule_results.parquet。"""
        from evaluator.loader import load_pack_or_raise
        from evaluator.sqlc.flatfile import score_flat as run
        from evaluator.sqlc.flatfile import single_threaded_parquet

        p = load_pack_or_raise(pack_spec)
        if engine == "duckdb" and single_threaded_parquet(source):
            click.echo(f"提示：{source} 整个文件只有一个行组（row group），DuckDB 只能用一个核评分；"
                       "用 civic flatten 生成，或写 Parquet 时按约 12 万行分组（如 pyarrow 的 row_group_size=122880），可快约一倍", err=True)
        started = time.perf_counter()
        if engine == "spark":
            stats = _run_spark(p, source, output, spark_master)
        else:
            stats = run(p, source, output, threads, memory_limit)
        elapsed = time.perf_counter() - started
        rejected: list[Diagnostic] = list(stats.pop("rejected", None) or [])  # type: ignore[call-overload]
        stats["seconds"] = round(elapsed, 2)
        shown, hidden = cap_per_code(rejected, SHOWN_PER_CODE)
        show_diagnostics(shown)
        for code, count in hidden.items():
            click.echo(f"……另有 {count} 条 {code} 错误未逐条显示", err=True)
        click.echo(json.dumps({**stats, "rejected_rows": len(rejected)}, ensure_ascii=False), err=True)
        click.echo(f"已评分 {stats['units']} 个单位 × {stats['rules']} 条规则，用时 {elapsed:.1f} 秒；结果在 {output}/"
                   + (f"；{len(rejected)} 行因数据有误未评分" if rejected else ""), err=True)
        if rejected:
            sys.exit(EXIT_UNIT)


def _run_spark(pack: object, source: Path, output: Path, master: str | None) -> dict[str, object]:
    """Spark is optional: without pyspark (or Java) say what to install instead of a traceback."""
    from evaluator.errors import usage_error

    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise usage_error("U052", "未安装 Spark 引擎（pyspark）", hint="pip install 'civic[spark]'，并安装 Java 17") from exc
    import shutil

    if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
        raise usage_error("U053", "找不到 Java，Spark 引擎无法启动", hint="安装 Java 17（如 apt-get install openjdk-17-jre-headless）或设置 JAVA_HOME")
    from evaluator.sqlc.spark import score_flat_spark

    return score_flat_spark(pack, source, output, master)


def _refuse_lists_in_csv(table: Any, output: Path) -> None:
    """CSV has no list cells: say which columns need Parquet instead of failing inside pyarrow (was E500)."""
    import pyarrow as pa

    from evaluator.errors import usage_error

    lists = [f.name for f in table.schema if pa.types.is_list(f.type)]
    if lists:
        raise usage_error("U051", f"平铺表含列表字段 {'、'.join(lists)}，CSV 无法表示（输出文件：{output}）",
                          hint="改为输出 .parquet，例如 -o 平铺表.parquet")
