"""Outcome and failure types shared by every format. Nothing here ever holds redacted text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


class RedactionError(Exception):
    """Redaction could not produce a releasable output. ``message`` names no identifier."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedFormat(RedactionError):
    pass


class ManualReviewRequired(RedactionError):
    """Part of the input cannot be searched automatically (e.g. a scan without OCR)."""


@dataclass(frozen=True, slots=True)
class Leak:
    category: str
    location: str  # e.g. "page 3 text (pdftotext)", "bytes after decompression", "header Subject"


class LeakDetected(RedactionError):
    def __init__(self, leaks: list[Leak]) -> None:
        self.leaks = leaks
        where = "; ".join(f"{leak.category} in {leak.location}" for leak in leaks[:20])
        super().__init__(str(_("Verification failed, identifiers remain: %(where)s") % {"where": where}))


@dataclass
class Report:
    """What was removed and where, by category: counts only, never the text."""

    format: str
    pages: int | None = None
    removed: Counter[tuple[str, int | None]] = field(default_factory=Counter)
    proposed: Counter[tuple[str, int | None]] = field(default_factory=Counter)
    rasterised_pages: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verified: bool = False

    def add(self, category: str, page: int | None, applied: bool, count: int = 1) -> None:
        (self.removed if applied else self.proposed)[(category, page)] += count

    def merge(self, other: Report, page: int | None = None) -> None:
        for (category, p), n in other.removed.items():
            self.removed[(category, page if page is not None else p)] += n
        for (category, p), n in other.proposed.items():
            self.proposed[(category, page if page is not None else p)] += n
        self.notes.extend(other.notes)

    def as_dict(self) -> dict[str, Any]:
        def rows(counter: Counter[tuple[str, int | None]]) -> list[dict[str, Any]]:
            return [
                {"category": c, "page": p, "count": n}
                for (c, p), n in sorted(counter.items(), key=lambda kv: (kv[0][1] or 0, kv[0][0]))
            ]

        by_category: Counter[str] = Counter()
        for (category, _page), n in self.removed.items():
            by_category[category] += n
        return {
            "format": self.format,
            "pages": self.pages,
            "verified": self.verified,
            "removed_total": sum(self.removed.values()),
            "removed_by_category": dict(sorted(by_category.items())),
            "removed": rows(self.removed),
            "proposed_for_review": rows(self.proposed),
            "rasterised_pages": self.rasterised_pages,
            "notes": self.notes,
        }


@dataclass
class Outcome:
    data: bytes
    report: Report
