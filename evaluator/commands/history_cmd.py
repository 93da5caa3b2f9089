"""History commands: record, runs, rectify list|done|verify, diff, history, reconcile, export oscal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from evaluator.commands.common import emit, guarded, parse_date, tabulate

DB_HELP = "历史数据库（默认当前目录 civic.db；也可用环境变量 CIVIC_DB）"
STATUS_CHOICES = click.Choice(["open", "rectified", "verified", "reopened"])
MODE_LABELS = {"self": "自评", "mock": "模拟测评", "official": "正式测评"}


def _conn(db: str | None) -> Any:
    from evaluator.history.store import connect

    return connect(db)


def _policy(pack_id: str) -> Any:
    from evaluator.errors import CivicError
    from evaluator.loader import load_pack_or_raise
    from schemas.pack import Escalation

    try:
        return load_pack_or_raise(pack_id).meta.escalation
    except CivicError:
        return Escalation()


def _table(rows: list[list[Any]], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, disable_numparse=True, maxcolwidths=[None] * (len(headers) - 1) + [40])


def register(group: click.Group) -> None:  # noqa: C901 - one place that wires the history commands
    @group.command()
    @click.argument("result", type=click.Path(exists=True, path_type=Path))
    @click.option("--mode", type=click.Choice(["self", "mock", "official"]), default="self", show_default=True, help="自评 / 模拟测评 / 正式测评")
    @click.option("--who", default="联络员", show_default=True, help="记录人")
    @click.option("--label", help="本轮名称（默认：体系-基准日-方式）")
    @click.option("--db", help=DB_HELP)
    @guarded
    def record(result: Path, mode: str, who: str, label: str | None, db: str | None) -> None:
        """把一次测评结果（evaluate -f json 的输出或批量输出目录）记入历史数据库，并更新整改状态。"""
        from evaluator.history.runs import load_run, report_from_file
        from evaluator.history.store import record_run
        from evaluator.loader import load_pack_or_raise
        from evaluator.report import run_report

        if result.is_dir() or result.suffix == ".jsonl":
            data = load_run(str(result), None)
            pack = load_pack_or_raise(data.pack_id)
            report = run_report(pack, data.units, None)
        else:
            report = report_from_file(result)
        conn = _conn(db)
        run_id = record_run(conn, report, mode=mode, who=who, label=label)
        row = conn.execute("SELECT label FROM runs WHERE id=?", (run_id,)).fetchone()
        click.echo(f"已记录测评轮次 {row['label']}（{len(report.units)} 个单位）")

    @group.command()
    @click.option("--db", help=DB_HELP)
    @guarded
    def runs(db: str | None) -> None:
        """列出历史数据库中的测评轮次。"""
        conn = _conn(db)
        rows = [[r["id"], r["label"], r["pack_id"], r["edition"], r["as_of"], MODE_LABELS[r["mode"]], r["who"], r["unit_count"]]
                for r in conn.execute("SELECT * FROM runs ORDER BY id")]
        click.echo(tabulate(rows, headers=["编号", "轮次", "测评体系", "版本", "基准日", "方式", "记录人", "单位数"], disable_numparse=True) if rows else "还没有记录任何测评轮次。")

    @group.group()
    def rectify() -> None:
        """整改跟踪：列出问题、报告整改、复查销号。"""

    @rectify.command(name="list")
    @click.option("--unit", help="只看某单位")
    @click.option("--status", type=STATUS_CHOICES, help="只看某状态")
    @click.option("--pack", help="只看某测评体系")
    @click.option("--overdue", is_flag=True, help="只看逾期未销号的问题")
    @click.option("--escalated", is_flag=True, help="只看需升级处理（通报/约谈）的问题")
    @click.option("--as-of", callback=parse_date, help="按此日期判断逾期（默认今天）")
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table")
    @click.option("--db", help=DB_HELP)
    @guarded
    def rectify_list(unit: str | None, status: str | None, pack: str | None, overdue: bool, escalated: bool, as_of: dt.date | None, fmt: str, db: str | None) -> None:
        """列出问题及其整改状态（未整改 / 已报整改待复查 / 已销号 / 重新打开，逾期天数，升级措施）。"""
        from evaluator.history.store import list_findings

        conn = _conn(db)
        today = as_of or dt.date.today()
        packs = [pack] if pack else [r[0] for r in conn.execute("SELECT DISTINCT pack_id FROM findings ORDER BY pack_id")]
        views = [v for p in packs for v in list_findings(conn, today=today, policy=_policy(p), unit=unit, status=status, pack=p)]
        if overdue:
            views = [v for v in views if v.overdue_days > 0]
        if escalated:
            views = [v for v in views if v.escalation]
        if fmt == "json":
            click.echo(json.dumps([{**v.__dict__, "state": v.state_label} for v in views], ensure_ascii=False, indent=2))
            return
        rows = [[v.id, v.unit_name, v.rule_id, v.sub_item or "—", v.state_label, v.due, v.role, v.escalation or "", v.problem] for v in views]
        click.echo(_table(rows, ["编号", "单位", "规则", "子项", "状态", "整改期限", "责任岗位", "升级", "问题"]) if rows else "没有符合条件的问题。")

    @rectify.command()
    @click.argument("finding_id", type=int)
    @click.option("--note", required=True, help="整改情况说明")
    @click.option("--who", default="联络员", show_default=True)
    @click.option("--evidence", help="佐证材料（文件名或链接）")
    @click.option("--on", "on", callback=parse_date, help="整改完成日期（默认今天）")
    @click.option("--db", help=DB_HELP)
    @guarded
    def done(finding_id: int, note: str, who: str, evidence: str | None, on: dt.date | None, db: str | None) -> None:
        """单位报告已整改（待下一轮测评复查销号）。"""
        from evaluator.history.store import mark_rectified

        mark_rectified(_conn(db), finding_id, on=on or dt.date.today(), who=who, note=note, evidence=evidence)
        click.echo(f"问题 {finding_id} 已标记为“已报整改待复查”；下一轮测评通过后自动销号。")

    @rectify.command()
    @click.argument("finding_id", type=int)
    @click.option("--note", required=True, help="复查说明")
    @click.option("--who", default="文明办", show_default=True)
    @click.option("--on", "on", callback=parse_date, help="复查日期（默认今天）")
    @click.option("--db", help=DB_HELP)
    @guarded
    def verify(finding_id: int, note: str, who: str, on: dt.date | None, db: str | None) -> None:
        """人工复查通过，销号。"""
        from evaluator.history.store import mark_verified

        mark_verified(_conn(db), finding_id, on=on or dt.date.today(), who=who, note=note)
        click.echo(f"问题 {finding_id} 已销号。")

    @group.command()
    @click.argument("run_a")
    @click.argument("run_b")
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "xlsx"]), default="table")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--db", help=DB_HELP)
    @guarded
    def diff(run_a: str, run_b: str, fmt: str, output: Path | None, db: str | None) -> None:
        """比较两轮测评：新增失分、已整改通过、仍未通过、得分与名次变化、两版规则的增删。"""
        from evaluator.history.compare import diff_runs
        from evaluator.history.diff_render import diff_json, diff_table, diff_xlsx
        from evaluator.history.runs import load_run

        conn = _conn(db) if db or not (Path(run_a).exists() and Path(run_b).exists()) else None
        result = diff_runs(load_run(run_a, conn), load_run(run_b, conn))
        if fmt == "xlsx":
            from evaluator.errors import usage_error
            from evaluator.fsutil import write_atomic

            if output is None:
                raise usage_error("U016", "xlsx 格式需要用 -o 指定输出文件")
            write_atomic(output, diff_xlsx(result))
            click.echo(f"已写入 {output}", err=True)
            return
        emit(diff_json(result) if fmt == "json" else diff_table(result), output)

    @group.command()
    @click.argument("unit", required=False)
    @click.option("--region", help="按区域前缀汇总，如 浙江省/杭州市")
    @click.option("--pack", help="只看某测评体系")
    @click.option("--db", help=DB_HELP)
    @guarded
    def history(unit: str | None, region: str | None, pack: str | None, db: str | None) -> None:
        """得分趋势：某单位（或全部单位、某区域）历轮得分、名次与等级。"""
        conn = _conn(db)
        query = ("SELECT r.label, r.as_of, r.mode, u.unit_id, u.name, u.region, u.total, u.rank, u.grade FROM unit_results u "
                 "JOIN runs r ON r.id = u.run_id WHERE 1=1")
        args: list[Any] = []
        if unit:
            query += " AND (u.unit_id = ? OR u.name = ?)"
            args += [unit, unit]
        if region:
            query += " AND u.region LIKE ?"
            args.append(region.rstrip("/") + "%")
        if pack:
            query += " AND r.pack_id = ?"
            args.append(pack)
        rows = conn.execute(query + " ORDER BY u.unit_id, r.as_of, r.id", args).fetchall()
        if not rows:
            click.echo("没有找到历史记录。")
            return
        if unit:
            click.echo(tabulate([[r["label"], r["as_of"], MODE_LABELS[r["mode"]], f"{r['total']:g}", r["rank"], r["grade"]] for r in rows],
                                headers=["轮次", "基准日", "方式", "总分", "名次", "等级"], disable_numparse=True))
            return
        by_run: dict[tuple[str, str], list[float]] = {}
        for r in rows:
            by_run.setdefault((r["as_of"], r["label"]), []).append(r["total"])
        click.echo(tabulate([[label, as_of, len(v), f"{sum(v) / len(v):.2f}", f"{min(v):g}", f"{max(v):g}"] for (as_of, label), v in sorted(by_run.items())],
                            headers=["轮次", "基准日", "单位数", "平均分", "最低", "最高"], disable_numparse=True))

    @group.command()
    @click.argument("self_run")
    @click.argument("official_run")
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table")
    @click.option("--db", help=DB_HELP)
    @guarded
    def reconcile(self_run: str, official_run: str, fmt: str, db: str | None) -> None:
        """自评与正式（模拟）测评对账：逐条列出不一致之处，按自评高估的分数排序。"""
        from evaluator.history.compare import reconcile as run_reconcile
        from evaluator.history.runs import load_run

        conn = _conn(db) if db or not (Path(self_run).exists() and Path(official_run).exists()) else None
        items = run_reconcile(load_run(self_run, conn), load_run(official_run, conn))
        if fmt == "json":
            click.echo(json.dumps([{**d.__dict__, "over_rated": d.over_rated} for d in items], ensure_ascii=False, indent=2))
            return
        rows = [[d.name, d.rule_id, d.title, f"{d.self_level or d.self_outcome}（{d.self_points:g}分）",
                 f"{d.official_level or d.official_outcome}（{d.official_points:g}分）", f"{d.over_rated:+g}"] for d in items]
        click.echo(tabulate(rows, headers=["单位", "规则", "测评标准", "自评", "测评", "自评高估"], disable_numparse=True) if rows else "自评与测评结果完全一致。")
        over = sum(d.over_rated for d in items if d.over_rated > 0)
        click.echo(f"\n不一致 {len(items)} 条；自评共高估 {over:g} 分。")

    @group.group()
    def export() -> None:
        """导出为其他系统可读的格式。"""

    @export.command()
    @click.argument("run")
    @click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录")
    @click.option("--db", help=DB_HELP)
    @guarded
    def oscal(run: str, output: Path, db: str | None) -> None:
        """导出 OSCAL assessment-results 与 POA&M（JSON）。"""
        from evaluator.fsutil import write_atomic
        from evaluator.history.oscal import assessment_results, poam
        from evaluator.history.runs import load_run

        data = load_run(run, _conn(db) if db or not Path(run).exists() else None)
        for name, doc in (("assessment-results.json", assessment_results(data)), ("poam.json", poam(data))):
            write_atomic(output / name, json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
            click.echo(f"已写入 {output / name}")
