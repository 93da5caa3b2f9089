"""``civic sample``: synthetic units for demos, tests and benchmarks (see ``evaluator.sample_gen``)."""

from __future__ import annotations

from pathlib import Path

import click

from evaluator.commands.common import EPILOG, guarded
from evaluator.errors import usage_error

OUTPUT_SUFFIXES = {"yaml": (".yaml",), "csv": (".csv",), "xlsx": (".xlsx",)}


@click.command(name="sample", epilog=EPILOG)
@click.option("--pack", "pack_spec", required=True, help="测评体系编号或目录，如 wmdw")
@click.option("-n", "count", type=click.IntRange(1, 1_000_000), required=True, help="生成的单位数")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出文件夹")
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子：同一种子生成完全相同的数据")
@click.option("--year", type=click.IntRange(2000, 2100), default=2024, show_default=True, help="测评年度")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "xlsx"]), default="yaml", show_default=True,
              help="yaml：每个单位一个文件；csv：单位.csv 及明细表；xlsx：一个多单位工作簿")
@click.option("--overwrite", is_flag=True, help="输出文件夹不为空时，先删除其中的 .yaml/.csv/.xlsx 文件")
@guarded
def sample(pack_spec: str, count: int, output: Path, seed: int, year: int, fmt: str, overwrite: bool) -> None:
    """生成逼真的合成单位数据（区划、组别、缺失材料、负面事件等），用于演示、测试和性能测试。"""
    from evaluator.loader import load_pack_or_raise
    from evaluator.sample_gen import generate, unit_yaml

    pack = load_pack_or_raise(pack_spec)
    _prepare(output, overwrite)
    units = generate(pack, count, seed, year)
    if fmt == "yaml":
        for unit in units:
            (output / f"{unit['unit']['id']}.yaml").write_text(unit_yaml(unit), encoding="utf-8")
        where = output
    else:
        from evaluator.batch.table_writer import CsvTableWriter, XlsxTableWriter

        writer = CsvTableWriter(output, pack) if fmt == "csv" else XlsxTableWriter(output / "单位.xlsx", pack)
        for unit in units:
            writer.add(unit)
        writer.close()
        where = output / ("单位.csv" if fmt == "csv" else "单位.xlsx")
    click.echo(f"已生成 {count} 个单位 → {where}", err=True)


def _prepare(output: Path, overwrite: bool) -> None:
    """Never mix two runs: an output folder with unit files in it is refused unless --overwrite."""
    if output.exists() and not output.is_dir():
        raise usage_error("U048", f"{output} 不是文件夹")
    output.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in output.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".csv", ".xlsx", ".json"))
    if existing and not overwrite:
        raise usage_error("U049", f"输出文件夹 {output} 中已有 {len(existing)} 个数据文件（如 {existing[0].name}）",
                          hint="换一个文件夹，或加 --overwrite 先删除这些文件")
    for path in existing:
        path.unlink()


def register(group: click.Group) -> None:
    group.add_command(sample)
