"""Semantic lints over a loaded pack. One function per lint, registered in ``LINTS`` with its code.

Codes: R3xx errors and W3xx warnings (warnings fail only with ``civic lint --strict``); R205 checks what
each expression yields against where it is used.

Some lints compare the whole pack (point sums, rules without fixtures). They are skipped when a rule or
fixture file could not be loaded — the file's own error is the one to fix, and the sums would only echo
it — and the point-sum lints are skipped on a tailored pack, whose 细则 may drop rules or change points
on purpose (the score then rescales; see docs/scoring.md).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal

from evaluator.compiled import CompiledPack, CompiledRule, walk_catalogue
from evaluator.errors import DiagnosticSink, Location
from evaluator.expr.functions import TYPE_LABELS
from evaluator.expr.scope import ANY, BOOL, NUMBER
from schemas.rule import Band, Bands, Checklist, Combine, Deduction, ProblemCount, Sample, Veto

Lint = Callable[[CompiledPack, DiagnosticSink], None]
LINTS: dict[str, tuple[str, Lint]] = {}
FIXTURE_LINTS: dict[str, tuple[str, Lint]] = {}
NEEDS_ALL_RULES: set[str] = set()  # skipped when a rule file failed to load
NEEDS_ALL_FIXTURES: set[str] = set()  # skipped when a fixture file failed to load
UNTAILORED_ONLY: set[str] = set()  # skipped on a pack with a 地方细则 applied


def lint(code: str, title: str, *, fixtures: bool = False, all_rules: bool = False, all_fixtures: bool = False,
         untailored: bool = False) -> Callable[[Lint], Lint]:
    def register(fn: Lint) -> Lint:
        (FIXTURE_LINTS if fixtures else LINTS)[code] = (title, fn)
        for flag, group in ((all_rules, NEEDS_ALL_RULES), (all_fixtures, NEEDS_ALL_FIXTURES), (untailored, UNTAILORED_ONLY)):
            if flag:
                group.add(code)
        return fn

    return register


def _d(value: float) -> Decimal:
    return Decimal(str(value))


def _n(value: float | Decimal) -> str:
    """A number as people write it: 4 not 4.0, 0.5 not 0.50."""
    text = f"{Decimal(str(value)).normalize():f}"
    return "0" if text in ("-0", "") else text


def _pack_loc(pack: CompiledPack, *path: str | int) -> Location:
    return pack.doc.locate(path) if pack.doc else Location(str(pack.root / "pack.yaml"))


@lint("R301", "规则编号重复")
def duplicate_rule_ids(pack: CompiledPack, sink: DiagnosticSink) -> None:
    seen: dict[str, CompiledRule] = {}
    for rule in pack.rules:
        if rule.id in seen:
            first = seen[rule.id].location
            sink.error("R301", f"规则编号 '{rule.id}' 重复（第一次出现在 {first}）", rule.locate("id"),
                       "每条规则的 id 在整个测评体系中必须唯一")
        else:
            seen[rule.id] = rule


@lint("R302", "目录编号重复")
def duplicate_node_codes(pack: CompiledPack, sink: DiagnosticSink) -> None:
    counts = Counter(node.code for node, *_ in walk_catalogue(pack.file.catalogue))
    for code, n in sorted(counts.items()):
        if n > 1:
            sink.error("R302", f"目录编号 '{code}' 出现了 {n} 次", pack.nodes[code].location, "目录中每个 code 必须唯一")


@lint("R303", "规则引用了不存在的目录节点")
def unknown_nodes(pack: CompiledPack, sink: DiagnosticSink) -> None:
    for rule in pack.rules:
        if rule.rule.node not in pack.nodes:
            import difflib
            close = difflib.get_close_matches(rule.rule.node, list(pack.nodes), n=1)
            sink.error("R303", f"规则 {rule.id} 的 node '{rule.rule.node}' 不在目录（catalogue）中", rule.locate("node"),
                       f"是否想写 '{close[0]}'？" if close else "在 pack.yaml 的 catalogue 中添加该节点")


@lint("R304", "分值合计不一致", all_rules=True, untailored=True)
def points_add_up(pack: CompiledPack, sink: DiagnosticSink) -> None:
    by_node: dict[str, Decimal] = defaultdict(Decimal)
    for rule in pack.scored_rules():
        if rule.rule.status != "deprecated":
            by_node[rule.rule.node] += _d(rule.rule.points)
    for code, info in pack.nodes.items():
        node = info.node
        if node.children:
            total = sum((_d(c.points) for c in node.children), Decimal(0))
            if total != _d(node.points):
                sink.error("R304", f"目录 {code}「{node.title}」分值 {_n(node.points)}，但下级合计 {_n(total)}", info.location,
                           "调整下级节点分值，使之与上级相等")
            if by_node.get(code):
                sink.error("R304", f"目录 {code}「{node.title}」有下级节点，规则应挂在最下级节点上", info.location)
        elif by_node.get(code, Decimal(0)) != _d(node.points):
            sink.error("R304", f"目录 {code}「{node.title}」分值 {_n(node.points)}，但所属规则合计 {_n(by_node.get(code, Decimal(0)))}", info.location,
                       "调整规则 points，或修改目录分值")
    top = sum((_d(n.points) for n in pack.file.catalogue if not n.bonus), Decimal(0))
    if top != _d(pack.meta.full_marks):
        sink.error("R304", f"一级目录合计 {_n(top)}，与满分 full_marks {_n(pack.meta.full_marks)} 不一致", _pack_loc(pack, "pack", "full_marks"))


@lint("R305", "引用了未定义的方法、单位类型、材料类型或事件类型")
def unknown_vocabulary(pack: CompiledPack, sink: DiagnosticSink) -> None:
    meta = pack.meta
    kinds = {k.id for k in pack.file.evidence_kinds}
    for rule in pack.rules:
        r = rule.rule
        if r.method not in meta.methods:
            sink.error("R305", f"规则 {r.id} 的测评方法 '{r.method}' 不在 pack.methods 中", rule.locate("method"), f"可用：{'、'.join(meta.methods)}")
        for i, unit_type in enumerate(r.applies_to):
            if unit_type not in meta.unit_types:
                sink.error("R305", f"规则 {r.id} 的适用单位类型 '{unit_type}' 不在 pack.unit_types 中", rule.locate("applies_to", i),
                           f"可用：{'、'.join(meta.unit_types)}")
        for i, req in enumerate(r.evidence):
            if req.kind not in kinds:
                sink.error("R305", f"规则 {r.id} 要求的材料类型 '{req.kind}' 未在 evidence_kinds 中定义", rule.locate("evidence", i, "kind"))
        if isinstance(r.grading, Veto):
            for i, kind in enumerate(r.grading.incident_types):
                if kind not in pack.file.incident_types:
                    sink.error("R305", f"否决规则 {r.id} 的事件类型 '{kind}' 未在 incident_types 中定义",
                               rule.locate("grading", "incident_types", i))
        if isinstance(r.grading, Sample) and r.grading.point_type not in pack.file.point_types:
            sink.error("R305", f"规则 {r.id} 的点位类型 '{r.grading.point_type}' 未在 point_types 中定义", rule.locate("grading", "point_type"))


def _ladders(rule: CompiledRule) -> list[tuple[str, object]]:
    grading = rule.rule.grading
    found: list[tuple[str, object]] = [("grading", grading)]
    if isinstance(grading, Combine):
        found += [(f"grading.parts.{i}.grading", part.grading) for i, part in enumerate(grading.parts)]
    return found


@lint("R306", "等级阶梯有误（未定义的等级、不可达或顺序颠倒）")
def ladders(pack: CompiledPack, sink: DiagnosticSink) -> None:
    levels = pack.meta.levels
    for rule in pack.rules:
        for path, grading in _ladders(rule):
            loc_path = tuple(int(p) if p.isdigit() else p for p in path.split("."))
            used: list[str] = []
            if isinstance(grading, Checklist | Sample | ProblemCount):
                used = [step.level for step in grading.ladder] + [grading.otherwise]
            elif isinstance(grading, Bands):
                used = [b.level for b in grading.bands if b.level] + ([grading.otherwise] if isinstance(grading.otherwise, str) else [])
            for level in used:
                if level not in levels:
                    sink.error("R306", f"规则 {rule.id} 使用了未定义的等级 '{level}'", rule.locate(*loc_path),
                               f"pack.levels 中的等级：{'、'.join(levels)}")
            if isinstance(grading, Checklist):
                for step in grading.ladder:
                    if step.min > len(grading.items):
                        sink.error("R306", f"规则 {rule.id} 的等级 {step.level} 要求 {step.min} 项符合，但只有 {len(grading.items)} 项，永远达不到",
                                   rule.locate(*loc_path, "ladder"))
            if isinstance(grading, Checklist | Sample):
                mins = [s.min for s in grading.ladder]
                if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
                    sink.error("R306", f"规则 {rule.id} 的等级阶梯应从高到低、所需数量递减，实际是 {'、'.join(map(str, mins))}", rule.locate(*loc_path, "ladder"))
            if isinstance(grading, ProblemCount):
                maxes = [s.max for s in grading.ladder]
                if maxes != sorted(maxes) or len(set(maxes)) != len(maxes):
                    sink.error("R306", f"规则 {rule.id} 的问题数阶梯应从 A 起、允许的问题数递增，实际是 {'、'.join(map(str, maxes))}", rule.locate(*loc_path, "ladder"))


def _band_floor(band: Band) -> float | None:
    return band.at_least if band.at_least is not None else band.more_than


@lint("R307", "分档阈值顺序颠倒或分值超过本条分值")
def bands_in_order(pack: CompiledPack, sink: DiagnosticSink) -> None:
    for rule in pack.rules:
        for path, grading in _ladders(rule):
            if not isinstance(grading, Bands):
                continue
            loc_path = tuple(int(p) if p.isdigit() else p for p in path.split("."))
            floors = [_band_floor(b) for b in grading.bands]
            numeric = [f for f in floors if f is not None]
            if len(numeric) == len(floors) and numeric != sorted(numeric, reverse=True):
                sink.error("R307", f"规则 {rule.id} 的分档下限应从高到低排列，实际是 {'、'.join(_n(f) for f in numeric)}", rule.locate(*loc_path, "bands"),
                           "分档按顺序匹配，先写最高档")
            for i, band in enumerate(grading.bands):
                if band.points is not None and band.points > rule.rule.points:
                    sink.error("R307", f"规则 {rule.id} 第 {i + 1} 档得分 {_n(band.points)} 超过本条分值 {_n(rule.rule.points)}",
                               rule.locate(*loc_path, "bands", i, "points"))


@lint("R308", "否决规则与扣分设置")
def veto_and_deduction(pack: CompiledPack, sink: DiagnosticSink) -> None:
    for rule in pack.rules:
        grading = rule.rule.grading
        if isinstance(grading, Veto):
            if rule.rule.points != 0:
                sink.error("R308", f"否决规则 {rule.id} 的 points 应为 0（否决项不计分，只影响总分）", rule.locate("points"))
            effect = grading.effect
            if not (effect.disqualify or effect.deduct or effect.cap is not None):
                sink.error("R308", f"否决规则 {rule.id} 没有任何效果", rule.locate("grading", "effect"), "设置 disqualify、deduct 或 cap")
        if isinstance(grading, Deduction) and grading.per > rule.rule.points > 0:
            sink.warning("W308", f"规则 {rule.id} 每处扣 {_n(grading.per)} 分，超过本条分值 {_n(rule.rule.points)}", rule.locate("grading", "per"))


@lint("R309", "方法权重合计与满分不一致", all_rules=True, untailored=True)
def method_weights(pack: CompiledPack, sink: DiagnosticSink) -> None:
    weights = pack.meta.method_weights
    if not weights:
        return
    total = sum((_d(w) for w in weights.values()), Decimal(0))
    if total != _d(pack.meta.full_marks):
        sink.error("R309", f"method_weights 合计 {_n(total)}，应等于满分 {_n(pack.meta.full_marks)}", _pack_loc(pack, "pack", "method_weights"))
    used = {r.rule.method for r in pack.scored_rules()}
    for method in weights:
        if method not in used:
            sink.error("R309", f"方法 '{method}' 有权重但没有任何规则", _pack_loc(pack, "pack", "method_weights"))


@lint("W310", "目录节点没有规则", all_rules=True, untailored=True)
def empty_nodes(pack: CompiledPack, sink: DiagnosticSink) -> None:
    used = {r.rule.node for r in pack.rules}
    for code, info in pack.nodes.items():
        if not info.node.children and code not in used and info.node.points > 0:
            sink.warning("W310", f"目录 {code}「{info.node.title}」没有任何规则", info.location)


@lint("W311", "规则没有测试用例", fixtures=True, all_fixtures=True)
def rules_without_fixtures(pack: CompiledPack, sink: DiagnosticSink) -> None:
    covered = {c.case.rule for c in pack.cases}
    for rule in pack.rules:
        if rule.id not in covered:
            sink.warning("W311", f"规则 {rule.id} 没有测试用例", rule.locate("id"), f"在 fixtures/ 中为 {rule.id} 添加符合与不符合的用例")


@lint("W312", "测试用例未同时覆盖符合与不符合", fixtures=True, all_fixtures=True)
def fixtures_both_ways(pack: CompiledPack, sink: DiagnosticSink) -> None:
    outcomes: dict[str, set[str]] = defaultdict(set)
    for c in pack.cases:
        outcomes[c.case.rule].add(c.case.expect.outcome)
    for rule in pack.rules:
        seen = outcomes.get(rule.id)
        if not seen:
            continue
        good = {"pass"} if not isinstance(rule.rule.grading, Veto) else {"pass"}
        if not seen & good or not seen - good:
            sink.warning("W312", f"规则 {rule.id} 的用例结果只有 {'、'.join(sorted(seen))}，应同时有符合（pass）与不符合的用例", rule.locate("id"))


@lint("R313", "测试用例引用了不存在的规则", fixtures=True, all_rules=True, untailored=True)
def fixtures_known_rules(pack: CompiledPack, sink: DiagnosticSink) -> None:
    known = {r.id for r in pack.rules}
    for c in pack.cases:
        if c.case.rule not in known:
            sink.error("R313", f"用例 '{c.case.name}' 引用了不存在的规则 '{c.case.rule}'", c.location)


_SLOT_TYPES = {"condition": BOOL, "applicable_if": BOOL, "count": NUMBER, "value": NUMBER, "score": NUMBER}
_SLOT_HINTS = {
    BOOL: "条件应是一个比较或判断，如 活动次数 >= 4、exists(字段)、是/否类型的字段",
    NUMBER: "此处应是一个数值（字段、计数或算式），阈值写在 bands / ladder 等评分设置里",
}


@lint("R205", "表达式的结果类型与用途不符")
def expression_slot_types(pack: CompiledPack, sink: DiagnosticSink) -> None:
    _component_scores(pack, sink)
    for rule in pack.rules:
        slots = [*rule.exprs.items(), *([("applicable_if", rule.applicable)] if rule.applicable else [])]
        for dotted, expr in slots:
            wanted = _SLOT_TYPES.get(dotted.rsplit(".", 1)[-1])
            if wanted is None or expr.type in (wanted, ANY):
                continue
            path = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
            sink.error("R205", f"规则 {rule.id}：{path[-1]} 应得到{TYPE_LABELS[wanted]}，但表达式“{expr.source}”得到{TYPE_LABELS[expr.type]}",
                       rule.locate(*path), _SLOT_HINTS[wanted])


def _component_scores(pack: CompiledPack, sink: DiagnosticSink) -> None:
    """Composite component scores are evaluated only at roll-up time: check them at load time like rule expressions."""
    from evaluator.expr import ExprError, compile_expr

    for index, component in enumerate(pack.meta.composite.components if pack.meta.composite else []):
        where = _pack_loc(pack, "pack", "composite", "components", index, "score")
        try:
            expr = compile_expr(component.score, pack.scope)
        except ExprError as exc:
            sink.error(exc.code, f"组成部分 {component.id}：{exc.message}", where, exc.hint)
            continue
        if expr.type not in (NUMBER, ANY):
            sink.error("R205", f"组成部分 {component.id}：score 应得到数值，但表达式“{expr.source}”得到{TYPE_LABELS[expr.type]}",
                       where, _SLOT_HINTS[NUMBER])


def _rules_incomplete(pack: CompiledPack) -> bool:
    loaded = {rule.location.path for rule in pack.rules}
    return not pack.rule_files or any(str(path) not in loaded for path in pack.rule_files)


def _fixtures_incomplete(pack: CompiledPack) -> bool:
    loaded = {case.location.path for case in pack.cases}
    return any(str(path) not in loaded for path in (pack.root / "fixtures").glob("*.yaml"))


def _skipped(pack: CompiledPack) -> set[str]:
    skip: set[str] = set()
    if _rules_incomplete(pack):
        skip |= NEEDS_ALL_RULES
    if _fixtures_incomplete(pack):
        skip |= NEEDS_ALL_FIXTURES
    if pack.tailoring is not None:
        skip |= UNTAILORED_ONLY
    return skip


def lint_pack(pack: CompiledPack, sink: DiagnosticSink, fixtures: bool = True) -> None:
    skip = _skipped(pack)
    for code, (_title, fn) in sorted(LINTS.items()):
        if code not in skip:
            fn(pack, sink)
    if fixtures:
        for code, (_title, fn) in sorted(FIXTURE_LINTS.items()):
            if code not in skip:
                fn(pack, sink)
