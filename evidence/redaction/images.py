"""Images: words found by OCR, matched boxes burned into the pixels, all metadata dropped.

The output is a new image built from the pixel values only, so EXIF (GPS included), XMP, IPTC,
ICC profiles and text chunks of the input cannot follow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from . import ocr
from .detection import Policy, Term
from .result import Leak, ManualReviewRequired, Outcome, Report, UnsupportedFormat
from .scratch import scratch

# Formats written back as themselves; anything else Pillow reads is written as PNG.
_KEEP_FORMAT = {"JPEG": "JPEG", "PNG": "PNG"}
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "iptc", "photoshop", "dpi_text")


def open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise UnsupportedFormat(_("The image cannot be read.")) from exc
    return image


def redact_image(data: bytes, terms: Sequence[Term], policy: Policy) -> Outcome:
    if not ocr.available():
        raise ManualReviewRequired(_("Images need OCR to be searched and OCR is not available here."))
    image = open_image(data)
    fmt = _KEEP_FORMAT.get(image.format or "", "PNG")
    upright = ImageOps.exif_transpose(image).convert("RGB")
    report = Report(format=f"image/{fmt.lower()}", pages=1)
    with scratch() as tmp:
        path = Path(tmp) / "image.png"
        upright.save(path)
        words = ocr.words(path)
    matches, covered = ocr.match_words(words, terms, policy)
    boxes: list[tuple[int, int, int, int]] = []
    for match, indexes in zip(matches, covered, strict=True):
        report.add(match.category, 1, match.applied)
        if match.applied:
            boxes.extend(ocr.word_box(words[i]) for i in indexes)
    burned = ocr.burn(upright, boxes)
    clean = Image.frombytes("RGB", burned.size, burned.tobytes())
    out = io.BytesIO()
    clean.save(out, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return Outcome(out.getvalue(), report)


def image_metadata_leaks(data: bytes) -> list[Leak]:
    image = open_image(data)
    leaks = [Leak("metadata", f"image {key}") for key in _METADATA_KEYS if image.info.get(key)]
    if len(image.getexif()):
        leaks.append(Leak("metadata", "image EXIF"))
    if any(isinstance(value, str) for key, value in image.info.items() if key not in ("dpi",)):
        leaks.append(Leak("metadata", "image text chunks"))
    return leaks
