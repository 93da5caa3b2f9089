"""Shared fixtures: paths of the shipped packs, a CliRunner and a helper that evaluates one unit file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


def evaluate_unit(runner: CliRunner, path: Path, *extra: str) -> dict[str, Any]:
    """``civic evaluate PATH -f json`` through the CLI; the one unit's result (the command must succeed)."""
    from cli import main

    result = runner.invoke(main, ["evaluate", str(path), "-f", "json", *extra])
    assert result.exit_code == 0, result.output
    unit: dict[str, Any] = json.loads(result.output)["units"][0]
    return unit


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def rules_dir() -> Path:
    return RULES
