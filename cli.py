"""civic — 文明创建与爱国卫生测评体系规则引擎（命令行）。

Thin layer: parse options → call ``evaluator`` → render → exit code. The only module that prints.
Exit codes: 0 成功；1 低于 --fail-under 门槛；2 用法错误；3 规则包错误；4 单位数据错误；5 内部错误。
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from evaluator.commands.common import EPILOG, FORMATS_DIAG, emit, guarded, parse_date, show_diagnostics
from evaluator.errors import EXIT_GATE, EXIT_RULES, EXIT_UNIT, DiagnosticSink, usage_error


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="civic")
def main() -> None:
    """civic：按测评体系（YAML 规则包）为创建单位评分，生成缺项清单与整改清单。"""


@main.command(epilog=EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-f", "--format", "fmt", type=FORMATS_DIAG, default="human", help="输出格式")
@click.option("--strict", is_flag=True, help="有警告也以退出码 1 结束")
@click.option("--tailoring", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="同时检查地方细则（覆盖文件）")
@guarded
def lint(paths: tuple[Path, ...], fmt: str, strict: bool, tailoring: Path | None) -> None:
    """检查规则包（测评体系）：语法、结构、引用、分值合计、等级阶梯、测试用例覆盖；可同时检查地方细则。"""
    from evaluator.lints import lint_pack
    from evaluator.loader import REPO_RULES, discover_packs, load_pack

    targets = discover_packs(list(paths) or [Path("rules") if Path("rules").is_dir() else REPO_RULES])
    if not targets:
        raise usage_error("U002", f"在 {', '.join(map(str, paths)) or 'rules/'} 中没有找到任何测评体系（pack.yaml）")
    sink = DiagnosticSink()
    for directory in targets:
        pack = load_pack(directory, sink, tailoring)
        if pack is not None:
            lint_pack(pack, sink)
    show_diagnostics(sink.sorted(), fmt)
    errors, warnings = len(sink.errors), len(sink.warnings)
    if fmt != "json":
        click.echo(f"检查了 {len(targets)} 个测评体系：{errors} 个错误，{warnings} 个警告", err=True)
    if errors:
        sys.exit(EXIT_RULES)
    if strict and warnings:
        sys.exit(EXIT_GATE)


def _load_for_eval(units: tuple[Path, ...], pack_spec: str | None, tailoring: Path | None,
                   as_of: dt.date | None = None) -> tuple[Any, Any, DiagnosticSink]:
    from evaluator.api import load_units
    from evaluator.loader import load_pack_or_raise

    if not units:
        raise usage_error("U003", "没有给出单位数据文件", hint="例如：civic evaluate rules/wmdw/samples/strong.yaml")
    spec = pack_spec or _pack_from_unit(units[0])
    pack = load_pack_or_raise(spec, tailoring)
    sink = DiagnosticSink()
    loaded = load_units(list(units), pack, sink, as_of)
    return pack, loaded, sink


def _pack_from_unit(path: Path) -> str:
    """Without --pack, the unit file's ``pack:`` names the pack (or the pack that ships the sample)."""
    for parent in path.resolve().parents:
        if (parent / "pack.yaml").is_file():
            return _shown(parent)
    try:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, dict) and isinstance(data.get("pack"), str):
            return data["pack"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        pass
    raise usage_error("U004", f"无法确定 {path} 使用的测评体系", hint="用 --pack 指定，例如 --pack wmdw")


def _shown(directory: Path) -> str:
    """The pack directory relative to the working folder when inside it, so messages show short, stable paths."""
    try:
        return str(directory.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(directory)


@main.command(epilog=EPILOG)
@click.argument("units", nargs=-1, type=click.Path(path_type=Path))
@click.option("--pack", "pack_spec", help="测评体系编号或目录（默认取单位文件中的 pack:）")
@click.option("--as-of", callback=parse_date, help="评测基准日（默认取单位数据的 as_of 或测评周期结束日）")
@click.option("--waivers", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="豁免文件")
@click.option("--tailoring", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="地方细则（覆盖文件）")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table", help="输出格式")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（原子写入）")
@click.option("--fail-under", type=float, help="有单位低于此分时以退出码 1 结束")
@click.option("--record", "record_mode", type=click.Choice(["self", "mock", "official"]), help="把结果记入历史数据库（自评/模拟/正式）")
@click.option("--who", default="联络员", show_default=True, help="与 --record 一起：记录人")
@click.option("--db", help="与 --record 一起：历史数据库（默认 civic.db）")
@guarded
def evaluate(units: tuple[Path, ...], pack_spec: str | None, as_of: dt.date | None, waivers: Path | None, tailoring: Path | None,
             fmt: str, output: Path | None, fail_under: float | None, record_mode: str | None, who: str, db: str | None) -> None:
    """为一个或多个单位评分：总分、各项目得分、失分说明、缺项清单、整改清单。"""
    from evaluator.api import evaluate_loaded, load_waivers
    from evaluator.render import RENDERERS
    from evaluator.report import run_report

    pack, loaded, sink = _load_for_eval(units, pack_spec, tailoring, as_of)
    waiver_list = load_waivers(waivers)
    results = evaluate_loaded(pack, loaded, as_of, waiver_list)
    show_diagnostics(sink.sorted())
    rejected = [{"source": d.location.path, "code": d.code, "message": d.one_line()} for d in sink.errors]
    if results:
        report = run_report(pack, results, as_of, rejected)
        emit(RENDERERS[fmt](report), output)
        if record_mode:
            from evaluator.history.store import connect, record_run

            record_run(connect(db), report, mode=record_mode, who=who)
            click.echo(f"已记入历史数据库（{record_mode}）", err=True)
    if sink.errors:
        click.echo(f"{len({d.location.path for d in sink.errors})} 个单位数据文件有错误，未评分；其余 {len(results)} 个已评分。", err=True)
        sys.exit(EXIT_UNIT)
    if fail_under is not None and any(r.total < fail_under or r.disqualified for r in results):
        low = [f"{r.unit.name}（{r.total:g}{'，取消资格' if r.disqualified else ''}）" for r in results if r.total < fail_under or r.disqualified]
        click.echo(f"低于 {fail_under:g} 分或被取消资格：{'、'.join(low)}", err=True)
        sys.exit(EXIT_GATE)


@main.command(epilog=EPILOG)
@click.argument("rule_id")
@click.argument("unit", type=click.Path(path_type=Path))
@click.option("--pack", "pack_spec", help="测评体系编号或目录")
@click.option("--as-of", callback=parse_date, help="评测基准日")
@click.option("--waivers", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@guarded
def explain(rule_id: str, unit: Path, pack_spec: str | None, as_of: dt.date | None, waivers: Path | None, fmt: str) -> None:
    """详细解释一个单位在一条规则上的结果：规则原文、所用数据、每个条件的实际值与要求、计分步骤。"""
    from evaluator.api import effective_as_of, load_waivers
    from evaluator.engine import evaluate as evaluate_unit
    from evaluator.explain_rule import explain_text

    pack, loaded, sink = _load_for_eval((unit,), pack_spec, None, as_of)
    if sink.errors:
        show_diagnostics(sink.sorted())
        sys.exit(EXIT_UNIT)
    rule = pack.rule(rule_id)
    if rule is None:
        import difflib
        close = difflib.get_close_matches(rule_id, [r.id for r in pack.rules], n=3)
        raise usage_error("U005", f"测评体系 {pack.meta.id} 中没有规则 '{rule_id}'", hint=f"是否想写 {'、'.join(close)}？" if close else "用 civic rules list 查看")
    item = loaded[0]
    when = effective_as_of(item.unit, as_of)
    result = evaluate_unit(pack, item.unit, item.values, as_of=when, waivers=load_waivers(waivers))
    rule_result = next(r for r in result.rules if r.rule_id == rule_id)
    if fmt == "json":
        click.echo(json.dumps(rule_result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        click.echo(explain_text(pack, rule, item, rule_result))


@main.command(name="test", epilog=EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="列出每个用例")
@guarded
def test_cmd(paths: tuple[Path, ...], verbose: bool) -> None:
    """运行规则包中的测试用例（fixtures），打印 “N passed, N failed”。"""
    from evaluator.loader import REPO_RULES, discover_packs, load_pack
    from evaluator.testing import run_pack_fixtures

    targets = discover_packs(list(paths) or [Path("rules") if Path("rules").is_dir() else REPO_RULES])
    if not targets:
        raise usage_error("U002", "没有找到任何测评体系（pack.yaml）")
    sink = DiagnosticSink()
    passed = failed = todo = 0
    for directory in targets:
        pack = load_pack(directory, sink)
        if pack is None:
            continue
        for outcome in run_pack_fixtures(pack):
            status = outcome.status
            passed += status == "passed"
            failed += status == "failed"
            todo += status == "todo"
            if status == "failed" or verbose:
                mark = {"passed": "✓", "failed": "✗", "todo": "…"}[status]
                click.echo(f"{mark} {outcome.pack} {outcome.case.case.rule} 「{outcome.case.case.name}」 {outcome.case.location}")
                for problem in outcome.problems:
                    click.echo(f"    {problem}")
    if sink.errors:
        show_diagnostics(sink.sorted())
        click.echo(f"{passed} passed, {failed} failed", err=False)
        sys.exit(EXIT_RULES)
    summary = f"{passed} passed, {failed} failed" + (f", {todo} skipped" if todo else "")
    click.echo(summary)
    if failed:
        sys.exit(EXIT_GATE)


from evaluator.commands import register_all  # noqa: E402  (commands defined in their own modules)

register_all(main)

if __name__ == "__main__":
    main()
