"""Unit totals in SQL, mirroring ``evaluator/rollup.py``: method sums, weights or rescale, bonus and its cap,
composite components with gates, vetoes (deduct / cap / disqualify), grade and pass.

Written once as portable SQL, parsed by sqlglot and rendered for the target dialect (DuckDB, Spark).
"""

from __future__ import annotations

from decimal import Decimal

import sqlglot
from sqlglot import exp

from evaluator.compiled import CompiledPack
from evaluator.sqlc.compile_expr import Ctx, compile_expression
from evaluator.sqlc.flat import Need
from evaluator.sqlc.sql import Unsupported, col

D = "DECIMAL(38,10)"


def _lit(value: Decimal | float | int) -> str:
    return f"CAST({format(Decimal(str(value)).normalize(), 'f')} AS {D})"


def _q(expr: str) -> str:
    return f"ROUND(CAST(ROUND({expr}, 9) AS DECIMAL(38,9)), 2)"


def rule_meta_values(pack: CompiledPack) -> str:
    rows = []
    for rule in pack.scored_rules():
        if rule.rule.status != "stable":
            continue
        bonus = any(pack.nodes[c].node.bonus for c in pack.leaf_ancestors(rule.rule.node))
        rows.append(f"('{rule.id}', '{rule.rule.method}', {_lit(rule.rule.points)}, {'TRUE' if bonus else 'FALSE'})")
    return ", ".join(rows)


def veto_columns(pack: CompiledPack, needs: set[Need]) -> list[tuple[str, str, str]]:
    """(hit-condition SQL, effect kind, amount) per stable veto rule; adds the incident columns to ``needs``."""
    vetoes = []
    for rule in pack.veto_rules():
        if rule.rule.status != "stable":
            continue
        g = rule.rule.grading
        need = Need("inc", ("|".join(sorted(g.incident_types)), g.min_level or ""))  # type: ignore[union-attr]
        needs.add(need)
        needs.add(Need("as_of"))
        window = exp.DateSub(this=col(Need("as_of").column), expression=exp.Literal.number(g.lookback_months), unit=exp.var("MONTH"))  # type: ignore[union-attr]
        hit = f'("{need.column}" IS NOT NULL AND "{need.column}" >= {window.sql("duckdb")})'
        effect = g.effect  # type: ignore[union-attr]
        if effect.disqualify:
            vetoes.append((hit, "disqualify", "0"))
        if effect.deduct:
            vetoes.append((hit, "deduct", _lit(effect.deduct)))
        if effect.cap is not None:
            vetoes.append((hit, "cap", _lit(effect.cap)))
    return vetoes


def component_columns(pack: CompiledPack, needs: set[Need]) -> list[tuple[str, str, float, float | None]]:
    comps: list[tuple[str, str, float, float | None]] = []
    if pack.meta.composite is None:
        return comps
    for comp in pack.meta.composite.components:
        from evaluator.expr import compile_expr

        ctx = Ctx(pack.scope)
        t = compile_expression(compile_expr(comp.score, pack.scope).tree, ctx)
        needs |= ctx.needs
        value = f"CASE WHEN {t.miss.sql('duckdb')} OR {t.err.sql('duckdb')} THEN NULL ELSE {_q(t.val.sql('duckdb'))} END"
        comps.append((comp.id, value, comp.weight, comp.gate.at_least if comp.gate else None))
    return comps


def _component_needs(pack: CompiledPack) -> set[str]:
    if pack.meta.composite is None:
        return set()
    found: set[Need] = set()
    component_columns(pack, found)
    return {n.column for n in found}


def _sum_type(points: list[Decimal]) -> str:
    """A narrow DECIMAL that holds every term of a per-method sum exactly (earned has 2 places, points their
    own), or DECIMAL(38,10) when the points need more. Each sum is cast to DECIMAL(38,10) afterwards, so the
    values equal the long form's."""
    scale = max([2] + [max(0, -int(p.normalize().as_tuple().exponent)) for p in points])
    total = sum(points, Decimal(0)) + 1000 * len(points)  # earned ≤ points; 1000 per rule is a generous bound
    digits = len(str(int(total))) + scale
    return f"DECIMAL(18,{scale})" if scale <= 10 and digits <= 17 else D


