"""Build a bad-input case: the small valid pack ``_base/`` copied to a folder with the case's files laid over it.

Used by tests/test_bad_rules.py (CLI snapshots) and tests/test_lints.py (lint functions one by one).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parent
BASE = CASES_DIR / "_base"
CONTROL_FILES = {"expected.txt", "expected_human.txt", "_delete.txt"}


def _enormous(pack: Path) -> None:
    """A rules file just over the 10 MB limit, made at test time so the repository stays small."""
    line = "# " + "很长的注释" * 20 + "\n"
    body = "rules:\n" + line * (10 * 1024 * 1024 // len(line.encode()) + 10)
    (pack / "rules" / "main.yaml").write_text(body, encoding="utf-8")


GENERATED: dict[str, Callable[[Path], None]] = {"r009-enormous-file": _enormous}


def case_names() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def build_case(case: str, where: Path) -> Path:
    """Copy the base pack to ``where/pack`` and lay the case's files over it; returns the pack directory."""
    pack = where / "pack"
    shutil.copytree(BASE, pack)
    source = CASES_DIR / case
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or str(rel) in CONTROL_FILES:
            continue
        target = pack / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    delete = source / "_delete.txt"
    if delete.is_file():
        for rel_name in delete.read_text(encoding="utf-8").split():
            (pack / rel_name).unlink()
    if case in GENERATED:
        GENERATED[case](pack)
    return pack
