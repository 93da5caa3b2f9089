"""The batch's results as two Parquet files, the same layout ``civic score-flat`` writes, whatever the engine:

* ``rule_results.parquet`` — the long unit × rule table: ``unit_id, rule_id, outcome, earned`` (DECIMAL(9,2));
* ``unit_summary.parquet`` — one row per unit: ``unit_id, base_score, total, disqualified, grade, passed``.

Officers keep the workbook; analysts load these into DuckDB, Spark, pandas or a data warehouse. They are written
while ``results.jsonl`` is read back once (sorted by unit id), in row groups of a fixed number of units, so memory
does not grow with the batch and the bytes depend only on the results.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from schemas.result import UnitResult

RULE_RESULTS = "rule_results.parquet"
UNIT_SUMMARY = "unit_summary.parquet"
UNITS_PER_GROUP = 2000
CENT = Decimal("0.01")


def _cents(value: float) -> Decimal:
    """A score as the exact two-place decimal it was rounded to (floats in results are already half-up rounded)."""
    return Decimal(repr(value)).quantize(CENT)


class ResultsParquet:
    """Collects units a group at a time and appends each group to both files."""

    def __init__(self, folder: Path) -> None:
        import pyarrow as pa

        self._pa = pa
        self.rules_schema = pa.schema([("unit_id", pa.string()), ("rule_id", pa.string()), ("outcome", pa.string()),
                                       ("earned", pa.decimal128(9, 2))])
        self.units_schema = pa.schema([("unit_id", pa.string()), ("base_score", pa.decimal128(9, 2)), ("total", pa.decimal128(9, 2)),
                                       ("disqualified", pa.bool_()), ("grade", pa.string()), ("passed", pa.bool_())])
        self.paths = (folder / RULE_RESULTS, folder / UNIT_SUMMARY)
        self._writers: tuple[Any, Any] | None = None
        self._rules: dict[str, list[object]] = {name: [] for name in self.rules_schema.names}
        self._units: dict[str, list[object]] = {name: [] for name in self.units_schema.names}

    def add(self, unit: UnitResult) -> None:
        uid = unit.unit.id
        for rule in unit.rules:
            self._rules["unit_id"].append(uid)
            self._rules["rule_id"].append(rule.rule_id)
            self._rules["outcome"].append(rule.outcome)
            self._rules["earned"].append(_cents(rule.earned))
        for name, value in (("unit_id", uid), ("base_score", _cents(unit.base_score)), ("total", _cents(unit.total)),
                            ("disqualified", unit.disqualified), ("grade", unit.grade), ("passed", unit.passed)):
            self._units[name].append(value)
        if len(self._units["unit_id"]) >= UNITS_PER_GROUP:
            self._flush()

    def _open(self) -> tuple[Any, Any]:
        import pyarrow.parquet as pq

        if self._writers is None:
            self._writers = (pq.ParquetWriter(self.paths[0], self.rules_schema, compression="zstd"),
                             pq.ParquetWriter(self.paths[1], self.units_schema, compression="zstd"))
        return self._writers

    def _flush(self) -> None:
        rules_writer, units_writer = self._open()
        pa = self._pa
        rules_writer.write_table(pa.table(self._rules, schema=self.rules_schema))
        units_writer.write_table(pa.table(self._units, schema=self.units_schema))
        for columns in (self._rules, self._units):
            for values in columns.values():
                values.clear()

    def close(self) -> None:
        """Write what is left (an empty batch still gets both files, with their columns) and close the files."""
        if self._units["unit_id"] or self._writers is None:
            self._flush()
        for writer in self._writers or ():
            writer.close()

    def __enter__(self) -> ResultsParquet:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            for writer in self._writers or ():
                writer.close()
