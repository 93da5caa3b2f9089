"""Every fixture next to every shipped rule, run by the same runner as ``civic test``; every pack lints clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.compiled import CompiledPack
from evaluator.errors import DiagnosticSink
from evaluator.lints import lint_pack
from evaluator.loader import REPO_RULES, discover_packs, load_pack
from evaluator.testing import run_pack_fixtures

PACKS = discover_packs([REPO_RULES])


def _load(directory: Path) -> CompiledPack:
    sink = DiagnosticSink()
    pack = load_pack(directory, sink)
    assert pack is not None and not sink.errors, [d.one_line() for d in sink.errors]
    return pack


@pytest.mark.parametrize("directory", PACKS, ids=[p.name for p in PACKS])
def test_pack_fixtures(directory: Path) -> None:
    pack = _load(directory)
    assert pack.cases, f"{pack.meta.id} 没有测试用例"
    failures = [f"{o.case.case.rule}「{o.case.case.name}」{o.case.location}: {'; '.join(o.problems)}"
                for o in run_pack_fixtures(pack) if o.status == "failed"]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("directory", PACKS, ids=[p.name for p in PACKS])
def test_pack_lints_clean_strict(directory: Path) -> None:
    pack = _load(directory)
    sink = DiagnosticSink()
    lint_pack(pack, sink)
    assert not sink.items, [d.one_line() for d in sink.items]
