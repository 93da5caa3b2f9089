"""civic sample: deterministic, valid, realistic synthetic units in every output format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from evaluator.api import load_units
from evaluator.errors import DiagnosticSink
from evaluator.loader import load_pack_or_raise
from evaluator.sample_gen import STREETS, generate, unit_yaml


@pytest.fixture(scope="module")
def pack() -> Any:
    return load_pack_or_raise("wmdw")


def test_same_seed_same_units_other_seed_other_units(pack: Any) -> None:
    first = [unit_yaml(u) for u in generate(pack, 5, seed=4)]
    assert first == [unit_yaml(u) for u in generate(pack, 5, seed=4)]
    assert first != [unit_yaml(u) for u in generate(pack, 5, seed=5)]
    assert first[:3] == [unit_yaml(u) for u in generate(pack, 3, seed=4)]  # unit i does not depend on N


def test_identity_is_stable_across_years_values_are_not(pack: Any) -> None:
    a, b = next(generate(pack, 1, seed=2, year=2023)), next(generate(pack, 1, seed=2, year=2024))
    assert a["unit"] == b["unit"]
    assert a["period"]["start"].year == 2023 and b["period"]["start"].year == 2024
    assert a["fields"] != b["fields"]


def test_units_are_valid_and_varied(tmp_path: Path, pack: Any) -> None:
    units = list(generate(pack, 40, seed=9))
    for unit in units:
        (tmp_path / f"{unit['unit']['id']}.yaml").write_text(unit_yaml(unit), encoding="utf-8")
    sink = DiagnosticSink()
    loaded = load_units([tmp_path], pack, sink)
    assert not sink.errors, [d.one_line() for d in sink.errors[:5]]
    assert len(loaded) == 40
    codes = {u["unit"]["region"]["code"] for u in units}
    assert all(re.fullmatch(r"\d{12}", c) and c.endswith("000") for c in codes) and len(codes) > 15
    assert len({u["unit"]["type"] for u in units}) == len(pack.meta.unit_types)
    assert len({u["unit"]["group"] for u in units}) > 3
    kinds = {k.id for k in pack.file.evidence_kinds}
    assert any(kinds - {e["kind"] for e in u["evidence"]} for u in units)  # some evidence is missing
    assert any(set(pack.fields) - set(u["fields"]) for u in units)  # some values are not reported


def test_regions_are_real_names_with_consistent_codes() -> None:
    by_district = {}
    for street in STREETS:
        by_district.setdefault((street.city, street.district), set()).add(street.code[:6])
    assert all(len(codes) == 1 for codes in by_district.values())
    hz = next(s for s in STREETS if s.district == "西湖区")
    assert hz.code.startswith("330106") and hz.province == "浙江省" and hz.city == "杭州市"


def test_yaml_is_plain_where_safe_and_reads_back(pack: Any) -> None:
    unit = next(generate(pack, 1, seed=1))
    text = unit_yaml(unit)
    assert yaml.safe_load(text)["unit"]["id"] == unit["unit"]["id"]
    assert f"  id: {unit['unit']['id']}\n" in text


@pytest.mark.parametrize("fmt, produced", [("yaml", None), ("csv", "单位.csv"), ("xlsx", "单位.xlsx")])
def test_cli_formats(tmp_path: Path, fmt: str, produced: str | None) -> None:
    out = tmp_path / fmt
    result = CliRunner().invoke(main, ["sample", "--pack", "wmdw", "-n", "7", "-o", str(out), "--format", fmt, "--seed", "3"])
    assert result.exit_code == 0, result.output
    if produced is None:
        assert len(list(out.glob("*.yaml"))) == 7
    else:
        assert (out / produced).is_file()
    evaluated = CliRunner().invoke(main, ["evaluate", str(out if produced is None else out / produced), "--pack", "wmdw", "-f", "json"])
    assert evaluated.exit_code == 0, evaluated.output


def test_refuses_to_mix_with_existing_files(tmp_path: Path) -> None:
    args = ["sample", "--pack", "wmdw", "-n", "2", "-o", str(tmp_path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert CliRunner().invoke(main, [*args, "--overwrite"]).exit_code == 0
    assert len(list(tmp_path.glob("*.yaml"))) == 2


def test_city_packs_use_their_sample_hints_and_city_identities() -> None:
    city = load_pack_or_raise("wmcs")
    low, high = city.meta.meta["sample_hints"]["常住人口"]
    units = list(generate(city, 12, seed=1))
    assert all(low <= u["fields"]["常住人口"] <= high for u in units if "常住人口" in u["fields"])
    first = units[0]["unit"]
    assert first["name"].endswith("市") and len(first["region"]["path"]) == 2 and first["region"]["code"].endswith("00000000")
