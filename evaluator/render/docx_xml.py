"""A small WordprocessingML writer for Chinese official documents (公文-like), on a python-docx skeleton.

Why not python-docx's object API for every notice: a batch may issue 10,000 整改通知书. Loading python-docx's
default template (800 KB of styles), building tables cell by cell and saving costs about 100 ms a document on a
modest machine. Here python-docx builds the package skeleton once per process (styles with CJK defaults, page
setup, the page-number footer); each notice then only renders ``word/document.xml`` and ``docProps/core.xml`` as
text and zips them with the cached skeleton parts, using fixed timestamps — a few milliseconds, byte-stable.

Why the font attributes: Word picks the font for Chinese characters from ``w:rFonts/@w:eastAsia``; every run sets
ascii/hAnsi/cs (Times New Roman for digits and Latin) and eastAsia (宋体/仿宋/黑体) explicitly, and the Normal
style carries the same defaults, so Word and WPS show the intended faces.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree

from evaluator.render.ooxml import FIXED_ZIP_TIME

LATIN_FONT = "Times New Roman"
TITLE_FONT = "宋体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_SIZE = 44          # half-points: 二号 22 pt
BODY_SIZE = 32           # 三号 16 pt
TABLE_SIZE = 21          # 五号 10.5 pt
LINE_TWIPS = 560         # fixed 28 pt lines
INDENT_TWIPS = 640       # two 三号 characters
CM_TWIPS = 567

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DOCUMENT_PART = "word/document.xml"
CORE_PART = "docProps/core.xml"


def text_xml(value: str) -> str:
    """Escape text for XML, dropping characters XML 1.0 cannot carry (they would corrupt the document)."""
    return escape(_INVALID_XML.sub("", value))


def attr_xml(value: str) -> str:
    return quoteattr(_INVALID_XML.sub("", value))


def run(text: str, font: str = BODY_FONT, size: int = BODY_SIZE, bold: bool = False) -> str:
    fonts = f'<w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" w:eastAsia="{font}" w:cs="{LATIN_FONT}"/>'
    weight = "<w:b/><w:bCs/>" if bold else ""
    return (f'<w:r><w:rPr>{fonts}{weight}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
            f'<w:t xml:space="preserve">{text_xml(text)}</w:t></w:r>')


@dataclass(frozen=True)
class Para:
    """Paragraph layout: alignment, first-line and right indents (twips), and line spacing."""

    align: str | None = None
    first_line: int = 0
    right: int = 0
    compact: bool = False
    space_before: int = 0
    keep_next: bool = False

    def ppr(self) -> str:
        keep = "<w:keepNext/>" if self.keep_next else ""
        spacing = ""
        if self.compact:
            spacing = '<w:spacing w:before="0" w:after="0" w:line="300" w:lineRule="auto"/>'
        elif self.space_before:
            spacing = f'<w:spacing w:before="{self.space_before}"/>'
        indent = ""
        if self.first_line or self.right:
            indent = f'<w:ind w:right="{self.right}" w:firstLine="{self.first_line}"/>'
        align = f'<w:jc w:val="{self.align}"/>' if self.align else ""
        inner = keep + spacing + indent + align
        return f"<w:pPr>{inner}</w:pPr>" if inner else ""


BODY = Para(first_line=INDENT_TWIPS)
BODY_KEEP = Para(first_line=INDENT_TWIPS, keep_next=True)
HEADING = Para(first_line=INDENT_TWIPS, space_before=160, keep_next=True)
FLUSH = Para()
CENTER = Para(align="center")
RIGHT = Para(align="right", right=INDENT_TWIPS * 2)


def paragraph(runs: str = "", layout: Para = FLUSH) -> str:
    return f"<w:p>{layout.ppr()}{runs}</w:p>"


def body(text: str, prefix: str = "", layout: Para = BODY) -> str:
    """A body paragraph (仿宋 三号, 首行缩进两字); ``prefix`` in 黑体 (e.g. “否决情况：”)."""
    return paragraph((run(prefix, HEADING_FONT) if prefix else "") + run(text), layout)


def heading(text: str) -> str:
    return paragraph(run(text, HEADING_FONT), HEADING)


def _cell(text: str, width: int, header: bool, center: bool) -> str:
    shading = '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>' if header else ""
    layout = Para(align="center" if center or header else None, compact=True)
    font = HEADING_FONT if header else BODY_FONT
    paragraphs = "".join(paragraph(run(line, font, TABLE_SIZE), layout) for line in text.split("\n"))
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shading}<w:vAlign w:val="center"/></w:tcPr>'
            f"{paragraphs}</w:tc>")


def table(headers: list[str], rows: list[list[str]], widths_cm: list[float], center_columns: frozenset[int] = frozenset()) -> str:
    """A bordered table (“Table Grid”), fixed layout, centered, with a shaded header row repeated on each page."""
    widths = [round(w * CM_TWIPS) for w in widths_cm]
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    head = "".join(_cell(h, w, True, True) for h, w in zip(headers, widths, strict=True))
    parts = [f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
             f'<w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
             f'w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
             f"<w:tblGrid>{grid}</w:tblGrid>",
             f'<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{head}</w:tr>']
    for row in rows:
        cells = "".join(_cell(v, w, False, i in center_columns) for i, (v, w) in enumerate(zip(row, widths, strict=True)))
        parts.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{cells}</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


@dataclass(frozen=True)
class Skeleton:
    """The package parts shared by every document, plus the section properties that close ``w:body``."""

    parts: tuple[tuple[str, bytes], ...]
    document_head: str
    sect_pr: str


def _page_number_footer(section: object) -> None:
    """Centered “— 1 —” page numbers (a PAGE field), as in printed 公文."""
    para = section.footer.paragraphs[0]  # type: ignore[attr-defined]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("— ").font.size = Pt(14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    inner = OxmlElement("w:r")
    label = OxmlElement("w:t")
    label.text = "1"
    inner.append(label)
    field.append(inner)
    para._p.append(field)
    para.add_run(" —").font.size = Pt(14)


def _set_style_fonts(style: object) -> None:
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot, name in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:eastAsia", BODY_FONT), ("w:cs", LATIN_FONT)):
        fonts.set(qn(slot), name)


@functools.lru_cache(maxsize=1)
def skeleton() -> Skeleton:
    """Build the shared package once: Normal style 仿宋 三号 with fixed 28 pt lines, A4 page, footer page numbers."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE / 2)
    _set_style_fonts(normal)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_TWIPS / 20)
    fmt.space_before = fmt.space_after = Pt(0)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.6)
    section.left_margin = section.right_margin = Cm(1.9)
    _page_number_footer(section)
    buffer = io.BytesIO()
    doc.save(buffer)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    parts = tuple((i.filename, archive.read(i.filename)) for i in archive.infolist()
                  if i.filename not in (DOCUMENT_PART, CORE_PART))
    sect = doc.element.body.sectPr
    sect_pr = etree.tostring(sect, encoding="unicode")
    root = etree.fromstring(archive.read(DOCUMENT_PART))
    namespaces = "".join(f' xmlns:{k}="{v}"' for k, v in sorted(root.nsmap.items()) if k)
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document{namespaces}><w:body>'
    return Skeleton(parts, head, re.sub(r' xmlns:\w+="[^"]*"', "", sect_pr))


