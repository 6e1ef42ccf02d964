"""One entry point for every format: detect the type, redact, verify, and only then release."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pikepdf
from django.utils.translation import gettext as _

from . import eml, images, ocr
from .detection import Policy, Term
from .geometry import Area
from .pdf import redact_pdf
from .result import Leak, LeakDetected, Outcome, RedactionError, UnsupportedFormat
from .scratch import scratch
from .text import decode_text, redact_csv, redact_plain
from .verify import Checker, byte_scan, verify_pdf

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")
_TEXT_SUFFIXES = {".txt", ".text", ".md"}
_CSV_SUFFIXES = {".csv", ".tsv"}
_EML_SUFFIXES = {".eml"}


def detect_format(data: bytes, name: str) -> str:
    suffix = Path(name).suffix.lower()
    if data.lstrip()[:5] == b"%PDF-" or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    if suffix in _EML_SUFFIXES:
        return "eml"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _TEXT_SUFFIXES:
        return "text"
    raise UnsupportedFormat(
        _("This type of file cannot be redacted (supported: PDF, PNG/JPEG/TIFF/GIF images, text, CSV, .eml).")
    )


def redact_bytes(
    data: bytes, name: str, terms: Sequence[Term], policy: Policy | None = None, areas: Sequence[Area] = ()
) -> Outcome:
    """Redact and verify. Raises a RedactionError (nothing released) on any failure.

    ``areas`` are rectangles drawn by hand on PDF pages: everything under them is removed.
    """
    policy = policy or Policy()
    kind = detect_format(data, name)
    if areas and kind != "pdf":
        raise RedactionError(_("Areas can be drawn on PDF pages only."))
    with ocr.reuse():
        outcome = redact_pdf(data, terms, policy, areas) if kind == "pdf" else _redact(kind, data, terms, policy)
        leaks = verify(kind, outcome.data, terms, policy)
    if kind == "pdf":
        leaks += _page_count(data, outcome.data)
    if leaks:
        raise LeakDetected(leaks)
    outcome.report.verified = True
    return outcome


def _redact(kind: str, data: bytes, terms: Sequence[Term], policy: Policy) -> Outcome:
    if kind == "pdf":
        return redact_pdf(data, terms, policy)
    if kind == "image":
        return images.redact_image(data, terms, policy)
    if kind == "csv":
        return redact_csv(data, terms, policy)
    if kind == "text":
        return redact_plain(data, terms, policy)
    return eml.redact_eml(data, terms, policy, lambda blob, filename: redact_bytes(blob, filename, terms, policy))


def verify(kind: str, data: bytes, terms: Sequence[Term], policy: Policy) -> list[Leak]:
    checker = Checker(terms, policy)
    if kind == "pdf":
        return verify_pdf(data, checker)
    if kind == "image":
        leaks = images.image_metadata_leaks(data)
        with scratch() as tmp:
            path = Path(tmp) / "check.png"
            images.open_image(data).convert("RGB").save(path)
            text, _owners = ocr.words_text(ocr.words(path))
        return leaks + checker.text(text, "image text (OCR)")
    if kind in ("csv", "text"):
        return checker.text(decode_text(data), "text")
    leaks = byte_scan(data, checker, "message bytes")
    for location, text in eml.message_texts(data):
        leaks += checker.text(text, location, patterns=location.endswith("body"))
    for location, blob, filename in eml.attachments(data):
        inner = detect_format(blob, filename)
        leaks += [Leak(leak.category, f"{location}: {leak.location}") for leak in verify(inner, blob, terms, policy)]
    return leaks


def _page_count(before: bytes, after: bytes) -> list[Leak]:
    with pikepdf.open(io.BytesIO(before)) as a, pikepdf.open(io.BytesIO(after)) as b:
        if len(a.pages) != len(b.pages):
            return [Leak("structure", "page count changed")]
    return []


def redact_file(source: Path, target: Path, terms: Sequence[Term], policy: Policy | None = None) -> Outcome:
    """Redact ``source`` to ``target`` atomically: the target exists only if verified."""
    data = source.read_bytes()
    outcome = redact_bytes(data, source.name, terms, policy)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".redacting-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(outcome.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return outcome


__all__ = ["RedactionError", "detect_format", "redact_bytes", "redact_file", "verify"]
