"""The 说明 sheet of the template: how to fill it, in the officer's words."""

from __future__ import annotations

from evaluator.compiled import CompiledPack
from evaluator.template.layout import SINGLE_SHEETS


def help_lines(pack: CompiledPack, unit_type: str | None, lists: list[str], tables: list[str]) -> list[tuple[str, str]]:
    """(text, style) lines; style is title, heading or body."""
    meta = pack.meta
    who = f"（{unit_type}）" if unit_type else ""
    lines: list[tuple[str, str]] = [
        (f"《{meta.title}》（{meta.edition}）单位数据填报模板{who}", "title"),
        (f"测评体系编号 {meta.id}；满分 {meta.full_marks:g} 分，达标线 {meta.pass_mark:g} 分。本模板由 civic template 按测评体系的数据字典生成。", "body"),
        ("", "body"),
        ("一、怎么填", "heading"),
        (f"1. 「{SINGLE_SHEETS[0]}」：在黄色的“值”列填写单位编号、名称、类型（下拉选择）、区划、组别、责任单位、联络员和测评周期。红色项目必填。", "body"),
        (f"2. 「{SINGLE_SHEETS[1]}」：每行一个字段，只在最右边黄色的“值”列填写；鼠标停在“值”单元格上可看到填报说明。"
         "红色字段必填；不知道的数据留空（留空按“缺项”计 0 分，不会被当作达标）。", "body"),
        ("   · 整数、数值只写阿拉伯数字，不写单位（“860”而不是“860人”）；百分比填 0–100 之间的数，不写 %（92.9 表示 92.9%）。", "body"),
        ("   · 是/否 从下拉列表选择；日期写成 2024-01-31；选项类字段从下拉列表选择。", "body"),
    ]
    n = 3
    if lists:
        lines.append((f"{n}. 列表类字段（{'、'.join(f'「{t}」' for t in lists)}）：每条记录一行，从第 2 行开始。", "body"))
        n += 1
    table_notes = {
        "材料清单": "每份佐证材料一行：类型（下拉）、标题、日期；图片须在“文字说明”写明时间、地点、人物、主题。不在测评周期内或未注明日期的材料不计。",
        "实地考察": "每个点位一行；一个点位有多类问题时每类问题一行，点位类型和点位相同（抽查数、合格数只填第一行，也可合并单元格）。",
        "问卷调查": "每个题目一行：有效样本数和满意（知晓、支持）人数。",
        "事件": "负面清单事件（否决项依据），每件一行；没有就留空。",
        "人工判定": "测评员对需要人工判定的条目给出等级（A/B/C/C#）或得分，每条规则一行。",
    }
    for title in tables:
        lines.append((f"{n}. 「{title}」：{table_notes.get(title, '')}", "body"))
        n += 1
    lines += [
        ("", "body"),
        ("二、注意", "heading"),
        ("· 不要改动工作表名称和第一行的列名；可以增加行，不要插入新的列。隐藏的工作表照样读取，不需要的数据请删除。", "body"),
        ("· 公式可以用，但保存前须在 Excel/WPS 中计算过（程序读取保存的计算结果）；#DIV/0! 等错误值会被报告。", "body"),
        ("· 单位编号在全市（全批次）内必须唯一。", "body"),
        ("", "body"),
        ("三、评分", "heading"),
        (f"· 单个单位：civic evaluate 本文件.xlsx --pack {meta.id}", "body"),
        (f"· 全部单位：把各单位的文件放在同一个文件夹，civic batch 文件夹 --pack {meta.id} -o 测评结果", "body"),
        ("· 出错时会指出文件、工作表和单元格（如 文件.xlsx:填报数据!G14）以及应当怎样改。", "body"),
    ]
    return lines
