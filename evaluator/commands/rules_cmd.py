"""``civic rules list|show|doc``: browse packs and rules, render a pack as its 测评体系 table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from evaluator.commands.common import emit, guarded, tabulate
from evaluator.errors import usage_error


def _packs(spec: str | None) -> list[Path]:
    from evaluator.loader import REPO_RULES, discover_packs, resolve_pack_dir

    if spec:
        return [resolve_pack_dir(spec)]
    return discover_packs([Path("rules") if Path("rules").is_dir() else REPO_RULES])


def register(group: click.Group) -> None:
    @group.group()
    def rules() -> None:
        """浏览测评体系与规则；把测评体系渲染成测评表。"""

    @rules.command(name="list")
    @click.argument("pack", required=False)
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table")
    @guarded
    def list_cmd(pack: str | None, fmt: str) -> None:
        """列出测评体系（不给 PACK）或某个测评体系的规则。"""
        from evaluator.docgen import grading_text
        from evaluator.loader import load_pack_or_raise

        if pack is None:
            rows: list[dict[str, Any]] = []
            for directory in _packs(None):
                p = load_pack_or_raise(directory)
                rows.append({"id": p.meta.id, "title": p.meta.title, "edition": p.meta.edition, "rules": len(p.rules),
                             "full_marks": p.meta.full_marks, "unit_types": p.meta.unit_types})
            if fmt == "json":
                click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                click.echo(tabulate([[r["id"], r["title"], r["edition"], r["rules"], "、".join(map(str, r["unit_types"]))] for r in rows],
                                    headers=["编号", "测评体系", "版本", "规则数", "适用单位"], disable_numparse=True))
            return
        p = load_pack_or_raise(pack)
        items = [{"id": r.id, "code": r.rule.code, "node": r.rule.node, "title": r.rule.title, "points": r.rule.points,
                  "method": r.rule.method, "model": r.rule.grading.model, "grading": grading_text(r.rule.grading)} for r in p.rules]
        if fmt == "json":
            click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        else:
            click.echo(tabulate([[i["id"], i["node"], i["title"], f"{i['points']:g}", i["method"], i["model"]] for i in items],
                                headers=["规则", "目录", "测评标准", "分值", "方法", "评分模型"], disable_numparse=True))

    @rules.command()
    @click.argument("rule_id")
    @click.option("--pack", "pack_spec", help="测评体系（默认在所有测评体系中查找）")
    @guarded
    def show(rule_id: str, pack_spec: str | None) -> None:
        """显示一条规则的全部内容。"""
        import yaml

        from evaluator.docgen import grading_text
        from evaluator.loader import load_pack_or_raise

        for directory in _packs(pack_spec):
            p = load_pack_or_raise(directory)
            rule = p.rule(rule_id)
            if rule is not None:
                click.echo(f"# {rule.id} {rule.rule.title}（{p.meta.title}）\n位置：{rule.location}\n评分方式：{grading_text(rule.rule.grading)}\n")
                click.echo(yaml.safe_dump(rule.rule.model_dump(mode="json", exclude_defaults=True), allow_unicode=True, sort_keys=False))
                return
        raise usage_error("U005", f"没有找到规则 '{rule_id}'", hint="用 civic rules list PACK 查看规则编号")

    @rules.command()
    @click.argument("pack")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
    @guarded
    def doc(pack: str, output: Path | None) -> None:
        """把测评体系渲染为 Markdown 测评表。"""
        from evaluator.docgen import render_pack_doc
        from evaluator.loader import load_pack_or_raise

        emit(render_pack_doc(load_pack_or_raise(pack)), output)
