"""Contracts only: pydantic models for packs, rules, units, waivers, tailoring, fixtures and results."""

from schemas.fixture import Case, Expect, FixtureFile
from schemas.pack import CatalogueNode, EvidenceKind, FieldDef, PackFile, PackMeta
from schemas.result import RuleResult, RunReport, UnitResult
from schemas.rule import Rule, RuleFile
from schemas.tailoring import Tailoring, TailoringFile
from schemas.unit import Unit, Waiver, WaiverFile

__all__ = [
    "Case", "CatalogueNode", "EvidenceKind", "Expect", "FieldDef", "FixtureFile", "PackFile", "PackMeta",
    "Rule", "RuleFile", "RuleResult", "RunReport", "Tailoring", "TailoringFile", "Unit", "UnitResult",
    "Waiver", "WaiverFile",
]
