"""Run a compiled pack on Apache Spark: the same sqlglot tree as DuckDB, rendered in the ``spark`` dialect.

Spark is for when one machine is not enough. ``run_spark`` has the contract of ``duck.run_duckdb`` (used by
the differential tests and by ``score_units_sql(backend="spark")``); ``score_flat_spark`` is the Parquet →
Parquet path of ``civic score-flat --engine spark``. The master is ``local[2]`` unless ``--spark-master`` or
``CIVIC_SPARK_MASTER`` names a cluster (``spark://host:7077``, ``yarn`` …).

Dialect notes (kept here so DuckDB and Spark give identical cells):

* Spark's DECIMAL arithmetic lowers the scale of a product or quotient of two DECIMAL(38,10) to 6 places
  (``spark.sql.decimalOperations.allowPrecisionLoss``). ``spark_arithmetic`` narrows the operands of each
  product and quotient first, so results keep at least 10 places as DuckDB's do.
* ANSI mode (Spark 4 default) raises on overflow; the compiled SQL never divides by zero (NULLIF) and
  guards magnitudes like the reference (|x| > 10^15 → error), so the query itself never fails on data.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlglot import exp

from evaluator.sqlc.runner import PackSQL
from evaluator.sqlc.sql import dtype

DEFAULT_MASTER = "local[2]"
MASTER_ENV = "CIVIC_SPARK_MASTER"
_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""

_lock = threading.Lock()
_sessions: dict[str, Any] = {}


def master_url(explicit: str | None = None) -> str:
    """``--spark-master`` wins, then ``CIVIC_SPARK_MASTER``, then local mode on two cores."""
    return explicit or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def _log_config() -> str:
    """A log4j2 file that only lets errors through. Spark finds it in ``SPARK_CONF_DIR`` at JVM start (when the
    user has not set their own conf dir) and through the Java options."""
    folder = Path(tempfile.mkdtemp(prefix="civic-spark-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "log4j2.properties"
    path.write_text(_LOG4J, encoding="utf-8")
    os.environ.setdefault("SPARK_CONF_DIR", str(folder))
    return str(path)


def spark_session(master: str | None = None) -> Any:
    """One SparkSession per master per process (JVM start-up takes seconds: reuse it), with quiet logs."""
    from pyspark.sql import SparkSession

    url = master_url(master)
    with _lock:
        session = _sessions.get(url)
        if session is not None and session.sparkContext._jsc is not None:
            return session
        log_file = _log_config()
        java_opts = f"-Dlog4j2.configurationFile=file:{log_file}"
        builder = (
            SparkSession.builder.master(url).appName("civic")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.driver.memory", os.environ.get("CIVIC_SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.extraJavaOptions", java_opts)
            .config("spark.executor.extraJavaOptions", java_opts)
        )
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _sessions[url] = session
        return session


def stop_sessions() -> None:
    with _lock:
        for session in _sessions.values():
            session.stop()
        _sessions.clear()


# --- dialect fixes -------------------------------------------------------------------------------------

# Operand types that keep ≥ 10 decimal places under Spark's rules (p = p1+p2+1, s = s1+s2 for a product;
# s = max(6, s1+p2+1) for a quotient; both cut to 38 digits keeping the integer part): a product of two
# DECIMAL(23,10) is DECIMAL(38,11), a quotient of two DECIMAL(28,10) is DECIMAL(38,10). Unit data is at most
# 10^12 (unitdata.MAX_ABS), so operands fit; an intermediate result ≥ 10^13 in a product raises (ANSI mode)
# instead of giving a different answer.
_MUL_TYPE = "DECIMAL(23,10)"
_DIV_TYPE = "DECIMAL(28,10)"


def _narrow(e: exp.Expression, to: str) -> exp.Expression:
    inner = e.copy()
    if not isinstance(inner, exp.Cast | exp.Column | exp.Paren):
        inner = exp.Paren(this=inner)
    return exp.Cast(this=inner, to=dtype(to))


def spark_arithmetic(tree: exp.Expression) -> exp.Expression:
    """Narrow the operands of ``*`` and ``/`` so Spark keeps ≥ 10 decimal places, as DuckDB does.

    Spark gives DECIMAL(38,10) × DECIMAL(38,10) a scale of 6 (it reserves room for 57 integer digits), which
    would round 0.0000001 × 3 to 0. Values are DECIMAL(38,10) everywhere else, as in DuckDB.
    """

    def is_double(e: exp.Expression) -> bool:
        return isinstance(e, exp.Cast) and e.to.this == exp.DataType.Type.DOUBLE

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Mul) and (is_double(node.this) or is_double(node.expression)):
            return node  # products the compiler sends through DOUBLE (with its 10^15 guard) stay DOUBLE, as in DuckDB
        if isinstance(node, exp.Mul | exp.Div):
            to = _MUL_TYPE if isinstance(node, exp.Mul) else _DIV_TYPE
            return type(node)(this=_narrow(node.this, to), expression=_narrow(node.expression, to))
        return node

    return tree.transform(fix)


def flatten_connectors(tree: exp.Expression) -> exp.Expression:
    """``((a OR b) OR c)`` → ``a OR b OR c``: Spark's ANTLR parser runs out of memory on the deep bracket
    nesting the compiler's safe builders produce for long AND/OR chains (gwcs). Only brackets around the
    same associative connector are removed, so the meaning is unchanged."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.And | exp.Or):
            for key in ("this", "expression"):
                child = node.args.get(key)
                while isinstance(child, exp.Paren) and type(child.this) is type(node):
                    child = child.this
                node.set(key, child)
        return node

    return tree.transform(fix, copy=False)


