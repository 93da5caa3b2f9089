"""Semantic lints (evaluator/lints.py): each one fires on a small broken pack and stays silent on the shipped
全国文明单位 pack; whole-pack lints stand back when a file failed to load or a 地方细则 is applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.compiled import CompiledPack
from evaluator.errors import Diagnostic, DiagnosticSink
from evaluator.lints import FIXTURE_LINTS, LINTS, lint_pack
from evaluator.loader import REPO_RULES, load_pack
from tests.bad_inputs.rules.corpus import BASE, build_case

# lint code → a case of the bad-input corpus that must trigger it
FIRES: dict[str, list[str]] = {
    "R205": ["r205-value-not-number", "r205-condition-not-bool"],
    "R301": ["r301-duplicate-rule-ids"],
    "R302": ["r302-duplicate-catalogue-codes"],
    "R303": ["r303-unknown-node"],
    "R304": ["r304-points-not-summing", "r304-children-not-summing"],
    "R305": ["r305-unknown-method", "r305-unknown-unit-type", "r305-unknown-evidence-kind", "r305-unknown-incident-type",
             "r305-unknown-point-type"],
    "R306": ["r306-unreachable-ladder-level", "r306-ladder-out-of-order", "r306-undefined-level", "r306-problem-ladder-out-of-order"],
    "R307": ["r307-bands-out-of-order", "r307-band-points-above-rule"],
    "R308": ["r308-veto-with-points", "r308-veto-without-effect"],
    "W308": ["w308-deduction-per-exceeds-points"],
    "R309": ["r309-method-weights"],
    "W310": ["r303-unknown-node"],
    "W311": ["w311-rule-without-fixtures"],
    "W312": ["w312-fixtures-one-sided"],
    "R313": ["r313-fixture-unknown-rule"],
}


def _lint(pack_dir: Path, tailoring: Path | None = None) -> tuple[CompiledPack | None, list[Diagnostic]]:
    sink = DiagnosticSink()
    pack = load_pack(pack_dir, sink, tailoring)
    if pack is not None:
        lint_pack(pack, sink)
    return pack, sink.items


def test_every_registered_lint_has_a_firing_case() -> None:
    """Adding a lint without a corpus case that triggers it fails here."""
    assert set(LINTS) | set(FIXTURE_LINTS) <= set(FIRES)


@pytest.mark.parametrize(("code", "case"), [(code, case) for code, cases in FIRES.items() for case in cases])
def test_lint_fires(code: str, case: str, tmp_path: Path) -> None:
    """The case's pack yields the lint's code, located in a file of the pack with a line number."""
    _, diags = _lint(build_case(case, tmp_path))
    hits = [d for d in diags if d.code == code]
    assert hits, [d.one_line() for d in diags]
    for diag in hits:
        assert diag.location.path.startswith(str(tmp_path)) and diag.location.line is not None
        assert diag.severity == ("warning" if code.startswith("W") else "error")


def test_base_pack_is_clean() -> None:
    """The corpus base has no lint findings at all (so each case shows only its own problem)."""
    _, diags = _lint(BASE)
    assert diags == []


@pytest.mark.parametrize("code", sorted({*LINTS, *FIXTURE_LINTS}))
def test_lint_is_silent_on_wmdw(code: str) -> None:
    """Each lint, run alone, finds nothing in rules/wmdw (the model pack)."""
    sink = DiagnosticSink()
    pack = load_pack(REPO_RULES / "wmdw", sink)
    assert pack is not None and not sink.items
    _title, fn = {**LINTS, **FIXTURE_LINTS}[code]
    fn(pack, sink)
    assert sink.items == [], [d.one_line() for d in sink.items]


def test_unloadable_rule_file_does_not_cascade(tmp_path: Path) -> None:
    """A rule file with a schema error is reported once; the point sums and fixture references are not re-checked."""
    _, diags = _lint(build_case("r106-chinese-number", tmp_path))
    assert [d.code for d in diags] == ["R106"]


def test_unloadable_fixture_file_does_not_cascade(tmp_path: Path) -> None:
    """A broken fixtures file does not make every rule look untested."""
    _, diags = _lint(build_case("r104-fixture-bad-outcome", tmp_path))
    assert [d.code for d in diags] == ["R104"]


def test_tailoring_may_drop_rules_and_change_points(tmp_path: Path) -> None:
    """A 细则 that unselects a rule or changes points is valid: the score rescales, so R304/R309/W310 stand back."""
    tailoring = tmp_path / "细则.yaml"
    tailoring.write_text(
        "tailoring:\n  id: 某市\n  title: 某市细则\n  pack: base\n  unselect: [B-01]\n"
        "  rules:\n    B-02: {points: 5, params: {目标次数: 6}}\n", encoding="utf-8")
    pack, diags = _lint(BASE, tailoring)
    assert pack is not None and [r.id for r in pack.rules] == ["B-02", "B-V1"]
    assert pack.rule("B-02").rule.points == 5 and pack.rule("B-02").rule.params == {"目标次数": 6}  # type: ignore[union-attr]
    assert [d.code for d in diags if d.severity == "error"] == []


def test_tailored_wmdw_evaluates(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """End to end: a city 细则 on 全国文明单位 that drops a rule and raises a threshold still evaluates (exit 0)."""
    from cli import main

    tailoring = tmp_path / "杭州细则.yaml"
    tailoring.write_text(
        "tailoring:\n  id: hz\n  title: 杭州市文明单位测评细则\n  pack: wmdw\n  unselect: [WMDW-01-04]\n"
        "  rules:\n    WMDW-02-01: {params: {目标占比: 40}}\n", encoding="utf-8")
    result = runner.invoke(main, ["evaluate", str(REPO_RULES / "wmdw/samples/average.yaml"), "--tailoring", str(tailoring), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert '"WMDW-01-04"' not in result.output


def test_composite_component_score_is_checked_at_load(tmp_path: Path) -> None:
    """A typo in a composite component's score expression is a located R201, not a note at evaluation time."""
    _, diags = _lint(build_case("r201-composite-score-unknown-field", tmp_path))
    assert [(d.code, d.location.line) for d in diags] == [("R201", 13)]
    assert "组成部分 minors" in diags[0].message
