"""Re-reading every output before release.

An output is released only when none of the identifiers (normalised matching) and none of the
applied patterns can be found in it by any of the readers below. Failures name the category and
the place, never the value.
"""

from __future__ import annotations

import contextvars
import io
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer

from . import ocr
from .content import Interpreter, Registry, page_text
from .detection import Policy, Term, find_patterns, leak_categories, term_keys
from .pdf import MIN_IMAGE_AREA, RASTER_DPI
from .result import Leak
from .scratch import scratch

TOOL_TIMEOUT = 300
_HEX_STRING = re.compile(rb"<([0-9A-Fa-f\s]{4,})>")


class Checker:
    """Finds identifiers and applied patterns in text; returns categories only."""

    def __init__(self, terms: Sequence[Term], policy: Policy) -> None:
        self.keys = term_keys(terms)
        self.policy = policy

    def text(self, text: str, location: str, patterns: bool = True) -> list[Leak]:
        found = set(leak_categories(text, self.keys))
        if patterns:
            found |= {m.category for m in find_patterns(text, self.policy) if m.applied}
        return [Leak(category, location) for category in sorted(found)]


def verify_pdf(data: bytes, checker: Checker) -> list[Leak]:
    leaks, image_pages = _structure(data, checker)
    # OCR of the rendered pages is the slowest reader and runs in tesseract: overlap it with the others.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rendered = pool.submit(contextvars.copy_context().run, _rendered_images, data, image_pages, checker)
        leaks += _pdfminer(data, checker)
        leaks += _pdftotext(data, checker)
        leaks += _decompressed_bytes(data, checker)
        leaks += rendered.result()
    return _unique(leaks)


def _structure(data: bytes, checker: Checker) -> tuple[list[Leak], list[int]]:
    """The engine's own reading of every page, metadata and string objects; and the pages showing images."""
    leaks: list[Leak] = []
    image_pages: list[int] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        registry = Registry(pdf)
        interpreter = Interpreter(registry)
        for number, page in enumerate(pdf.pages, 1):
            content = interpreter.page(page)
            text, _owners = page_text(content.glyphs)
            leaks += checker.text(text, f"page {number} text (content streams)")
            if content.image_area >= MIN_IMAGE_AREA:
                image_pages.append(number)
        leaks += _metadata(pdf, checker)
        leaks += _object_strings(pdf, checker)
    return leaks, image_pages


def _rendered_images(data: bytes, pages: list[int], checker: Checker) -> list[Leak]:
    """OCR of the rendered pages that show images: what a reader of the printed page would see."""
    if not pages:
        return []
    if not ocr.available():
        return [Leak("unverified", f"page {n} images (OCR not available)") for n in pages]
    leaks: list[Leak] = []
    with scratch() as tmp:
        source = Path(tmp) / "out.pdf"
        source.write_bytes(data)
        for number in pages:
            image_path = ocr.render_pdf_page(source, number, RASTER_DPI, Path(tmp))
            text, _owners = ocr.words_text(ocr.words(image_path, RASTER_DPI))
            leaks += checker.text(text, f"page {number} rendered (OCR)", patterns=False)
    return leaks


def _unique(leaks: list[Leak]) -> list[Leak]:
    return list(dict.fromkeys(leaks))


def _metadata(pdf: pikepdf.Pdf, checker: Checker) -> list[Leak]:
    leaks: list[Leak] = []
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        for key, value in info.items():
            leaks += checker.text(str(value), f"document info {key}", patterns=False)
    if "/Metadata" in pdf.Root:
        xmp = bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8", "replace")
        leaks += checker.text(xmp, "XMP metadata", patterns=False)
    return leaks


