"""Properties fuzzed by ``python -m tests.fuzz`` (for minutes) and by tests/test_fuzz_props.py (a few examples).

1. ``expression_pipeline``: any text or expression tree → parse → check → evaluate over random unit data raises
   only the language's own errors (ExprError at load; EvalError / MissingData per unit) — never a Python one.
2. ``sql_matches_reference``: a random well-typed expression over random data (values missing, zero, negative,
   large) gives in DuckDB (evaluator/sqlc) exactly the reference evaluator's value, “missing” or “error”.
3. ``unit_loader_text``: any YAML-ish text as a unit file → ``load_unit_file`` ends in a unit or located
   diagnostics with registered codes, never an exception.
4. ``unit_loader_documents``: structurally plausible unit documents (the real keys, wrong value types, Chinese
   numbers, percents, dates in many spellings) → the same.
5. ``csv_units``: a units CSV whose cells hold random text → the table reader and validation give units or
   located diagnostics, never an exception.

Each property is a plain function of the generated input; ``PROPERTIES`` pairs it with its strategy.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from evaluator.codes import CODES
from evaluator.errors import CivicError, DiagnosticSink
from evaluator.expr import Context, compile_expr
from evaluator.expr.errors import EvalError, ExprError, MissingData
from evaluator.expr.functions import FUNCTIONS
from evaluator.expr.scope import BOOL, DATE, LIST, NUMBER, TEXT, NameInfo, Scope

AS_OF = dt.date(2024, 12, 31)
PERIOD_START = dt.date(2024, 1, 1)

# ---------------------------------------------------------------- 1. the expression pipeline

RECORD = {"参与人数": NameInfo(NUMBER, "参与人数", "人"), "类型": NameInfo(TEXT, "类型"), "达标": NameInfo(BOOL, "达标"),
          "日期": NameInfo(DATE, "日期")}
FIELDS = {
    "职工人数": NameInfo(NUMBER, "职工人数", "人"), "注册人数": NameInfo(NUMBER, "注册志愿者人数", "人"),
    "占比": NameInfo(NUMBER, "占比", "%"), "资金": NameInfo(NUMBER, "帮扶投入资金", "万元"),
    "有方案": NameInfo(BOOL, "有方案"), "有制度": NameInfo(BOOL, "有制度"),
    "类别": NameInfo(TEXT, "类别", values=("机关", "企业")), "简称": NameInfo(TEXT, "单位简称"),
    "成立日期": NameInfo(DATE, "成立日期"), "活动记录": NameInfo(LIST, "活动记录", items=RECORD),
}
PARAMS = {"目标": 30, "口径": "年末"}
SCOPE = Scope(dict(FIELDS), point_types=frozenset({"办公区域"}), survey_topics=frozenset({"职工知晓率"}),
              evidence_kinds=frozenset({"年度方案"}), incident_types=frozenset({"弄虚作假"})).with_params(PARAMS)

_NUMBERS = st.one_of(st.integers(-1000, 100_000).map(Decimal), st.decimals(-10_000, 10_000, places=2, allow_nan=False),
                     st.sampled_from([Decimal(0), Decimal("1e12"), Decimal("-1e12"), Decimal("0.001")]))
_DATES = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
_TEXTS = st.sampled_from(["机关", "企业", "区人民医院", "", "春节", "年末"])
_VALUE_OF: dict[str, st.SearchStrategy[Any]] = {NUMBER: _NUMBERS, BOOL: st.booleans(), TEXT: _TEXTS, DATE: _DATES}


def _record() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: st.one_of(st.none(), _VALUE_OF[v.type]) for k, v in RECORD.items()})


def unit_values() -> st.SearchStrategy[dict[str, Any]]:
    """One unit's normalised field values; any field may be absent (not submitted) or None (left blank)."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        name: st.one_of(st.none(), _VALUE_OF[info.type]) for name, info in FIELDS.items() if info.type != LIST}
    optional["活动记录"] = st.one_of(st.none(), st.lists(_record(), max_size=4))
    return st.fixed_dictionaries({}, optional=optional)


