"""The flat layout the SQL backend reads: one row per unit, one column per value a compiled rule needs.

The compiler records what it needs as ``Need`` specs; ``flatten_unit`` computes exactly those columns for a
unit (used for YAML/xlsx inputs and in the differential tests), and the benchmark generates them directly.
A NULL column means "absent" — the SQL turns it into the outcome ``missing`` as the reference does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluator.expr.interp import months_before
from schemas.unit import Unit


@dataclass(frozen=True, order=True)
class Need:
    kind: str
    args: tuple[str, ...] = ()

    @property
    def column(self) -> str:
        return ":".join((self.kind, *self.args))


def _in_period(day: dt.date | None, unit: Unit) -> bool:
    return day is not None and unit.period.start <= day <= unit.period.end


def _inspections(unit: Unit, point_type: str) -> list[Any]:
    return [i for i in unit.inspections if i.point_type == point_type]


def _evidence_ok(unit: Unit, as_of: dt.date, kind: str, within: str, months: str, caption: str) -> int:
    if within == "period":
        start, end = unit.period.start, unit.period.end
    elif within == "months_before_as_of":
        start, end = months_before(as_of, int(months)), as_of
    else:
        start, end = dt.date.min, dt.date.max
    return sum(1 for e in unit.evidence if e.kind == kind and e.date is not None and start <= e.date <= end
               and (caption != "1" or (e.caption or "").strip()))


def _problems(unit: Unit, point_type: str, types: str) -> int | None:
    rows = _inspections(unit, point_type)
    if not rows:
        return None
    wanted = set(types.split("|")) if types else set()
    return sum(p.count for r in rows for p in r.problems if not wanted or p.type in wanted)


def _survey(unit: Unit, topic: str, attr: str) -> int | None:
    rows = [s for s in unit.surveys if s.topic == topic]
    return sum(getattr(s, attr) for s in rows) if rows else None


def _incident_latest(unit: Unit, as_of: dt.date, types: str, level: str) -> dt.date | None:
    from evaluator.engine import level_at_least

    wanted = set(types.split("|"))
    dates = [i.date for i in unit.incidents if i.type in wanted and i.date <= as_of and (not level or level_at_least(i.level, level))]
    return max(dates) if dates else None


def _window(unit: Unit, as_of: dt.date, months: str) -> tuple[dt.date, dt.date]:
    if months == "period":
        return unit.period.start, unit.period.end
    return months_before(as_of, int(months)), as_of


def value_of(need: Need, unit: Unit, values: dict[str, Any], as_of: dt.date) -> Any:
    a = need.args
    match need.kind:
        case "f":
            return values.get(a[0])
        case "unit_type":
            return unit.unit.type
        case "ev_count":
            return sum(1 for e in unit.evidence if e.kind == a[0] and _in_period(e.date, unit))
        case "ev_req":
            return _evidence_ok(unit, as_of, *a)
        case "ev_count_m":
            start, end = _window(unit, as_of, a[1])
            return sum(1 for e in unit.evidence if e.kind == a[0] and e.date is not None and start <= e.date <= end)
        case "inc_n":
            start, end = _window(unit, as_of, a[1])
            return sum(1 for i in unit.incidents if i.type == a[0] and start <= i.date <= end)
        case "period_start":
            return unit.period.start
        case "period_end":
            return unit.period.end
        case "pt_n":
            return len(_inspections(unit, a[0]))
        case "pt_s":
            rows = _inspections(unit, a[0])
            return sum(r.sampled for r in rows) if rows else None
        case "pt_p":
            rows = _inspections(unit, a[0])
            return sum(r.passed for r in rows) if rows else None
        case "pb":
            return _problems(unit, a[0], a[1])
        case "sv_n":
            return _survey(unit, a[0], "sample")
        case "sv_y":
            return _survey(unit, a[0], "satisfied")
        case "jl":
            j = unit.judgements.get(a[0])
            return j.level if j else None
        case "jp":
            j = unit.judgements.get(a[0])
            return Decimal(str(j.points)) if j and j.points is not None else None
        case "inc":
            return _incident_latest(unit, as_of, a[0], a[1])
        case "as_of":
            return as_of
    raise KeyError(need.kind)


def flatten_unit(needs: list[Need], unit: Unit, values: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    row: dict[str, Any] = {"unit_id": unit.unit.id}
    for need in needs:
        row[need.column] = value_of(need, unit, values, as_of)
    return row
