"""The committed JSON Schemas (schemas/json/) are the current export, and editors can really use them.

When a test here fails after a schema change, regenerate with ``civic schema export`` and commit the files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from evaluator.commands.schema_cmd import SCHEMA_DIR, export_schemas
from schemas.rule import GRADING_MODELS

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad_inputs" / "rules"


def _json_ready(value: Any) -> Any:
    """YAML dates become ISO strings, as an editor's YAML language server sees them."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _load(path: Path) -> Any:
    return _json_ready(yaml.safe_load(path.read_text(encoding="utf-8-sig")))


def test_committed_schemas_equal_a_fresh_export() -> None:
    """Every file of a fresh export is committed byte for byte, and no stale file is left over."""
    fresh = export_schemas()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert sorted(committed) == sorted(fresh), "运行 civic schema export 并提交 schemas/json/"
    for name, text in fresh.items():
        assert committed[name] == text, f"{name} 已过期：运行 civic schema export"


def test_cli_export_writes_the_same_files(tmp_path: Path) -> None:
    """``civic schema export -o DIR`` writes exactly what the committed files hold."""
    result = CliRunner().invoke(main, ["schema", "export", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        assert (tmp_path / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_export_is_deterministic_and_keeps_chinese() -> None:
    """Two exports are identical; Chinese descriptions are written as characters, not \\u escapes."""
    assert export_schemas() == export_schemas()
    text = (SCHEMA_DIR / "rules.schema.json").read_text(encoding="utf-8")
    assert "\\u" not in text and "稳定编号" in text


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_each_schema_is_valid_draft_2020_12(name: str) -> None:
    """Each exported file is itself a valid JSON Schema with its $schema and $id."""
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema") and schema["$id"].endswith(name)


def test_rule_schema_offers_every_grading_model() -> None:
    """Editors complete ``model:`` with exactly the grading models the engine knows."""
    text = (SCHEMA_DIR / "rules.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    mapping = schema["$defs"]["Rule"]["properties"]["grading"]["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(GRADING_MODELS)


def test_shipped_files_validate_against_the_schemas() -> None:
    """The shipped packs' files pass the exported schemas, so an editor shows no false red lines."""
    checks = [("pack.schema.json", "*/pack.yaml"), ("rules.schema.json", "*/rules/*.yaml"),
              ("unit.schema.json", "*/samples/*.yaml"), ("fixtures.schema.json", "*/fixtures/*.yaml")]
    seen = 0
    for schema_name, pattern in checks:
        validator = _validator(schema_name)
        for path in sorted((ROOT / "rules").glob(pattern)):
            errors = [e.message for e in validator.iter_errors(_load(path))]
            assert not errors, (str(path), errors[:3])
            seen += 1
    assert seen >= 5


@pytest.mark.parametrize(("case", "schema_name", "rel"), [
    ("r102-unknown-key-typo", "rules.schema.json", "rules/main.yaml"),
    ("r103-unknown-grading-model", "rules.schema.json", "rules/main.yaml"),
    ("r106-percent-string", "pack.schema.json", "pack.yaml"),
    ("r102-tailoring-unknown-key", "tailoring.schema.json", "tailoring.yaml"),
])
def test_schemas_reject_what_lint_rejects(case: str, schema_name: str, rel: str) -> None:
    """A typo'd key, an unknown model and a "60%" number are underlined by the editor too."""
    assert list(_validator(schema_name).iter_errors(_load(BAD / case / rel)))


def test_base_pack_validates() -> None:
    """The tiny valid pack used by the bad-input corpus is valid for the schemas too."""
    assert not list(_validator("pack.schema.json").iter_errors(_load(BAD / "_base" / "pack.yaml")))
    assert not list(_validator("rules.schema.json").iter_errors(_load(BAD / "_base" / "rules" / "main.yaml")))
