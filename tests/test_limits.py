"""Every limit holds exactly at its boundary and, past it, says in Chinese what was found, the limit and what to
do: file size, YAML alias expansion and nesting, expression length / nesting / chain of operations, numeric
ranges of unit data and of computed values — and ``civic batch`` reads its inputs as a stream, so the memory
used to read a table does not grow with the number of units in it.
"""

from __future__ import annotations

import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from evaluator.batch.loading import load_path
from evaluator.batch.table_writer import CsvTableWriter
from evaluator.errors import DiagnosticSink
from evaluator.expr import compile_expr
from evaluator.expr.errors import EvalError, ExprError
from evaluator.expr.interp import MAX_MAGNITUDE
from evaluator.expr.lexer import MAX_LENGTH
from evaluator.expr.parser import MAX_DEPTH, MAX_LINKS
from evaluator.loader import load_pack_or_raise
from evaluator.sample_gen import generate
from evaluator.unitdata import MAX_ABS, load_unit_file
from evaluator.yamlio import MAX_DEPTH as YAML_DEPTH
from evaluator.yamlio import MAX_FILE_BYTES, MAX_NODES
from tests.expr.conftest import make_context, make_scope

UNIT_HEAD = "unit: {id: DW-L-001, name: 某区图书馆, type: 事业单位}\nperiod: {start: 2024-01-01, end: 2024-12-31}\nfields:\n  职工人数: 45\n"


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack_or_raise("wmdw")


def _load(tmp_path: Path, pack, text: str) -> DiagnosticSink:  # type: ignore[no-untyped-def]
    path = tmp_path / "单位.yaml"
    path.write_text(text, encoding="utf-8")
    sink = DiagnosticSink()
    load_unit_file(path, pack, sink)
    return sink


def _padded(size: int) -> str:
    """A valid unit file of exactly ``size`` bytes (UTF-8), padded with a comment."""
    filler = size - len(UNIT_HEAD.encode()) - 2
    return UNIT_HEAD + "#" + "x" * filler + "\n"


# ---------------------------------------------------------------- files


def test_file_size_limit_is_exact(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    assert not _load(tmp_path, pack, _padded(MAX_FILE_BYTES)).errors
    [problem] = _load(tmp_path, pack, _padded(MAX_FILE_BYTES + 1)).errors
    assert problem.code == "D009"
    assert problem.message == "文件过大（10.01 MB，上限 10 MB）" and problem.hint


def test_alias_expansion_limit(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    """Nine levels of ten aliases (a billion laughs) stop at the node limit; a normal use of an anchor passes."""
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 9)]
    [problem] = _load(tmp_path, pack, UNIT_HEAD + "备注:\n" + "\n".join("  " + line for line in bomb) + "\n").errors
    assert problem.code == "D004" and f"超过 {MAX_NODES} 个" in problem.message and problem.location.line is not None
    shared = UNIT_HEAD.replace("period: {start: 2024-01-01, end: 2024-12-31}", "period: &p {start: 2024-01-01, end: 2024-12-31}")
    assert [d.code for d in _load(tmp_path, pack, shared + "meta: {周期: *p}\n").errors] != ["D004"]


