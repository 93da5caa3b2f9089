"""The generated 测评体系 document: what a reviewer must be able to read from it."""

from __future__ import annotations

from evaluator.docgen import render_pack_doc
from evaluator.loader import load_pack_or_raise


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
