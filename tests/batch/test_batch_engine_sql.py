"""``civic batch --engine sql`` scores exactly like the reference engine and renders the same reports."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from tests.conftest import RULES


def _run(tmp: Path, engine: str) -> Path:
    out = tmp / engine
    result = CliRunner().invoke(main, ["batch", str(RULES / "wmdw" / "samples"), "--pack", "wmdw", "-o", str(out), "--engine", engine],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_sql_engine_matches_reference(tmp_path: Path) -> None:
    ref, sql = _run(tmp_path, "reference"), _run(tmp_path, "sql")
    def cells(out: Path) -> dict[str, object]:
        units = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
        return {u["unit"]["id"]: (u["total"], u["grade"], [(r["rule_id"], r["outcome"], r["earned"]) for r in u["rules"]],
                                  u["deficiencies"], u["rectifications"]) for u in units}
    assert cells(ref) == cells(sql)
    assert (ref / "汇总.xlsx").read_bytes() == (sql / "汇总.xlsx").read_bytes()
    for unit in ("DW-330105-014", "DW-330110-207"):
        assert (ref / unit / "整改通知书.docx").read_bytes() == (sql / unit / "整改通知书.docx").read_bytes()
