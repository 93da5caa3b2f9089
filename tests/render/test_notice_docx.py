"""整改通知书.docx read back with python-docx: title, numbered problems, due dates, fonts, no-problem notice."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn

from evaluator.compiled import CompiledPack
from evaluator.render.batch_stats import chinese_date
from evaluator.render.notice_docx import PROBLEM_HEADERS, render_notice_docx
from schemas.result import RunReport, UnitResult

from .conftest import SCRIPT_NAME

ISSUER = "杭州市精神文明建设委员会办公室"
NOTICE_NO = "杭文明整改〔2025〕12号"
ISSUED = dt.date(2025, 1, 6)


def _unit(report: RunReport, unit_id: str) -> UnitResult:
    return next(u for u in report.units if u.unit.id == unit_id)


def _render(report: RunReport, unit: UnitResult, pack: CompiledPack) -> bytes:
    return render_notice_docx(report, unit, pack, issuer=ISSUER, notice_no=NOTICE_NO, issued_on=ISSUED)


def _open(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def _texts(doc: DocxDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


@pytest.fixture(scope="module")
def hospital(sample_report: RunReport) -> UnitResult:
    return _unit(sample_report, "DW-330105-014")


@pytest.fixture(scope="module")
def hospital_doc(sample_report: RunReport, hospital: UnitResult, wmdw_pack: CompiledPack) -> DocxDocument:
    return _open(_render(sample_report, hospital, wmdw_pack))


def test_heading_number_addressee_and_basis(hospital_doc: DocxDocument) -> None:
    texts = _texts(hospital_doc)
    assert texts[0] == "整改通知书"
    assert texts[1] == NOTICE_NO
    assert "某区人民医院：" in texts
    assert any(t.startswith("根据《全国文明单位测评体系》（2012试行）") for t in texts)
    headings = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、", "五、")]
    assert headings == ["一、测评情况", "二、存在问题及整改要求", "三、缺项材料", "四、整改及回复要求", "五、逾期后果"]


def test_numbered_problems_with_clause_and_due_dates(hospital_doc: DocxDocument, hospital: UnitResult) -> None:
    table = hospital_doc.tables[1]
    assert [c.text for c in table.rows[0].cells] == PROBLEM_HEADERS
    body = table.rows[1:]
    assert len(body) == len(hospital.rectifications)
    for index, (row, item) in enumerate(zip(body, hospital.rectifications, strict=True), start=1):
        cells = [c.text for c in row.cells]
        assert cells[0] == str(index)
        assert cells[1] == item.problem
        assert item.rule_id in cells[2] and item.title in cells[2]
        assert cells[3] == item.requirement and cells[4] == item.role
        assert cells[5] == f"{chinese_date(item.due)}前"
    first_due = dt.date.fromisoformat(hospital.rectifications[0].due)
    assert body[0].cells[5].text == f"{first_due.year}年{first_due.month}月{first_due.day}日前"


def test_unit_facts_reply_deadline_signature(hospital_doc: DocxDocument, hospital: UnitResult) -> None:
    facts = {row.cells[0].text: row.cells[1].text for row in hospital_doc.tables[0].rows[1:]}
    assert facts["责任单位（包保单位）"] == "区卫健局"
    assert facts["测评基准日"] == "2024年12月31日"
    assert facts["测评总分"].startswith(f"{hospital.total:g} 分")
    texts = _texts(hospital_doc)
    last_due = max(r.due for r in hospital.rectifications)
    assert any(f"请于{chinese_date(last_due)}前将整改报告报送{ISSUER}" in t and "对比照片" in t for t in texts)
    assert any("通报" in t and "扣分" in t and "约谈" in t for t in texts)
    assert texts.index(ISSUER) + 1 == texts.index("2025年1月6日")
    assert "抄送：区卫健局" in texts
    for item in hospital.deficiencies:
        assert any(item.name in t and item.rule_id in t for t in texts)


def test_every_run_sets_an_east_asian_font(hospital_doc: DocxDocument) -> None:
    runs = hospital_doc.element.body.iter(qn("w:r"))
    fonts = set()
    for run in runs:
        rfonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        fonts.add(rfonts.get(qn("w:eastAsia")))
    assert fonts <= {"宋体", "仿宋", "黑体"} and "仿宋" in fonts
    normal = hospital_doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    title_run = hospital_doc.paragraphs[0].runs[0]
    assert title_run.bold and title_run.font.size.pt == 22


def test_no_problem_unit_gets_short_notice(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    strong = _unit(sample_report, "DW-330102-001")
    assert not strong.rectifications and not strong.deficiencies
    doc = _open(_render(sample_report, strong, wmdw_pack))
    joined = "\n".join(_texts(doc))
    assert "无需整改" in joined and not doc.tables
    assert "二、存在问题" not in joined


def test_veto_is_stated(sample_report: RunReport, wmdw_pack: CompiledPack) -> None:
    weak = _unit(sample_report, "DW-330110-207")
    texts = _texts(_open(_render(sample_report, weak, wmdw_pack)))
    assert any(t.startswith("否决情况：") and "取消资格" in t for t in texts)


def test_hostile_text_is_escaped(tied_report: RunReport, wmdw_pack: CompiledPack) -> None:
    unit = next(u for u in tied_report.units if u.unit.name == SCRIPT_NAME)
    doc = _open(_render(tied_report, unit, wmdw_pack))
    assert f"{SCRIPT_NAME}：" in _texts(doc)


def test_deterministic_bytes_and_properties(sample_report: RunReport, hospital: UnitResult, wmdw_pack: CompiledPack) -> None:
    first = _render(sample_report, hospital, wmdw_pack)
    assert first == _render(sample_report, hospital, wmdw_pack)
    props = _open(first).core_properties
    assert props.created.date() == ISSUED and props.modified == props.created
    assert props.author == ISSUER
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {(1980, 1, 1, 0, 0, 0)}
