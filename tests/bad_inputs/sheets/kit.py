"""Build a spreadsheet case: three fixed units (``_base/*.yaml``) written in one of the tabular layouts, then the
case's edits applied the way an officer's hand or an odd program would.

A case is a folder with ``case.yaml``::

    title: 数值写成汉字“十二”           # what the case is about (Chinese, shown in failures)
    layout: workbook                   # workbook (many-unit 单位.xlsx) | template (one-unit 单位.xlsx) | csv | none
    edits:                             # applied in order; each is {operation: arguments}
      - set: {sheet: 单位, unit: WMDW-330106-00002, column: 学雷锋活动次数, value: 十二}
    inputs: [单位.xlsx]                # optional: what is given to civic batch / civic evaluate

Any other file in the case folder (a real Excel-saved workbook, a UTF-16 export …) is copied beside the built
input. Edits address cells by sheet and column header (and by unit id or row number), never by column letter,
so a case still means the same thing when a field is added to the pack; the snapshot shows the letter.

Why built rather than stored: the units, the layouts and the edits stay readable and reviewable as text, and
a wording change in the data dictionary does not require re-saving binary files by hand.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from evaluator.batch.table_writer import CsvTableWriter, XlsxTableWriter
from evaluator.compiled import CompiledPack

CASES_DIR = Path(__file__).resolve().parent
BASE = CASES_DIR / "_base"
CONTROL_FILES = {"case.yaml", "expected.txt"}
MAIN = "单位"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def case_spec(case: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((CASES_DIR / case / "case.yaml").read_text(encoding="utf-8"))
    return spec


def base_units() -> list[dict[str, Any]]:
    """The three good units every case starts from (sorted by file name, so by unit id)."""
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(BASE.glob("*.yaml"))]


# ---------------------------------------------------------------- layouts


def _workbook(folder: Path, pack: CompiledPack) -> Path:
    path = folder / f"{MAIN}.xlsx"
    writer = XlsxTableWriter(path, pack)
    for unit in base_units():
        writer.add(unit)
    writer.close()
    return path


def _template(folder: Path, pack: CompiledPack) -> Path:
    from evaluator.template.xlsx_writer import build_template
    from tests.test_template_xlsx import fill_template

    path = folder / f"{MAIN}.xlsx"
    path.write_bytes(fill_template(build_template(pack), base_units()[0], pack))
    return path


def _csv(folder: Path, pack: CompiledPack) -> Path:
    writer = CsvTableWriter(folder, pack)
    for unit in base_units():
        writer.add(unit)
    writer.close()
    return folder / f"{MAIN}.csv"


LAYOUTS: dict[str, Callable[[Path, CompiledPack], Path]] = {"workbook": _workbook, "template": _template, "csv": _csv}


# ---------------------------------------------------------------- workbook edits (openpyxl, on the saved file)


def _header_columns(ws: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value is not None}


def _column(ws: Any, name: str) -> int:
    columns = _header_columns(ws)
    if name not in columns:
        raise KeyError(f"工作表「{ws.title}」没有列“{name}”：{sorted(columns)}")
    return columns[name]


def _row(ws: Any, args: dict[str, Any]) -> int:
    """The row an edit addresses: ``row: N``, ``unit: 编号`` (first column), or ``field: 字段`` (template sheet)."""
    if "row" in args:
        return int(args["row"])
    key = args.get("unit", args.get("field"))
    for row in range(2, ws.max_row + 1):
        if str(ws.cell(row=row, column=1).value) == key:
            return row
    raise KeyError(f"工作表「{ws.title}」中找不到“{key}”")


def _cell(ws: Any, args: dict[str, Any]) -> Any:
    column = args.get("column", "值" if "field" in args else None)
    return ws.cell(row=_row(ws, args), column=_column(ws, str(column)))


def x_set(wb: Any, args: dict[str, Any]) -> None:
    """Write a value (a formula when it starts with =; an error value such as #DIV/0! is stored as an error)."""
    _cell(wb[args["sheet"]], args).value = args["value"]


def x_merge(wb: Any, args: dict[str, Any]) -> None:
    ws = wb[args["sheet"]]
    first, last = _cell(ws, args["from"]), _cell(ws, args["to"])
    ws.merge_cells(f"{first.coordinate}:{last.coordinate}")


def x_hide(wb: Any, args: dict[str, Any]) -> None:
    wb[args["sheet"]].sheet_state = args.get("state", "hidden")


def x_remove_sheet(wb: Any, args: dict[str, Any]) -> None:
    del wb[args["sheet"]]


def x_rename_sheet(wb: Any, args: dict[str, Any]) -> None:
    wb[args["sheet"]].title = args["to"]


def x_add_sheet(wb: Any, args: dict[str, Any]) -> None:
    ws = wb.create_sheet(args["sheet"])
    for row in args.get("rows", []):
        ws.append(row)


def x_clear_sheet(wb: Any, args: dict[str, Any]) -> None:
    """Delete the rows of a sheet (from row 2 with ``keep_header``), as an officer clearing a table would."""
    ws = wb[args["sheet"]]
    start = 2 if args.get("keep_header") else 1
    ws.delete_rows(start, ws.max_row)


def x_rename_column(wb: Any, args: dict[str, Any]) -> None:
    ws = wb[args["sheet"]]
    ws.cell(row=1, column=_column(ws, args["column"])).value = args["to"]


def x_delete_column(wb: Any, args: dict[str, Any]) -> None:
    ws = wb[args["sheet"]]
    ws.delete_cols(_column(ws, args["column"]))


def x_add_column(wb: Any, args: dict[str, Any]) -> None:
    ws = wb[args["sheet"]]
    column = ws.max_column + 1
    ws.cell(row=1, column=column).value = args["header"]
    for key, value in (args.get("values") or {}).items():
        ws.cell(row=_row(ws, {"unit": key}), column=column).value = value


def x_copy_row(wb: Any, args: dict[str, Any]) -> None:
    """Append a copy of a unit's row (the duplicate-id mistake), optionally changing some of its cells."""
    ws = wb[args["sheet"]]
    source = _row(ws, args)
    values = [c.value for c in ws[source]]
    ws.append(values)
    for column, value in (args.get("change") or {}).items():
        ws.cell(row=ws.max_row, column=_column(ws, column)).value = value


def x_insert_rows(wb: Any, args: dict[str, Any]) -> None:
    """Insert rows above row ``at`` (a title line above the header, a blank separator …)."""
    ws = wb[args["sheet"]]
    ws.insert_rows(int(args["at"]), len(args["rows"]))
    for offset, values in enumerate(args["rows"]):
        for column, value in enumerate(values, start=1):
            ws.cell(row=int(args["at"]) + offset, column=column).value = value


def x_number_format(wb: Any, args: dict[str, Any]) -> None:
    _cell(wb[args["sheet"]], args).number_format = args["format"]


WORKBOOK_EDITS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "set": x_set, "merge": x_merge, "hide": x_hide, "remove_sheet": x_remove_sheet, "rename_sheet": x_rename_sheet,
    "add_sheet": x_add_sheet,
    "clear_sheet": x_clear_sheet, "rename_column": x_rename_column, "delete_column": x_delete_column,
    "add_column": x_add_column, "copy_row": x_copy_row, "insert_rows": x_insert_rows, "number_format": x_number_format,
}


