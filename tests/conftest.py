"""Shared fixtures: paths of the shipped packs and a CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def rules_dir() -> Path:
    return RULES
