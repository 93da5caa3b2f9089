"""The documentation is complete and true.

docs/rule-format.md must mention every grading model, every expression function and every key of every file
format, and its ``# 文件：`` examples must load as a real pack (expressions compiled, fixtures passing).
docs/scoring.md's worked example is recomputed through the CLI and compared with the numbers it states.
"""

from __future__ import annotations

import json
import re
import shutil
import typing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from cli import main
from evaluator.errors import DiagnosticSink
from evaluator.expr.functions import FUNCTIONS
from evaluator.expr.lexer import KEYWORDS
from evaluator.expr.scope import BUILTIN_NAMES
from evaluator.lints import lint_pack
from evaluator.loader import load_pack
from evaluator.locate import _model_named
from evaluator.testing import run_pack_fixtures
from evaluator.yamlio import load_yaml
from schemas.fixture import FixtureFile
from schemas.pack import FieldType, PackFile
from schemas.result import Outcome
from schemas.rule import GRADING_MODELS, RuleFile
from schemas.tailoring import TailoringFile
from schemas.unit import Unit

ROOT = Path(__file__).resolve().parent.parent
RULE_FORMAT = (ROOT / "docs" / "rule-format.md").read_text(encoding="utf-8")
SCORING = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
SAMPLE = ROOT / "rules" / "wmdw" / "samples" / "average.yaml"


