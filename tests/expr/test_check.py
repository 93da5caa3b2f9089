"""Load-time checks: names from the data dictionary, whitelisted functions, argument counts and types."""

from __future__ import annotations

import pytest

from evaluator.expr import compile_expr
from evaluator.expr.check import names_used
from evaluator.expr.errors import ExprError, ExprNameError, ExprTypeError
from evaluator.expr.parser import parse
from evaluator.expr.scope import ANY, BOOL, DATE, LIST, NUMBER, TEXT, Scope


@pytest.mark.parametrize(("source", "kind"), [
    ("职工人数", NUMBER), ("单位简称", TEXT), ("有方案", BOOL), ("成立日期", DATE), ("活动记录", LIST),
    ("目标占比", NUMBER), ("口径", TEXT), ("points", NUMBER), ("分值", NUMBER), ("as_of", DATE),
    ("period_start", DATE), ("period_end", DATE), ("null", ANY), ("[1, 2]", LIST),
    ("注册人数 / 职工人数 * 100", NUMBER), ("-占比", NUMBER), ("not 有方案", BOOL), ("有方案 and 有制度", BOOL),
    ("count(活动记录)", NUMBER), ("all(活动记录, 达标)", BOOL), ("coalesce(占比, 0)", NUMBER),
    ("coalesce(单位简称, '无')", TEXT), ("date('2024-01-31')", DATE), ("成立日期 < date('2000-01-01')", BOOL),
])
def test_types(scope: Scope, source: str, kind: str) -> None:
    """Each expression gets the type the engine relies on (the slot check R205 uses it)."""
    assert compile_expr(source, scope).type == kind


def test_unknown_name_suggests_the_closest(scope: Scope) -> None:
    """A typo in a field name is a load-time error with a did-you-mean, pointing at the name."""
    with pytest.raises(ExprNameError) as info:
        compile_expr("1 + 职工人 >= 10", scope)
    assert info.value.message == "未知的名称 '职工人'"
    assert info.value.hint == "是否想写 '职工人数'？"
    assert (info.value.start, info.value.end) == (4, 7)
    assert info.value.code == "R201"


def test_unknown_name_without_suggestion_says_where_names_come_from(scope: Scope) -> None:
    with pytest.raises(ExprNameError) as info:
        compile_expr("绿化覆盖率 > 30", scope)
    assert "数据字典" in (info.value.hint or "")


def test_chinese_keyword_glued_to_names_gets_a_spacing_hint(scope: Scope) -> None:
    """``有方案且有制度`` is read as one name; the hint says to put spaces around 且."""
    with pytest.raises(ExprNameError) as info:
        compile_expr("有方案且有制度", scope)
    assert "留空格" in (info.value.hint or "")
    assert compile_expr("有方案 且 有制度", scope).type == BOOL


def test_unknown_function_suggests_the_closest(scope: Scope) -> None:
    with pytest.raises(ExprNameError) as info:
        compile_expr("cnt(活动记录) >= 1", scope)
    assert info.value.message == "未知的函数 'cnt'" and info.value.hint == "是否想写 'count'？"


def test_record_fields_are_in_scope_only_inside_aggregates(scope: Scope) -> None:
    """参与人数 is a field of each 活动记录 record: usable inside count/sum/…, unknown outside."""
    assert compile_expr("count(活动记录, 参与人数 >= 100 and 类型 == '春节')", scope).type == NUMBER
    assert compile_expr("sum(活动记录, 参与人数, 达标)", scope).type == NUMBER
    with pytest.raises(ExprNameError):
        compile_expr("参与人数 >= 100", scope)


def test_record_field_shadows_unit_field_inside_aggregate(scope: Scope) -> None:
    """Inside an aggregate the record's 职工人数 (a number) is meant, not the unit's."""
    assert compile_expr("sum(活动记录, 职工人数)", scope).type == NUMBER


def test_dotted_access_into_a_list_is_refused(scope: Scope) -> None:
    """``活动记录.参与人数`` cannot mean one value: the checker says to use an aggregate."""
    with pytest.raises(ExprTypeError) as info:
        compile_expr("活动记录.参与人数 > 10", scope)
    assert "是列表" in info.value.message and "count(活动记录" in (info.value.hint or "")


@pytest.mark.parametrize(("source", "message"), [
    ("单位简称 > 3", "不能比较文字与数值"),
    ("单位简称 < '甲'", "文字不能比较大小"),
    ("有方案 > 有制度", "是/否不能比较大小"),
    ("成立日期 > 2000", "不能比较日期与数值"),
    ("单位简称 + 1", "此处需要数值，却是文字"),
    ("-有方案", "此处需要数值"),
    ("职工人数 in 10", "in 的右边应为列表"),
    ("count(职工人数)", "第一个参数应为列表字段"),
    ("count(活动记录, 参与人数)", "此处需要是/否"),
    ("sum(活动记录, 类型)", "此处需要数值"),
    ("sum(活动记录)", "需要 2–3 个参数"),
    ("ratio(职工人数)", "需要 2 个参数，却给了 1 个"),
    ("exists(1)", "第一个参数应为字段名"),
    ("coalesce('a', 1)", "第一个参数应为字段名"),
    ("abs(单位简称)", "此处需要数值"),
    ("year(职工人数)", "此处需要日期"),
    ("days_between(成立日期, 1)", "此处需要日期"),
    ("contains(单位简称, 1)", "此处需要文字"),
    ("min(活动记录)", "用于列表时还需给出取值"),
    ("max(职工人数, 单位简称)", "此处需要数值"),
    ("evidence_count(单位简称)", "参数应为加引号的材料类型"),
    ("evidence_count('年度计划')", "未知的材料类型 '年度计划'"),
    ("evidence_count('年度方案', '十二')", "此处需要数值"),
    ("problems('服务台')", "未知的点位类型"),
    ("sampled('服务台')", "未知的点位类型"),
    ("survey_rate('满意度')", "未知的问卷题目"),
    ("incidents('事故')", "未知的事件类型"),
])
def test_type_and_argument_errors(scope: Scope, source: str, message: str) -> None:
    """Mismatched types and bad arguments are refused at load time with a Chinese message."""
    with pytest.raises(ExprError) as info:
        compile_expr(source, scope)
    assert message in info.value.message


def test_problems_accepts_any_problem_type(scope: Scope) -> None:
    """Only the point type is checked against the pack; problem types are free text."""
    assert compile_expr("problems('服务窗口', '乱堆乱放', '不文明用语')", scope).type == NUMBER


def test_vocab_is_not_checked_when_the_pack_declares_none() -> None:
    """A pack without point_types accepts any quoted point type (nothing to compare against)."""
    assert compile_expr("inspected('任意点位')", Scope()).type == NUMBER


def test_names_used_skips_guarded_and_record_names(scope: Scope) -> None:
    """Top-level fields the rule reads, without exists/coalesce guards and without record fields."""
    tree = parse("exists(占比) and coalesce(单位简称, '') == '' or count(活动记录, 参与人数 > 职工人数) > 注册人数")
    assert names_used(tree) == {"活动记录", "注册人数"}
    assert compile_expr("ratio(注册人数, 职工人数) >= 目标占比", scope).reads == frozenset({"注册人数", "职工人数", "目标占比"})
