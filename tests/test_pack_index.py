"""docs/packs/README.md lists every shipped pack with counts computed from the pack itself."""

from __future__ import annotations

from evaluator.docgen import pack_index_row
from evaluator.loader import REPO_RULES, discover_packs, load_pack_or_raise
from tests.conftest import ROOT


def test_pack_index_is_current() -> None:
    text = (ROOT / "docs" / "packs" / "README.md").read_text(encoding="utf-8")
    stale = []
    for directory in discover_packs([REPO_RULES]):
        pack = load_pack_or_raise(directory, with_fixtures=True)
        row = pack_index_row(pack)
        if row not in text:
            stale.append(row)
        assert (ROOT / "docs" / "packs" / "coverage" / f"{pack.meta.id}.md").is_file(), pack.meta.id
    assert not stale, "docs/packs/README.md 需要更新这些行：\n" + "\n".join(stale)


def test_generated_pack_docs_are_current() -> None:
    from evaluator.docgen import render_pack_doc

    for directory in discover_packs([REPO_RULES]):
        pack = load_pack_or_raise(directory)
        path = ROOT / "docs" / "packs" / f"{pack.meta.id}.md"
        assert path.read_text(encoding="utf-8") == render_pack_doc(pack), f"运行 civic rules doc {pack.meta.id} -o {path.relative_to(ROOT)}"
