"""``civic template -o 单位.yaml``: a commented YAML skeleton of one unit, generated from the data dictionary.

Every field is present with an empty value (empty = not reported = 缺项), and a comment saying what it is, its
type, unit, bounds and whether it is required. Unfilled, the file does not load (编号 and 名称 are empty),
which is what an officer should see.
"""

from __future__ import annotations

import json

from evaluator.compiled import CompiledPack
from evaluator.template.layout import TYPE_LABELS, applicable_fields
from evaluator.template.xlsx_writer import manual_rule_ids
from schemas.pack import FieldDef


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _field_comment(definition: FieldDef) -> str:
    parts = [definition.label or definition.name, TYPE_LABELS[definition.type].replace("（见同名工作表）", "")]
    if definition.unit:
        parts.append(f"单位：{definition.unit}")
    if definition.min is not None or definition.max is not None:
        parts.append(f"范围 {'' if definition.min is None else f'{definition.min:g}'}–{'' if definition.max is None else f'{definition.max:g}'}")
    if definition.type == "enum" and definition.values:
        parts.append("可选：" + "、".join(definition.values))
    if definition.unit_types:
        parts.append("仅" + "、".join(definition.unit_types) + "填写")
    if definition.required:
        parts.append("必填")
    if definition.description:
        parts.append(definition.description)
    return " · ".join(parts)


def _list_example(definition: FieldDef) -> list[str]:
    example = ", ".join(f"{i.name}: …" for i in definition.item_fields or [])
    return [f"  {definition.name}:   # {_field_comment(definition)}", f"  #  - {{{example}}}   ← 每条记录一行，去掉行首的 # 再填写"]


def build_skeleton(pack: CompiledPack, unit_type: str | None = None) -> str:
    meta = pack.meta
    f = pack.file
    lines = [
        f"# 《{meta.title}》（{meta.edition}）单位数据 —— 由 civic template 生成",
        "# 留空的值表示“未填报”，按缺项计 0 分；填好后运行：",
        f"#   civic evaluate 本文件.yaml --pack {meta.id}",
        "schema_version: 1",
        f"pack: {meta.id}",
        "unit:",
        '  id: ""          # 必填：单位编号，如 DW-330105-014（不能有空格）',
        '  name: ""        # 必填：单位全称',
        f"  type: {_q(unit_type or '')}   # 必填，可选：{'、'.join(meta.unit_types)}",
        "  region:",
        "    path: []      # 区划路径，如 [浙江省, 杭州市, 拱墅区, 米市巷街道]",
        "    code: null    # 12 位统计用区划代码（加引号），如 \"330105003000\"",
        "  group: null     # 竞赛组别（同组内单独排名）",
        "  responsible: [] # 责任单位/主管单位，如 [区卫健局]",
        "  contacts: {}    # 如 {分管领导: 张三, 联络员: 李四, 资料员: 王五}",
        "period: {start: 2024-01-01, end: 2024-12-31}   # 测评周期（按实际修改）",
        "as_of: null       # 评测基准日；不填则取测评周期结束日",
        "mode: self        # self 自评 / mock 模拟测评 / official 正式测评",
        "fields:",
    ]
    for definition in applicable_fields(f, unit_type):
        if definition.type == "list":
            lines += _list_example(definition)
        else:
            lines.append(f"  {definition.name}:   # {_field_comment(definition)}")
    kinds = "、".join(k.id for k in f.evidence_kinds) or "（本体系未定义）"
    lines += [
        f"evidence: []     # 佐证材料，每份一行；类型可选：{kinds}",
        "#  - {kind: 年度方案, title: 2024年工作方案, date: 2024-02-28, file: 材料/方案.pdf, caption: null}",
    ]
    if f.point_types:
        lines += [f"inspections: []  # 实地考察，每个点位一项；点位类型可选：{'、'.join(f.point_types)}",
                  f"#  - {{point_type: {f.point_types[0]}, point: 点位名称, sampled: 5, passed: 4, problems: [{{type: 乱堆乱放, count: 1}}]}}"]
    if f.survey_topics:
        lines += [f"surveys: []      # 问卷调查；题目可选：{'、'.join(f.survey_topics)}",
                  f"#  - {{topic: {f.survey_topics[0]}, sample: 100, satisfied: 90}}"]
    if f.incident_types:
        lines += [f"incidents: []    # 负面清单事件（否决项依据）；类型可选：{'、'.join(f.incident_types)}",
                  f"#  - {{type: {f.incident_types[0]}, date: 2024-05-01, level: 一般, description: …}}"]
    manual = manual_rule_ids(pack)
    if manual:
        lines += [f"judgements: {{}}   # 人工判定：规则编号 → 等级或得分；需要人工判定的规则：{'、'.join(manual)}",
                  f"#  {manual[0]}: {{level: B, note: 说明, by: 测评员}}"]
    return "\n".join(lines) + "\n"