def context(values: dict[str, Any]) -> Context:
    return Context(
        fields=values, params={k: Decimal(v) if isinstance(v, int) else v for k, v in PARAMS.items()},
        builtins={"as_of": AS_OF, "period_start": PERIOD_START, "period_end": AS_OF, "points": Decimal(5), "分值": Decimal(5)},
        evidence=[{"kind": "年度方案", "date": dt.date(2024, 3, 1)}],
        inspections=[{"point_type": "办公区域", "sampled": 5, "passed": 4, "problems": [{"type": "乱堆乱放", "count": 2}]}],
        surveys=[{"topic": "职工知晓率", "sample": 0, "satisfied": 0}], incidents=[{"type": "弄虚作假", "date": dt.date(2024, 5, 1)}],
        as_of=AS_OF, period=(PERIOD_START, AS_OF), labels={k: v.label for k, v in FIELDS.items()},
    )


NAMES = [*FIELDS, *PARAMS, *RECORD, "points", "分值", "as_of", "period_start", "未知", "__class__", "__import__"]
WORDS = ["'机关'", "'年度方案'", "'办公区域'", "'职工知晓率'", "'弄虚作假'", "'2024-01-31'", "''", "'乱堆乱放'"]
OPERATORS = ["+", "-", "*", "/", "**", "%", "==", "!=", "<", "<=", ">", ">=", "≥", "≤", "in", "not in", "and", "or", "且", "或"]


def _atoms() -> st.SearchStrategy[str]:
    numbers = st.one_of(st.integers(-10**6, 10**6).map(str), st.decimals(-1000, 1000, places=3).map(str),
                        st.sampled_from(["1e3", "10**10**10", "0", "１２", "9" * 40]))
    return st.one_of(numbers, st.sampled_from(NAMES), st.sampled_from(WORDS), st.sampled_from(["true", "false", "null", "[]"]))


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    unary = st.tuples(st.sampled_from(["not ", "非 ", "-"]), inner).map("".join)
    call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    attribute = st.tuples(inner, st.sampled_from(["__class__", "__globals__", "real", "日期"])).map(lambda t: f"{t[0]}.{t[1]}")
    listed = st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]")
    return st.one_of(binary, unary, call, attribute, listed, inner.map(lambda s: f"({s})"))


EXPRESSION_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from([*NAMES, *WORDS, *OPERATORS, *FUNCTIONS, "(", ")", ",", ".", "[", "]", "（", "）", "，"]),
             max_size=20).map(" ".join),
    st.recursive(_atoms(), _extend, max_leaves=14),
)


def expression_pipeline(source: str, values: dict[str, Any]) -> None:
    try:
        expr = compile_expr(source, SCOPE)
    except ExprError:
        return
    with contextlib.suppress(EvalError, MissingData):
        expr.evaluate(context(values))


# ---------------------------------------------------------------- 2. SQL backend vs reference


