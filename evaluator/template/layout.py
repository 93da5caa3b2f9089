"""The layout of data-collection workbooks and tables — one definition shared by the writer and the reader.

Two workbook shapes use the same columns:

* 单位填报模板（one unit）: sheets 单位信息 (项目 | 值), 填报数据 (one row per field), one sheet per list field,
  材料清单, 实地考察, 问卷调查, 事件, 人工判定, plus 说明 and a hidden 选项 sheet for drop-down lists.
* 多单位汇总表（many units）: sheet 单位 (one row per unit: the identity columns below, then one column per
  scalar field), and the same detail sheets with a leading 单位编号 column. CSV files use the 单位 layout;
  detail tables are sibling files ``<name>-材料清单.csv`` etc.

Because the writer (``civic template``, ``civic sample``) and the reader (``civic evaluate``/``civic batch``) both
take their headers from here, a generated workbook always reads back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from schemas.pack import FieldDef, PackFile

SINGLE_SHEETS = ("单位信息", "填报数据")
MULTI_SHEET = "单位"
HELP_SHEET = "说明"
OPTIONS_SHEET = "选项"
UNIT_KEY = "单位编号"
MODES = {"自评": "self", "模拟测评": "mock", "正式测评": "official"}
MODE_LABELS = {v: k for k, v in MODES.items()}
FIELD_SHEET_HEADERS = ("字段", "中文标签", "单位", "类型", "必填", "说明", "值")
TYPE_LABELS = {
    "integer": "整数", "number": "数值", "percent": "百分比（0–100）", "boolean": "是/否", "text": "文字",
    "date": "日期", "enum": "选项", "list": "列表（见同名工作表）",
}


@dataclass(frozen=True)
class IdentityItem:
    """One identity value of a unit: its header/label, where it goes in the unit data, how it is read."""

    label: str
    path: tuple[str, ...]
    kind: str = "text"  # text | date | path | names | mode
    required: bool = False
    note: str = ""
    width: int = 16


IDENTITY: tuple[IdentityItem, ...] = (
    IdentityItem("编号", ("unit", "id"), required=True, note="单位唯一编号，如 DW-330105-014；不能有空格和 / \\ : * ? \" < > |", width=18),
    IdentityItem("名称", ("unit", "name"), required=True, note="单位全称", width=26),
    IdentityItem("类型", ("unit", "type"), required=True, note="从下拉列表选择", width=12),
    IdentityItem("区划路径", ("unit", "region", "path"), kind="path", note="用 / 分隔，如 浙江省/杭州市/拱墅区/米市巷街道", width=34),
    IdentityItem("区划代码", ("unit", "region", "code"), note="12 位统计用区划代码（文本格式，不要丢掉开头的 0）", width=16),
    IdentityItem("组别", ("unit", "group"), note="竞赛组别，如 卫生系统；同组内单独排名", width=14),
    IdentityItem("责任单位", ("unit", "responsible"), kind="names", note="主管/包保单位，多个用 、 分隔", width=18),
    IdentityItem("分管领导", ("unit", "contacts", "分管领导"), width=12),
    IdentityItem("联络员", ("unit", "contacts", "联络员"), width=12),
    IdentityItem("资料员", ("unit", "contacts", "资料员"), width=12),
    IdentityItem("测评周期开始", ("period", "start"), kind="date", required=True, note="如 2024-01-01", width=14),
    IdentityItem("测评周期结束", ("period", "end"), kind="date", required=True, note="如 2024-12-31", width=14),
    IdentityItem("基准日", ("as_of",), kind="date", note="评测基准日，默认为测评周期结束日", width=12),
    IdentityItem("测评方式", ("mode",), kind="mode", note="自评、模拟测评 或 正式测评（默认自评）", width=12),
    IdentityItem("测评体系", ("pack",), note="测评体系编号（命令行 --pack 优先）", width=10),
)


@dataclass(frozen=True)
class Column:
    """A column of a detail table. ``key`` is the key in the unit data; ``problem.*`` keys belong to a problem."""

    header: str
    key: str
    kind: str = "text"  # text | int | number | date
    required: bool = False
    vocab: str | None = None  # pack vocabulary for the drop-down: evidence_kinds, point_types, ...
    note: str = ""
    width: int = 14


@dataclass(frozen=True)
class DetailTable:
    """A detail sheet: which section of the unit data it fills and its columns."""

    sheet: str
    section: str
    columns: tuple[Column, ...]
    note: str
    vocab: str = ""  # the table exists only when the pack defines this vocabulary (or has manual rules)


DETAIL_TABLES: tuple[DetailTable, ...] = (
    DetailTable("材料清单", "evidence", (
        Column("类型", "kind", required=True, vocab="evidence_kinds", note="材料类型，从下拉列表选择", width=14),
        Column("标题", "title", required=True, note="材料标题", width=30),
        Column("日期", "date", kind="date", note="材料日期（印发、活动日期）；未注明日期的材料不计", width=12),
        Column("文件", "file", note="文件名（相对于本工作簿所在文件夹），如 材料/方案.pdf", width=24),
        Column("文字说明", "caption", note="图片须写明时间、地点、人物、主题", width=36),
        Column("对应规则", "rule", note="对应测评标准编号（可不填）", width=14),
    ), "每份材料一行。", vocab="evidence_kinds"),
    DetailTable("实地考察", "inspections", (
        Column("点位类型", "point_type", required=True, vocab="point_types", width=12),
        Column("点位", "point", required=True, note="点位名称", width=20),
        Column("地址", "address", width=24),
        Column("日期", "date", kind="date", width=12),
        Column("检查人", "inspector", width=10),
        Column("抽查数", "sampled", kind="int", note="抽查对象数", width=8),
        Column("合格数", "passed", kind="int", note="合格对象数", width=8),
        Column("问题类型", "problem.type", note="发现的问题类型，如 乱堆乱放；无问题留空", width=14),
        Column("问题数", "problem.count", kind="int", note="该类问题处数（默认 1）", width=8),
        Column("问题描述", "problem.description", width=30),
    ), "每个点位一行；一个点位发现多类问题时，每类问题一行，点位类型与点位相同（抽查数、合格数只填第一行，或每行相同；可合并单元格）。",
        vocab="point_types"),
    DetailTable("问卷调查", "surveys", (
        Column("题目", "topic", required=True, vocab="survey_topics", width=18),
        Column("样本数", "sample", kind="int", required=True, note="有效样本数", width=10),
        Column("满意人数", "satisfied", kind="int", required=True, note="满意/知晓/支持的人数", width=10),
        Column("群体", "group", note="受访群体（可不填）", width=12),
    ), "每个题目（及群体）一行。", vocab="survey_topics"),
    DetailTable("事件", "incidents", (
        Column("类型", "type", required=True, vocab="incident_types", width=22),
        Column("日期", "date", kind="date", required=True, width=12),
        Column("等级", "level", note="如 一般、较大、重大", width=10),
        Column("说明", "description", width=36),
    ), "负面清单事件（否决项依据），每件一行；没有则留空。", vocab="incident_types"),
    DetailTable("人工判定", "judgements", (
        Column("规则", "rule", required=True, vocab="manual_rules", note="规则编号", width=14),
        Column("等级", "level", note="A、B、C 或 C#（与得分二选一）", width=8),
        Column("得分", "points", kind="number", note="直接给分（与等级二选一）", width=8),
        Column("说明", "note", width=30),
        Column("判定人", "by", width=10),
    ), "测评员对“人工判定”条目的结论，每条规则一行。", vocab="manual_rules"),
)


def normalise_header(text: object) -> str:
    """Header text as matched: full-width folded, spaces and required markers (*, （必填）) dropped, a trailing
    unit in brackets dropped — so “职工人数（人）*” matches 职工人数."""
    value = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").strip()
    value = re.sub(r"\s+", "", value).replace("*", "").replace("(必填)", "")
    return re.sub(r"\([^()]*\)$", "", value) if not value.startswith("(") else value


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unused Excel sheet title for a list field (≤31 characters, no []:*?/\\)."""
    title = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "列表"
    base, n = title, 2
    while title in taken:
        title = f"{base[:28]}_{n}"
        n += 1
    return title


