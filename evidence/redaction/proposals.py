"""What the engine would find, page by page, before anything is removed: for review.

Returns the matches with their text, in memory only; callers keep page, category, rank and the
boxes (where on the page, never what), never the text. PDF pages are read with the same
interpreter the removal uses, so a match proposed here is the match removed later. Pages the
removal rasterises (scans, Type3 fonts, glyphs without Unicode) are read by OCR here too, so
identifiers and near misses on them are proposed and reviewed like any other; when OCR is not
available such pages are listed as unreadable (and the removal will refuse the document).
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from . import ocr
from .cleaning import prepare_annotations
from .content import Interpreter, PageContent, Registry, page_text
from .detection import Match, Policy, Term, detect
from .engine import detect_format
from .geometry import Box, PageFrame
from .pdf import RASTER_DPI, line_boxes
from .result import RedactionError
from .scratch import scratch
from .text import decode_text


@dataclass(frozen=True, slots=True)
class Found:
    page: int | None
    match: Match
    text: str
    # Where the match is, in points from the visible page's top-left corner (as rendered).
    boxes: tuple[Box, ...] = ()

    def __repr__(self) -> str:
        return f"Found(page={self.page}, category={self.match.category!r}, <text>)"


@dataclass
class Findings:
    pages: int | None
    found: list[Found] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # read by OCR
    unreadable: list[int] = field(default_factory=list)  # needed OCR, and OCR is not available


def find(
    data: bytes, name: str, terms: Sequence[Term], policy: Policy, only: Collection[int] | None = None
) -> Findings:
    """Every match, in document order; ``only`` limits a PDF to some pages (numbers from 1)."""
    kind = detect_format(data, name)
    if kind == "pdf":
        with ocr.reuse():
            return _pdf(data, terms, policy, only)
    if kind in {"text", "csv", "eml"}:
        text = decode_text(data)
        return Findings(None, [Found(None, m, text[m.start : m.end]) for m in _ordered(detect(text, terms, policy))])
    return Findings(None)


def needs_ocr(content: PageContent) -> bool:
    """The removal rasterises this page whatever it finds: its text must come from OCR."""
    visible = any(not g.invisible and (g.text or "").strip() for g in content.glyphs)
    return content.unmappable or content.type3 or (not visible and content.image_area > 0)


def _pdf(data: bytes, terms: Sequence[Term], policy: Policy, only: Collection[int] | None) -> Findings:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise RedactionError(str(type(exc).__name__)) from exc
    with pdf, scratch() as tmp:
        findings = Findings(len(pdf.pages))
        prepare_annotations(pdf)
        interpreter = Interpreter(Registry(pdf))
        source = Path(tmp) / "original.pdf"
        source.write_bytes(data)
        for number, page in enumerate(pdf.pages, 1):
            if only is not None and number not in only:
                continue
            content, frame = interpreter.page(page), PageFrame.of(page)
            if not needs_ocr(content):
                findings.found.extend(_text_page(content, frame, number, terms, policy))
            elif ocr.available():
                findings.ocr_pages.append(number)
                findings.found.extend(_ocr_page(source, number, Path(tmp), terms, policy))
            else:
                findings.unreadable.append(number)
        return findings


def _text_page(
    content: PageContent, frame: PageFrame, number: int, terms: Sequence[Term], policy: Policy
) -> list[Found]:
    text, owners = page_text(content.glyphs)
    found = []
    for m in _ordered(detect(text, terms, policy)):
        glyphs = sorted({owners[i] for i in range(m.start, m.end) if owners[i] >= 0})
        boxes = tuple(frame.to_display(b) for b in line_boxes([content.glyphs[i] for i in glyphs]))
        found.append(Found(number, m, text[m.start : m.end], boxes))
    return found


def _ocr_page(source: Path, number: int, workdir: Path, terms: Sequence[Term], policy: Policy) -> list[Found]:
    words = ocr.words(ocr.render_pdf_page(source, number, RASTER_DPI, workdir), RASTER_DPI)
    text, _owners = ocr.words_text(words)
    matches, covered = ocr.match_words(words, terms, policy)
    scale = 72.0 / RASTER_DPI
    found = []
    for m, indexes in sorted(zip(matches, covered, strict=True), key=lambda pair: _key(pair[0])):
        boxes = tuple(_scaled(ocr.word_box(words[i]), scale) for i in sorted(indexes))
        found.append(Found(number, m, text[m.start : m.end], boxes))
    return found


def _scaled(box: tuple[int, int, int, int], scale: float) -> Box:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def _key(m: Match) -> tuple[int, int, str, str]:
    return (m.start, m.end, m.category, m.source)


def _ordered(matches: list[Match]) -> list[Match]:
    return sorted(matches, key=_key)
