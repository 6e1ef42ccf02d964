"""A page of a document under review, rendered in memory with the proposed boxes drawn on it.

The page is rendered by ``pdftoppm`` in a private scratch directory (memory-backed, removed at
the end) and returned as PNG bytes for one response; nothing is kept. Boxes are given in points
from the visible page's top-left corner, the frame ``pdftoppm`` renders.

Every box is filled opaque, whatever its state: the text behind a mark is shown only by the
reveal, which needs a custodian and a second coalition lead's approval. A see-through fill would
let anyone allowed the preview read it without either.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from . import ocr
from .geometry import Box
from .scratch import scratch

PREVIEW_DPI = 100

# (outline, opaque fill) per style: what the reviewer must tell apart at a glance, never what is under it.
STYLES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int, int]]] = {
    "removed": ((200, 0, 0), (200, 0, 0, 255)),  # always removed, or a proposal accepted
    "proposed": ((230, 130, 0), (230, 130, 0, 255)),  # waiting for a decision, or kept
    "area": ((0, 90, 200), (0, 90, 200, 255)),  # drawn by hand
}


@dataclass(frozen=True, slots=True)
class Drawn:
    box: Box
    style: str
    label: str = ""


def render_page(data: bytes, page: int, boxes: Sequence[Drawn], dpi: int = PREVIEW_DPI) -> bytes:
    """PNG of PDF page ``page`` (from 1) with ``boxes`` outlined and labelled."""
    with scratch() as tmp:
        source = Path(tmp) / "preview.pdf"
        source.write_bytes(data)
        image_path = ocr.render_pdf_page(source, page, dpi, Path(tmp))
        with Image.open(image_path) as rendered:
            image = rendered.convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    scale = dpi / 72.0
    for drawn in boxes:
        outline, fill = STYLES.get(drawn.style, STYLES["proposed"])
        x0, y0, x1, y1 = (v * scale for v in drawn.box)
        draw.rectangle((x0 - 1, y0 - 1, x1 + 1, y1 + 1), outline=outline, fill=fill, width=2)
        if drawn.label:
            draw.text((x0, max(y0 - 11, 0)), drawn.label, fill=outline)
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG")
    return out.getvalue()
