"""Read a run from anywhere a user might point: the history store (label or id), an ``evaluate -f json`` file,
a ``results.jsonl`` or a batch output folder."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pydantic import ValidationError

from evaluator.errors import usage_error
from evaluator.history.compare import RunData
from evaluator.history.store import find_run, run_units
from schemas.result import RunReport, UnitResult


def _from_jsonl(path: Path, label: str) -> RunData:
    units = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            units.append(UnitResult.model_validate_json(line))
        except ValidationError as exc:
            raise usage_error("U015", f"{path}:{number} 不是 civic 的单位结果：{exc.errors(include_url=False)[0]['msg']}") from exc
    summary = path.parent / "summary.json"
    pack_id, edition = "", ""
    if summary.is_file():
        data = json.loads(summary.read_text(encoding="utf-8"))
        pack = data.get("pack", {}) if isinstance(data, dict) else {}
        pack_id, edition = pack.get("id", ""), pack.get("edition", "")
    as_of = units[0].as_of if units else ""
    return RunData(label, pack_id, edition, as_of, units)


def report_from_file(path: Path) -> RunReport:
    try:
        return RunReport.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as exc:
        raise usage_error("U015", f"{path} 不是 civic 的测评结果（civic evaluate -f json 的输出）", hint="或给出批量测评输出目录 / results.jsonl") from exc


def load_run(ref: str, conn: sqlite3.Connection | None) -> RunData:
    path = Path(ref)
    if path.is_dir() and (path / "results.jsonl").is_file():
        return _from_jsonl(path / "results.jsonl", path.name)
    if path.is_file() and path.suffix == ".jsonl":
        return _from_jsonl(path, path.stem)
    if path.is_file():
        report = report_from_file(path)
        as_of = report.units[0].as_of if report.units else report.as_of
        return RunData(path.stem, report.pack.id, report.pack.edition, as_of, report.units)
    if conn is None:
        raise usage_error("U014", f"找不到测评结果 '{ref}'", hint="给出结果文件、批量输出目录，或历史数据库中的轮次名（--db）")
    row = find_run(conn, ref)
    return RunData(row["label"], row["pack_id"], row["edition"], row["as_of"], run_units(conn, row["id"]))
