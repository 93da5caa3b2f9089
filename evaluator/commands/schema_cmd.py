"""``civic schema export``: JSON Schemas of rule files, packs, units, waivers, tailoring and fixtures for editors."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evaluator.commands.common import guarded

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "schemas" / "json"


def export_schemas() -> dict[str, str]:
    from pydantic import BaseModel

    from schemas import FixtureFile, PackFile, RuleFile, TailoringFile, Unit, WaiverFile
    from schemas.result import RunReport

    models: dict[str, type[BaseModel]] = {"pack": PackFile, "rules": RuleFile, "unit": Unit, "waivers": WaiverFile, "tailoring": TailoringFile,
              "fixtures": FixtureFile, "result": RunReport}
    out = {}
    for name, model in models.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://civic.example/schemas/{name}.schema.json"
        out[f"{name}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return out


def register(group: click.Group) -> None:
    @group.group()
    def schema() -> None:
        """导出 JSON Schema（供编辑器补全与校验规则文件）。"""

    @schema.command(name="export")
    @click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=SCHEMA_DIR, show_default=True)
    @guarded
    def export(output: Path) -> None:
        """把各类文件的 JSON Schema 写入目录。"""
        from evaluator.fsutil import write_atomic

        for name, text in export_schemas().items():
            write_atomic(output / name, text)
            click.echo(f"已写入 {output / name}")
