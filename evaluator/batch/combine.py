"""``civic combine``: several years' runs → a cycle score per unit (e.g. 15 % + 25 % + 60 %).

Policy (docs/batch.md):

* cycle score = Σ wᵢ × totalᵢ ÷ Σ wᵢ over the runs in the order given, Decimal, two places half up;
* a unit missing from any run gets no cycle score: it is listed with the runs it is missing from and not ranked
  (never averaged over the years it has);
* a unit disqualified in any run (否决项, or a component gate such as 未成年人 ≥ 85 not met) is disqualified for
  the cycle, with the reasons per run; it is ranked after every qualified unit (same rule as ``civic batch``);
* ranking: competition ranking on the cycle score, ties share a rank, tied units listed by unit id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from evaluator.errors import Diagnostic, Location, UnitDataError, usage_error
from schemas.result import UnitResult

CENT = Decimal("0.01")


@dataclass
class UnitYear:
    total: float
    grade: str
    disqualified: bool
    reasons: list[str]


@dataclass
class Run:
    label: str
    source: str
    pack_id: str | None
    pass_mark: float | None
    units: dict[str, UnitYear] = field(default_factory=dict)
    identity: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class CycleRow:
    id: str
    name: str
    type: str
    group: str | None
    region: str
    totals: list[float | None]
    score: float | None
    disqualified: bool
    reasons: list[str]
    missing: list[str]
    rank: int | None = None
    passed: bool | None = None
    grade: str | None = None


def parse_weights(text: str, runs: int) -> list[Decimal]:
    try:
        weights = [Decimal(part.strip()) for part in text.replace("，", ",").split(",") if part.strip()]
    except ArithmeticError as exc:
        raise usage_error("U040", f"权重 '{text}' 无法识别", hint="写成逗号分隔的数字，如 15,25,60") from exc
    if len(weights) != runs:
        raise usage_error("U041", f"给了 {runs} 期结果，却有 {len(weights)} 个权重", hint="权重个数与结果个数相同，按先后对应")
    if any(not w.is_finite() or w <= 0 for w in weights):
        raise usage_error("U042", f"权重须为正数：{text}")
    return weights


def _reasons(unit: UnitResult) -> list[str]:
    if not unit.disqualified:
        return []
    reasons = [f"否决项“{v.title}”（{v.date} {v.incident}）" for v in unit.vetoes]
    for c in unit.components:
        if c.gate is not None and c.gate_passed is not True:
            shown = "未提供" if c.score is None else f"{c.score:g}"
            reasons.append(f"{c.title} {shown}，低于门槛 {c.gate:g}")
    return reasons or ["取消资格"]


def _lines(path: Path) -> Iterator[tuple[str, int]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield line, number


def _units_of(path: Path) -> tuple[Iterator[tuple[UnitResult, Location]], dict[str, Any]]:
    """Unit results of a run (batch folder, results.jsonl, or the JSON of civic evaluate -f json), with run metadata."""
    from pydantic import ValidationError

    meta: dict[str, Any] = {}
    if path.is_dir():
        summary = path / "summary.json"
        if summary.is_file():
            meta = json.loads(summary.read_text(encoding="utf-8"))
        path = path / "results.jsonl"
    if not path.is_file():
        raise usage_error("U043", f"找不到测评结果 {path}", hint="给出 civic batch 的输出文件夹、results.jsonl 或 civic evaluate -f json 的输出")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise UnitDataError([Diagnostic("D401", f"JSON 格式错误：{exc.msg}", Location(str(path), exc.lineno, exc.colno))]) from exc
        meta = data
        items = [(json.dumps(u), 1) for u in data.get("units", [])] if isinstance(data, dict) else []
    else:
        items = list(_lines(path))

    def parse() -> Iterator[tuple[UnitResult, Location]]:
        for text, line in items:
            try:
                yield UnitResult.model_validate_json(text), Location(str(path), line, 1)
            except ValidationError as exc:
                raise UnitDataError([Diagnostic("D402", f"不是 civic 的单位测评结果（{exc.error_count()} 处不符）", Location(str(path), line, 1),
                                                "error", "给出 civic batch 或 civic evaluate -f json 的输出")]) from exc

    return parse(), meta


def load_run(path: Path, index: int) -> Run:
    units, meta = _units_of(path)
    pack: dict[str, Any] = meta["pack"] if isinstance(meta.get("pack"), dict) else {}
    return run_of(units, str(path), pack.get("id"), meta.get("pass_mark"), index)


def run_of(units: Iterable[tuple[UnitResult, Location]], source: str, pack_id: str | None, pass_mark: float | None, index: int) -> Run:
    """A run from unit results wherever they came from (a results file, or a round in the history store)."""
    run = Run(label="", source=source, pack_id=pack_id, pass_mark=pass_mark)
    years: set[str] = set()
    for unit, loc in units:
        if unit.unit.id in run.units:
            raise UnitDataError([Diagnostic("D403", f"单位编号 '{unit.unit.id}' 在同一期结果中重复", loc)])
        years.add(unit.as_of[:4])
        u = unit.unit
        run.identity[u.id] = {"name": u.name, "type": u.type, "group": u.group, "region": "/".join(u.region)}
        run.units[u.id] = UnitYear(unit.total, unit.grade, unit.disqualified, _reasons(unit))
    run.label = f"{years.pop()}年" if len(years) == 1 else f"第{index + 1}期"
    return run


def combine(runs: list[Run], weights: list[Decimal], pass_mark: float | None, grades: list[tuple[str, float]]) -> list[CycleRow]:
    ids = sorted({uid for run in runs for uid in run.units})
    rows: list[CycleRow] = []
    weight_sum = sum(weights, Decimal(0))
    for uid in ids:
        ident = next(run.identity[uid] for run in reversed(runs) if uid in run.identity)
        years = [run.units.get(uid) for run in runs]
        missing = [run.label for run, year in zip(runs, years, strict=True) if year is None]
        score = None
        if not missing:
            raw = sum((w * Decimal(str(y.total)) for w, y in zip(weights, years, strict=True) if y), Decimal(0)) / weight_sum
            score = float(raw.quantize(CENT, rounding=ROUND_HALF_UP))
        reasons = [f"{run.label}：{r}" for run, y in zip(runs, years, strict=True) if y for r in y.reasons]
        rows.append(CycleRow(uid, ident["name"], ident["type"], ident["group"], ident["region"], [y.total if y else None for y in years],
                             score, any(y.disqualified for y in years if y), reasons, missing))
    _rank(rows)
    for row in rows:
        if row.score is not None:
            row.passed = None if pass_mark is None else (row.score >= pass_mark and not row.disqualified)
            row.grade = "取消资格" if row.disqualified else next((label for label, low in grades if row.score >= low), None)
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.id))


def _rank(rows: list[CycleRow]) -> None:
    """Competition ranking (1224): qualified first by score, then disqualified by score; ties share a rank."""
    ranked = sorted((r for r in rows if r.score is not None), key=lambda r: (r.disqualified, -(r.score or 0), r.id))
    previous: tuple[bool, float] | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        key = (row.disqualified, row.score or 0.0)
        if key != previous:
            rank, previous = position, key
        row.rank = rank
