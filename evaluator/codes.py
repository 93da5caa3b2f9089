"""The registry of every diagnostic code civic prints, with its severity, Chinese title, exit code and remedy.

Why a registry: a user who sees ``R304`` in a CI log must be able to look it up, and a maintainer who adds a
code must say what it means. ``tests/test_codes.py`` fails when a code appears in ``evaluator/`` or
``cli.py`` without an entry here, and when ``docs/errors.md`` is not the current output of::

    python -m evaluator.codes > docs/errors.md

Families: ``R0xx`` YAML syntax and file problems of rule packs, tailoring and fixture files; ``R1xx`` their
schema; ``R2xx`` references and expressions; ``R3xx``/``W3xx`` semantic lints; ``D0xx``–``D2xx`` unit data
and waiver files (same file and schema checks as R0xx/R1xx, then the data dictionary); ``D3xx`` spreadsheets; ``D4xx`` result files; ``U0xx`` usage of the
command line; ``E500`` an internal error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluator.errors import EXIT_CODES, EXIT_INTERNAL, EXIT_OK, EXIT_RULES, EXIT_UNIT, EXIT_USAGE


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Literal["error", "warning"]
    title: str
    exit_code: int
    action: str


# Problems any YAML/JSON input file can have; the same numbers are used with R (rule files) and D (unit data).
_FILE_PROBLEMS: list[tuple[str, str, str]] = [
    ("000", "无法读取文件", "检查路径与读取权限"),
    ("001", "YAML 中有制表符（Tab）", "缩进只用空格"),
    ("002", "YAML 语法错误（括号、引号、冒号或缩进）", "按提示补全括号或引号；值中含冒号时加引号"),
    ("003", "同一层级有重复的键", "删除或合并重复的键"),
    ("004", "锚点/别名展开后过大（别名炸弹）", "删除锚点（&）与别名（*），直接写出内容"),
    ("005", "嵌套层级过深（超过 64 层）", "检查缩进；测评文件无需如此深的嵌套"),
    ("006", "使用了不支持的合并键 <<", "直接写出各个键"),
    ("007", "键不是文字，或此处应为单个值", "键写成普通文字；检查缩进与冒号"),
    ("008", "使用了不支持的 YAML 标签（以 ! 开头）", "去掉标签，直接写出内容"),
    ("009", "文件超过 10 MB", "拆分为多个文件"),
    ("010", "二进制文件，不是 YAML/JSON 文本", "确认选择了正确的文件"),
    ("011", "文件不是 UTF-8 编码（常见为 GBK）", "用记事本或 WPS 另存为 UTF-8"),
    ("012", "文件为空或只有注释", "写入内容或删除该文件"),
    ("013", "一个文件中有多个 YAML 文档（多余的 ---）", "删除多余的 ---，或拆成多个文件"),
    ("014", "文字中有不可见的控制字符（如 \\0 转义或复制来的 U+0000）", "删除该字符后重新输入"),
]

# pydantic errors mapped by evaluator/locate.py; R1xx in rule files, D1xx in unit data and waiver files.
_SCHEMA_PROBLEMS: list[tuple[str, str, str]] = [
    ("100", "文件结构错误（顶层不是映射，或其他结构问题）", "对照文档中的示例检查顶层写法"),
    ("101", "缺少必填项", "在指出的位置添加该键"),
    ("102", "未知的键（拼写错误，或应放在 meta: 下）", "按“是否想写”改正；自由内容放在 meta: 下"),
    ("103", "未知的评分模型，或评分方式缺少 model", "model 写成 docs/rule-format.md 列出的模型之一"),
    ("104", "值不在可选范围内", "改为提示中列出的可选值之一"),
    ("105", "取值互相矛盾（如及格分高于满分、分档同时写 level 与 points）", "按提示修改相关的键"),
    ("106", "类型不对（应为数值、整数、文字、列表、映射或日期）", "数值只写阿拉伯数字；日期写成 2024-01-31"),
    ("107", "取值超出允许范围或格式不符", "按提示的范围或格式修改"),
]

_D_SCHEMA = ("100", "101", "102", "105", "106", "107")

_RULE_CODES: list[tuple[str, str, str]] = [
    ("R200", "表达式语法错误", "对照 docs/rule-format.md 的表达式语言改写"),
    ("R201", "表达式引用了未知的名称、函数、材料类型、点位类型、问卷题目或事件类型", "按“是否想写”改正，或在 pack.yaml 中定义"),
    ("R204", "表达式类型错误（如文字与数值比较、参数个数不对）", "检查字段类型与函数用法"),
    ("R205", "表达式的结果类型与用途不符（条件应得到是/否，数值处应得到数值）", "条件写成比较；数值处写字段或算式"),
    ("R210", "测评体系没有任何规则文件", "在 rules/ 子目录中添加 *.yaml 规则文件"),
    ("R220", "地方细则针对的是另一个测评体系", "确认 --tailoring 与测评体系配套"),
    ("R221", "地方细则引用了不存在的规则", "改正规则编号，或删除该项"),
    ("R222", "地方细则修改了规则没有的参数", "只能修改规则 params 中已有的参数"),
    ("R223", "地方细则的修改与规则不相容（参数类型不同、规则没有整改要求、否决项改分值）", "按提示改正或删除该项"),
    ("R301", "规则编号重复", "每条规则的 id 在整个测评体系中唯一"),
    ("R302", "目录编号重复", "目录中每个 code 唯一"),
    ("R303", "规则挂在不存在的目录节点上", "改正 node，或在 catalogue 中添加该节点"),
    ("R304", "分值合计不一致（下级、规则与满分）", "调整分值使下级合计等于上级、一级合计等于满分"),
    ("R305", "引用了未定义的测评方法、单位类型、材料类型、点位类型或事件类型", "在 pack.yaml 中定义，或改正拼写"),
    ("R306", "等级阶梯有误（未定义的等级、永远达不到，或顺序颠倒）", "阶梯从高到低排列，所需数量递减"),
    ("R307", "分档顺序颠倒，或分档得分超过本条分值", "分档从最高档写起；得分不超过 points"),
    ("R308", "否决规则设置有误（带分值或没有效果）", "否决规则 points 为 0，并设置 disqualify、deduct 或 cap"),
    ("R309", "方法权重合计与满分不一致，或有权重的方法没有规则", "调整 method_weights"),
    ("R313", "测试用例引用了不存在的规则", "改正用例中的 rule"),
]

_WARNINGS: list[tuple[str, str, str]] = [
    ("W308", "每处扣分超过本条分值（一处即扣完）", "确认扣分标准"),
    ("W310", "目录节点没有任何规则", "为该节点添加规则，或把分值改为 0"),
    ("W311", "规则没有测试用例", "在 fixtures/ 中添加符合与不符合的用例"),
    ("W312", "测试用例没有同时覆盖符合与不符合", "补充缺少的一方"),
]

_UNIT_CODES: list[tuple[str, str, str]] = [
    ("D201", "未知的字段（不在数据字典中）", "按“是否想写”改正，或用填报模板查看全部字段"),
    ("D202", "字段值不合法（类型、范围或可选值）", "按提示修改该值"),
    ("D203", "缺少必填字段", "在 fields 下填写该字段"),
    ("D204", "单位类型不在测评体系的适用类型中", "改为提示中列出的单位类型"),
    ("D205", "测评周期结束日早于开始日", "检查 period 的 start 与 end"),
    ("D206", "未知的材料类型、点位类型、问卷题目或事件类型", "改为测评体系中定义的名称"),
    ("D207", "合格数大于抽查数，或满意人数大于样本数", "核对数字"),
    ("D208", "材料文件引用指向单位文件夹之外", "只引用单位数据所在文件夹内的文件"),
    ("D209", "单位编号重复", "每个单位的 unit.id 唯一"),
    ("D210", "日期晚于评测基准日，或基准日早于测评周期", "检查年份是否写错，或 as_of / --as-of 是否正确"),
    ("D211", "人工判定或材料引用了不存在的规则，或该规则不是人工判定项", "按“是否想写”改正规则编号"),
    ("D212", "单位数据声明的测评体系与本次使用的不一致", "确认 --pack，或改正单位数据中的 pack:"),
    ("D213", "单位数据格式版本不受支持", "写 schema_version: 1，或删除该行"),
    ("D214", "单位编号以 . 开头（批量输出时会成为隐藏文件夹）", "改用字母或数字开头的编号"),
    ("D300", "无法打开工作簿（xlsx）", "确认文件是 Excel/WPS 保存的 .xlsx，且未加密、未损坏"),
    ("D301", "未知的文件编码名称", "常用：utf-8、gbk、gb18030"),
    ("D302", "CSV 文件的编码无法识别", "在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”"),
    ("D303", "单元格是公式或错误值，读不出数值", "修正公式，或直接填写数值；在 Excel/WPS 中打开并保存后再试"),
    ("D304", "单元格的值不合法", "按提示修改该单元格"),
    ("D305", "表格中缺少必填的列或单元格", "按提示补上"),
    ("D306", "同一条规则的人工判定重复出现", "每条规则只保留一行"),
    ("D307", "同一点位的信息前后不一致", "统一该点位各行的信息"),
    ("D308", "CSV 文件格式错误（引号没有闭合、单元格过长）", "检查提示行的引号；或在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”"),
    ("D309", "无法识别的工作簿（不是 civic 的填报模板）", "用 civic template 生成模板后填写"),
    ("D310", "表格中有未知的列或项目", "改为模板中的列名，或删除该列"),
    ("D311", "表格中的列重复", "删除重复的列"),
    ("D312", "单位信息缺少必填项", "在单位信息中填写该项"),
    ("D313", "缺少必需的工作表", "用 civic template 重新生成模板"),
    ("D314", "工作表的表头不对（应有“字段”和“值”两列）", "按模板恢复表头"),
    ("D315", "同一字段重复填写", "只保留一处"),
    ("D316", "列表字段填在了单个单元格或列中", "在同名工作表中逐行填写"),
    ("D317", "表格缺少必需的列", "按提示补上该列"),
    ("D318", "表格中的行无法对应到单位", "填写该行的单位编号"),
    ("D330", "平铺表缺少 SQL 引擎需要的列（civic score-flat）", "用 civic flatten 生成平铺表，或按 civic sql --columns 列出的列准备数据"),
    ("D331", "平铺表（CSV）中某一行的值不是该列的类型（如数字列写了“约12”），该行的单位未评分，其余照常评分", "改正这个值后重新运行"),
    ("D399", "单位数据无法读取", "检查文件是否损坏，或另存后重试"),
    ("D401", "测评结果文件的 JSON 格式错误", "重新生成该结果文件"),
    ("D402", "文件不是 civic 的单位测评结果", "给出 civic batch 或 civic evaluate -f json 的输出"),
    ("D403", "同一期结果中单位编号重复", "每个单位只保留一条结果"),
]

_UNIT_WARNINGS: list[tuple[str, str, str]] = [
    ("D215", "实地考察记录的问题类型疑似笔误：与条款计入的某个问题类型相近，但不相同，因此不被计入", "按“是否想写”改正问题类型；确实是另一类问题可保留"),
    ("D319", "单位表是空的", "检查是否选错了文件或工作表"),
    ("D320", "工作表是隐藏的：本体系的工作表照常读取，其他的忽略", "隐藏不能把数据排除在评分之外；不需要的行请删除"),
    ("D321", "未知的工作表，已忽略", "确认工作表名称与模板一致"),
    ("D322", "Excel/WPS 的临时锁文件（~$ 开头），已跳过", "关闭该工作簿后无需处理"),
]

# civic batch --engine sql/durable: the fast engine checked against the reference evaluator (whose result is kept).
_ENGINE_WARNINGS: list[tuple[str, str, str]] = [
    ("W501", "评分引擎（--engine sql/durable）与参考评测器的结果不一致，已以参考评测器为准（列在 summary.json 的 engine_disagreements 中）",
     "这是该引擎的缺陷，请把 summary.json 报告给维护者；加 --strict-engine 时以退出码 5 结束"),
    ("W502", "评分引擎（--engine sql/durable）出错，相关单位已改由参考评测器评分", "结果不受影响；若反复出现，改用默认引擎并报告维护者"),
]

_USAGE_CODES: list[tuple[str, str, str]] = [
    ("U001", "找不到测评体系", "用 civic rules list 查看可用的测评体系，或给出包含 pack.yaml 的目录"),
    ("U002", "在给出的路径中没有找到任何测评体系", "给出 rules/ 或某个测评体系目录"),
    ("U003", "没有给出单位数据文件", "在命令后写出单位数据文件或文件夹"),
    ("U004", "无法确定单位数据使用的测评体系", "用 --pack 指定"),
    ("U005", "没有找到规则", "用 civic rules list PACK 查看规则编号"),
    ("U010", "不支持的数据库地址", "给出 SQLite 文件路径"),
    ("U011", "无法打开历史数据库", "确认文件是 civic 的数据库"),
    ("U012", "没有该编号的问题", "用 civic rectify list 查看问题编号"),
    ("U013", "问题已经销号", "无需再报整改"),
    ("U014", "找不到测评结果或测评轮次", "给出结果文件、批量输出目录或历史轮次名"),
    ("U015", "文件不是 civic 的测评结果", "给出 civic evaluate -f json 的输出"),
    ("U016", "该输出格式需要用 -o 指定输出文件", "加上 -o 文件名"),
    ("U050", "有规则无法编译为 SQL，不能走纯 SQL 路径（civic score-flat / flatten）", "改用 civic batch（逐单位评测，自动回退到参考评测器）"),
    ("U051", "不支持的平铺表格式（civic score-flat）", "平铺表用 .parquet 或 .csv"),
    ("U052", "未安装 Spark 引擎（civic score-flat --engine spark）", "pip install 'civic[spark]'，并安装 Java 17"),
    ("U053", "找不到 Java，Spark 引擎无法启动", "安装 Java 17 或设置 JAVA_HOME"),
    ("U054", "未安装 durable-rules 引擎（--engine durable）", "pip install 'civic[durable]'（需要 gcc 与 Python 头文件；Python 3.13 起无法导入）"),
    ("U030", "批量输出位置是一个文件，不是文件夹", "换一个输出文件夹名"),
    ("U031", "批量输出文件夹不为空，且不是 civic batch 的输出", "换一个新文件夹，或先清空它"),
    ("U032", "输入文件或文件夹不存在", "检查路径"),
    ("U033", "输入中没有找到单位数据文件", "检查路径；以 . 或 ~$ 开头的文件会被跳过"),
    ("U040", "合并各期结果的权重无法识别", "写成逗号分隔的数字，如 15,25,60"),
    ("U041", "权重个数与结果期数不一致", "权重个数与结果个数相同，按先后对应"),
    ("U042", "权重须为正数", "改为正数"),
    ("U043", "找不到要合并的测评结果", "给出 civic batch 的输出文件夹、results.jsonl 或 civic evaluate -f json 的输出"),
    ("U044", "各期结果来自不同的测评体系，不能合并", "只合并同一测评体系的结果"),
    ("U045", "xlsx 格式须用 -o 指定输出文件", "加上 -o 文件名"),
    ("U046", "模板的单位类型不在测评体系的适用类型中（civic template --unit-type）", "改为提示中列出的单位类型"),
    ("U047", "不支持的模板输出类型（civic template -o）", "用 .xlsx（Excel 模板）或 .yaml（YAML 骨架）"),
    ("U048", "样例输出位置不是文件夹（civic sample -o）", "给出一个文件夹"),
    ("U049", "样例输出文件夹中已有数据文件（civic sample）", "换一个空文件夹，或加 --overwrite"),
]


def _build() -> dict[str, CodeInfo]:
    table: list[CodeInfo] = []
    for number, title, action in _FILE_PROBLEMS:
        table.append(CodeInfo(f"R{number}", "error", f"规则文件：{title}", EXIT_RULES, action))
        table.append(CodeInfo(f"D{number}", "error", f"单位数据/豁免文件：{title}", EXIT_UNIT, action))
    for number, title, action in _SCHEMA_PROBLEMS:
        table.append(CodeInfo(f"R{number}", "error", f"规则文件：{title}", EXIT_RULES, action))
        if number in _D_SCHEMA:
            table.append(CodeInfo(f"D{number}", "error", f"单位数据/豁免文件：{title}", EXIT_UNIT, action))
    table += [CodeInfo(code, "error", title, EXIT_RULES, action) for code, title, action in _RULE_CODES]
    table += [CodeInfo(code, "warning", title, EXIT_OK, action) for code, title, action in _WARNINGS]
    table += [CodeInfo(code, "error", title, EXIT_UNIT, action) for code, title, action in _UNIT_CODES]
    table += [CodeInfo(code, "warning", title, EXIT_OK, action) for code, title, action in _UNIT_WARNINGS]
    table += [CodeInfo(code, "error", title, EXIT_USAGE, action) for code, title, action in _USAGE_CODES]
    table += [CodeInfo(code, "warning", title, EXIT_OK, action) for code, title, action in _ENGINE_WARNINGS]
    table.append(CodeInfo("E500", "error", "内部错误（程序缺陷）", EXIT_INTERNAL, "把命令和输入文件报告给维护者；设置 CIVIC_DEBUG=1 可看到详细信息"))
    return {info.code: info for info in sorted(table, key=lambda i: i.code)}


CODES: dict[str, CodeInfo] = _build()

_FAMILIES: list[tuple[str, str]] = [
    ("R0", "R0xx 规则文件的读取与 YAML 语法"),
    ("R1", "R1xx 规则文件的结构（键、类型、取值）"),
    ("R2", "R2xx 引用与表达式、地方细则"),
    ("R3", "R3xx 测评体系的语义检查（错误）"),
    ("W3", "W3xx 测评体系的语义检查（警告）"),
    ("D0", "D0xx 单位数据与豁免文件的读取与 YAML 语法"),
    ("D1", "D1xx 单位数据与豁免文件的结构"),
    ("D2", "D2xx 单位数据与数据字典不符"),
    ("D3", "D3xx 批量填报表格（Excel/CSV）"),
    ("D4", "D4xx 测评结果文件（合并各期结果）"),
    ("U0", "U0xx 命令用法"),
    ("W5", "W5xx 批量评分引擎与参考评测器的核对（警告）"),
    ("E5", "E500 内部错误"),
]


def render_markdown() -> str:
    """docs/errors.md: exit codes, then every code by family. Generated; edit this module, not the file."""
    lines = [
        "# 诊断代码与退出码",
        "",
        "<!-- 本文件由 `python -m evaluator.codes > docs/errors.md` 生成，请勿手改；tests/test_codes.py 检查它是最新的。 -->",
        "",
        "civic 报告的每个问题都带一个代码、位置（文件:行:列，或 文件:工作表!单元格）和中文说明。",
        "输出格式：`-f human`（带源码行与 ^ 标记）、`-f parsable`（每个问题一行：`文件:行:列: [error] 代码 说明（提示）`）、`-f json`。",
        "",
        "## 退出码",
        "",
        "| 退出码 | 含义 |",
        "| --- | --- |",
        *[f"| {code} | {meaning} |" for code, meaning in sorted(EXIT_CODES.items())],
        "",
        "级别为“警告”的问题不影响退出码；`civic lint --strict` 时有警告以退出码 1 结束。",
    ]
    for prefix, heading in _FAMILIES:
        rows = [info for code, info in CODES.items() if code.startswith(prefix)]
        lines += ["", f"## {heading}", "", "| 代码 | 级别 | 含义 | 退出码 | 怎么办 |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {i.code} | {'错误' if i.severity == 'error' else '警告'} | {i.title} | {i.exit_code} | {i.action} |" for i in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.buffer.write(render_markdown().encode("utf-8"))  # UTF-8 whatever the console's locale
