"""``civic combine``: combine several years' runs into a cycle score per unit (policy in evaluator/batch/combine.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from evaluator.commands.common import EPILOG, emit, guarded
from evaluator.errors import usage_error

if TYPE_CHECKING:
    from evaluator.batch.combine import CycleRow

HEADERS = ["名次", "单位编号", "单位名称", "组别", "周期得分", "等级", "达标", "说明"]


@click.command(name="combine", epilog=EPILOG)
@click.argument("runs", nargs=-1, required=True)
@click.option("--weights", required=True, help="各期权重，按结果先后对应，如 15,25,60")
@click.option("--pack", "pack_spec", help="测评体系（用于达标线、等级和核对各期是否同一体系）")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="输出文件（xlsx 格式必须给出）")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "xlsx"]), default="table", show_default=True)
@click.option("--db", help="历史数据库：RUNS 也可以是其中的测评轮次名（civic runs 查看）")
@guarded
def combine(runs: tuple[str, ...], weights: str, pack_spec: str | None, output: Path | None, fmt: str, db: str | None) -> None:
    """把多年（多期）测评结果按权重合成周期成绩并排名；缺期单位单列，取消资格的单位单独标明。"""
    from evaluator.batch.combine import combine as combine_runs
    from evaluator.batch.combine import load_run, parse_weights

    parsed = parse_weights(weights, len(runs))
    loaded = [load_run(Path(ref), i) if Path(ref).exists() else _stored_run(ref, i, db) for i, ref in enumerate(runs)]
    pass_mark, grades, pack_id = None, [], None
    if pack_spec:
        from evaluator.loader import load_pack_or_raise

        meta = load_pack_or_raise(pack_spec).meta
        pass_mark, pack_id = meta.pass_mark, meta.id
        grades = [(g.label, g.min) for g in sorted(meta.grades, key=lambda g: -g.min)]
    ids = {r.pack_id for r in loaded if r.pack_id} | ({pack_id} if pack_id else set())
    if len(ids) > 1:
        raise usage_error("U044", f"各期结果来自不同的测评体系（{'、'.join(sorted(ids))}），不能合并")
    if pass_mark is None:
        pass_mark = next((r.pass_mark for r in loaded if r.pass_mark is not None), None)
    rows = combine_runs(loaded, parsed, pass_mark, grades)
    labels = [r.label for r in loaded]
    if fmt == "json":
        data = {"runs": [{"label": r.label, "source": r.source, "weight": float(w)} for r, w in zip(loaded, parsed, strict=True)],
                "pass_mark": pass_mark, "units": [asdict(row) for row in rows]}
        emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)
    elif fmt == "xlsx":
        if output is None:
            raise usage_error("U045", "xlsx 格式须用 -o 指定输出文件")
        from evaluator.batch.combine_xlsx import render_combine_xlsx
        from evaluator.fsutil import write_atomic

        write_atomic(output, render_combine_xlsx(rows, labels, [float(w) for w in parsed], pass_mark))
        click.echo(f"已写入 {output}", err=True)
    else:
        emit(_table(rows, labels, parsed), output)
    incomplete = [r for r in rows if r.missing]
    if incomplete:
        click.echo(f"{len(incomplete)} 个单位缺少部分年度的结果，未计算周期得分、未排名（见“说明”）。", err=True)


def _stored_run(ref: str, index: int, db: str | None) -> Any:
    """A round recorded in the history store (civic record / evaluate --record), by its label or id."""
    from evaluator.batch.combine import run_of
    from evaluator.errors import Location
    from evaluator.history.store import connect, find_run, run_units

    conn = connect(db)
    row = find_run(conn, ref)
    units = [(u, Location(f"{row['label']}（历史数据库）")) for u in run_units(conn, row["id"])]
    return run_of(units, f"历史数据库：{row['label']}", row["pack_id"], None, index)


def _table(rows: list[CycleRow], labels: list[str], weights: list[Decimal]) -> str:
    from tabulate import tabulate

    from evaluator.explain import fmt_number

    total = sum(weights)
    head = "周期得分 = " + " + ".join(f"{lab}×{fmt_number(w / total * 100)}%" for lab, w in zip(labels, weights, strict=True))
    body = [[row.rank or "—", row.id, row.name, row.group or "", "—" if row.score is None else fmt_number(row.score),
             row.grade or "", {True: "是", False: "否", None: "—"}[row.passed], _note(row, labels)]
            for row in rows]
    return head + "\n\n" + tabulate(body, headers=HEADERS, tablefmt="simple", disable_numparse=True) + "\n"


def _note(row: CycleRow, labels: list[str]) -> str:
    from evaluator.explain import fmt_number

    if row.missing:
        return f"缺少{'、'.join(row.missing)}结果"
    years = "，".join(f"{lab} {fmt_number(t)}" for lab, t in zip(labels, row.totals, strict=True) if t is not None)
    return years + (f"；取消资格：{'；'.join(row.reasons)}" if row.reasons else "")


def register(group: click.Group) -> None:
    group.add_command(combine)