def test_nesting_limit(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    deep = "fields:\n  备注: " + "[" * (YAML_DEPTH + 2) + "]" * (YAML_DEPTH + 2) + "\n"
    problems = _load(tmp_path, pack, UNIT_HEAD.split("fields:")[0] + deep).errors
    assert [d.code for d in problems] == ["D005"] and f"超过 {YAML_DEPTH} 层" in problems[0].message


# ---------------------------------------------------------------- expressions


def _compile_error(source: str) -> ExprError:
    with pytest.raises(ExprError) as caught:
        compile_expr(source, make_scope())
    return caught.value


def test_expression_length_limit() -> None:
    ok = "职工人数 > 1" + " " * (MAX_LENGTH - len("职工人数 > 1"))
    assert len(ok) == MAX_LENGTH
    compile_expr(ok, make_scope())
    error = _compile_error(ok + " ")
    assert error.message == f"表达式过长（{MAX_LENGTH + 1} 个字符，上限 {MAX_LENGTH}）" and error.hint


def test_expression_nesting_limit() -> None:
    compile_expr("(" * MAX_DEPTH + "职工人数" + ")" * MAX_DEPTH + " > 1", make_scope())
    error = _compile_error("(" * (MAX_DEPTH + 1) + "职工人数" + ")" * (MAX_DEPTH + 1) + " > 1")
    assert error.message == f"表达式嵌套超过 {MAX_DEPTH} 层"


def test_expression_chain_limit() -> None:
    compile_expr("职工人数" + " + 1" * MAX_LINKS, make_scope())
    error = _compile_error("职工人数" + " + 1" * (MAX_LINKS + 1))
    assert error.message == f"一个算式中的运算超过 {MAX_LINKS} 个"


@pytest.mark.parametrize("source", ["10**10**10", "职工人数 ** 2", "__import__('os')", "职工人数.__class__", "().__class__"])
def test_expressions_cannot_reach_python_or_explode(source: str) -> None:
    assert _compile_error(source).message


def test_computed_values_are_bounded() -> None:
    """A product past 10^15 is the outcome “无法评测” for that unit, never an overflow or a float."""
    expr = compile_expr("职工人数 * 职工人数 * 职工人数 * 职工人数 * 职工人数 * 职工人数", make_scope())
    with pytest.raises(EvalError, match="超出允许的数值范围"):
        expr.evaluate(make_context(fields={"职工人数": Decimal(860)}))
    value, _ = compile_expr("职工人数 * 职工人数", make_scope()).evaluate(make_context(fields={"职工人数": Decimal(10) ** 7}))
    assert value == Decimal(10) ** 14 and value < MAX_MAGNITUDE


# ---------------------------------------------------------------- unit data values


@pytest.mark.parametrize(("value", "ok"), [(f"{MAX_ABS:f}", True), (f"{MAX_ABS:f}.5", False), ("1e13", False), ("-1e12", True)])
def test_numeric_range_of_unit_values(tmp_path: Path, pack, value: str, ok: bool) -> None:  # type: ignore[no-untyped-def]
    text = UNIT_HEAD.replace("职工人数: 45", "职工人数: 45\n  帮扶投入资金: " + value)
    problems = [d for d in _load(tmp_path, pack, text).errors if "帮扶投入资金" in d.message]
    if ok:
        assert not [d for d in problems if "超出允许范围" in d.message]
    else:
        assert problems and "超出允许范围" in problems[0].message and problems[0].hint == "检查是否多写了位数"


# ---------------------------------------------------------------- streaming


def _units_csv(folder: Path, pack, count: int) -> Path:  # type: ignore[no-untyped-def]
    folder.mkdir()
    writer = CsvTableWriter(folder, pack)
    lists = {f.name for f in pack.file.fields if f.type == "list"}  # list fields go to detail tables, indexed by design
    for unit in generate(pack, count, 4, 2024):
        fields = {k: v for k, v in unit["fields"].items() if k not in lists}
        writer.add({k: v for k, v in unit.items() if k in ("unit", "period", "as_of", "pack")} | {"fields": fields})
    writer.close()
    return folder / "单位.csv"


def _peak_while_reading(path: Path, pack) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        count = 0
        for item in load_path(path, pack, DiagnosticSink()):
            assert item.unit is not None
            count += 1
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_units_table_is_read_as_a_stream(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    """Rows of the 单位 table are read, validated and let go one by one: reading 1,600 units instead of 200 costs
    under 2 KB per extra unit (its id, kept to report detail rows of unknown units), where holding the units
    would cost tens of KB each. Detail tables (evidence, list fields) are indexed by 单位编号 first, by design."""
    small, small_peak = _peak_while_reading(_units_csv(tmp_path / "小", pack, 200), pack)
    large, large_peak = _peak_while_reading(_units_csv(tmp_path / "大", pack, 1600), pack)
    assert (small, large) == (200, 1600)
    assert (large_peak - small_peak) / (large - small) < 2048, (small_peak, large_peak)