def _typed(kind: str, depth: int) -> st.SearchStrategy[str]:
    """Well-typed expression text of ``kind`` (number or bool) over the scalar fields, params and builtins."""
    if kind == NUMBER:
        leaves = st.one_of(st.sampled_from(["职工人数", "注册人数", "占比", "资金", "目标", "points"]),
                           st.integers(-50, 500).map(str), st.decimals(-100, 100, places=2).map(lambda d: f"({d})"))
    else:
        leaves = st.sampled_from(["有方案", "有制度", "true", "false", "类别 == '机关'", "简称 != ''"])
    if depth <= 0:
        return leaves
    num, flag = _typed(NUMBER, depth - 1), _typed(BOOL, depth - 1)
    if kind == NUMBER:
        return st.one_of(
            leaves, leaves,
            st.tuples(num, st.sampled_from(["+", "-", "*", "/"]), num).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            num.map(lambda x: f"-({x})"), num.map(lambda x: f"abs({x})"),
            st.tuples(num, st.integers(0, 3)).map(lambda t: f"round({t[0]}, {t[1]})"),
            st.tuples(num, num).map(lambda t: f"ratio({t[0]}, {t[1]})"),
            st.tuples(st.sampled_from(["min", "max"]), st.lists(num, min_size=1, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(st.sampled_from(["职工人数", "注册人数", "占比"]), num).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
            st.sampled_from(["year(成立日期)", "count(活动记录)", "count(活动记录, 达标)", "count(活动记录, 参与人数 >= 50)"]),
        )
    return st.one_of(
        leaves, leaves,
        st.tuples(num, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), num).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(flag, st.sampled_from(["and", "or"]), flag).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        flag.map(lambda x: f"not ({x})"),
        st.sampled_from(["exists(职工人数)", "exists(成立日期)", "类别 in ['机关', '企业']", "类别 not in ['企业']",
                         "成立日期 <= as_of", "any(活动记录, 达标)", "all(活动记录, 参与人数 > 10)", "any(活动记录, 类型 == '春节')"]),
    )


SQL_EXPRESSIONS = st.one_of(_typed(NUMBER, 3), _typed(BOOL, 3))


@dataclass(frozen=True)
class Triple:
    """What an expression gives for one unit: a value, or “missing”, or “error” (the SQL's three columns)."""

    value: Any
    missing: bool
    error: bool


def reference_triple(source: str, values: dict[str, Any]) -> Triple:
    expr = compile_expr(source, SCOPE)
    try:
        value, _ = expr.evaluate(context(values))
    except MissingData:
        return Triple(None, True, False)
    except EvalError:
        return Triple(None, False, True)
    return Triple(value, False, False)


@functools.lru_cache(maxsize=1)
def _duck() -> Any:
    import duckdb

    return duckdb.connect()


def _arrow_table(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    import pyarrow as pa

    number = pa.decimal128(38, 10)
    record = pa.struct([pa.field("参与人数", number), pa.field("类型", pa.string()), pa.field("达标", pa.bool_()),
                        pa.field("日期", pa.date32())])
    types = {NUMBER: number, BOOL: pa.bool_(), TEXT: pa.string(), DATE: pa.date32(), LIST: pa.list_(record)}

    def cell(value: Any) -> Any:
        if isinstance(value, Decimal):
            return value.quantize(Decimal("1e-10"))
        if isinstance(value, list):
            return [{k: cell(item.get(k)) for k in RECORD} for item in value]
        return value

    data: dict[str, list[Any]] = {"unit_id": [str(i) for i in range(len(rows))]}
    schema = [pa.field("unit_id", pa.string())]
    for column in columns:
        kind, _, name = column.partition(":")
        arrow_type = types[FIELDS[name].type] if kind == "f" else pa.date32()
        schema.append(pa.field(column, arrow_type))
        data[column] = [cell(row.get(name)) if kind == "f" else {"as_of": AS_OF, "period_start": PERIOD_START, "period_end": AS_OF}[column]
                        for row in rows]
    return pa.table(data, schema=pa.schema(schema))


def sql_triples(source: str, rows: list[dict[str, Any]]) -> list[Triple] | None:
    """The expression compiled to SQL and run in DuckDB over ``rows``; None when the compiler does not support it."""
    from evaluator.sqlc.compile_expr import Ctx, compile_expression
    from evaluator.sqlc.sql import Unsupported

    expr = compile_expr(source, SCOPE)
    ctx = Ctx(SCOPE, params=dict(PARAMS), points=Decimal(5))
    try:
        triple = compile_expression(expr.tree, ctx)
    except Unsupported:
        return None
    columns = sorted(need.column for need in ctx.needs)
    select = ", ".join(f"{part.sql(dialect='duckdb')} AS {alias}" for part, alias in
                       ((triple.val, "v"), (triple.miss, "m"), (triple.err, "e")))
    con = _duck()
    con.register("units", _arrow_table(rows, columns))
    try:
        result = con.execute(f"SELECT {select} FROM units ORDER BY CAST(unit_id AS INTEGER)").fetchall()
    finally:
        con.unregister("units")
    return [Triple(v, bool(m), bool(e) and not bool(m)) for v, m, e in result]


def _same_value(reference: Any, sql: Any) -> bool:
    if isinstance(reference, bool) or isinstance(sql, bool):
        return reference is sql or reference == sql
    if isinstance(reference, Decimal):
        # SQL numbers are DECIMAL(38,10) and divisions are cleaned to 9 places (see sqlc.compile_expr)
        return sql is not None and abs(reference - Decimal(str(sql))) <= Decimal("1e-6") * max(Decimal(1), abs(reference))
    return bool(reference == sql)


#: Known defects the properties still meet, counted and printed by the fuzz run instead of failing it (each is
#: pinned by a strict xfail test in tests/test_fuzz_props.py, so a fix is noticed and this entry is removed).
KNOWN_DEFECTS: dict[str, int] = {}
SQL_OVERFLOW = "sqlc: 三个以上数值相乘（或乘积很大）时 DuckDB 报 DECIMAL 溢出，整条查询失败（参考评测器对该单位给出“无法评测”）"


def _is_decimal_overflow(exc: Exception) -> bool:
    return type(exc).__name__ == "OutOfRangeException" and "DECIMAL" in str(exc)


def sql_matches_reference(source: str, rows: list[dict[str, Any]]) -> None:
    try:
        sql = sql_triples(source, rows)
    except Exception as exc:
        if not _is_decimal_overflow(exc):
            raise
        KNOWN_DEFECTS[SQL_OVERFLOW] = KNOWN_DEFECTS.get(SQL_OVERFLOW, 0) + 1
        return
    if sql is None:
        return
    for index, (row, got) in enumerate(zip(rows, sql, strict=True)):
        want = reference_triple(source, row)
        if want.missing or want.error:
            assert (got.missing, got.error) == (want.missing, want.error), (source, index, row, want, got)
            continue
        assert not got.missing and not got.error, (source, index, row, want, got)
        assert _same_value(want.value, got.value), (source, index, row, want, got)


# ---------------------------------------------------------------- 3–4. the unit loader


@functools.lru_cache(maxsize=1)
def wmdw() -> Any:
    from evaluator.loader import load_pack_or_raise

    return load_pack_or_raise("wmdw")


def _check_diagnostics(sink: DiagnosticSink, path: Path) -> None:
    for diag in sink.items:
        assert diag.code in CODES, diag
        assert diag.location.path == str(path), diag
        assert diag.message.strip(), diag


def load_unit_text(text: str | bytes) -> None:
    from evaluator.unitdata import load_unit_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "单位.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        sink = DiagnosticSink()
        unit, _ = load_unit_file(path, wmdw(), sink)
        _check_diagnostics(sink, path)
        assert (unit is None) == bool(sink.errors), [d.one_line() for d in sink.items]


_YAML_FRAGMENTS = ["unit:", "  id: DW-1", "  name: 某单位", "  type: 机关", "period: {start: 2024-01-01, end: 2024-12-31}",
                   "fields:", "  职工人数: 十二", "  投诉办结率: 85%", "  人均学习学时: '38,5'", "  职工人数: １２０",
                   "evidence:", "  - {kind: 年度方案, title: 方案, date: 2024/1/5}", "  - file: ../../etc/passwd",
                   "&a [*a]", "*b", "<<: *c", "!!python/object:os.system", "- - - -", "\t", "'", "\"", "{", "[", "---", "...",
                   "%YAML 1.1", "? complex key", ": value", "# 注释", "as_of: 2099-01-01", "\\x00", "\u00a0", "\ufeff"]
UNIT_TEXT = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.lists(st.sampled_from(_YAML_FRAGMENTS), max_size=15).map("\n".join),
)


def _scalar() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["十二", "85%", "38,5", "１２０", "2024/1/5", "2024年1月5日", "2024-13-45", "是", "否", "√", "NaN", "-0",
                         "1e999", "", " ", "../../etc/passwd", "C:\\Windows", "机关", "企业", "年度方案", "2099-12-31"]),
        st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)), st.text(max_size=12),
    )


