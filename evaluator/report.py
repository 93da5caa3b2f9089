"""Assemble a ``RunReport`` (the canonical, versioned result) from unit results."""

from __future__ import annotations

import datetime as dt

from evaluator.compiled import CompiledPack
from evaluator.rollup import formula_text
from schemas.result import PackRef, RunReport, UnitResult


def run_report(pack: CompiledPack, units: list[UnitResult], as_of: dt.date | None, rejected: list[dict[str, str]] | None = None) -> RunReport:
    dates = sorted({u.as_of for u in units})
    shown = as_of.isoformat() if as_of else ("、".join(dates) if dates else "")
    return RunReport(
        pack=PackRef(id=pack.meta.id, title=pack.meta.title, edition=pack.meta.edition, content_hash=pack.content_hash,
                     tailoring=pack.tailoring.id if pack.tailoring else None),
        as_of=shown, formula=formula_text(pack), units=units, rejected=rejected or [],
    )


def report_json(report: RunReport) -> str:
    return report.model_dump_json(indent=2) + "\n"
