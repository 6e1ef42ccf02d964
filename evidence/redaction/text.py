"""Plain text and CSV redaction."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from .detection import Match, Policy, Term, applied_spans, detect
from .result import Outcome, Report, UnsupportedFormat

REPLACEMENT = "[redacted]"


def redact_string(text: str, terms: Sequence[Term], policy: Policy) -> tuple[str, list[Match]]:
    """``text`` with every applied match replaced, and all matches (proposals included)."""
    matches = detect(text, terms, policy)
    spans = applied_spans(matches)
    if not spans:
        return text, matches
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(text[position:start])
        parts.append(REPLACEMENT)
        position = end
    parts.append(text[position:])
    return "".join(parts), matches


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        return text
    if b"\x00" in data:
        raise UnsupportedFormat(_("The file is not text in a known encoding."))
    return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def count(report: Report, matches: Sequence[Match], page: int | None = None) -> None:
    for match in matches:
        report.add(match.category, page, match.applied)


def redact_plain(data: bytes, terms: Sequence[Term], policy: Policy) -> Outcome:
    text = decode_text(data)
    redacted, matches = redact_string(text, terms, policy)
    report = Report(format="text")
    count(report, matches)
    return Outcome(redacted.encode("utf-8"), report)


def redact_csv(data: bytes, terms: Sequence[Term], policy: Policy) -> Outcome:
    """Cell by cell, so a replacement never shifts columns."""
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    report = Report(format="csv")
    out = io.StringIO()
    writer = csv.writer(out, dialect=dialect, lineterminator="\n")
    for row_number, row in enumerate(csv.reader(io.StringIO(text), dialect=dialect), start=1):
        cells = []
        for cell in row:
            redacted, matches = redact_string(cell, terms, policy)
            count(report, matches, row_number)
            cells.append(redacted)
        writer.writerow(cells)
    return Outcome(out.getvalue().encode("utf-8"), report)
