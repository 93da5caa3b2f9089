"""The generated 测评体系 document: what a reviewer must be able to read from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.docgen import render_pack_doc
from evaluator.loader import REPO_RULES, discover_packs, load_pack_or_raise
from tests.conftest import ROOT

PACKS = discover_packs([REPO_RULES])


def test_rules_limited_by_unit_type_or_condition_say_so() -> None:
    """A reviewer must see that an item is skipped for some units: applies_to and applicable_if are in the standard cell."""
    doc = render_pack_doc(load_pack_or_raise("aws"))
    school = next(line for line in doc.splitlines() if line.startswith("| AWS-3-4 "))
    assert "（仅适用于学校）" in school
    canteen = next(line for line in doc.splitlines() if "适用条件：有职工食堂（不满足时本条不适用）" in line)
    assert canteen.startswith("| AWS-")


def test_rules_for_every_unit_have_no_applicability_note() -> None:
    doc = render_pack_doc(load_pack_or_raise("wmdw"))
    row = next(line for line in doc.splitlines() if line.startswith("| WMDW-01-01 ") or line.startswith("| WMDW-1-"))
    assert "适用" not in row.split("|")[3]


@pytest.mark.parametrize("directory", PACKS, ids=[p.name for p in PACKS])
def test_committed_pack_doc_is_current(directory: Path) -> None:
    """docs/packs/<id>.md is what `civic rules doc` generates from the pack today, for every shipped pack."""
    pack = load_pack_or_raise(directory)
    committed = (ROOT / "docs" / "packs" / f"{pack.meta.id}.md").read_text(encoding="utf-8")
    assert render_pack_doc(pack) == committed, f"运行 civic rules doc {pack.meta.id} -o docs/packs/{pack.meta.id}.md"
