"""The durable-rules engine: identical unit results to the reference, and every guard of durable-rules.md §7.

Skipped cleanly where durable-rules is not installed (it is an optional extra that needs a C compiler)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluator.api import evaluate_loaded
from evaluator.durable_engine.leaves import Unencodable, encode, pack_leaves
from evaluator.durable_engine.matcher import RULES_PER_RULESET, ReferenceMatcher, rulesets
from evaluator.errors import DiagnosticSink, UsageError
from evaluator.loader import REPO_RULES, load_pack
from tests.sqlc.test_differential import _units_of

durable = pytest.importorskip("durable.engine")


def _pack(pack_id: str):  # type: ignore[no-untyped-def]
    pack = load_pack(REPO_RULES / pack_id, DiagnosticSink())
    assert pack is not None
    return pack, [u for u, _ in _units_of(pack)]


def _dumps(results):  # type: ignore[no-untyped-def]
    return [r.model_dump() for r in results]


@pytest.mark.parametrize("pack_id", ["wmdw", "wmcs", "jkcs"])
def test_durable_equals_reference(pack_id: str) -> None:
    from evaluator.durable_engine import score_units_durable_detailed

    pack, units = _pack(pack_id)
    units = units[:80]  # every sample and the first fixtures: keeps the test under ~10 s
    outcome = score_units_durable_detailed(pack, units, None, [])
    assert outcome.leaves > 0 and outcome.facts_sent > 0
    assert not outcome.invalid_units and not outcome.disagreements
    assert _dumps(outcome.results) == _dumps(evaluate_loaded(pack, units, None, []))
    # rules with no durable leaf are named, never silently different
    leaf_rules = {leaf.rule_id for leaf in pack_leaves(pack, pack.scored_rules())}
    assert set(outcome.fallback) == {r.id for r in pack.scored_rules() if r.rule.status == "stable"} - leaf_rules


def test_public_contract_matches_sql_engine() -> None:
    from evaluator.durable_engine import score_units_durable

    pack, units = _pack("wmdw")
    results, fallback = score_units_durable(pack, units[:5], None, [])
    assert _dumps(results) == _dumps(evaluate_loaded(pack, units[:5], None, []))
    assert all(isinstance(k, str) and v for k, v in fallback.items())


def test_ruleset_guards() -> None:
    pack, _ = _pack("wmcs")
    leaves = pack_leaves(pack, pack.scored_rules())
    definitions, where = rulesets(leaves * 3)  # more leaves than one ruleset may hold
    assert len(definitions) > 1
    for rules in definitions.values():
        assert len(rules) <= RULES_PER_RULESET
        assert rules["ALL"] == {"all": [{"m": {"t": "unit"}}], "run": "noop"}  # catch-all per ruleset
        for name, rule in rules.items():
            if name != "ALL":
                assert rule["all"][0]["m"]["$and"][0] == {"t": "unit"}  # no rule can match the state fact
    assert len(where) == len(leaves)


def test_no_timer_threads_and_one_child() -> None:
    from evaluator.durable_engine import DurableMatcher

    pack, units = _pack("wmdw")
    leaves = pack_leaves(pack, pack.scored_rules())
    matcher = DurableMatcher(leaves)
    facts = [(0, {leaves[0].index: leaves[0].constant})]
    assert matcher.match(facts) == ReferenceMatcher(leaves).match(facts)
    assert matcher.child_threads == 1  # QuietHost started no threading.Timer loops
    assert matcher._process is None  # the child is stopped after the run


def test_failed_batch_falls_back_to_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from evaluator.durable_engine import DurableMatcher, score_units_durable_detailed

    pack, units = _pack("wmdw")
    matcher = DurableMatcher(pack_leaves(pack, [r for r in pack.scored_rules() if r.rule.status == "stable"]), batch_size=4)
    original = DurableMatcher.facts
    calls = {"n": 0}

    def faulty(self, batch):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        result = original(self, batch)
        if calls["n"] == 1:
            first = sorted(result)[0]
            result[first] = result[first] + result[first][:1]
        return result

    monkeypatch.setattr(DurableMatcher, "facts", faulty)
    outcome = score_units_durable_detailed(pack, units[:12], None, [], matcher=matcher)
    assert len(outcome.invalid_units) == 4  # exactly the first batch
    assert outcome.restarts == 1
    assert _dumps(outcome.results) == _dumps(evaluate_loaded(pack, units[:12], None, []))


def test_timeout_kills_child_and_uses_reference() -> None:
    from evaluator.durable_engine import DurableMatcher

    pack, _ = _pack("wmdw")
    leaves = pack_leaves(pack, pack.scored_rules())
    matcher = DurableMatcher(leaves, timeout=0.000001)
    with pytest.raises(RuntimeError, match="子进程无法启动"):
        matcher.match([(0, {leaves[0].index: leaves[0].constant})])
    assert matcher._process is None


class _LyingMatcher:
    """Says every leaf holds: the engine must notice, name the rules and use the reference."""

    invalid: dict[int, str] = {}

    def match(self, units):  # type: ignore[no-untyped-def]
        return {(uid, leaf) for uid, values in units for leaf in values}


def test_disagreement_is_caught_and_named() -> None:
    from evaluator.durable_engine import score_units_durable_detailed
    from evaluator.durable_engine.engine import DISAGREE

    pack, units = _pack("wmdw")
    outcome = score_units_durable_detailed(pack, units, None, [], matcher=_LyingMatcher())
    assert outcome.disagreements
    assert DISAGREE in outcome.fallback.values()
    assert _dumps(outcome.results) == _dumps(evaluate_loaded(pack, units, None, []))


def test_duplicate_uid_is_refused() -> None:
    from evaluator.durable_engine import DurableMatcher

    pack, _ = _pack("wmdw")
    leaves = pack_leaves(pack, pack.scored_rules())
    with pytest.raises(ValueError, match="uid"):
        DurableMatcher(leaves).match([(1, {}), (1, {})])


@pytest.mark.parametrize("value", [Decimal("1e-6"), Decimal("NaN"), Decimal(2**60) + Decimal("0.5"), Decimal("0.1234567890123456789")])
def test_values_durable_cannot_compare_exactly_are_not_sent(value: Decimal) -> None:
    with pytest.raises(Unencodable):
        encode(value)


def test_encoding_keeps_types() -> None:
    assert encode(Decimal("12")) == 12 and isinstance(encode(Decimal("12")), int)
    assert encode(Decimal("0.66")) == 0.66
    assert encode(True) is True and encode("好人 ✓") == "好人 ✓"


def test_missing_extra_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from evaluator.durable_engine import require_durable

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError) as info:
        require_durable()
    assert info.value.diagnostics[0].code == "U054"