def spark_sql(pack_sql: PackSQL, table: str = "units") -> str:
    return flatten_connectors(spark_arithmetic(pack_sql.query(table, "spark"))).sql(dialect="spark")


# --- running -------------------------------------------------------------------------------------------


def _spark_expr(e: exp.Expression) -> str:
    return flatten_connectors(spark_arithmetic(e)).sql(dialect="spark")


def stage_expressions(pack_sql: PackSQL) -> list[list[str]]:
    """The select lists of the graded → scored → finished → long stages, one Spark SQL string per column.

    Spark's parser is superlinear in the length of one statement (gwcs: 36 s for the whole query, 7 s as
    separate column expressions), so the stages are chained DataFrames of ``selectExpr`` rather than one
    SQL text. ``spark_sql`` gives the same query as one statement for ``civic sql --dialect spark``.
    """
    graded, scored, finished = pack_sql._stages("units")
    lists = [[_spark_expr(e) for e in stage.expressions] for stage in (graded, scored, finished)]
    triples = ", ".join(f"'{r.rule_id}', `o:{r.rule_id}`, `p:{r.rule_id}`" for r in pack_sql.rules)
    lists.append(["`unit_id`", f"STACK({len(pack_sql.rules)}, {triples}) AS (rule_id, outcome, earned)"])
    return lists


def long_frame(pack_sql: PackSQL, units: Any) -> Any:
    """The long unit × rule DataFrame (unit_id, rule_id, outcome, earned) for a DataFrame of flat units."""
    frame = units
    for select in stage_expressions(pack_sql):
        frame = frame.selectExpr(*select)
    return frame


def _dataframe(session: Any, table: Any) -> Any:
    """An Arrow table as a Spark DataFrame (Spark ≥ 4 takes Arrow directly; older versions via Parquet)."""
    try:
        return session.createDataFrame(table)
    except (TypeError, ValueError):  # pragma: no cover - Spark 3.x
        import pyarrow.parquet as pq

        folder = Path(tempfile.mkdtemp(prefix="civic-spark-in-"))
        atexit.register(shutil.rmtree, folder, True)
        pq.write_table(table, folder / "units.parquet")
        return session.read.parquet(str(folder / "units.parquet"))


def run_spark(pack_sql: PackSQL, rows: list[dict[str, Any]], master: str | None = None) -> list[tuple[str, str, str, Decimal]]:
    """Score flat ``rows`` on Spark; (unit_id, rule_id, outcome, earned) sorted by unit and rule, as DuckDB."""
    from evaluator.sqlc.duck import rows_to_arrow

    session = spark_session(master)
    units = _dataframe(session, rows_to_arrow(rows, pack_sql.needs, pack_sql))
    result = long_frame(pack_sql, units).orderBy("unit_id", "rule_id").collect()
    return [(r[0], r[1], r[2], Decimal(str(r[3])).quantize(Decimal("0.01"))) for r in result]


