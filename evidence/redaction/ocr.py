"""Optical character recognition with the tesseract command line, for scans and images.

Words are found with their pixel boxes, matched like any other text, and the matched words'
boxes are burned into the pixels. No network and no model download: tesseract uses the
language data installed with the system packages.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import functools
import hashlib
import io
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pdfminer.fontmetrics import FONT_METRICS
from PIL import Image, ImageChops, ImageDraw

from .detection import Match, Policy, Term, detect

OCR_TIMEOUT = 300
PADDING = 3


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]


def tool(name: str) -> str:
    """Absolute path of a system tool (the PATH is read once per call, never a shell)."""
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(name)
    return path


def available() -> bool:
    return shutil.which("tesseract") is not None


@functools.cache
def languages() -> str:
    try:
        listed = subprocess.run(  # noqa: S603
            [tool("tesseract"), "--list-langs"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "eng"
    wanted = [lang for lang in ("fra", "eng") if lang in listed]
    return "+".join(wanted) or "eng"


# Words already read from identical pixels during one redaction (see ``reuse``): the same page is
# rendered by the proposal search, the check for words in pictures and the rasterisation.
_READ: contextvars.ContextVar[dict[str, list[Word]] | None] = contextvars.ContextVar("ocr_read", default=None)


@contextlib.contextmanager
def reuse() -> Iterator[None]:
    """Within this block, OCR of byte-identical images runs once; the words are forgotten at the end."""
    if _READ.get() is not None:
        yield
        return
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def _environment() -> dict[str, str]:
    # One thread per tesseract: on a shared 2-core worker its OpenMP threads mostly wait on each other.
    return {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("CUSTODY_OCR_THREADS", "1")}


def words(image_path: Path, dpi: int | None = None) -> list[Word]:
    """Words and their pixel boxes; ``dpi`` for rendered pages (PPM files carry no resolution)."""
    cache = _READ.get()
    key = f"{dpi}:{hashlib.sha256(image_path.read_bytes()).hexdigest()}" if cache is not None else ""
    if cache is not None and key in cache:
        return list(cache[key])
    found = _read_words(image_path, dpi)
    if cache is not None:
        cache[key] = list(found)
    return found


def _read_words(image_path: Path, dpi: int | None = None) -> list[Word]:
    resolution = ["--dpi", str(dpi)] if dpi else []
    result = subprocess.run(  # noqa: S603
        [tool("tesseract"), str(image_path), "stdout", "-l", languages(), *resolution, "tsv"],
        capture_output=True,
        text=True,
        timeout=OCR_TIMEOUT,
        check=True,
        env=_environment(),
    )
    found: list[Word] = []
    for row in csv.DictReader(io.StringIO(result.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        found.append(
            Word(
                text=text,
                left=int(row["left"]),
                top=int(row["top"]),
                width=int(row["width"]),
                height=int(row["height"]),
                line=(int(row["block_num"]), int(row["par_num"]), int(row["line_num"])),
            )
        )
    return found


def words_text(found: Sequence[Word]) -> tuple[str, list[int]]:
    """The OCR words as text (spaces and line breaks) with the word index of each character."""
    chars: list[str] = []
    owners: list[int] = []
    for i, word in enumerate(found):
        if i:
            chars.append("\n" if word.line != found[i - 1].line else " ")
            owners.append(-1)
        chars.extend(word.text)
        owners.extend([i] * len(word.text))
    return "".join(chars), owners


def match_words(found: Sequence[Word], terms: Sequence[Term], policy: Policy) -> tuple[list[Match], list[set[int]]]:
    """Matches over the OCR text and, for each, the indexes of the words it covers."""
    text, owners = words_text(found)
    matches = detect(text, terms, policy)
    covered = [{owners[i] for i in range(m.start, m.end) if owners[i] >= 0} for m in matches]
    return matches, covered


def burn(image: Image.Image, boxes: Sequence[tuple[int, int, int, int]]) -> Image.Image:
    """A copy of ``image`` with opaque black boxes painted into its pixels."""
    burned = image.convert("RGB")
    draw = ImageDraw.Draw(burned)
    for left, top, right, bottom in boxes:
        draw.rectangle((left - PADDING, top - PADDING, right + PADDING, bottom + PADDING), fill=(0, 0, 0))
    return burned


def word_box(word: Word) -> tuple[int, int, int, int]:
    return (word.left, word.top, word.left + word.width, word.top + word.height)


def render_pdf_page(pdf_path: Path, page_number: int, dpi: int, out_dir: Path) -> Path:
    """The page as an uncompressed PPM image (several times faster to write than PNG; it stays in scratch)."""
    prefix = out_dir / f"page-{page_number}"
    subprocess.run(  # noqa: S603
        [
            tool("pdftoppm"),
            "-r",
            str(dpi),
            "-f",
            str(page_number),
            "-l",
            str(page_number),
            "-singlefile",
            str(pdf_path),
            str(prefix),
        ],
        capture_output=True,
        timeout=OCR_TIMEOUT,
        check=True,
    )
    return prefix.with_suffix(".ppm")


_LAYER_FONT = "Helvetica"


def _intersects(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return min(a[2], b[2]) + PADDING > max(a[0], b[0]) and min(a[3], b[3]) + PADDING > max(a[1], b[1])


def kept_words(found: Sequence[Word], burned: Sequence[tuple[int, int, int, int]]) -> list[Word]:
    """The words that no burned box touches: only these go into the restored text layer."""
    return [w for w in found if not any(_intersects(word_box(w), box) for box in burned)]


def _layer_text(word: Word, dpi: int, page_height: float) -> bytes:
    """One invisible word: Helvetica sized to the word's box and stretched to its width."""
    scale = 72.0 / dpi
    text = word.text.encode("cp1252", "replace").decode("cp1252")
    widths = FONT_METRICS[_LAYER_FONT][1]
    natural = sum(widths.get(ch, 556) for ch in text) / 1000.0
    size = max(word.height * scale, 1.0)
    stretch = 100.0 * word.width * scale / (natural * size) if natural else 100.0
    baseline = page_height - (word.top + word.height) * scale
    encoded = text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    head = b"BT 3 Tr /F1 %.2f Tf %.2f Tz 1 0 0 1 %.2f %.2f Tm (" % (size, stretch, word.left * scale, baseline)
    return head + encoded + b") Tj ET\n"


