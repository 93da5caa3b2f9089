"""Load a pack directory into a ``CompiledPack``, collecting every problem with its location.

Layout of a pack directory::

    rules/<pack-id>/pack.yaml          metadata, catalogue, data dictionary, vocabularies
    rules/<pack-id>/rules/*.yaml       rules (each file: ``rules: [...]``)
    rules/<pack-id>/fixtures/*.yaml    rule fixtures (each file: ``cases: [...]``)
    rules/<pack-id>/samples/*.yaml     sample units
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from evaluator.compiled import (
    CompiledPack,
    CompiledRule,
    LoadedCase,
    NodeInfo,
    expression_slots,
    scope_for,
    walk_catalogue,
)
from evaluator.errors import Diagnostic, DiagnosticSink, Location, RuleError, usage_error
from evaluator.expr import ExprError, compile_expr
from evaluator.locate import diagnostics_from_validation
from evaluator.yamlio import LocatedDoc, YamlProblem, load_yaml
from schemas.fixture import FixtureFile
from schemas.pack import PackFile
from schemas.rule import RuleFile
from schemas.tailoring import TailoringFile

M = TypeVar("M", bound=BaseModel)
REPO_RULES = Path(__file__).resolve().parent.parent / "rules"


def load_model(path: Path, model: type[M], sink: DiagnosticSink, prefix: str = "R") -> tuple[M | None, LocatedDoc | None]:
    """Load and validate one file; problems go to ``sink``. Returns (None, …) when it is unusable."""
    try:
        doc = load_yaml(path, prefix)
    except YamlProblem as problem:
        sink.add(problem.diagnostic)
        return None, None
    if not isinstance(doc.data, dict):
        sink.error(f"{prefix}100", f"文件顶层应为映射（键: 值），实际是{_kind(doc.data)}", doc.locate(()),
                   hint=f"参照 docs 中的示例，顶层以 {next(iter(model.model_fields))}: 开头")
        return None, doc
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        for diag in diagnostics_from_validation(exc, doc, f"{prefix}1"):
            sink.add(diag)
        return None, doc


def _kind(value: Any) -> str:
    return {list: "列表", str: "文字", int: "数字", float: "数字"}.get(type(value), type(value).__name__)


def expr_location(doc: LocatedDoc, path: tuple[str | int, ...], offset: int = 0, end: int | None = None) -> Location:
    """Location of character ``offset`` inside the YAML scalar at ``path`` (quotes accounted for)."""
    base = doc.locate(path)
    if base.line is None:
        return base
    shift = 0
    try:
        line = Path(base.path).read_text(encoding="utf-8-sig").splitlines()[base.line - 1]
        if line[(base.col or 1) - 1 : (base.col or 1)] in ("'", '"'):
            shift = 1
    except (OSError, IndexError):
        pass
    col = (base.col or 1) + shift + offset
    end_col = (base.col or 1) + shift + end if end is not None else None
    return Location(base.path, base.line, col, end_col)


def _dotted_to_path(prefix: tuple[str | int, ...], dotted: str) -> tuple[str | int, ...]:
    return prefix + tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


def compile_rules(pack: PackFile, rule_file: RuleFile, doc: LocatedDoc, sink: DiagnosticSink) -> list[CompiledRule]:
    scope = scope_for(pack)
    compiled: list[CompiledRule] = []
    for index, rule in enumerate(rule_file.rules):
        where: tuple[str | int, ...] = ("rules", index)
        item = CompiledRule(rule, doc.locate(where), doc=doc, where=where)
        rule_scope = scope.with_params(dict(rule.params))
        slots = list(expression_slots(rule.grading))
        if rule.applicable_if:
            slots.append(("applicable_if", rule.applicable_if))
        for dotted, text in slots:
            try:
                expr = compile_expr(text, rule_scope)
            except ExprError as exc:
                loc = expr_location(doc, _dotted_to_path(where, dotted), exc.start, exc.end)
                sink.error(exc.code, f"规则 {rule.id}：{exc.message}", loc, exc.hint)
                continue
            if dotted == "applicable_if":
                item.applicable = expr
            else:
                item.exprs[dotted] = expr
        compiled.append(item)
    return compiled


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def resolve_pack_dir(spec: str | Path) -> Path:
    """A pack is named by its directory or by its id (looked up under ./rules and the repository's rules/)."""
    candidate = Path(spec)
    if (candidate / "pack.yaml").is_file():
        return candidate
    if candidate.name == "pack.yaml" and candidate.is_file():
        return candidate.parent
    for base in (Path("rules"), REPO_RULES):
        if (base / str(spec) / "pack.yaml").is_file():
            return base / str(spec)
    known = sorted(p.parent.name for base in (Path("rules"), REPO_RULES) for p in base.glob("*/pack.yaml"))
    raise usage_error("U001", f"找不到测评体系 '{spec}'", hint=f"可用：{', '.join(sorted(set(known))) or '无'}；或给出包含 pack.yaml 的目录")


def discover_packs(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if (path / "pack.yaml").is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p.parent for p in path.glob("*/pack.yaml"))
        elif path.name == "pack.yaml":
            found.append(path.parent)
    return sorted(set(found))


def _locate_nodes(doc: LocatedDoc, children: list[Any], where: tuple[str | int, ...], nodes: dict[str, NodeInfo]) -> None:
    for index, node in enumerate(children):
        path = (*where, index)
        if node.code in nodes:
            nodes[node.code].location = doc.locate((*path, "code"))
        _locate_nodes(doc, node.children, (*path, "children"), nodes)


def _check_files_alone(directory: Path, sink: DiagnosticSink, with_fixtures: bool) -> None:
    """pack.yaml is unusable: still report the syntax and schema problems of the other files in the same run."""
    for path in sorted((directory / "rules").glob("*.yaml")):
        load_model(path, RuleFile, sink)
    for path in sorted((directory / "fixtures").glob("*.yaml")) if with_fixtures else []:
        load_model(path, FixtureFile, sink)


def load_pack(directory: Path, sink: DiagnosticSink, tailoring: Path | None = None, with_fixtures: bool = True) -> CompiledPack | None:
    pack_path = directory / "pack.yaml"
    pack, pack_doc = load_model(pack_path, PackFile, sink)
    if pack is None or pack_doc is None:
        _check_files_alone(directory, sink, with_fixtures)
        return None
    nodes = {
        node.code: NodeInfo(node, depth, parent, pack_doc.locate(("catalogue",)))
        for node, depth, parent, _ in walk_catalogue(pack.catalogue)
    }
    _locate_nodes(pack_doc, pack.catalogue, ("catalogue",), nodes)
    rule_paths = sorted((directory / "rules").glob("*.yaml"))
    if not rule_paths:
        sink.error("R210", "测评体系没有任何规则文件", Location(str(directory / "rules")), "在 rules/ 子目录中添加 *.yaml 规则文件")
    rules: list[CompiledRule] = []
    for path in rule_paths:
        rule_file, doc = load_model(path, RuleFile, sink)
        if rule_file is not None and doc is not None:
            rules += compile_rules(pack, rule_file, doc, sink)
    compiled = CompiledPack(
        root=directory, file=pack, rules=rules, scope=scope_for(pack),
        content_hash=_hash_files([pack_path, *rule_paths]), nodes=nodes, rule_files=rule_paths, doc=pack_doc,
    )
    if with_fixtures:
        for path in sorted((directory / "fixtures").glob("*.yaml")):
            fixtures, doc = load_model(path, FixtureFile, sink)
            if fixtures is not None and doc is not None:
                compiled.cases += [
                    LoadedCase(case, doc.locate(("cases", i))) for i, case in enumerate(fixtures.cases)
                ]
    if tailoring is not None:
        from evaluator.tailor import apply_tailoring

        overlay, doc = load_model(tailoring, TailoringFile, sink)
        if overlay is not None and doc is not None:
            apply_tailoring(compiled, overlay.tailoring, doc, sink)
    return compiled


def load_pack_or_raise(spec: str | Path, tailoring: Path | None = None, with_fixtures: bool = False) -> CompiledPack:
    """For commands that evaluate: any error in the pack stops with exit 3 and all diagnostics."""
    from evaluator.lints import lint_pack

    sink = DiagnosticSink()
    pack = load_pack(resolve_pack_dir(spec), sink, tailoring, with_fixtures)
    if pack is not None:
        lint_pack(pack, sink, fixtures=False)
    if pack is None or sink.errors:
        raise RuleError(sink.errors or [Diagnostic("R000", "测评体系无法加载", Location(str(spec)))])
    return pack
