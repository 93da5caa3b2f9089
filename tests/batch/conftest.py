"""Helpers for the batch tests: a loaded pack and small synthetic unit sets written in each input layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evaluator.batch.table_writer import CsvTableWriter, XlsxTableWriter
from evaluator.loader import load_pack_or_raise
from evaluator.sample_gen import generate, unit_yaml


@pytest.fixture(scope="session")
def wmdw() -> Any:
    return load_pack_or_raise("wmdw")


def write_units(pack: Any, folder: Path, count: int, fmt: str = "yaml", seed: int = 7, year: int = 2024) -> Path:
    """``count`` sample units in ``folder`` as YAML files, CSV tables or one workbook; returns the input path."""
    folder.mkdir(parents=True, exist_ok=True)
    units = generate(pack, count, seed, year)
    if fmt == "yaml":
        for unit in units:
            (folder / f"{unit['unit']['id']}.yaml").write_text(unit_yaml(unit), encoding="utf-8")
        return folder
    writer = CsvTableWriter(folder, pack) if fmt == "csv" else XlsxTableWriter(folder / "单位.xlsx", pack)
    for unit in units:
        writer.add(unit)
    writer.close()
    return folder / ("单位.csv" if fmt == "csv" else "单位.xlsx")
