"""What ``civic batch`` reads: folders of unit files, one-unit templates, many-unit workbooks, CSV.

``iter_jobs`` turns the command-line inputs into a stream of jobs in a fixed order (inputs in the order given,
folders walked in sorted order). A YAML/JSON file or a one-unit workbook becomes a ``FileJob`` that a worker
loads itself; the rows of a many-unit workbook or CSV are read here and become ``RecordJob`` items, one per
unit, so a 10 000-row table is never held whole.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evaluator.batch.cells import count_lines
from evaluator.batch.outputs import MARKER
from evaluator.batch.records import UnitRecord
from evaluator.batch.tables import Notice, Rejection, is_detail_csv, iter_workbook, read_csv_units
from evaluator.compiled import CompiledPack
from evaluator.errors import CivicError, Diagnostic, Location
from evaluator.template.layout import MULTI_SHEET, SINGLE_SHEETS
from schemas.result import InputFile

TEXT_SUFFIXES = (".yaml", ".yml", ".json")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_SHEET_NAME = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"')


@dataclass(frozen=True)
class FileJob:
    """A file holding one unit, loaded by the worker (YAML/JSON or a one-unit template workbook)."""

    path: str


@dataclass
class RecordJob:
    """One unit read from a row of a table, validated and scored by the worker."""

    record: UnitRecord


Job = FileJob | RecordJob
Stream = Iterator[Job | Rejection | Notice]


def sheet_names(path: Path) -> list[str] | None:
    """Sheet names straight from ``xl/workbook.xml`` (cheap: no styles or cells are read); None if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    import html

    return [html.unescape(m.group(1).decode("utf-8")) for m in _SHEET_NAME.finditer(data)]


def is_single_file(path: Path) -> bool:
    """A workbook a worker loads whole: a one-unit template — or anything that is not clearly a many-unit
    workbook (the worker then reports why it cannot be read)."""
    names = sheet_names(path)
    return names is None or MULTI_SHEET not in names or any(n in names for n in SINGLE_SHEETS)


def _folder_files(folder: Path, pack: CompiledPack) -> Iterator[Path]:
    outputs = {marker.parent for marker in folder.rglob(MARKER)}  # earlier civic batch outputs inside the folder
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith((".", "~$")) for part in path.relative_to(folder).parts):
            continue  # hidden files and Excel/WPS lock files (~$名单.xlsx)
        if any(parent in outputs for parent in path.parents):
            continue
        suffix = path.suffix.lower()
        if suffix in TEXT_SUFFIXES or suffix in WORKBOOK_SUFFIXES or (suffix == ".csv" and not is_detail_csv(path, pack)):
            yield path


def expand_inputs(inputs: list[Path], pack: CompiledPack) -> tuple[list[Path], list[Diagnostic]]:
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in inputs:
        if path.is_dir():
            files += list(_folder_files(path, pack))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Diagnostic("D000", "文件或文件夹不存在", Location(str(path)), "error", "检查路径是否正确"))
    return files, problems


def iter_jobs(files: list[Path], pack: CompiledPack, encoding: str | None = None) -> Stream:
    """Jobs (and located problems) for every unit in ``files``, in input order."""
    for path in files:
        suffix = path.suffix.lower()
        if suffix in TEXT_SUFFIXES or suffix in WORKBOOK_SUFFIXES and is_single_file(path):
            yield FileJob(str(path))
        elif suffix in WORKBOOK_SUFFIXES:
            yield from _records(iter_workbook(path, pack), path)
        elif suffix == ".csv":
            yield from _records(read_csv_units(path, pack, encoding), path)
        elif suffix == ".xls":
            yield Rejection(str(path), [Diagnostic("D300", "不支持旧版 .xls 工作簿", Location(str(path)), "error",
                                                   "在 Excel/WPS 中另存为 .xlsx（Excel 工作簿）后重试")])
        else:
            yield Rejection(str(path), [Diagnostic("D300", f"不支持的文件类型 {path.suffix or '（无扩展名）'}", Location(str(path)), "error",
                                                   "单位数据可以是 .yaml、.json、.xlsx 或 .csv")])


def _records(items: Iterator[UnitRecord | Rejection | Notice], path: Path) -> Stream:
    """The table's units; if the file cannot be read further (undecodable, broken CSV quoting), what was read is
    kept, the rest of this file is rejected with the located reason, and the batch goes on with the next file."""
    try:
        for item in items:
            yield RecordJob(item) if isinstance(item, UnitRecord) else item
    except CivicError as exc:
        yield Rejection(str(path), exc.diagnostics)


def input_digests(files: list[Path], pack: CompiledPack) -> list[InputFile]:
    """SHA-256 of every file the batch reads (the detail CSVs of a CSV table included), sorted by path: the
    audit record of exactly which data a result came from."""
    import hashlib

    from evaluator.batch.tables import detail_csv_paths, detail_specs

    paths = set(files)
    for path in files:
        if path.suffix.lower() == ".csv":
            paths |= set(detail_csv_paths(path, detail_specs(pack, keyed=True)).values())
    digests: list[InputFile] = []
    for path in sorted(paths, key=str):
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                sha.update(chunk)
        digests.append(InputFile(path=str(path), sha256=sha.hexdigest(), bytes=path.stat().st_size))
    return digests


def estimate_units(files: list[Path]) -> int:
    """A quick count for the progress bar (rows of tables, one per other file); exactness is not needed."""
    total = 0
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            total += max(0, count_lines(path) - 1)
        elif suffix in WORKBOOK_SUFFIXES and not is_single_file(path):
            total += max(0, _dimension_rows(path) - 1)
        else:
            total += 1
    return total


def _dimension_rows(path: Path) -> int:
    from evaluator.batch.cells import XlsxBook
    from evaluator.errors import CivicError

    try:
        book = XlsxBook(path)
    except CivicError:
        return 1
    try:
        return book.max_row(MULTI_SHEET) if MULTI_SHEET in book.sheet_states() else 1
    finally:
        book.close()
