"""Which problem types (问题类型) the rules of a pack count, per point type (点位类型).

Problems found at inspections are recorded by type (``problems: [{type: 积水容器, count: 2}]``) and counted by rules
through ``problems('公共区域', '积水容器', …)``. A type that no rule counts is silently ignored — so a typo such as
'积水 容器' would turn a deduction into a pass. Knowing the counted types lets unit validation warn about it.
"""

from __future__ import annotations

from evaluator.compiled import CompiledPack
from evaluator.expr.nodes import Call, Str, walk

#: point type → the problem types some rule counts there; ``None`` when a rule counts every type at that point type.
CountedTypes = dict[str, frozenset[str] | None]


def _problem_calls(pack: CompiledPack) -> list[Call]:
    calls = []
    for rule in pack.rules:
        exprs = [*rule.exprs.values(), *([rule.applicable] if rule.applicable is not None else [])]
        calls += [n for e in exprs for n in walk(e.tree) if isinstance(n, Call) and n.func == "problems"]
    return calls


def counted_problem_types(pack: CompiledPack) -> CountedTypes:
    """Computed once per pack (kept on ``pack.problem_types_cache``): the loader has already checked the literals."""
    cached: CountedTypes | None = pack.problem_types_cache
    if cached is not None:
        return cached
    counted: dict[str, set[str] | None] = {}
    for call in _problem_calls(pack):
        point = call.args[0].value if call.args and isinstance(call.args[0], Str) else None
        if point is None:
            continue
        current = counted.setdefault(point, set())
        if len(call.args) == 1:
            counted[point] = None  # problems('公共区域') counts every type
        elif current is not None:
            current |= {a.value for a in call.args[1:] if isinstance(a, Str)}
    result: CountedTypes = {p: (None if t is None else frozenset(t)) for p, t in sorted(counted.items())}
    pack.problem_types_cache = result
    return result
