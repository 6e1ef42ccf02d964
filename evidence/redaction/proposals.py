"""What the engine would find, page by page, before anything is removed: for review.

Returns the matches with their text, in memory only; callers keep page, category and rank,
never the text. PDF pages are read with the same interpreter the removal uses, so a match
proposed here is the match removed later. Pages with no mappable text (scans, Type3) yield
nothing here: the removal still finds identifiers on them by OCR.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf

from .cleaning import prepare_annotations
from .content import Interpreter, Registry, page_text
from .detection import Match, Policy, Term, detect
from .engine import detect_format
from .result import RedactionError
from .text import decode_text


@dataclass(frozen=True, slots=True)
class Found:
    page: int | None
    match: Match
    text: str

    def __repr__(self) -> str:
        return f"Found(page={self.page}, category={self.match.category!r}, <text>)"


def find(data: bytes, name: str, terms: Sequence[Term], policy: Policy) -> tuple[int | None, list[Found]]:
    """The page count (None for formats without pages) and every match, in document order."""
    kind = detect_format(data, name)
    if kind == "pdf":
        return _pdf(data, terms, policy)
    if kind in {"text", "csv", "eml"}:
        text = decode_text(data)
        return None, [Found(None, m, text[m.start : m.end]) for m in _ordered(detect(text, terms, policy))]
    return None, []


def _pdf(data: bytes, terms: Sequence[Term], policy: Policy) -> tuple[int, list[Found]]:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise RedactionError(str(type(exc).__name__)) from exc
    found: list[Found] = []
    with pdf:
        prepare_annotations(pdf)
        interpreter = Interpreter(Registry(pdf))
        for number, page in enumerate(pdf.pages, 1):
            text, _owners = page_text(interpreter.page(page).glyphs)
            found.extend(Found(number, m, text[m.start : m.end]) for m in _ordered(detect(text, terms, policy)))
        return len(pdf.pages), found


def _ordered(matches: list[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (m.start, m.end, m.category, m.source))
