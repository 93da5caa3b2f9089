"""Per-unit files of a batch — ``<单位编号>/自评报告.md`` and ``<单位编号>/整改通知书.docx`` — rendered in the
workers. Each worker reads its units' lines from the sorted results.jsonl (by offset), so the parent sends only
offsets and the renders run in parallel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from evaluator.batch.runner import state
from schemas.result import PackRef, RunReport, UnitResult

REPORT_MD = "自评报告.md"
NOTICE_DOCX = "整改通知书.docx"


@dataclass(frozen=True)
class NoticeSettings:
    issuer: str
    prefix: str
    issued_on: dt.date | None  # None: each unit's own as-of date


@dataclass(frozen=True)
class RenderTask:
    unit_id: str
    offset: int
    length: int
    serial: int  # 1-based position in unit-id order: the notice number


@dataclass(frozen=True)
class RenderChunk:
    results: str
    outdir: str
    pack: PackRef
    as_of: str
    formula: str
    notice: NoticeSettings
    tasks: list[RenderTask]


def notice_number(prefix: str, year: int, serial: int) -> str:
    """文号 such as 整改通知〔2024〕007号 (serial in unit-id order, so it is stable across runs)."""
    return f"{prefix}〔{year}〕{serial:03d}号"


def render_chunk(chunk: RenderChunk) -> int:
    from evaluator.render.markdown import render_unit_md
    from evaluator.render.notice_docx import render_notice_docx

    pack = state().pack
    with Path(chunk.results).open("rb") as handle:
        for task in chunk.tasks:
            handle.seek(task.offset)
            unit = UnitResult.model_validate_json(handle.read(task.length))
            report = RunReport(pack=chunk.pack, as_of=chunk.as_of, formula=chunk.formula, units=[unit])
            folder = Path(chunk.outdir) / unit.unit.id
            folder.mkdir(parents=True, exist_ok=True)
            (folder / REPORT_MD).write_text(render_unit_md(report, unit), encoding="utf-8")
            issued = chunk.notice.issued_on or dt.date.fromisoformat(unit.as_of)
            docx = render_notice_docx(report, unit, pack, issuer=chunk.notice.issuer,
                                      notice_no=notice_number(chunk.notice.prefix, issued.year, task.serial), issued_on=issued)
            (folder / NOTICE_DOCX).write_bytes(docx)
    return len(chunk.tasks)
