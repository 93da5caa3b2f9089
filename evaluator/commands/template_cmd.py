"""``civic template``: the data-collection workbook (or YAML skeleton) of one unit, from the pack's data dictionary."""

from __future__ import annotations

from pathlib import Path

import click

from evaluator.commands.common import EPILOG, guarded
from evaluator.errors import usage_error


@click.command(name="template", epilog=EPILOG)
@click.option("--pack", "pack_spec", required=True, help="测评体系编号或目录，如 wmdw")
@click.option("--unit-type", help="只包含该单位类型需要填报的字段，并预填“类型”")
@click.option("--tailoring", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="地方细则（覆盖文件）")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="输出文件：.xlsx 为 Excel 填报模板，.yaml 为带注释的 YAML 骨架")
@guarded
def template(pack_spec: str, unit_type: str | None, tailoring: Path | None, output: Path) -> None:
    """生成单位数据填报模板（Excel 工作簿或 YAML 骨架）；填好后可直接用于 civic evaluate / civic batch。"""
    from evaluator.fsutil import write_atomic
    from evaluator.loader import load_pack_or_raise

    pack = load_pack_or_raise(pack_spec, tailoring)
    if unit_type is not None and unit_type not in pack.meta.unit_types:
        raise usage_error("U046", f"单位类型 '{unit_type}' 不在测评体系 {pack.meta.id} 的适用类型中",
                          hint=f"可用：{'、'.join(pack.meta.unit_types)}")
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        from evaluator.template.xlsx_writer import build_template

        write_atomic(output, build_template(pack, unit_type))
    elif suffix in (".yaml", ".yml"):
        from evaluator.template.yaml_skeleton import build_skeleton

        write_atomic(output, build_skeleton(pack, unit_type))
    else:
        raise usage_error("U047", f"不支持的输出类型 '{output.suffix or '（无扩展名）'}'", hint="用 .xlsx（Excel 模板）或 .yaml（YAML 骨架）")
    click.echo(f"已写入 {output}", err=True)


def register(group: click.Group) -> None:
    group.add_command(template)
