"""The diagnostic-code registry (evaluator/codes.py) covers every code in the code base; docs/errors.md is current."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

from evaluator.codes import CODES, render_markdown
from evaluator.errors import EXIT_CODES
from evaluator.lints import FIXTURE_LINTS, LINTS

ROOT = Path(__file__).resolve().parent.parent
CODE_RE = re.compile(r"(?<![A-Za-z0-9])[RWDUE]\d{3}(?![0-9])")


def _string_literals(path: Path) -> list[str]:
    """Every string literal of a Python file (f-strings included); comments such as ``noqa: E402`` are not."""
    source = path.read_text(encoding="utf-8")
    return [tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1)]


def _codes_in_source() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted([*ROOT.joinpath("evaluator").rglob("*.py"), ROOT / "cli.py"]):
        if path.name == "codes.py":
            continue
        for literal in _string_literals(path):
            for code in CODE_RE.findall(literal):
                found.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_code_in_the_source_is_registered() -> None:
    """A code literal anywhere in evaluator/ or cli.py without an entry in CODES fails, naming the file."""
    found = _codes_in_source()
    assert len(found) > 40  # the scan works
    missing = {code: sorted(files) for code, files in found.items() if code not in CODES}
    assert not missing, f"在 evaluator/codes.py 中登记这些代码：{missing}"


def test_dynamic_code_families_are_registered() -> None:
    """Codes built from a prefix (R/D + number in yamlio.py and locate.py) are registered for both prefixes."""
    for number in [f"{n:03d}" for n in range(14)] + ["100", "101", "102", "105", "106", "107"]:
        assert f"R{number}" in CODES and f"D{number}" in CODES, number
    for number in ("103", "104"):
        assert f"R{number}" in CODES


def test_every_lint_is_registered_with_its_severity() -> None:
    """Each registered lint's code is in CODES; W codes are warnings, R codes errors."""
    for code in [*LINTS, *FIXTURE_LINTS]:
        assert code in CODES, code
        assert CODES[code].severity == ("warning" if code.startswith("W") else "error")


def test_registry_is_consistent() -> None:
    """Exit codes follow the family; every title and remedy is written in Chinese."""
    family_exit = {"R": 3, "D": 4, "U": 2, "W": 0, "E": 5}
    for code, info in CODES.items():
        assert info.code == code
        assert info.exit_code == (family_exit[code[0]] if info.severity == "error" else 0), code
        assert info.severity == "error" or code[0] in "WD", code  # warnings: W3xx lints, D3xx skipped sheets
        assert info.exit_code in EXIT_CODES
        assert re.search(r"[\u4e00-\u9fff]", info.title) and re.search(r"[\u4e00-\u9fff]", info.action), code


def test_errors_doc_is_current() -> None:
    """docs/errors.md is exactly the output of ``python -m evaluator.codes`` (regenerate it when this fails)."""
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), "运行 python -m evaluator.codes > docs/errors.md"


def test_module_entry_point_writes_utf8() -> None:
    """``python -m evaluator.codes`` prints the document as UTF-8 even under a C locale."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "evaluator.codes"], cwd=ROOT, env=env, capture_output=True, check=True)
    assert out.stdout.decode("utf-8") == render_markdown()


def test_errors_doc_lists_exit_codes_and_all_codes() -> None:
    """Every exit code and every registered code has a row in the document."""
    doc = render_markdown()
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in doc
    for code in CODES:
        assert f"| {code} |" in doc
