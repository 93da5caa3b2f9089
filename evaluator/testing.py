"""The rule-fixture runner used by ``civic test`` and by pytest (tests/test_rule_fixtures.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from evaluator.compiled import CompiledPack, LoadedCase
from evaluator.engine import build_context, check_veto, evaluate_rule, explanation_labels
from evaluator.errors import DiagnosticSink
from evaluator.unitdata import check_fields
from schemas.result import RuleResult
from schemas.unit import Unit

DEFAULT_AS_OF = dt.date(2024, 12, 31)


@dataclass
class CaseResult:
    pack: str
    case: LoadedCase
    ok: bool
    todo: bool
    problems: list[str]
    result: RuleResult | None = None

    @property
    def status(self) -> str:
        if self.todo:
            return "todo"
        return "passed" if self.ok else "failed"


def fixture_unit(pack: CompiledPack, case: LoadedCase) -> tuple[Unit, dt.date]:
    as_of = case.case.as_of or DEFAULT_AS_OF
    data: dict[str, Any] = {
        "unit": {"id": "fixture", "name": case.case.name, "type": case.case.unit_type or pack.meta.unit_types[0]},
        "period": {"start": dt.date(as_of.year, 1, 1), "end": as_of},
        **case.case.data,
    }
    return Unit.model_validate(data), as_of


def run_case(pack: CompiledPack, loaded: LoadedCase) -> CaseResult:
    case = loaded.case
    rule = pack.rule(case.rule)
    if rule is None:
        return CaseResult(pack.meta.id, loaded, False, case.todo, [f"规则 {case.rule} 不存在"])
    try:
        unit, as_of = fixture_unit(pack, loaded)
    except ValidationError as exc:
        return CaseResult(pack.meta.id, loaded, False, case.todo, [f"用例数据不合法：{exc.errors(include_url=False)[0]['msg']}"])
    sink = DiagnosticSink()
    values = check_fields(pack, unit, None, sink, str(loaded.location))
    if sink.errors:
        return CaseResult(pack.meta.id, loaded, False, case.todo, [f"用例数据不合法：{d.message}" for d in sink.errors])
    if rule.rule.grading.model == "veto":
        result, _ = check_veto(rule, unit, as_of)
    else:
        result = evaluate_rule(pack, rule, unit, build_context(pack, unit, values, as_of), values, as_of, explanation_labels(pack)).result
    problems = compare(case.expect, result)
    return CaseResult(pack.meta.id, loaded, not problems, case.todo, problems, result)


def compare(expect: Any, result: RuleResult) -> list[str]:
    problems = []
    if result.outcome != expect.outcome:
        problems.append(f"结果应为 {expect.outcome}，实际为 {result.outcome}（{result.message}）")
    if expect.points is not None and Decimal(str(result.earned)) != Decimal(str(expect.points)):
        problems.append(f"得分应为 {expect.points}，实际为 {result.earned}")
    if expect.level is not None and result.level != expect.level:
        problems.append(f"等级应为 {expect.level}，实际为 {result.level}")
    if expect.missing is not None:
        got = sorted(m.name for m in result.missing)
        if got != sorted(expect.missing):
            problems.append(f"缺项应为 {sorted(expect.missing)}，实际为 {got}")
    return problems


def run_pack_fixtures(pack: CompiledPack) -> list[CaseResult]:
    return [run_case(pack, case) for case in pack.cases]