JPEG_QUALITY = 85


def _jpeg(image: Image.Image) -> tuple[bytes, pikepdf.Name]:
    """The burned page as JPEG (as tesseract's own PDF pages are), in grey when it has no colour.

    Only the burned pixels are encoded: the boxes are uniform black before compression, so no trace
    of what they cover can be in the file. JPEG keeps the copy small and keeps qpdf's decompressed
    form (read by verification) from expanding to the raw pixels.
    """
    rgb = image.convert("RGB")
    red, green, blue = rgb.split()
    grey = ImageChops.difference(red, green).getbbox() is None and ImageChops.difference(green, blue).getbbox() is None
    out = io.BytesIO()
    (red if grey else rgb).save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), pikepdf.Name.DeviceGray if grey else pikepdf.Name.DeviceRGB


def searchable_page(image: Image.Image, found: Sequence[Word], dpi: int) -> bytes:
    """A one-page PDF of ``image`` with an invisible text layer made of ``found`` (already filtered).

    Built from the words read before burning rather than by reading the burned image again: the
    words under the boxes are left out, and no second OCR pass is needed.
    """
    width, height = image.size
    page_w, page_h = width * 72.0 / dpi, height * 72.0 / dpi
    pdf = pikepdf.new()
    encoded, colour_space = _jpeg(image)
    pixels = pikepdf.Stream(
        pdf,
        encoded,
        pikepdf.Dictionary(
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width,
            Height=height,
            ColorSpace=colour_space,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        ),
    )
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name("/" + _LAYER_FONT),
        Encoding=pikepdf.Name.WinAnsiEncoding,
    )
    content = [b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n" % (page_w, page_h)]
    content += [_layer_text(word, dpi, page_h) for word in found]
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, page_w, page_h],
        Resources=pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(pixels)),
            Font=pikepdf.Dictionary(F1=pdf.make_indirect(font)),
        ),
        Contents=pdf.make_stream(b"".join(content)),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()