def core_xml(title: str, subject: str, author: str, keywords: str, comments: str, stamp: dt.date) -> str:
    when = f"{stamp.isoformat()}T00:00:00Z"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{text_xml(title)}</dc:title><dc:subject>{text_xml(subject)}</dc:subject>"
            f"<dc:creator>{text_xml(author)}</dc:creator><cp:keywords>{text_xml(keywords)}</cp:keywords>"
            f"<dc:description>{text_xml(comments)}</dc:description><cp:lastModifiedBy>{text_xml(author)}</cp:lastModifiedBy>"
            f'<cp:revision>1</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>')


def package(body_xml: str, core: str) -> bytes:
    """Zip the skeleton parts with this document's body and core properties (fixed timestamps, original order)."""
    shell = skeleton()
    document = f"{shell.document_head}{body_xml}{shell.sect_pr}</w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _ordered(shell.parts, document.encode("utf-8"), core.encode("utf-8")):
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            archive.writestr(entry, data, compresslevel=1)
    return out.getvalue()


def _ordered(parts: tuple[tuple[str, bytes], ...], document: bytes, core: bytes) -> list[tuple[str, bytes]]:
    """``[Content_Types].xml`` first (some readers insist), then the rest of the skeleton, document and core last."""
    return [*parts, (DOCUMENT_PART, document), (CORE_PART, core)]