def _models(root: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if root in seen:
        return
    seen.add(root)
    for info in root.model_fields.values():
        for arg in _flatten(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)


def _flatten(annotation: Any) -> list[Any]:
    found = [annotation]
    for arg in typing.get_args(annotation):
        found += _flatten(arg)
    return found


def _all_keys() -> dict[str, set[str]]:
    """Every key of every file format → the models it belongs to."""
    models: set[type[BaseModel]] = set()
    for root in (PackFile, RuleFile, FixtureFile, TailoringFile, Unit):
        _models(root, models)
    keys: dict[str, set[str]] = {}
    for model in models:
        for name in model.model_fields:
            keys.setdefault(name, set()).add(model.__name__)
    return keys


def test_every_grading_model_has_an_example() -> None:
    """Each grading model appears as ``model: <name>`` in an example."""
    missing = [m for m in GRADING_MODELS if f"model: {m}" not in RULE_FORMAT]
    assert not missing, f"docs/rule-format.md 缺少这些评分模型的示例：{missing}"


def test_every_function_is_documented() -> None:
    missing = [f for f in FUNCTIONS if f"`{f}(" not in RULE_FORMAT]
    assert not missing, f"docs/rule-format.md 缺少这些函数：{missing}"


def test_every_schema_key_is_documented() -> None:
    """Each key of pack.yaml, rule files, fixtures, tailoring and unit data is written as `key` somewhere."""
    keys = _all_keys()
    assert len(keys) > 80
    missing = {name: sorted(owners) for name, owners in sorted(keys.items()) if f"`{name}`" not in RULE_FORMAT}
    assert not missing, f"docs/rule-format.md 没有说明这些键：{missing}"


def test_vocabularies_are_documented() -> None:
    """Field types, outcomes, built-in names and keywords (Chinese ones included) are all explained."""
    words = [*typing.get_args(FieldType), *typing.get_args(Outcome), *BUILTIN_NAMES, *KEYWORDS]
    missing = [w for w in words if f"`{w}`" not in RULE_FORMAT and f"`{w} " not in RULE_FORMAT and f" {w}`" not in RULE_FORMAT]
    assert not missing, missing
    for needed in ("## 8. 地方细则", "≥ ≤ ≠", "且", "2000", "40 层", "缺项", "无法评测", "peer_average", "gate", "all(列表, 条件)"):
        assert needed in RULE_FORMAT, needed


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def _example_pack(tmp_path: Path) -> tuple[Path, Path]:
    """Write every ``# 文件：`` block into a pack folder; the tailoring file goes beside it."""
    pack = tmp_path / "example"
    tailoring = tmp_path / "细则.yaml"
    for block in _yaml_blocks(RULE_FORMAT):
        first = block.splitlines()[0]
        if not first.startswith("# 文件："):
            continue
        rel = first.removeprefix("# 文件：").strip()
        target = tailoring if rel == "细则.yaml" else pack / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        assert not target.exists() or target == tailoring, f"示例文件重名：{rel}"
        target.write_text(block, encoding="utf-8")
    return pack, tailoring


def test_every_yaml_example_is_valid_yaml(tmp_path: Path) -> None:
    """All YAML blocks of the format document load without syntax errors."""
    blocks = _yaml_blocks(RULE_FORMAT)
    assert len(blocks) >= 15
    for index, block in enumerate(blocks):
        path = tmp_path / f"b{index}.yaml"
        path.write_text(block, encoding="utf-8")
        load_yaml(path)


def test_examples_load_as_a_pack_with_tailoring(tmp_path: Path) -> None:
    """The examples form a pack whose schema, references and expressions are all valid, and whose fixtures pass.

    Point sums are not required to match (the examples are picked to show each model, not to add up to 100).
    """
    pack_dir, tailoring = _example_pack(tmp_path)
    sink = DiagnosticSink()
    pack = load_pack(pack_dir, sink)
    assert pack is not None
    lint_pack(pack, sink)
    allowed = {"R304", "W310", "W311", "W312"}
    assert [d.one_line() for d in sink.items if d.code not in allowed] == []
    assert {r.rule.grading.model for r in pack.rules} == set(GRADING_MODELS)
    outcomes = run_pack_fixtures(pack)
    assert outcomes and all(o.ok for o in outcomes), [(o.case.case.name, o.problems) for o in outcomes if not o.ok]
    tailored_sink = DiagnosticSink()
    tailored = load_pack(pack_dir, tailored_sink, tailoring)
    assert tailored is not None and not tailored_sink.errors, [d.one_line() for d in tailored_sink.errors]
    assert tailored.meta.pass_mark == 88 and tailored.rule("EX-BO") is None
    assert tailored.rule("EX-1-1-01").rule.params["目标占比"] == 40  # type: ignore[union-attr]


def test_fragments_validate_against_their_model() -> None:
    """``# 片段：Model`` blocks are valid instances of that pydantic model."""
    count = 0
    for block in _yaml_blocks(RULE_FORMAT):
        first = block.splitlines()[0]
        if first.startswith("# 片段："):
            import yaml

            model = _model_named(first.removeprefix("# 片段：").strip())
            assert model is not None, first
            model.model_validate(yaml.safe_load(block))
            count += 1
    assert count >= 1


def test_docs_link_to_each_other() -> None:
    assert "(scoring.md)" in RULE_FORMAT and "(errors.md)" in RULE_FORMAT and "(rule-format.md)" in SCORING


# --- docs/scoring.md: the worked example ---------------------------------------------------------------


def _evaluate(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["evaluate", str(SAMPLE), "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["units"][0]  # type: ignore[no-any-return]


def _number(pattern: str) -> float:
    match = re.search(pattern, SCORING)
    assert match, f"docs/scoring.md 中找不到：{pattern}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def unit() -> dict[str, Any]:
    return _evaluate()


def test_worked_example_total(unit: dict[str, Any]) -> None:
    """The total written in the document is what ``civic evaluate`` computes for the sample today."""
    assert unit["total"] == _number(r"总分：(\d+\.\d{2})（civic evaluate rules/wmdw/samples/average\.yaml")
    assert unit["grade"] in SCORING and unit["passed"] is False


def test_worked_example_rule_rows(unit: dict[str, Any]) -> None:
    """Every row of the per-rule table has the method, earned points and maximum the engine gives."""
    rows = re.findall(r"^\| (WMDW-[\w-]+) \| (\S+) \| (\w+) \| .+ \| ([\d.]+) \| ([\d.]+) \|$", SCORING, flags=re.M)
    scored = {r["rule_id"]: r for r in unit["rules"] if r["max"] > 0}
    assert sorted(r[0] for r in rows) == sorted(scored)
    for rule_id, method, _model, earned, maximum in rows:
        got = scored[rule_id]
        assert (got["method"], got["earned"], got["max"]) == (method, float(earned), float(maximum)), rule_id
    assert round(sum(float(r[3]) for r in rows), 2) == unit["total"]


def test_worked_example_method_sums(unit: dict[str, Any]) -> None:
    for method in unit["methods"]:
        assert f"{method['method']} {method['earned']:g} / {method['max']:g}" in SCORING, method


def test_worked_example_with_method_weights(tmp_path: Path) -> None:
    """Variant 1: the same sample under the method weights quoted in the document."""
    weights = re.search(r"`method_weights: (\{.+?\})`", SCORING)
    assert weights
    pack = tmp_path / "wmdw"
    shutil.copytree(ROOT / "rules" / "wmdw", pack)
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    methods_line = re.search(r"^  methods: .+$", text, flags=re.M)
    assert methods_line
    text = text.replace(methods_line.group(0), f"{methods_line.group(0)}\n  method_weights: {weights.group(1)}", 1)
    (pack / "pack.yaml").write_text(text, encoding="utf-8")
    weighted = _evaluate("--pack", str(pack))
    assert weighted["total"] == _number(r"加权后总分：(\d+\.\d{2})")


def test_worked_example_with_waiver(tmp_path: Path) -> None:
    """Variant 2: the waiver file printed in the document gives the two totals it states."""
    block = next(b for b in _yaml_blocks(SCORING) if b.startswith("waivers:"))
    waivers = tmp_path / "豁免.yaml"
    waivers.write_text(block, encoding="utf-8")
    waived = _evaluate("--waivers", str(waivers))
    assert waived["total"] == _number(r"含豁免总分：(\d+\.\d{2})")
    assert waived["total_without_waivers"] == _number(r"不含豁免总分：(\d+\.\d{2})")