def _wide_per_method(pack: CompiledPack, wide_table: str) -> str:
    """``per_method`` from the wide table of outcomes ("o:R") and earned points ("p:R"), one column pair per
    rule: the same sums as the long-table form (exact DECIMAL sums, cast to DECIMAL(38,10)), without reading
    back the unit × rule rows. Bonus and the not-applicable policy are known per rule, so each term is one CASE."""
    na_full = pack.meta.na_policy == "full_marks"
    by_method: dict[str, list[tuple[str, Decimal, bool]]] = {}
    for rule in pack.scored_rules():
        if rule.rule.status != "stable":
            continue
        bonus = any(pack.nodes[c].node.bonus for c in pack.leaf_ancestors(rule.rule.node))
        by_method.setdefault(rule.rule.method, []).append((rule.id, Decimal(str(rule.rule.points)), bonus))
    selects = []
    for method, rules in sorted(by_method.items()):
        t = _sum_type([points for _, points, _ in rules])

        def lit(value: Decimal | int, t: str = t) -> str:
            return f"CAST({format(Decimal(value).normalize(), 'f')} AS {t})"

        e_terms, mx_terms, b_terms = [], [], []
        for rid, points, bonus in rules:
            o, p = f'"o:{rid}"', f'"p:{rid}"'
            applies = f"{o} <> 'not_applicable'"
            if bonus:
                b_terms.append(f"CASE WHEN {applies} THEN CAST({p} AS {t}) ELSE {lit(0)} END")
            elif na_full:
                e_terms.append(f"CASE WHEN {applies} THEN CAST({p} AS {t}) ELSE {lit(points)} END")
                mx_terms.append(lit(points))
            else:
                e_terms.append(f"CASE WHEN {applies} THEN CAST({p} AS {t}) ELSE {lit(0)} END")
                mx_terms.append(f"CASE WHEN {applies} THEN {lit(points)} ELSE {lit(0)} END")
        sums = [" + ".join(terms) if terms else lit(0) for terms in (e_terms, mx_terms, b_terms)]
        quoted = method.replace("'", "''")
        selects.append(f"SELECT unit_id, '{quoted}' AS method, CAST({sums[0]} AS {D}) AS e, CAST({sums[1]} AS {D}) AS mx, "
                       f"CAST({sums[2]} AS {D}) AS b FROM {wide_table}")
    return " UNION ALL ".join(selects)


