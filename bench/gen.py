"""Seeded synthetic units for a pack, generated column-wise with numpy and written straight to Parquet.

The generator draws *latent* unit data (field values, evidence items by date/caption class, one inspection
row per point type with problems by type, survey counts, incidents, manual judgements), then derives two
views of the same data:

* ``flat_table`` — the flat layout the SQL engines read (one row per unit, one column per ``Need``),
  built vectorised so a million units take seconds;
* ``unit_of(i)`` — unit ``i`` as a real ``schemas.unit.Unit`` (validated by ``check_fields`` as any
  input is), for the reference and durable engines, which work unit by unit.

``check_sample`` verifies that both views agree (``flatten_unit`` of the materialised unit equals the
generated row), so every engine scores the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evaluator.compiled import CompiledPack
from evaluator.expr.interp import months_before
from evaluator.sqlc.flat import Need

START, AS_OF = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
OLD_DATE = dt.date(2021, 6, 30)  # evidence from the previous cycle: outside the period, inside long look-backs
DAYS = (AS_OF - START).days + 1
NULL_RATE = 0.03
DEC = pa.decimal128(38, 10)
TEXTS = ("主题活动", "志愿服务", "文明实践", "宣传教育", "好人好事 ✓", "Ünïcode 测试")


@dataclass
class Column:
    """A scalar value per unit: ``values`` (int64: integers, hundredths, day offsets or codes) and a null mask."""

    kind: str
    values: np.ndarray
    null: np.ndarray
    choices: tuple[str, ...] = ()


@dataclass
class ListColumn:
    counts: np.ndarray
    null: np.ndarray
    items: dict[str, Column] = field(default_factory=dict)

    def start(self, i: int) -> int:
        if not hasattr(self, "_starts"):
            self._starts = np.concatenate([[0], np.cumsum(self.counts)])
        return int(self._starts[i])


@dataclass
class Latent:
    n: int
    ids: list[str]
    unit_types: tuple[str, ...]
    unit_type: np.ndarray
    fields: dict[str, Column | ListColumn]
    evidence: dict[str, dict[str, np.ndarray]]
    inspections: dict[str, dict[str, Any]]
    surveys: dict[str, dict[str, np.ndarray]]
    incidents: dict[str, np.ndarray]  # day offset from START, -1 = none
    judgements: dict[str, np.ndarray]  # level code, -1 = none
    levels: tuple[str, ...]


def _range(pack: CompiledPack, name: str, kind: str, low: float | None, high: float | None) -> tuple[float, float]:
    hints = (pack.meta.meta or {}).get("sample_hints", {}) if isinstance(pack.meta.meta, dict) else {}
    if name in hints:
        lo, hi = hints[name]
        return float(lo), float(hi)
    if kind == "percent":
        return max(low or 0.0, 55.0), min(high if high is not None else 100.0, 100.0)
    lo = low if low is not None else 0.0
    return lo, high if high is not None else lo + 40.0


def _scalar(rng: np.random.Generator, n: int, kind: str, lo: float, hi: float, choices: tuple[str, ...]) -> Column:
    null = rng.random(n) < NULL_RATE
    if kind == "integer":
        values = rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, n)
    elif kind in ("number", "percent"):
        values = rng.integers(int(round(lo * 100)), int(round(hi * 100)) + 1, n)  # hundredths
    elif kind == "boolean":
        values = (rng.random(n) < 0.85).astype(np.int64)
    elif kind == "date":
        values = rng.integers(0, DAYS, n)
    else:
        choices = choices or TEXTS
        values = rng.integers(0, len(choices), n)
    return Column(kind, values.astype(np.int64), null, choices)


def _fields(pack: CompiledPack, rng: np.random.Generator, n: int) -> dict[str, Column | ListColumn]:
    out: dict[str, Column | ListColumn] = {}
    for f in pack.file.fields:
        if f.type == "list":
            counts = rng.integers(0, 4, n)
            total = int(counts.sum())
            items = {}
            for item in f.item_fields or []:
                lo, hi = (1.0, 60.0) if item.type in ("integer", "number") else (0.0, 1.0)
                column = _scalar(rng, total, item.type, lo, hi, tuple(item.values or ()))
                column.null[:] = False
                items[item.name] = column
            out[f.name] = ListColumn(counts, rng.random(n) < NULL_RATE, items)
        else:
            lo, hi = _range(pack, f.name, f.type, f.min, f.max)
            out[f.name] = _scalar(rng, n, f.type, lo, hi, tuple(f.values or ()))
    return out


def _kinds(needs: list[Need], kind: str) -> list[str]:
    return sorted({n.args[0] for n in needs if n.kind == kind})


def _problem_types(needs: list[Need], point_type: str) -> list[str]:
    types: set[str] = set()
    for need in needs:
        if need.kind == "pb" and need.args[0] == point_type and need.args[1]:
            types |= set(need.args[1].split("|"))
    return sorted(types) or ["其他问题"]


def generate(pack: CompiledPack, needs: list[Need], n: int, seed: int = 20241231) -> Latent:
    rng = np.random.default_rng(seed)
    evidence = {k: {"in_cap": rng.poisson(1.4, n), "in_plain": rng.poisson(0.6, n), "old": rng.poisson(0.4, n), "undated": rng.poisson(0.1, n)}
                for k in sorted(set(_kinds(needs, "ev_count")) | set(_kinds(needs, "ev_req")))}
    inspections = {}
    for point in sorted(set(_kinds(needs, "pt_s")) | set(_kinds(needs, "pt_p")) | set(_kinds(needs, "pb")) | set(_kinds(needs, "pt_n"))):
        sampled = rng.integers(3, 11, n)
        inspections[point] = {"has": rng.random(n) < 0.93, "sampled": sampled, "passed": rng.binomial(sampled, 0.82),
                              "problems": {t: rng.poisson(0.35, n) for t in _problem_types(needs, point)}}
    surveys = {}
    for topic in sorted(set(_kinds(needs, "sv_n")) | set(_kinds(needs, "sv_y"))):
        sample = rng.integers(0, 1200, n)
        surveys[topic] = {"has": rng.random(n) < 0.95, "sample": sample, "yes": rng.binomial(sample, rng.uniform(0.7, 0.99, n))}
    incident_types = sorted({t for need in needs if need.kind == "inc" for t in need.args[0].split("|")})
    incidents = {t: np.where(rng.random(n) < 0.004, rng.integers(0, DAYS, n), -1) for t in incident_types}
    levels = tuple(pack.meta.levels)
    judgements = {n_.args[0]: np.where(rng.random(n) < 0.8, rng.integers(0, len(levels), n), -1) for n_ in needs if n_.kind == "jl"}
    types = tuple(pack.meta.unit_types)
    return Latent(n, [f"U{i:07d}" for i in range(n)], types, rng.integers(0, len(types), n), _fields(pack, rng, n),
                  evidence, inspections, surveys, incidents, judgements, levels)


# --- the flat view -------------------------------------------------------------------------------------


def _decimal(values: np.ndarray, null: np.ndarray | None, hundredths: bool) -> pa.Array:
    """Exact DECIMAL(38,10) from integers or hundredths, built from the 128-bit buffer (no Python objects)."""
    unscaled = values.astype(np.int64) * np.int64(10 ** (8 if hundredths else 10))
    if np.abs(values).max(initial=0) >= (9 * 10**6 if hundredths else 9 * 10**8):
        array = pa.array([None if null is not None and null[i] else Decimal(int(v)) / (100 if hundredths else 1)
                          for i, v in enumerate(values)], type=DEC)
        return array
    data = np.empty((len(values), 2), dtype=np.int64)
    data[:, 0], data[:, 1] = unscaled, np.where(unscaled < 0, -1, 0)
    array = pa.Array.from_buffers(DEC, len(values), [None, pa.py_buffer(data.tobytes())])
    if null is not None and null.any():
        array = pc.if_else(pa.array(null), pa.scalar(None, DEC), array)
    return array


def _date(offsets: np.ndarray, null: np.ndarray) -> pa.Array:
    days = (np.datetime64(START, "D") + offsets.astype("timedelta64[D]"))
    return pa.array(days, mask=null, type=pa.date32())


def _scalar_array(column: Column, null: np.ndarray | None = None) -> pa.Array:
    null = column.null if null is None else null
    if column.kind == "integer":
        return _decimal(column.values, null, False)
    if column.kind in ("number", "percent"):
        return _decimal(column.values, null, True)
    if column.kind == "boolean":
        return pa.array(column.values.astype(bool), mask=null, type=pa.bool_())
    if column.kind == "date":
        return _date(column.values, null)
    return pa.array(np.array(column.choices, dtype=object)[column.values], mask=null, type=pa.string())


def _list_array(column: ListColumn) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum(column.counts)]).astype(np.int32)
    children = [_scalar_array(item) for item in column.items.values()]
    structs = pa.StructArray.from_arrays(children, names=list(column.items))
    return pa.ListArray.from_arrays(pa.array(offsets), structs, mask=pa.array(column.null))


def _evidence_count(ev: dict[str, np.ndarray], within: str, months: int, caption: str) -> np.ndarray:
    count = ev["in_cap"] + (ev["in_plain"] if caption != "1" else 0)
    include_old = within == "any" or (within == "months_before_as_of" and months_before(AS_OF, months) <= OLD_DATE)
    return count + (ev["old"] if include_old else 0)


def _column(latent: Latent, need: Need) -> pa.Array:
    a, n = need.args, latent.n
    none = np.zeros(n, dtype=bool)
    match need.kind:
        case "f":
            column = latent.fields[a[0]]
            return _list_array(column) if isinstance(column, ListColumn) else _scalar_array(column)
        case "unit_type":
            return pa.array(np.array(latent.unit_types, dtype=object)[latent.unit_type], type=pa.string())
        case "ev_count":
            ev = latent.evidence[a[0]]
            return _decimal(ev["in_cap"] + ev["in_plain"], None, False)
        case "ev_req":
            return _decimal(_evidence_count(latent.evidence[a[0]], a[1], int(a[2]), a[3]), None, False)
        case "pt_n":
            return _decimal(latent.inspections[a[0]]["has"].astype(np.int64), None, False)
        case "pt_s" | "pt_p":
            row = latent.inspections[a[0]]
            return _decimal(row["sampled" if need.kind == "pt_s" else "passed"], ~row["has"], False)
        case "pb":
            row = latent.inspections[a[0]]
            wanted = a[1].split("|") if a[1] else list(row["problems"])
            total = sum((row["problems"][t] for t in wanted if t in row["problems"]), np.zeros(n, dtype=np.int64))
            return _decimal(total, ~row["has"], False)
        case "sv_n" | "sv_y":
            row = latent.surveys[a[0]]
            return _decimal(row["sample" if need.kind == "sv_n" else "yes"], ~row["has"], False)
        case "jl":
            codes = latent.judgements[a[0]]
            return pa.array(np.array(latent.levels, dtype=object)[np.maximum(codes, 0)], mask=codes < 0, type=pa.string())
        case "jp":
            return pa.nulls(n, type=DEC)
        case "inc":
            if a[1]:
                return pa.nulls(n, type=pa.date32())  # generated incidents carry no level
            latest = np.max(np.stack([latent.incidents[t] for t in a[0].split("|")]), axis=0)
            return _date(np.maximum(latest, 0), latest < 0)
        case "as_of":
            return _date(np.full(n, DAYS - 1), none)
    raise KeyError(need.kind)


def flat_table(latent: Latent, needs: list[Need]) -> pa.Table:
    columns = {"unit_id": pa.array(latent.ids, type=pa.string())}
    for need in needs:
        columns[need.column] = _column(latent, need)
    return pa.table(columns)


# --- the unit view -------------------------------------------------------------------------------------


def _raw(column: Column, i: int) -> Any:
    v = int(column.values[i])
    if column.kind == "integer":
        return v
    if column.kind in ("number", "percent"):
        return str(Decimal(v) / 100)
    if column.kind == "boolean":
        return bool(v)
    if column.kind == "date":
        return (START + dt.timedelta(days=v)).isoformat()
    return column.choices[v] if column.choices else TEXTS[v]


def _field_values(latent: Latent, i: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, column in latent.fields.items():
        if column.null[i]:
            continue
        if isinstance(column, ListColumn):
            start = column.start(i)
            out[name] = [{k: _raw(c, j) for k, c in column.items.items()} for j in range(start, start + int(column.counts[i]))]
        else:
            out[name] = _raw(column, i)
    return out


def _evidence(latent: Latent, i: int) -> list[dict[str, Any]]:
    items = []
    for kind, ev in latent.evidence.items():
        day = START + dt.timedelta(days=40)
        items += [{"kind": kind, "title": f"{kind}{j + 1}", "date": day, "caption": "时间地点人物主题"} for j in range(int(ev["in_cap"][i]))]
        items += [{"kind": kind, "title": f"{kind}补{j + 1}", "date": day} for j in range(int(ev["in_plain"][i]))]
        items += [{"kind": kind, "title": f"{kind}旧{j + 1}", "date": OLD_DATE, "caption": "上一周期"} for j in range(int(ev["old"][i]))]
        items += [{"kind": kind, "title": f"{kind}无日期{j + 1}"} for j in range(int(ev["undated"][i]))]
    return items


def _inspections(latent: Latent, i: int) -> list[dict[str, Any]]:
    rows = []
    for point, row in latent.inspections.items():
        if row["has"][i]:
            problems = [{"type": t, "count": int(c[i])} for t, c in row["problems"].items() if c[i]]
            rows.append({"point_type": point, "point": f"{point}1号", "date": START + dt.timedelta(days=200),
                         "sampled": int(row["sampled"][i]), "passed": int(row["passed"][i]), "problems": problems})
    return rows


def unit_of(pack: CompiledPack, latent: Latent, i: int) -> tuple[Any, dict[str, Any]]:
    """Unit ``i`` as the loaders would produce it: a validated ``Unit`` and its normalised field values."""
    from evaluator.errors import DiagnosticSink
    from evaluator.unitdata import check_fields
    from schemas.unit import Unit

    data = {
        "unit": {"id": latent.ids[i], "name": f"测试单位{i}", "type": latent.unit_types[int(latent.unit_type[i])]},
        "period": {"start": START, "end": AS_OF}, "as_of": AS_OF,
        "fields": _field_values(latent, i), "evidence": _evidence(latent, i), "inspections": _inspections(latent, i),
        "surveys": [{"topic": t, "sample": int(s["sample"][i]), "satisfied": int(s["yes"][i])} for t, s in latent.surveys.items() if s["has"][i]],
        "incidents": [{"type": t, "date": START + dt.timedelta(days=int(d[i]))} for t, d in latent.incidents.items() if d[i] >= 0],
        "judgements": {r: {"level": latent.levels[int(c[i])]} for r, c in latent.judgements.items() if c[i] >= 0},
    }
    unit = Unit.model_validate(data)
    sink = DiagnosticSink()
    values = check_fields(pack, unit, None, sink, "bench")
    if sink.errors:
        raise ValueError(f"generated unit {latent.ids[i]} is invalid: {sink.errors[0]}")
    return unit, values


def check_sample(pack: CompiledPack, latent: Latent, table: pa.Table, needs: list[Need], rows: list[int]) -> list[str]:
    """Differences between the flat view and ``flatten_unit`` of the unit view, for the given rows."""
    from evaluator.sqlc.duck import _cell
    from evaluator.sqlc.flat import flatten_unit

    problems = []
    for i in rows:
        unit, values = unit_of(pack, latent, i)
        expected = flatten_unit(needs, unit, values, AS_OF)
        got = {name: table.column(name)[i].as_py() for name in table.column_names}
        for name, value in expected.items():
            if _cell(value) != got[name]:
                problems.append(f"{latent.ids[i]} {name}: flat={got[name]!r} unit={_cell(value)!r}")
    return problems