def _cache_formula_results(path: Path, results: dict[str, str], sheets: list[str]) -> None:
    """Give formulas the cached result Excel would have saved (openpyxl writes formulas without one).

    ``results`` maps ``Sheet!C3`` to the value text; the sheet XML's ``<v>`` of that cell is filled in.
    """
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    for address, value in results.items():
        sheet, cell = address.split("!")
        part = f"xl/worksheets/sheet{sheets.index(sheet) + 1}.xml"
        text = parts[part].decode("utf-8")
        pattern = re.compile(rf'(<c r="{cell}"[^>]*>)(<f>.*?</f>)<v\s*/?>(?:</v>)?')
        text, count = pattern.subn(lambda m, v=value: f"{m.group(1)}{m.group(2)}<v>{v}</v>", text)
        if count != 1:
            raise KeyError(f"{address} 不是公式单元格")
        parts[part] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def edit_workbook(path: Path, edits: list[dict[str, Any]]) -> None:
    wb = openpyxl.load_workbook(path)
    cached: dict[str, str] = {}
    for edit in edits:
        [(name, args)] = edit.items()
        if name == "cache":
            sheet = args["sheet"]
            cached[f"{sheet}!{_cell(wb[sheet], args).coordinate}"] = str(args["value"])
            continue
        WORKBOOK_EDITS[name](wb, args)
    sheets = wb.sheetnames
    wb.save(path)
    if cached:
        _cache_formula_results(path, cached, sheets)


