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


def write_mixed_inputs(pack: Any, folder: Path, count: int, seed: int) -> None:
    """``count`` sample units in every input layout under ``folder``: half as YAML files in yaml/, a quarter in the
    many-unit workbook 汇总表.xlsx, the rest as CSV tables in csv/ — plus yaml/坏.yaml, a unit with a bad value."""
    (folder / "yaml").mkdir(parents=True)
    (folder / "csv").mkdir()
    units = list(generate(pack, count, seed, 2024))
    half, three_quarters = count // 2, count // 2 + count // 4
    for unit in units[:half]:
        (folder / "yaml" / f"{unit['unit']['id']}.yaml").write_text(unit_yaml(unit), encoding="utf-8")
    book, table = XlsxTableWriter(folder / "汇总表.xlsx", pack), CsvTableWriter(folder / "csv", pack)
    for unit in units[half:three_quarters]:
        book.add(unit)
    for unit in units[three_quarters:]:
        table.add(unit)
    book.close()
    table.close()
    bad = unit_yaml(units[0]).replace(f"id: {units[0]['unit']['id']}", "id: DW-BAD-001").replace("职工人数: ", "职工人数: 约", 1)
    (folder / "yaml" / "坏.yaml").write_text(bad, encoding="utf-8")
