"""What the parent keeps while a batch runs: where each result line is (the ``LineStore``), rejected units, warnings,
duplicates — not the results themselves, which stay on disk (a province's results would not fit in memory) and
are read back one at a time: for the peer averages here, and for the whole-batch reports (``BatchDigest``).

Every item of the input stream has a sequence number (its place in the input). Problems are kept with it, so
``--strict`` can report the first bad unit in input order — the same one whatever ``--jobs`` is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from evaluator.batch.disagreements import FALLBACK_CODE
from evaluator.batch.outputs import LineStore
from evaluator.batch.runner import Outcome
from evaluator.batch.sources import Job
from evaluator.batch.tables import Notice, Rejection
from evaluator.errors import Diagnostic, Location
from schemas.result import UnitResult


def slim(result: UnitResult) -> UnitResult:
    """A result without each rule's ``checks`` (the step-by-step explanation), which the whole-batch reports
    (汇总.xlsx, report.html, summary.json) do not show: they must come out the same with or without them."""
    for rule in result.rules:
        rule.checks = []
    return result


@dataclass
class Rejected:
    seq: int
    source: str
    unit_id: str
    name: str
    diagnostics: list[Diagnostic]

    def as_entry(self) -> dict[str, str]:
        errors = [d for d in self.diagnostics if d.severity == "error"] or self.diagnostics
        return {"unit": self.unit_id, "name": self.name, "source": str(errors[0].location) if errors else self.source,
                "code": errors[0].code if errors else "", "message": "\n".join(d.one_line() for d in errors)}


@dataclass
class Collector:
    store: LineStore
    sources: dict[str, str] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    redo: dict[str, Job] = field(default_factory=dict)
    processed_upto: int = -1

    def source_item(self, seq: int, item: Rejection | Notice) -> None:
        if isinstance(item, Notice):
            self.warnings.append(item.diagnostic)
        else:
            self.rejected.append(Rejected(seq, item.source, item.unit_id, "", item.diagnostics))

    def outcome(self, seq: int, job: Job, outcome: Outcome) -> None:
        self.processed_upto = max(self.processed_upto, seq)
        self.warnings += [d for d in outcome.diagnostics if d.severity == "warning"]
        if outcome.result_json is None and not any(d.severity == "error" for d in outcome.diagnostics):
            return  # nothing to score (a skipped lock file): its notice is kept above
        if outcome.result_json is None:
            self.rejected.append(Rejected(seq, outcome.source, outcome.unit_id, outcome.name, outcome.diagnostics))
            return
        problem = self._id_problem(outcome)
        if problem is not None:
            self.rejected.append(Rejected(seq, outcome.source, outcome.unit_id, outcome.name, [problem]))
            return
        self.sources[outcome.unit_id] = outcome.source
        self.store.put(outcome.unit_id, outcome.result_json)
        if outcome.substitutable:
            self.redo[outcome.unit_id] = job

    def replace(self, outcome: Outcome) -> None:
        """A unit scored again with peer averages. Its data warnings were kept on the first pass; only what is new to
        this pass — an engine that failed and handed the chunk to the reference (W502) — is added."""
        assert outcome.result_json is not None
        self.store.put(outcome.unit_id, outcome.result_json)
        self.warnings += [d for d in outcome.diagnostics if d.code == FALLBACK_CODE]

    def stored_results(self) -> Iterator[UnitResult]:
        """Every scored unit's result in arrival (input) order, read back from the store one at a time."""
        for unit_id in list(self.store.index):
            yield UnitResult.model_validate_json(self.store.get(unit_id))

    @property
    def unit_count(self) -> int:
        return len(self.store.index)

    def _id_problem(self, outcome: Outcome) -> Diagnostic | None:
        loc = Location(outcome.source)
        if outcome.unit_id in self.sources:
            return Diagnostic("D209", f"单位编号 '{outcome.unit_id}' 重复（已在 {self.sources[outcome.unit_id]} 中出现），后出现的未评分", loc,
                              "error", "每个单位的编号必须唯一")
        if outcome.unit_id.startswith("."):
            return Diagnostic("D214", f"单位编号 '{outcome.unit_id}' 不能以 . 开头（会成为隐藏文件夹）", loc, "error", "改用字母或数字开头的编号")
        return None

    def first_error(self, final: bool) -> Rejected | None:
        """The earliest rejected item in input order, once every item before it has been processed."""
        if not self.rejected:
            return None
        first = min(self.rejected, key=lambda r: r.seq)
        return first if final or first.seq <= self.processed_upto else None

    def rejected_entries(self) -> list[dict[str, str]]:
        return [r.as_entry() for r in sorted(self.rejected, key=lambda r: r.seq)]

    def warning_dicts(self) -> list[dict[str, Any]]:
        unique = {(str(d.location), d.code, d.message): d for d in self.warnings}
        return [unique[k].as_dict() for k in sorted(unique)]
