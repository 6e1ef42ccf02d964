"""Optical character recognition with the tesseract command line, for scans and images.

Words are found with their pixel boxes, matched like any other text, and the matched words'
boxes are burned into the pixels. No network and no model download: tesseract uses the
language data installed with the system packages.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from .detection import Match, Policy, Term, detect
from .scratch import scratch

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


def words(image_path: Path) -> list[Word]:
    result = subprocess.run(  # noqa: S603
        [tool("tesseract"), str(image_path), "stdout", "-l", languages(), "tsv"],
        capture_output=True,
        text=True,
        timeout=OCR_TIMEOUT,
        check=True,
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
            "-png",
            "-singlefile",
            str(pdf_path),
            str(prefix),
        ],
        capture_output=True,
        timeout=OCR_TIMEOUT,
        check=True,
    )
    return prefix.with_suffix(".png")


def searchable_pdf(image_path: Path, dpi: int) -> bytes:
    """A one-page PDF of the image with an invisible OCR text layer (tesseract's PDF renderer)."""
    with scratch() as tmp:
        base = Path(tmp) / "page"
        subprocess.run(  # noqa: S603
            [tool("tesseract"), str(image_path), str(base), "-l", languages(), "--dpi", str(dpi), "pdf"],
            capture_output=True,
            timeout=OCR_TIMEOUT,
            check=True,
        )
        return base.with_suffix(".pdf").read_bytes()