# --- the flat path: Parquet/CSV in, Parquet out --------------------------------------------------------


def _spark_type(arrow_type: Any) -> str | None:
    from evaluator.sqlc.flatfile import sql_type

    return sql_type(arrow_type, "STRING")


def _read_units(session: Any, plan_: Any, path: Path) -> tuple[Any, list[Any]]:
    """The input as a DataFrame with the column types the compiled SQL expects, missing columns reported; rows of a
    CSV with a value not of its column's type are left out and returned as D331 diagnostics (as DuckDB does)."""
    from evaluator.errors import usage_error
    from evaluator.sqlc.duck import arrow_schema
    from evaluator.sqlc.flatfile import missing_columns_error, rejected_text_rows

    suffix = path.suffix.lower()
    rejected: list[Any] = []
    if suffix == ".parquet":
        raw = session.read.parquet(str(path))
    elif suffix in (".csv", ".txt"):
        raw = session.read.option("header", "true").option("encoding", "UTF-8").csv(str(path))
        rejected, bad_ids = rejected_text_rows(plan_, path)
        if bad_ids:
            raw = raw.filter(~raw["unit_id"].isin(bad_ids))
    else:
        raise usage_error("U051", f"不支持的平铺表格式：{path.suffix}", hint="使用 .parquet 或 .csv（UTF-8）")
    schema = arrow_schema(plan_.needs, plan_.pack_sql)
    missing = [name for name in schema.names if name not in set(raw.columns)]
    if missing:
        raise missing_columns_error(missing, path)
    casts = []
    for column in schema:
        name = column.name.replace("`", "``")
        kind = _spark_type(column.type)
        casts.append(f"CAST(`{name}` AS {kind}) AS `{name}`" if kind else f"`{name}`")
    return raw.selectExpr(*casts), rejected


def _write_single(frame: Any, target: Path) -> None:
    """Write ``frame`` as one Parquet file at ``target`` (the layout DuckDB writes), via a Spark folder."""
    folder = target.with_name(target.name + ".parts")
    frame.coalesce(1).write.mode("overwrite").option("compression", "zstd").parquet(str(folder))
    parts = sorted(folder.glob("part-*.parquet"))
    if len(parts) != 1:  # pragma: no cover - coalesce(1) writes exactly one part
        raise RuntimeError(f"Spark wrote {len(parts)} files into {folder}")
    os.replace(parts[0], target)
    shutil.rmtree(folder, ignore_errors=True)


def score_flat_spark(pack: Any, source: Path, out_dir: Path, master: str | None = None) -> dict[str, Any]:
    """``civic score-flat --engine spark``: the same compiled SQL on Spark, the same two Parquet files."""
    from evaluator.sqlc.flatfile import plan, publish
    from evaluator.sqlc.rollup_sql import summary_sql

    plan_ = plan(pack)
    session = spark_session(master)
    units, rejected = _read_units(session, plan_, source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    suffix = f"{os.getpid()}_{id(units)}"
    try:
        rules_file = work / "rule_results.parquet"
        _write_single(long_frame(plan_.pack_sql, units), rules_file)
        session.read.parquet(str(rules_file)).createOrReplaceTempView(f"long_{suffix}")
        units.createOrReplaceTempView(f"units_{suffix}")
        summary = summary_sql(pack, set(plan_.needs), long_table=f"long_{suffix}", units_table=f"units_{suffix}", dialect="spark")
        summary_file = work / "unit_summary.parquet"
        _write_single(session.sql(summary), summary_file)
        count = session.read.parquet(str(summary_file)).count()
        for view in (f"long_{suffix}", f"units_{suffix}"):
            session.catalog.dropTempView(view)
        for crc in work.glob(".*.crc"):
            crc.unlink()
        publish(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    rules = len(plan_.pack_sql.rules)
    return {"units": count, "rules": rules, "rule_evaluations": count * rules, "engine": "spark", "master": master_url(master),
            "rejected": rejected}
