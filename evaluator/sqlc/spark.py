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
    folder = Path(tempfile.mkdtemp(prefix="civic-spark-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "log4j2.properties"
    path.write_text(_LOG4J, encoding="utf-8")
    return str(path)


def spark_session(master: str | None = None) -> Any:
    """One SparkSession per master per process (JVM start-up takes seconds: reuse it), with quiet logs."""
    from pyspark.sql import SparkSession

    url = master_url(master)
    with _lock:
        session = _sessions.get(url)
        if session is not None and session.sparkContext._jsc is not None:
            return session
        java_opts = f"-Dlog4j2.configurationFile=file:{_log_config()} -Dlog4j.configurationFile=file:{_log_config()}"
        builder = (
            SparkSession.builder.master(url).appName("civic")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "8")
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

_NARROW = "DECIMAL(28,10)"


def _narrow(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=exp.Paren(this=e.copy()) if not isinstance(e, exp.Cast | exp.Column | exp.Paren) else e.copy(),
                    to=exp.DataType.build(_NARROW))


def spark_arithmetic(tree: exp.Expression) -> exp.Expression:
    """Narrow the operands of ``*`` and ``/`` to DECIMAL(28,10) so Spark keeps ≥ 10 decimal places.

    Spark gives DECIMAL(38,10) × DECIMAL(38,10) a scale of 6 (it needs room for 57 integer digits);
    DECIMAL(28,10) operands leave 18 integer digits and 10+ places, more than the 10^15 magnitude guard
    of the expression language needs. Values are DECIMAL(38,10) everywhere else, as in DuckDB.
    """

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Mul | exp.Div):
            return type(node)(this=_narrow(node.this), expression=_narrow(node.expression))
        return node

    return tree.transform(fix)


def spark_sql(pack_sql: PackSQL, table: str = "units") -> str:
    return spark_arithmetic(pack_sql.query(table)).sql(dialect="spark")


# --- running -------------------------------------------------------------------------------------------


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
    frame = _dataframe(session, rows_to_arrow(rows, pack_sql.needs, pack_sql))
    view = f"civic_units_{os.getpid()}_{id(frame)}"
    frame.createOrReplaceTempView(view)
    try:
        result = session.sql(spark_sql(pack_sql, view)).orderBy("unit_id", "rule_id").collect()
    finally:
        session.catalog.dropTempView(view)
    return [(r[0], r[1], r[2], Decimal(str(r[3])).quantize(Decimal("0.01"))) for r in result]