_UNIT_KEYS = ["id", "name", "type", "region", "group", "responsible", "contacts", "path", "code"]
_ITEM_KEYS = ["kind", "title", "date", "file", "caption", "rule", "point_type", "point", "sampled", "passed", "problems",
              "topic", "sample", "satisfied", "type", "count", "level", "节日", "日期", "参与人数"]


def _keyed(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.one_of(st.sampled_from(keys), st.text(max_size=6)), values, max_size=6)


def unit_documents() -> st.SearchStrategy[dict[str, Any]]:
    values = st.recursive(_scalar(), lambda inner: st.one_of(st.lists(inner, max_size=3), _keyed(_ITEM_KEYS, inner)), max_leaves=8)
    field_names = [f.name for f in wmdw().file.fields] + ["未知字段"]
    sections = {
        "unit": st.one_of(_keyed(_UNIT_KEYS, values), values),
        "period": st.one_of(st.fixed_dictionaries({"start": _scalar(), "end": _scalar()}), values),
        "fields": st.one_of(st.dictionaries(st.sampled_from(field_names), values, max_size=8), values),
        "evidence": st.lists(_keyed(_ITEM_KEYS, values), max_size=3), "inspections": st.lists(_keyed(_ITEM_KEYS, values), max_size=2),
        "surveys": st.lists(_keyed(_ITEM_KEYS, values), max_size=2), "incidents": st.lists(_keyed(_ITEM_KEYS, values), max_size=2),
        "judgements": st.dictionaries(st.sampled_from(["WMDW-01-01", "WMDW-99-99", "x"]), values, max_size=2),
        "as_of": _scalar(), "pack": st.sampled_from(["wmdw", "gwcs", "", "未知"]), "schema_version": _scalar(), "备注": values,
    }
    return st.fixed_dictionaries({}, optional=sections)


