"""Every fixture next to every shipped rule, run by the same runner as ``civic test``."""

from __future__ import annotations

import pytest

from evaluator.errors import DiagnosticSink
from evaluator.loader import REPO_RULES, discover_packs, load_pack
from evaluator.testing import run_case


def _cases():  # type: ignore[no-untyped-def]
    for directory in discover_packs([REPO_RULES]):
        sink = DiagnosticSink()
        pack = load_pack(directory, sink)
        assert pack is not None and not sink.errors, [d.one_line() for d in sink.errors]
        for case in pack.cases:
            yield pytest.param(pack, case, id=f"{pack.meta.id}:{case.case.rule}:{case.case.name}")


@pytest.mark.parametrize(("pack", "case"), list(_cases()))
def test_fixture(pack, case) -> None:  # type: ignore[no-untyped-def]
    outcome = run_case(pack, case)
    if case.case.todo:
        pytest.xfail("todo: known gap")
    assert outcome.ok, outcome.problems


def test_shipped_packs_lint_clean() -> None:
    from evaluator.lints import lint_pack

    for directory in discover_packs([REPO_RULES]):
        sink = DiagnosticSink()
        pack = load_pack(directory, sink)
        assert pack is not None
        lint_pack(pack, sink)
        assert not sink.errors, [d.one_line() for d in sink.errors]