def _object_strings(pdf: pikepdf.Pdf, checker: Checker) -> list[Leak]:
    strings: list[str] = []

    def walk(obj: pikepdf.Object, depth: int = 0) -> None:
        if depth > 50:
            return
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.String):
            strings.append(str(obj))
        elif isinstance(obj, pikepdf.Dictionary):
            for value in obj.values():
                if not getattr(value, "is_indirect", False):
                    walk(value, depth + 1)
        elif isinstance(obj, pikepdf.Array):
            for value in obj:
                if not getattr(value, "is_indirect", False):
                    walk(value, depth + 1)

    for obj in pdf.objects:
        walk(obj)
    return checker.text("\n".join(strings), "string objects", patterns=False)


def _pdfminer(data: bytes, checker: Checker) -> list[Leak]:
    leaks: list[Leak] = []
    for number, layout in enumerate(extract_pages(io.BytesIO(data)), 1):
        text = "\n".join(e.get_text() for e in layout if isinstance(e, LTTextContainer))
        leaks += checker.text(text, f"page {number} text (pdfminer)")
    return leaks


def _pdftotext(data: bytes, checker: Checker) -> list[Leak]:
    if shutil.which("pdftotext") is None:
        return []
    with scratch() as tmp:
        source = Path(tmp) / "out.pdf"
        source.write_bytes(data)
        result = subprocess.run(  # noqa: S603
            [shutil.which("pdftotext") or "pdftotext", "-enc", "UTF-8", str(source), "-"],
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    leaks: list[Leak] = []
    for number, text in enumerate(result.stdout.decode("utf-8", "replace").split("\f"), 1):
        leaks += checker.text(text, f"page {number} text (pdftotext)")
    return leaks


def decompressed(data: bytes) -> bytes:
    """The file with every stream decompressed and no object streams (qpdf's QDF form)."""
    with scratch() as tmp:
        source, target = Path(tmp) / "in.pdf", Path(tmp) / "qdf.pdf"
        source.write_bytes(data)
        if shutil.which("qpdf"):
            subprocess.run(  # noqa: S603
                [shutil.which("qpdf") or "qpdf", "--qdf", "--object-streams=disable", str(source), str(target)],
                capture_output=True,
                timeout=TOOL_TIMEOUT,
                check=False,
            )
        if not target.exists():
            with pikepdf.open(source) as pdf:
                pdf.save(target, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
        return target.read_bytes()


_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)


def without_raw_pixels(raw: bytes) -> bytes:
    """The QDF file minus decoded image pixel data, which holds no text and is slow to scan.

    Images still under a filter qpdf cannot decode (JPEG, JPEG 2000) are kept: their bytes can carry
    EXIF or XMP.
    """
    parts: list[bytes] = []
    position = 0
    for match in _STREAM.finditer(raw):
        header = raw[max(raw.rfind(b" obj", 0, match.start()), 0) : match.start()]
        if b"/Subtype /Image" in header and b"/Filter" not in header:
            parts.append(raw[position : match.start(1)])
            position = match.end(1)
    parts.append(raw[position:])
    return b"".join(parts)


def _decompressed_bytes(data: bytes, checker: Checker) -> list[Leak]:
    raw = without_raw_pixels(decompressed(data))
    leaks = byte_scan(raw, checker, "bytes after decompression")
    for match in _HEX_STRING.finditer(raw):
        digits = re.sub(rb"\s", b"", match.group(1))
        blob = bytes.fromhex(digits[: len(digits) // 2 * 2].decode("ascii"))
        for decoded in (blob.decode("utf-16-be", "ignore"), blob.decode("latin-1")):
            leaks += checker.text(decoded, "hex strings after decompression", patterns=False)
    return leaks


def byte_scan(raw: bytes, checker: Checker, location: str) -> list[Leak]:
    decodings: list[Callable[[bytes], str]] = [
        lambda b: b.decode("latin-1"),
        lambda b: b.decode("utf-8", "ignore"),
        lambda b: b.decode("utf-16-be", "ignore"),
        lambda b: b[1:].decode("utf-16-be", "ignore"),
    ]
    leaks: list[Leak] = []
    for decode in decodings:
        leaks += checker.text(decode(raw), location, patterns=False)
    return _unique(leaks)