def load_unit_document(document: dict[str, Any]) -> None:
    load_unit_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


# ---------------------------------------------------------------- 5. a units CSV with random cells


def csv_cells() -> st.SearchStrategy[dict[str, str]]:
    columns = ["编号", "名称", "类型", "测评周期开始", "测评周期结束", "基准日", "区划路径", "职工人数", "投诉办结率", "学雷锋纳入考核", "帮扶投入资金"]
    return st.dictionaries(st.sampled_from(columns), st.one_of(_scalar().map(lambda v: "" if v is None else str(v)), st.text(max_size=20)),
                           max_size=6)


_GOOD_ROW = {"编号": "DW-F-001", "名称": "某区图书馆", "类型": "事业单位", "测评周期开始": "2024-01-01", "测评周期结束": "2024-12-31",
             "基准日": "2024-12-31", "区划路径": "浙江省/杭州市/西湖区", "职工人数": "45", "投诉办结率": "96", "学雷锋纳入考核": "是",
             "帮扶投入资金": "3.5"}


def read_csv_row(changes: dict[str, str]) -> None:
    from evaluator.batch.loading import load_path

    row = _GOOD_ROW | changes
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "单位.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(list(row))
            writer.writerow([v.replace("\x00", "") for v in row.values()])
        sink = DiagnosticSink()
        try:
            loaded = list(load_path(path, wmdw(), sink))
        except CivicError as exc:  # pragma: no cover - load_path reports through the sink
            raise AssertionError(f"load_path raised {exc}") from exc
        _check_diagnostics(sink, path)
        assert len(loaded) == 1
        assert (loaded[0].unit is None) == bool(sink.errors), [d.one_line() for d in sink.items]


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Property:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[..., None]
    doc: str


PROPERTIES: dict[str, Property] = {p.name: p for p in [
    Property("expression_pipeline", st.tuples(EXPRESSION_TEXT, unit_values()), expression_pipeline,
             "表达式：解析→检查→求值只抛出本语言的错误"),
    Property("sql_matches_reference", st.tuples(SQL_EXPRESSIONS, st.lists(unit_values(), min_size=1, max_size=6)), sql_matches_reference,
             "SQL 后端与参考评测器的值、缺项、错误完全一致"),
    Property("unit_loader_text", st.tuples(UNIT_TEXT), load_unit_text, "任意文本作为单位文件：只给出带位置的诊断"),
    Property("unit_loader_documents", st.tuples(unit_documents()), load_unit_document, "结构近似的单位文档：只给出带位置的诊断"),
    Property("csv_units", st.tuples(csv_cells()), read_csv_row, "单位表 CSV 的任意单元格：只给出带位置的诊断"),
]}