# ---------------------------------------------------------------- CSV edits (on the text, then re-encoded)


def _csv_table(folder: Path, args: dict[str, Any]) -> Path:
    name = args.get("file", f"{MAIN}.csv")
    return folder / name


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def c_set(folder: Path, args: dict[str, Any]) -> None:
    path = _csv_table(folder, args)
    rows = _read_rows(path)
    column = rows[0].index(args["column"])
    index = int(args["row"]) - 1 if "row" in args else next(i for i, r in enumerate(rows) if r and r[0] == args["unit"])
    rows[index][column] = str(args["value"])
    _write_rows(path, rows)


def c_copy_row(folder: Path, args: dict[str, Any]) -> None:
    path = _csv_table(folder, args)
    rows = _read_rows(path)
    rows.append(list(next(r for r in rows if r and r[0] == args["unit"])))
    _write_rows(path, rows)


def c_replace(folder: Path, args: dict[str, Any]) -> None:
    """A raw text edit (a wrong delimiter, a stray quote …), on the UTF-8 text."""
    path = _csv_table(folder, args)
    text = path.read_text(encoding="utf-8-sig")
    if args["old"] not in text:
        raise KeyError(f"{path.name} 中没有 {args['old']!r}")
    path.write_text(text.replace(args["old"], args["new"], int(args.get("count", -1))), encoding="utf-8-sig")


def c_encode(folder: Path, args: dict[str, Any]) -> None:
    """Re-encode the CSV files (``gbk``, ``gb18030``, ``utf-8`` without BOM, ``utf-16`` …), as Excel/WPS would save them."""
    targets = [_csv_table(folder, args)] if "file" in args else sorted(folder.glob("*.csv"))
    for path in targets:
        text = path.read_text(encoding="utf-8-sig")
        if args.get("newline"):
            text = text.replace("\r\n", "\n").replace("\n", args["newline"])
        path.write_bytes(text.encode(args["encoding"]))


def c_remove(folder: Path, args: dict[str, Any]) -> None:
    _csv_table(folder, args).unlink()


CSV_EDITS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "set": c_set, "copy_row": c_copy_row, "replace": c_replace, "encode": c_encode, "remove": c_remove,
}


# ---------------------------------------------------------------- the case


def build_case(case: str, where: Path, pack: CompiledPack) -> list[str]:
    """Write the case's inputs into ``where`` (a fresh folder); returns the inputs to give to the commands."""
    spec = case_spec(case)
    layout = spec.get("layout", "workbook")
    main = LAYOUTS[layout](where, pack) if layout != "none" else None
    edits = spec.get("edits") or []
    if main is not None and main.suffix == ".xlsx":
        edit_workbook(main, edits)
    else:
        for edit in edits:
            [(name, args)] = edit.items()
            CSV_EDITS[name](where, args or {})
    for path in sorted((CASES_DIR / case).iterdir()):
        if path.is_file() and path.name not in CONTROL_FILES:
            shutil.copyfile(path, where / path.name)
    inputs: list[str] = spec.get("inputs") or ([main.name] if main is not None else [])
    return inputs


def summary_rows(path: Path, sheet: str) -> list[list[Any]]:
    """The data rows of one sheet of 汇总.xlsx (below its heading and header rows)."""
    wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    try:
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    return [r for r in rows[header + 1 :] if any(v is not None for v in r)]
