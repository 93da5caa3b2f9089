"""The per-pack plan (``evaluator.evalplan``): built once, reused per unit, and never stale.

Tailoring and some callers replace parts of a loaded pack (the meta, a rule's model); the plan must notice
and give exactly the results a freshly loaded pack would.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from evaluator.engine import evaluate
from evaluator.errors import DiagnosticSink
from evaluator.evalplan import pack_plan
from evaluator.loader import load_pack_or_raise
from evaluator.unitdata import load_unit_file
from schemas.pack import Composite
from tests.conftest import RULES
from tests.data.kit import AS_OF, make_unit, pack_named, rule_result

GOOD: dict[str, Any] = {
    "fields": {"注册人数": 60, "应注册人数": 100, "安全培训": "是", "有食堂": "是", "获奖次数": 1},
    "evidence": [{"kind": "方案", "title": "2024年工作方案", "date": "2024-03-01"}],
    "inspections": [{"point_type": "车间", "point": "一车间", "sampled": 2, "passed": 2}],
    "surveys": [{"topic": "满意度", "sample": 100, "satisfied": 95}],
}


def test_plan_is_built_once_and_reused() -> None:
    pack = pack_named("enginepack", fresh=True)
    assert pack_plan(pack) is pack_plan(pack)


def test_rule_lookup_is_the_first_rule_of_that_id() -> None:
    pack = load_pack_or_raise(RULES / "wmcs")
    for compiled in pack.rules:
        assert pack.rule(compiled.id) is next(r for r in pack.rules if r.id == compiled.id)
    assert pack.rule("没有这条规则") is None


def test_replaced_rule_model_is_seen() -> None:
    pack = pack_named("enginepack", fresh=True)
    unit, values = make_unit(pack, GOOD, unit_type="企业")
    before = rule_result(evaluate(pack, unit, values, as_of=AS_OF), "E-01")
    compiled = pack.rule("E-01")
    assert compiled is not None
    compiled.rule = compiled.rule.model_copy(update={"points": 4})  # as a tailoring overlay does
    after = rule_result(evaluate(pack, unit, values, as_of=AS_OF), "E-01")
    assert before.max == 10 and after.max == 4


def test_replaced_rule_list_is_seen() -> None:
    pack = pack_named("enginepack", fresh=True)
    unit, values = make_unit(pack, GOOD, unit_type="企业")
    assert any(r.rule_id == "E-01" for r in evaluate(pack, unit, values, as_of=AS_OF).rules)
    pack.rules = [r for r in pack.rules if r.id != "E-01"]  # as tailoring's unselect does
    assert pack.rule("E-01") is None
    assert all(r.rule_id != "E-01" for r in evaluate(pack, unit, values, as_of=AS_OF).rules)


def test_replaced_meta_is_seen() -> None:
    pack = pack_named("enginepack", fresh=True)
    unit, values = make_unit(pack, GOOD, unit_type="企业")
    strict = evaluate(pack, unit, values, as_of=AS_OF)
    pack.file.pack = pack.meta.model_copy(update={"pass_mark": 0, "grades": []})
    lenient = evaluate(pack, unit, values, as_of=AS_OF)
    assert lenient.total == strict.total
    assert lenient.passed and lenient.grade == "达标"


def test_component_that_does_not_compile_is_noted_in_every_unit() -> None:
    pack = pack_named("compositepack", fresh=True)
    composite = pack.meta.composite
    assert composite is not None
    broken = composite.components[1].model_copy(update={"score": "社会评价得分 +"})
    pack.file.pack = pack.meta.model_copy(update={"composite": Composite(components=[composite.components[0], broken])})
    unit, values = make_unit(pack, {"fields": {"本体系得分": 90, "未成年人得分": 90, "社会评价得分": 80}})
    notes = [evaluate(pack, unit, values, as_of=AS_OF).notes for _ in range(3)]
    assert notes[0] == notes[1] == notes[2]
    assert len(notes[0]) == 1 and notes[0][0].startswith("社会评价：得分无法计算（")


def test_rule_made_a_veto_or_draft_in_place_is_seen() -> None:
    """``evaluate`` walks a cached list of stable scored rules; swapping a rule's model for one with another
    status must drop it from the next unit, as a fresh load would."""
    pack = pack_named("enginepack", fresh=True)
    unit, values = make_unit(pack, GOOD, unit_type="企业")
    assert any(r.rule_id == "E-01" for r in evaluate(pack, unit, values, as_of=AS_OF).rules)
    compiled = pack.rule("E-01")
    assert compiled is not None
    compiled.rule = compiled.rule.model_copy(update={"status": "draft"})
    assert all(r.rule_id != "E-01" for r in evaluate(pack, unit, values, as_of=AS_OF).rules)


def test_rule_replaced_in_the_same_list_is_seen() -> None:
    """An element of ``pack.rules`` replaced in place (same list object, same length) is a different rule."""
    pack = pack_named("enginepack", fresh=True)
    unit, values = make_unit(pack, GOOD, unit_type="企业")
    evaluate(pack, unit, values, as_of=AS_OF)
    index = next(i for i, r in enumerate(pack.rules) if r.id == "E-01")
    old = pack.rules[index]
    pack.rules[index] = dataclasses.replace(old, rule=old.rule.model_copy(update={"points": 3}))
    assert rule_result(evaluate(pack, unit, values, as_of=AS_OF), "E-01").max == 3


def test_grader_constants_follow_a_replaced_model() -> None:
    """Band texts, thresholds and points are kept per rule plan; a replaced model gets a new plan and new
    constants (the first unit after the swap already scores with the new points)."""
    pack = load_pack_or_raise(RULES / "wmcs")
    unit, values = load_unit_file(RULES / "wmcs" / "samples" / "average.yaml", pack, DiagnosticSink())
    assert unit is not None
    result = evaluate(pack, unit, values, as_of=AS_OF)
    banded = next(r for r in pack.rules if r.rule.grading.model == "bands" and rule_result(result, r.id).outcome in ("pass", "partial")
                  and all(b.level for b in r.rule.grading.bands))  # type: ignore[union-attr]
    before = rule_result(result, banded.id)
    banded.rule = banded.rule.model_copy(update={"points": banded.rule.points * 2})
    after = rule_result(evaluate(pack, unit, values, as_of=AS_OF), banded.id)
    assert after.max == before.max * 2
    assert abs(after.earned - before.earned * 2) <= 0.01 and after.level == before.level