def summary_sql(pack: CompiledPack, needs: set[Need], long_table: str = "long", units_table: str = "units", dialect: str = "duckdb",
                wide_table: str | None = None) -> str:
    """The unit summary. From the long unit × rule table by default; from the wide table of outcome/earned
    columns when ``wide_table`` is given (DuckDB's ``score_flat``: same values, no 93-million-row re-read)."""
    meta = pack.meta
    full = _lit(meta.full_marks)
    na_full = meta.na_policy == "full_marks"
    per_method = _wide_per_method(pack, wide_table) if wide_table else f"""
      SELECT l.unit_id, m.method,
        SUM(CASE WHEN NOT m.bonus AND l.outcome <> 'not_applicable' THEN l.earned
                 WHEN NOT m.bonus AND {'TRUE' if na_full else 'FALSE'} THEN m.points ELSE {_lit(0)} END) AS e,
        SUM(CASE WHEN NOT m.bonus AND (l.outcome <> 'not_applicable' OR {'TRUE' if na_full else 'FALSE'}) THEN m.points ELSE {_lit(0)} END) AS mx,
        SUM(CASE WHEN m.bonus AND l.outcome <> 'not_applicable' THEN l.earned ELSE {_lit(0)} END) AS b
      FROM {long_table} l JOIN rule_meta m ON l.rule_id = m.rule_id GROUP BY l.unit_id, m.method"""
    weights = meta.method_weights
    if weights:
        w_case = "CASE " + " ".join(f"WHEN method = '{m}' THEN {_lit(w)}" for m, w in weights.items()) + f" ELSE {_lit(0)} END"
        base = f"""SELECT unit_id,
            CASE WHEN SUM(CASE WHEN mx > 0 THEN {w_case} ELSE {_lit(0)} END) = 0 THEN {_lit(0)} ELSE
            SUM(CASE WHEN mx > 0 THEN {w_case} * e / mx ELSE {_lit(0)} END) * {full} /
            SUM(CASE WHEN mx > 0 THEN {w_case} ELSE {_lit(0)} END) END AS base, SUM(b) AS bonus
          FROM per_method GROUP BY unit_id"""
    else:
        base = f"""SELECT unit_id, CASE WHEN SUM(mx) = 0 THEN {_lit(0)} ELSE {full} * SUM(e) / SUM(mx) END AS base, SUM(b) AS bonus
          FROM per_method GROUP BY unit_id"""
    cap = _lit(meta.bonus_cap)
    own = f"LEAST({_q('base')} + LEAST(bonus, {cap}), {full} + {cap})"
    vetoes = veto_columns(pack, needs)
    comps = component_columns(pack, needs)
    carried = sorted({n.column for n in needs if n.kind in ("inc", "as_of")} | _component_needs(pack))
    total = "own"
    disq = ["FALSE"]
    if comps:
        weight = sum(Decimal(str(c[2])) for c in comps)
        total = f"(own * {_lit(1 - weight)} + " + " + ".join(f"{_lit(c[2])} * COALESCE(\"c:{c[0]}\", {_lit(0)})" for c in comps) + ")"
        disq += [f"(\"c:{c[0]}\" IS NULL OR \"c:{c[0]}\" < {_lit(c[3])})" for c in comps if c[3] is not None]
    # As in rollup.py: every deduction first, then the caps, so the total does not depend on rule order.
    for hit, kind, amount in vetoes:
        if kind == "deduct":
            total = f"({total} - CASE WHEN {hit} THEN {amount} ELSE {_lit(0)} END)"
    for hit, kind, amount in vetoes:
        if kind == "cap":
            total = f"CASE WHEN {hit} THEN LEAST({total}, {amount}) ELSE {total} END"
        elif kind == "disqualify":
            disq.append(hit)
    comp_select = "".join(f", {c[1]} AS \"c:{c[0]}\"" for c in comps)
    grades = sorted(meta.grades, key=lambda g: -g.min)
    grade_case = "CASE WHEN disqualified THEN '取消资格' " + " ".join(f"WHEN total >= {_lit(g.min)} THEN '{g.label}'" for g in grades)
    grade_case += f" WHEN total >= {_lit(meta.pass_mark)} THEN '达标' ELSE '未达标' END"
    sql = f"""
      WITH rule_meta(rule_id, method, points, bonus) AS (VALUES {rule_meta_values(pack)}),
      per_method AS ({per_method}),
      based AS ({base}),
      owned AS (SELECT b.unit_id, {own} AS own{comp_select}{"".join(f', u."{c}"' for c in carried)}
                FROM based b JOIN {units_table} u ON u.unit_id = b.unit_id),
      totals AS (SELECT unit_id, own, {_q(f'GREATEST({total}, {_lit(0)})')} AS total, ({' OR '.join(disq)}) AS disqualified FROM owned)
      SELECT unit_id, own AS base_score, total, disqualified, {grade_case} AS grade,
             (total >= {_lit(meta.pass_mark)} AND NOT disqualified) AS passed
      FROM totals ORDER BY unit_id"""
    if dialect == "duckdb":
        return sql
    try:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
    except sqlglot.errors.ParseError as exc:  # pragma: no cover - our template is fixed
        raise Unsupported(f"汇总 SQL 无法转换为 {dialect}：{exc}") from exc
