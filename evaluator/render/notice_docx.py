"""整改通知书.docx for one unit (domain.md §10.3).

Contents, in order: 标题, 文号, 受文单位, 依据, 一、测评情况 (with the unit's facts and any 否决项), 二、存在问题及
整改要求 (numbered table: problem, clause, requirement, role, deadline, recoverable points), 三、缺项材料,
四、整改及回复要求, 五、逾期后果, 落款 (issuer and date), 抄送 (责任单位/包保单位). A unit with nothing to fix gets a
short “无需整改” notice instead. Pure and deterministic: dates come from arguments, document properties are fixed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from evaluator.compiled import CompiledPack
from evaluator.explain import fmt_number
from evaluator.render.batch_stats import DEFICIENCY_KIND_LABELS, chinese_date, chinese_period
from evaluator.render.docx_xml import (
    BODY_KEEP,
    CENTER,
    FLUSH,
    RIGHT,
    TITLE_FONT,
    TITLE_SIZE,
    body,
    core_xml,
    heading,
    package,
    paragraph,
    run,
    table,
)
from schemas.result import RunReport, UnitResult

PROBLEM_HEADERS = ["序号", "存在问题", "对应测评标准条款", "整改要求", "责任岗位", "整改期限", "可挽回分"]
PROBLEM_WIDTHS_CM = [1.0, 4.6, 3.1, 3.6, 1.9, 2.2, 1.2]
INFO_WIDTHS_CM = [4.0, 13.6]
NUMERALS = "一二三四五六七八九十"
DEFAULT_REPLY_DAYS = 30


def _basis(report: RunReport) -> str:
    text = f"《{report.pack.title}》（{report.pack.edition}）"
    if report.pack.tailoring:
        text += f"及地方细则“{report.pack.tailoring}”"
    return text


def _responsible(unit: UnitResult) -> str:
    return "、".join(unit.unit.responsible)


def _info_rows(unit: UnitResult, pack: CompiledPack) -> list[list[str]]:
    u = unit.unit
    rows = [["受文单位", f"{u.name}（编号 {u.id}）"], ["单位类型", u.type + (f"（组别：{u.group}）" if u.group else "")],
            ["所属区域", "/".join(u.region) or "—"]]
    if u.responsible:
        rows.append(["责任单位（包保单位）", _responsible(unit)])
    rows += [["测评周期", chinese_period(unit.period)], ["测评基准日", chinese_date(unit.as_of)],
             ["测评总分", f"{fmt_number(unit.total)} 分（满分 {fmt_number(pack.meta.full_marks)} 分，"
                         f"达标线 {fmt_number(pack.meta.pass_mark)} 分）"],
             ["等级", f"{unit.grade}（{'达到' if unit.passed else '未达到'}达标要求）"]]
    if unit.total_without_waivers != unit.total:
        rows.append(["不含豁免得分", f"{fmt_number(unit.total_without_waivers)} 分"])
    return rows


def _clause(title: str, code: str | None, rule_id: str) -> str:
    return f"{code + ' ' if code else ''}{title}\n{rule_id}"


def _problem_rows(unit: UnitResult) -> list[list[str]]:
    return [[str(i), r.problem, _clause(r.title, r.code, r.rule_id), r.requirement, r.role, f"{chinese_date(r.due)}前",
             fmt_number(r.points_recoverable)] for i, r in enumerate(unit.rectifications, start=1)]


def _deficiency_lines(unit: UnitResult) -> list[str]:
    return [f"{i}. {DEFICIENCY_KIND_LABELS.get(d.kind, d.kind)}“{d.name}”（{d.code + ' ' if d.code else ''}{d.title}，"
            f"规则 {d.rule_id}）：{d.detail}。" for i, d in enumerate(unit.deficiencies, start=1)]


def _reply_deadline(unit: UnitResult) -> str:
    dues = sorted(r.due for r in unit.rectifications)
    return f"{chinese_date(dues[-1])}前" if dues else f"收到本通知之日起{DEFAULT_REPLY_DAYS}日内"


def _header(unit: UnitResult, notice_no: str) -> list[str]:
    return [paragraph(run("整改通知书", TITLE_FONT, TITLE_SIZE, bold=True), CENTER),
            paragraph(run(notice_no), CENTER), paragraph(), body(f"{unit.unit.name}：", layout=FLUSH)]


def _signature(unit: UnitResult, issuer: str, issued_on: dt.date) -> list[str]:
    parts = [body("特此通知。"), paragraph(), paragraph(run(issuer), RIGHT), paragraph(run(chinese_date(issued_on)), RIGHT)]
    if unit.unit.responsible:
        parts += [paragraph(), body(_responsible(unit), prefix="抄送：", layout=FLUSH)]
    return parts


def _opening(report: RunReport, unit: UnitResult) -> str:
    return (f"根据{_basis(report)}，对你单位{chinese_period(unit.period)}测评周期的创建工作进行了测评"
            f"（测评基准日：{chinese_date(unit.as_of)}）。")


def _no_problem_body(report: RunReport, unit: UnitResult, pack: CompiledPack) -> list[str]:
    return [body(_opening(report, unit)),
            body(f"你单位测评总分 {fmt_number(unit.total)} 分（满分 {fmt_number(pack.meta.full_marks)} 分），"
                 f"等级为“{unit.grade}”，未发现需要整改的问题，无需整改。请继续保持，巩固创建成果。")]


def _situation(unit: UnitResult, pack: CompiledPack) -> list[str]:
    parts = [body(f"你单位测评总分 {fmt_number(unit.total)} 分，等级为“{unit.grade}”，"
                  f"需整改问题 {len(unit.rectifications)} 项，缺项材料 {len(unit.deficiencies)} 项。", layout=BODY_KEEP),
             table(["项目", "内容"], _info_rows(unit, pack), INFO_WIDTHS_CM)]
    parts += [body(f"{chinese_date(hit.date)}发生“{hit.incident}”，触发否决项“{hit.title}”（规则 {hit.rule_id}）："
                   f"{hit.effect}。", prefix="否决情况：") for hit in unit.vetoes]
    parts += [body(note, prefix="说明：") for note in unit.notes]
    return parts


def _problems(unit: UnitResult) -> list[str]:
    return [body("测评发现以下问题，请按“整改要求”逐项整改，并在“整改期限”前完成。“可挽回分”为该项整改到位后"
                 "按测评标准可恢复的分值。", layout=BODY_KEEP),
            table(PROBLEM_HEADERS, _problem_rows(unit), PROBLEM_WIDTHS_CM, center_columns=frozenset({0, 4, 5, 6}))]


def _deficiencies(unit: UnitResult) -> list[str]:
    return [body("以下数据或佐证材料缺失、不在期限内或不符合要求，请补齐后随整改报告一并报送："),
            *[body(line) for line in _deficiency_lines(unit)]]


def _reply(unit: UnitResult, issuer: str) -> list[str]:
    return [body(f"1. 请于{_reply_deadline(unit)}将整改报告报送{issuer}。整改报告应逐项说明整改措施、完成时间和责任人，"
                 "并附整改前后对比照片。"),
            body("2. 补报的照片须附文字说明（时间、地点、人物、主题）；文件类材料以正式印发的原件或扫描件为准。"),
            body("3. 整改完成后将组织复查（“回头看”），复查合格的问题予以销号。")]


def _consequences(pack: CompiledPack) -> list[str]:
    escalation = pack.meta.escalation
    interview = "" if "约谈" in escalation.action else "；情节严重的，约谈单位主要负责人"
    return [body("逾期未整改或整改不到位的，将予以通报，并在下一轮测评中相应扣分；"
                 f"逾期超过{escalation.overdue_days}天仍未整改的，予以{escalation.action}{interview}，并纳入年度考核。")]


def _problem_body(report: RunReport, unit: UnitResult, pack: CompiledPack, issuer: str) -> list[str]:
    """The numbered sections; only those with content appear, numbered 一、二、… in order."""
    sections: list[tuple[str, Callable[[], list[str]]]] = [("测评情况", lambda: _situation(unit, pack))]
    if unit.rectifications:
        sections.append(("存在问题及整改要求", lambda: _problems(unit)))
    if unit.deficiencies:
        sections.append(("缺项材料", lambda: _deficiencies(unit)))
    sections += [("整改及回复要求", lambda: _reply(unit, issuer)), ("逾期后果", lambda: _consequences(pack))]
    parts = [body(_opening(report, unit) + "现将测评发现的问题及整改要求通知如下，请认真对照，逐项整改到位。")]
    for index, (title, write) in enumerate(sections):
        parts += [heading(f"{NUMERALS[index]}、{title}"), *write()]
    return parts


def render_notice_docx(report: RunReport, unit: UnitResult, pack: CompiledPack, *, issuer: str, notice_no: str,
                       issued_on: dt.date) -> bytes:
    """Render one unit's 整改通知书; pure and deterministic (dates from arguments, fixed package timestamps)."""
    needs_action = bool(unit.rectifications or unit.deficiencies or unit.vetoes)
    content = _problem_body(report, unit, pack, issuer) if needs_action else _no_problem_body(report, unit, pack)
    xml = "".join([*_header(unit, notice_no), *content, *_signature(unit, issuer, issued_on)])
    core = core_xml(title=f"整改通知书（{unit.unit.name}）", subject=_basis(report), author=issuer,
                    keywords=f"{report.pack.id};{unit.unit.id}",
                    comments=f"由 {report.tool} 生成；测评体系内容指纹 {report.pack.content_hash}", stamp=issued_on)
    return package(xml, core)
