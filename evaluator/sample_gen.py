"""``civic sample``: realistic synthetic units for demos, tests and benchmarks, generated from a pack's data
dictionary and vocabularies.

Each unit has a hidden “quality” q (Beta(5, 2): most units decent, a tail of weak ones) that drives its values:
counts of activities, shares, satisfaction, evidence present or missing, inspection pass rates. Regions are real
provinces, cities and districts with their real 6-digit codes; street names are real names of those districts,
and the last 6 digits of the 12-digit code follow the 统计用区划代码 structure (街道 3 digits + 000) but are
assigned in order, so they are illustrative. Deterministic: unit i of seed S is the same whatever N is, and
keeps its identity (编号, 名称, 区划) in every ``--year`` — so several years can be combined (civic combine).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evaluator.compiled import CompiledPack
from evaluator.problem_vocab import counted_problem_types
from evaluator.sample_data import (
    FESTIVALS,
    GIVEN,
    LEVELS,
    POINT_NAMES,
    PROBLEM_TYPES,
    STREETS,
    SURNAMES,
    unit_identity,
)
from schemas.pack import FieldDef, ItemField


@dataclass(frozen=True, slots=True)
class Spec:
    """What the generator needs of a field or list item (plain attributes: pydantic lookups are slow in a hot loop)."""

    name: str
    type: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()
    items: tuple[Spec, ...] = ()
    unit_types: tuple[str, ...] = ()
    required: bool = False


def spec_of(d: FieldDef | ItemField) -> Spec:
    items = tuple(spec_of(i) for i in getattr(d, "item_fields", None) or [])
    return Spec(d.name, d.type, getattr(d, "unit", None), getattr(d, "min", None), getattr(d, "max", None), tuple(d.values or ()),
                items, tuple(getattr(d, "unit_types", ()) or ()), bool(getattr(d, "required", False)))


class UnitMaker:
    """Makes unit ``index`` of a seed: a plain dict in the shape of a unit YAML file."""

    def __init__(self, pack: CompiledPack, seed: int, year: int = 2024):
        self.pack = pack
        self.seed = seed
        self.year = year
        self.start, self.end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        self.fields = [spec_of(f) for f in pack.file.fields]
        self.headcount = next((f.name for f in self.fields if f.type == "integer" and f.unit == "人" and f.required), None)
        self.manual = [r.id for r in pack.rules if r.rule.grading.model == "manual" and r.rule.status == "stable"]
        self.prefix = re.sub(r"[^A-Z0-9]", "", pack.meta.id.upper()) or "UNIT"
        self.hints = _hints(pack)

    def make(self, index: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{index}")  # who the unit is: the same in every year of a seed
        base_q = rng.betavariate(5, 2)
        street = STREETS[rng.randrange(len(STREETS))]
        unit_type = self._unit_type(rng)
        name, group, responsible, path = unit_identity(rng, street, unit_type, self.pack.meta.scope)
        code = street.code[: 2 * len(path)].ljust(12, "0") if len(path) < 4 else street.code
        unit: dict[str, Any] = {
            "schema_version": 1, "pack": self.pack.meta.id,
            "unit": {"id": f"{self.prefix}-{street.code[:6]}-{index + 1:05d}", "name": name,
                     "type": unit_type, "region": {"path": path, "code": code},
                     "group": group, "responsible": [responsible],
                     "contacts": {"分管领导": self._person(rng), "联络员": self._person(rng)}},
            "period": {"start": self.start, "end": self.end}, "as_of": self.end,
        }
        rng = random.Random(f"{self.seed}:{self.year}:{index}")  # what it reports this year
        q = min(0.99, max(0.01, base_q + rng.gauss(0, 0.08)))
        unit["fields"] = self._fields(rng, q, unit_type)
        unit["evidence"] = self._evidence(rng, q, name.removeprefix(f"{street.city}{street.district}") or name)
        unit["inspections"] = self._inspections(rng, q)
        unit["surveys"] = self._surveys(rng, q)
        unit["incidents"] = self._incidents(rng)
        unit["judgements"] = self._judgements(rng, q)
        return unit

    def _unit_type(self, rng: random.Random) -> str:
        types = list(self.pack.meta.unit_types)
        return types[min(len(types) - 1, int(rng.random() ** 1.3 * len(types)))]

    @staticmethod
    def _person(rng: random.Random) -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    def _date(self, rng: random.Random, start: dt.date | None = None, end: dt.date | None = None) -> dt.date:
        low, high = start or self.start, end or self.end
        return low + dt.timedelta(days=rng.randrange((high - low).days + 1))

    def _fields(self, rng: random.Random, q: float, unit_type: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        people = max(5, min(20000, int(math.exp(rng.gauss(math.log(250), 0.9)))))
        for definition in self.fields:
            if definition.unit_types and unit_type not in definition.unit_types:
                continue
            if not definition.required and rng.random() < 0.04 * (1.5 - q):
                continue  # not reported: shows up as 缺项
            if definition.name in self.hints:
                values[definition.name] = self._hinted(rng, q, definition, *self.hints[definition.name])
                if definition.name == self.headcount:
                    people = values[definition.name]
            elif definition.name == self.headcount:
                values[definition.name] = people
            else:
                values[definition.name] = self._value(rng, q, definition, people)
        return values

    def _value(self, rng: random.Random, q: float, d: Spec, people: int) -> Any:
        kind, low, high = d.type, d.low, d.high
        if kind == "boolean":
            return rng.random() < 0.35 + 0.6 * q
        if kind == "enum":
            return rng.choice(d.values or ("",))
        if kind == "date":
            return self._date(rng)
        if kind == "text":
            return rng.choice(["已落实", "按计划推进", "部分落实"])
        if kind == "percent":
            return round(min(high or 100, max(low or 0, 68 + 32 * q + rng.gauss(0, 4))), 1)
        if kind == "list":
            return self._list(rng, q, d)
        if kind == "number" and low is not None and high is not None and high - low >= 10:
            return self._hinted(rng, q, d, max(low, low + (high - low) * 0.5), high)
        value: float = self._amount(rng, q, d.unit, low, people)
        value = int(round(value)) if kind == "integer" else round(value, 1)
        if low is not None:
            value = max(value, low if kind != "integer" else int(math.ceil(low)))
        if high is not None:
            value = min(value, high if kind != "integer" else int(high))
        return value

    def _list(self, rng: random.Random, q: float, d: Spec) -> list[dict[str, Any]]:
        """List records; an enum of festivals gets distinct festivals on (about) their dates, records in date order."""
        count = max(0, round(q * 6 + rng.gauss(0, 1)))
        festival = next((i for i in d.items if i.type == "enum" and set(i.values) <= set(FESTIVALS)), None)
        if festival is not None:
            count = min(count, len(festival.values))
        picks = rng.sample(festival.values, count) if festival else []
        records = []
        for n in range(count):
            record: dict[str, Any] = {}
            for item in d.items:
                if item is festival:
                    record[item.name] = picks[n]
                elif item.type == "date" and festival is not None:
                    month, day = FESTIVALS[picks[n]]
                    record[item.name] = dt.date(self.year, month, day) - dt.timedelta(days=rng.randrange(3))
                elif item.type == "integer":
                    record[item.name] = rng.randint(20, 200)
                else:
                    record[item.name] = self._value(rng, q, item, 100)
            records.append(record)
        dates = [i.name for i in d.items if i.type == "date"]
        return sorted(records, key=lambda r: r.get(dates[0], self.start)) if dates else records

    @staticmethod
    def _hinted(rng: random.Random, q: float, d: Spec, low: float, high: float) -> Any:
        """A value in the pack's ``sample_hints`` range, better with q (worse for counts of bad things)."""
        share = min(1.0, max(0.0, 0.2 + 0.75 * q + rng.gauss(0, 0.1)))
        if any(word in d.name for word in BAD_WORDS):
            share = 1 - share
        value = low + (high - low) * share
        return int(round(value)) if d.type == "integer" else round(value, 1)

    @staticmethod
    def _amount(rng: random.Random, q: float, unit: str | None, low: float | None, people: int) -> float:
        """Plausible magnitudes by unit of measure (人 as a share of staff, 小时 per person, …), better with q."""
        if unit == "人":
            return people * min(0.95, max(0.0, 0.12 + 0.35 * q + rng.gauss(0, 0.08)))
        if unit == "件":
            return people / 20 * rng.random()
        if unit == "小时":
            return people * max(0.0, 6 + 20 * q + rng.gauss(0, 4))
        if unit == "学时":
            return max(0.0, 18 + 30 * q + rng.gauss(0, 6))
        if unit == "万元":
            return max(0.0, 1 + 8 * q + rng.gauss(0, 2))
        if low is not None and low < 0:
            return rng.gauss(4 * q, 2.5)
        return max(0.0, 1 + 6 * q + rng.gauss(0, 1.2))

    def _evidence(self, rng: random.Random, q: float, owner: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for kind in self.pack.file.evidence_kinds:
            if rng.random() < 0.3 * (1 - q):
                continue  # missing evidence
            photos = "照片" in kind.id
            for n in range((2 + int(6 * q * rng.random())) if photos else 1 + min(3, int(rng.expovariate(1.2) * q * 2))):
                title = f"{owner}{self.year}年{kind.id}".replace("年年度", "年度")
                entry: dict[str, Any] = {"kind": kind.id, "title": title + (f"（{n + 1}）" if n else "")}
                roll = rng.random()
                if roll < 0.03:
                    pass  # undated: does not count
                elif roll < 0.06:
                    entry["date"] = self._date(rng, dt.date(self.year - 1, 1, 1), dt.date(self.year - 1, 12, 31))
                else:
                    entry["date"] = self._date(rng)
                if photos and rng.random() < 0.5 + 0.5 * q and "date" in entry:
                    entry["caption"] = f"{entry['date']} 单位会议室 {kind.id}：全体职工参加"
                items.append(entry)
        return items

    def _problem_pool(self, point_type: str) -> list[str]:
        """Problem types the pack's rules count at this point type, so demo data exercises the deductions (and never
        looks like a typo of a counted type, D215); the generic list where no rule counts by type."""
        counted = counted_problem_types(self.pack).get(point_type)
        return sorted(counted) if counted else PROBLEM_TYPES

    def _inspections(self, rng: random.Random, q: float) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for point_type in self.pack.file.point_types:
            sampled = rng.randint(3, 10)
            passed = sum(rng.random() < 0.55 + 0.45 * q for _ in range(sampled))
            record: dict[str, Any] = {"point_type": point_type, "point": rng.choice(POINT_NAMES.get(point_type, [f"{point_type}1"])),
                                      "date": self._date(rng, self.end - dt.timedelta(days=60)), "inspector": self._person(rng),
                                      "sampled": sampled, "passed": passed}
            failed = sampled - passed
            if failed:
                pool = self._problem_pool(point_type)
                kinds = rng.sample(pool, min(2, failed, len(pool)))
                counts = [failed - (len(kinds) - 1)] + [1] * (len(kinds) - 1)
                record["problems"] = [{"type": k, "count": c, "description": f"{record['point']}发现{k}{c}处"} for k, c in zip(kinds, counts, strict=True)]
            records.append(record)
        return records

    def _surveys(self, rng: random.Random, q: float) -> list[dict[str, Any]]:
        result = []
        for topic in self.pack.file.survey_topics:
            sample = rng.randint(80, 400)
            rate = min(1.0, max(0.3, 0.7 + 0.28 * q + rng.gauss(0, 0.03)))
            result.append({"topic": topic, "sample": sample, "satisfied": int(sample * rate)})
        return result

    def _incidents(self, rng: random.Random) -> list[dict[str, Any]]:
        types = self.pack.file.incident_types
        if not types or rng.random() >= 0.03:
            return []
        kind = rng.choice(types)
        return [{"type": kind, "date": self._date(rng), "level": rng.choice(LEVELS), "description": f"{kind}（示例数据）"}]

    def _judgements(self, rng: random.Random, q: float) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for rule_id in self.manual:
            if rng.random() < 0.15:
                continue  # not judged yet: 待人工判定
            score = q + rng.gauss(0, 0.1)
            result[rule_id] = {"level": "A" if score > 0.8 else "B" if score > 0.55 else "C" if score > 0.3 else "C#", "by": self._person(rng)}
        return result


BAD_WORDS = ("投诉", "事件", "事故", "失范", "违法", "违纪", "案件", "问题", "伤亡", "逾期")


def _hints(pack: CompiledPack) -> dict[str, tuple[float, float]]:
    """``pack.meta.sample_hints``: field → [typical low, typical high] (a pack's own advice for realistic values)."""
    raw = pack.meta.meta.get("sample_hints") or {}
    hints: dict[str, tuple[float, float]] = {}
    for name, bounds in raw.items() if isinstance(raw, dict) else []:
        if isinstance(bounds, list | tuple) and len(bounds) == 2 and all(isinstance(b, int | float) for b in bounds):
            hints[str(name)] = (float(min(bounds)), float(max(bounds)))
    return hints


def generate(pack: CompiledPack, count: int, seed: int = 1, year: int = 2024) -> Iterator[dict[str, Any]]:
    maker = UnitMaker(pack, seed, year)
    for index in range(count):
        yield maker.make(index)


# ---------------------------------------------------------------- fast YAML text (the unit shape only)

_PLAIN = re.compile(r"[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff·（）、\-]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


@functools.lru_cache(maxsize=65536)
def _text(text: str) -> str:
    """Plain when YAML reads it back as the same string, else a JSON string (valid YAML double-quoted)."""
    plain = _PLAIN.fullmatch(text) and text.lower() not in _RESERVED
    return text if plain else json.dumps(text, ensure_ascii=False)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _text(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def unit_yaml(unit: dict[str, Any]) -> str:
    """Block style at the top, flow style inside — like the hand-written samples, and quick to write."""
    lines = ["# 合成样例单位（civic sample 生成，仅供演示与测试）", f"schema_version: {unit['schema_version']}", f"pack: {unit['pack']}", "unit:"]
    lines += [f"  {k}: {_flow(v)}" for k, v in unit["unit"].items()]
    lines += [f"period: {_flow(unit['period'])}", f"as_of: {_scalar(unit['as_of'])}", "fields:"]
    for name, value in unit["fields"].items():
        if isinstance(value, list) and value:
            lines.append(f"  {_scalar(name)}:")
            lines += [f"    - {_flow(v)}" for v in value]
        else:
            lines.append(f"  {_scalar(name)}: {_flow(value)}")
    for section in ("evidence", "inspections", "surveys", "incidents"):
        items = unit.get(section) or []
        lines.append(f"{section}:" if items else f"{section}: []")
        lines += [f"  - {_flow(v)}" for v in items]
    judgements = unit.get("judgements") or {}
    lines.append("judgements:" if judgements else "judgements: {}")
    lines += [f"  {_scalar(k)}: {_flow(v)}" for k, v in judgements.items()]
    return "\n".join(lines) + "\n"