def applicable_fields(pack: PackFile, unit_type: str | None) -> list[FieldDef]:
    return [f for f in pack.fields if unit_type is None or not f.unit_types or unit_type in f.unit_types]


def list_sheets(pack: PackFile, unit_type: str | None = None) -> dict[str, FieldDef]:
    """Sheet title → list field. Fixed sheet names are reserved, so a field called 事件 gets 事件_2."""
    taken = {*SINGLE_SHEETS, MULTI_SHEET, HELP_SHEET, OPTIONS_SHEET, *(t.sheet for t in DETAIL_TABLES)}
    result: dict[str, FieldDef] = {}
    for definition in applicable_fields(pack, unit_type):
        if definition.type == "list":
            title = sheet_title(definition.name, taken)
            taken.add(title)
            result[title] = definition
    return result


def detail_tables(pack: PackFile, manual_rules: list[str]) -> list[DetailTable]:
    """The detail tables this pack uses (a table whose vocabulary is empty is left out)."""
    vocab = vocabularies(pack, manual_rules)
    return [t for t in DETAIL_TABLES if vocab[t.vocab]]


def vocabularies(pack: PackFile, manual_rules: list[str]) -> dict[str, list[str]]:
    return {
        "evidence_kinds": [k.id for k in pack.evidence_kinds],
        "point_types": list(pack.point_types),
        "survey_topics": list(pack.survey_topics),
        "incident_types": list(pack.incident_types),
        "manual_rules": manual_rules,
    }


def item_header(item_name: str, item_label: str | None) -> str:
    return item_label or item_name


def field_headers(definition: FieldDef) -> list[str]:
    """Headers accepted for a field column: its name, and its label when that differs."""
    names = [definition.name]
    if definition.label and normalise_header(definition.label) != normalise_header(definition.name):
        names.append(definition.label)
    return names
