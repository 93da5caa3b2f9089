"""汇总.xlsx: the batch workbook officers print and file.

Sheets: 排名, 区域汇总, 类型汇总, 项目得分矩阵, 规则失分率, 缺项清单, 整改清单, 未评分单位, 计分说明. Each sheet is
built as a ``SheetSpec`` (plain rows) here and streamed by ``xlsx_style.write_sheet``. Percentages are stored as
fractions with a percent number format, scores as numbers, so officers can re-sort and sum them in Excel.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import overload
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl.writer.excel import ExcelWriter

from evaluator.compiled import CompiledPack
from evaluator.explain import fmt_number
from evaluator.render.batch_digest import BatchDigest, Reiterable, UnitLine
from evaluator.render.batch_stats import (
    RANKING_NOTE,
    REJECTED_LABELS,
    GroupStats,
    Ranked,
    fraction,
    overall_stats,
    parse_as_of,
    region_rollup,
    top_nodes,
    type_rollup,
)
from evaluator.render.ooxml import normalize_zip_stream
from evaluator.render.xlsx_style import (
    AMBER_FILL,
    AMBER_FONT,
    RED_FILL,
    RED_FONT,
    Column,
    SheetSpec,
    below,
    heat_scale,
    new_workbook,
    text_equals,
    write_sheet,
)
from schemas.result import RunReport

STATUS_OPEN = "未整改"


def _pass_label(unit: UnitLine) -> str:
    return "达标" if unit.passed else "未达标"


def _ranking_sheet(ranked: list[Ranked], pack: CompiledPack, heading: str) -> SheetSpec:
    columns = [Column("总排名", "int"), Column("组内排名", "int"), Column("区县内排名", "int"), Column("编号"),
               Column("名称", wrap=True), Column("类型"), Column("区域", wrap=True), Column("组别"),
               Column("责任单位", wrap=True), Column("总分", "score"), Column("等级"), Column("是否达标"),
               Column("不含豁免得分", "score"), Column("缺项数", "int"), Column("整改项数", "int"),
               Column("备注", wrap=True)]
    rows = Reiterable(lambda: ([r.rank.overall, r.rank.in_group, r.rank.in_region, u.id, u.name, u.type, "/".join(u.region),
                           u.group or "", "、".join(u.responsible), u.total, u.grade, _pass_label(u), u.total_without_waivers,
                           u.deficiency_count, u.rectification_count, u.remarks]
                          for r in ranked for u in [r.unit]))
    formats = [("总分", below(pack.meta.pass_mark)), ("是否达标", text_equals("未达标", RED_FILL, RED_FONT)),
               ("等级", text_equals("取消资格", RED_FILL, RED_FONT))]
    return SheetSpec("排名", heading, columns, rows, formats, freeze_cols=5)


def _rollup_rows(stats: list[GroupStats]) -> list[list[object]]:
    return [[s.dimension, s.name, s.units, s.passed, s.average, fraction(s.score_rate), fraction(s.pass_rate), s.minimum,
             s.maximum] for s in stats]


def _rollup_sheet(title: str, first: str, second: str, stats: list[GroupStats], pack: CompiledPack, heading: str) -> SheetSpec:
    columns = [Column(first), Column(second, wrap=True), Column("单位数", "int"), Column("达标单位数", "int"),
               Column("平均分", "score"), Column("得分率", "percent"), Column("及格率", "percent"),
               Column("最低分", "score"), Column("最高分", "score")]
    formats = [("平均分", below(pack.meta.pass_mark)), ("及格率", below(0.6, AMBER_FILL, AMBER_FONT))]
    return SheetSpec(title, heading, columns, _rollup_rows(stats), formats, freeze_cols=2)


def _matrix_sheet(ranked: list[Ranked], pack: CompiledPack, heading: str) -> SheetSpec:
    nodes = top_nodes(pack)
    ratio = pack.meta.pass_mark / pack.meta.full_marks
    node_headers = [f"{n.code} {n.title}（{'奖励分' if n.bonus else '满分' + fmt_number(n.points)}）" for n in nodes]
    columns = [Column("总排名", "int"), Column("编号"), Column("名称", wrap=True),
               *[Column(h, "score", wrap=False, width=12) for h in node_headers], Column("总分", "score")]
    rows = Reiterable(lambda: ([r.rank.overall, r.unit.id, r.unit.name, *r.unit.node_scores, r.unit.total] for r in ranked))
    formats = [(h, below(n.points * ratio)) for h, n in zip(node_headers, nodes, strict=True) if not n.bonus]
    formats.append(("总分", below(pack.meta.pass_mark)))
    return SheetSpec("项目得分矩阵", heading, columns, rows, formats, freeze_cols=3)


def _failure_sheet(digest: BatchDigest, heading: str) -> SheetSpec:
    columns = [Column("规则"), Column("条款"), Column("测评项目", wrap=True), Column("测评标准", wrap=True),
               Column("测评方法"), Column("适用单位数", "int"), Column("失分单位数", "int"), Column("不符合", "int"),
               Column("部分符合", "int"), Column("缺项", "int"), Column("失分率", "percent"), Column("失分合计", "score"),
               Column("失分最多的区县", wrap=True)]
    rows = [[s.rule_id, s.code, s.node, s.title, s.method, s.applicable, s.lost_units, s.failed, s.partial, s.missing,
             fraction(s.failure_rate), s.points_lost, "、".join(f"{name}（{n}个）" for name, n in s.top_regions)]
            for s in digest.rule_stats]
    return SheetSpec("规则失分率", heading, columns, rows, [("失分率", heat_scale)], freeze_cols=1)


def _deficiency_sheet(digest: BatchDigest, heading: str) -> SheetSpec:
    columns = [Column("单位编号"), Column("单位", wrap=True), Column("区域", wrap=True), Column("责任单位", wrap=True),
               Column("规则"), Column("条款"), Column("测评标准", wrap=True), Column("缺项类别"), Column("缺项", wrap=True),
               Column("说明", wrap=True), Column("期间"), Column("可挽回分", "score")]
    return SheetSpec("缺项清单", heading, columns, digest.deficiency_rows(), freeze_cols=2, empty_note="无缺项")


def _rectification_sheet(digest: BatchDigest, heading: str) -> SheetSpec:
    columns = [Column("单位编号"), Column("单位", wrap=True), Column("区域", wrap=True), Column("责任单位", wrap=True),
               Column("规则"), Column("条款"), Column("测评标准", wrap=True), Column("存在问题", wrap=True),
               Column("整改要求", wrap=True), Column("责任岗位"), Column("整改期限"), Column("严重程度"),
               Column("可挽回分", "score"), Column("状态")]
    formats = [("严重程度", text_equals("高", RED_FILL, RED_FONT)), ("严重程度", text_equals("中", AMBER_FILL, AMBER_FONT)),
               ("状态", text_equals(STATUS_OPEN, AMBER_FILL, AMBER_FONT))]
    return SheetSpec("整改清单", heading, columns, digest.rectification_rows(), formats, freeze_cols=2, empty_note="无整改项")


def _rejected_sheet(report: RunReport, heading: str) -> SheetSpec:
    keys: list[str] = []
    for item in report.rejected:
        keys += [k for k in item if k not in keys]
    keys = keys or ["source", "code", "message"]
    columns = [Column("序号", "int"), *[Column(REJECTED_LABELS.get(k, k), wrap=True) for k in keys]]
    rows = [[i, *[item.get(k, "") for k in keys]] for i, item in enumerate(report.rejected, start=1)]
    return SheetSpec("未评分单位", heading, columns, rows, empty_note="无（全部单位均已评分）")


def _method_rows(digest: BatchDigest) -> list[list[object]]:
    report, pack = digest.report, digest.pack
    meta = pack.meta
    overall = overall_stats(digest.lines, pack)
    grades = "；".join(f"{g.label} ≥ {fmt_number(g.min)}" for g in sorted(meta.grades, key=lambda g: -g.min))
    rows: list[list[object]] = [
        ["测评体系", f"《{report.pack.title}》（{report.pack.edition}）"], ["体系编号", report.pack.id],
        ["细则", report.pack.tailoring or "无"], ["内容指纹", report.pack.content_hash], ["测评基准日", report.as_of],
        ["满分", fmt_number(meta.full_marks)], ["达标线", fmt_number(meta.pass_mark)], ["等级划分", grades or "无"],
        ["计分方法", report.formula], ["排名规则", RANKING_NOTE],
        ["得分率与及格率", "得分率 = 平均分 ÷ 满分；及格率 = 达标单位数 ÷ 参评单位数（取消资格的单位不算达标）。"],
        ["失分率", "失分率 = 失分单位数 ÷ 适用单位数；不适用与豁免的单位不计入适用单位数。"],
        ["参评单位数", str(len(digest.lines))], ["未评分单位数", str(len(report.rejected))],
    ]
    if overall:
        rows += [["平均分", fmt_number(overall.average)], ["及格率", f"{fmt_number(overall.pass_rate)}%"]]
    return rows + [["生成工具", f"{report.tool}（结果格式版本 {report.schema_version}）"]]


def _method_sheet(digest: BatchDigest, heading: str) -> SheetSpec:
    return SheetSpec("计分说明", heading, [Column("项目", width=16), Column("内容", wrap=True, width=90)],
                     _method_rows(digest))


def _set_properties(wb: object, report: RunReport) -> None:
    """Fixed document properties (time from the report's as-of date, never the clock)."""
    stamp = dt.datetime.combine(parse_as_of(report), dt.time())
    props = wb.properties  # type: ignore[attr-defined]
    props.creator = props.lastModifiedBy = report.tool
    props.title = f"{report.pack.title} 测评汇总"
    props.created = props.modified = stamp


def _write_workbook(digest: BatchDigest, archive: ZipFile) -> None:
    report, pack = digest.report, digest.pack
    heading = f"《{report.pack.title}》（{report.pack.edition}）测评汇总  基准日 {report.as_of}"
    ranked = digest.ranked
    wb = new_workbook()
    for spec in (
        _ranking_sheet(ranked, pack, heading),
        _rollup_sheet("区域汇总", "层级", "区域", region_rollup(digest.lines, pack), pack, heading),
        _rollup_sheet("类型汇总", "分组方式", "名称", type_rollup(digest.lines, pack), pack, heading),
        _matrix_sheet(ranked, pack, heading),
        _failure_sheet(digest, heading),
        _deficiency_sheet(digest, heading),
        _rectification_sheet(digest, heading),
        _rejected_sheet(report, heading),
        _method_sheet(digest, heading),
    ):
        write_sheet(wb, spec)
    _set_properties(wb, report)
    ExcelWriter(wb, archive).save()


@overload
def render_summary_xlsx(report: RunReport | BatchDigest, pack: CompiledPack) -> bytes: ...
@overload
def render_summary_xlsx(report: RunReport | BatchDigest, pack: CompiledPack, target: Path) -> None: ...
def render_summary_xlsx(report: RunReport | BatchDigest, pack: CompiledPack, target: Path | None = None) -> bytes | None:
    """Render the whole workbook; pure and deterministic (same results → same bytes).

    With ``target`` (what ``civic batch`` does) the workbook is streamed to that file through a scratch file beside
    it, holding neither the file nor any sheet in memory; without it the bytes are returned.
    """
    digest = report if isinstance(report, BatchDigest) else BatchDigest.of(report, pack)
    try:
        if target is None:
            buffer, out = io.BytesIO(), io.BytesIO()
            _write_workbook(digest, ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True))
            normalize_zip_stream(buffer, out)
            return out.getvalue()
        with tempfile.TemporaryFile(dir=target.parent) as scratch, target.open("wb") as final:
            _write_workbook(digest, ZipFile(scratch, "w", ZIP_DEFLATED, allowZip64=True))
            normalize_zip_stream(scratch, final)
        return None
    finally:
        if digest is not report:
            digest.close()
