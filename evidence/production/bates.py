"""Bates stamping: a number on every page of a PDF, added on top without re-rendering.

Each page keeps its own content streams untouched; the stamp is one more content stream appended
to the page (with the original wrapped in ``q``/``Q`` so a graphics state it leaves behind cannot
move or hide the stamp) and a standard Helvetica font resource. The stamp sits at the bottom
right of the page *as displayed*: the crop box and the page rotation are taken into account.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
from django.utils.translation import gettext_noop
from pikepdf import Dictionary, Name, Page, Pdf
from reportlab.pdfbase.pdfmetrics import stringWidth

from evidence.production.errors import ProductionError

FONT_SIZE = 8.0
MARGIN = 12.0
FONT_RESOURCE = "/CustodyBates"

Matrix = tuple[float, float, float, float, float, float]


def _inherited(page: Page, key: str) -> object | None:
    node: pikepdf.Object | None = page.obj
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _box(page: Page) -> tuple[float, float, float, float]:
    raw = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox")
    if raw is None:
        raise ProductionError(gettext_noop("a page has no media box"))
    x0, y0, x1, y1 = (float(v) for v in raw)  # type: ignore[attr-defined]
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _rotation(page: Page) -> int:
    raw = _inherited(page, "/Rotate")
    return int(raw) % 360 if raw is not None else 0  # type: ignore[call-overload]


def text_matrix(box: tuple[float, float, float, float], rotate: int, text_width: float) -> Matrix:
    """Where to write so the text reads upright at the bottom right of the page as displayed."""
    x0, y0, x1, y1 = box
    # (u, v) are display coordinates; each row gives the user-space point of display origin and
    # the user-space directions of display +u and +v for the page rotation (clockwise).
    layouts = {
        0: ((x0, y0), (1, 0), (0, 1), x1 - x0),
        90: ((x1, y0), (0, 1), (-1, 0), y1 - y0),
        180: ((x1, y1), (-1, 0), (0, -1), x1 - x0),
        270: ((x0, y1), (0, -1), (1, 0), y1 - y0),
    }
    if rotate not in layouts:
        raise ProductionError(gettext_noop("a page has an invalid rotation (%(rotation)s)"), rotation=rotate)
    (ox, oy), (ux, uy), (vx, vy), display_width = layouts[rotate]
    u = max(display_width - MARGIN - text_width, 0.0)
    v = MARGIN
    return (ux, uy, vx, vy, ox + u * ux + v * vx, oy + u * uy + v * vy)


def _stamp_stream(label: str, matrix: Matrix) -> bytes:
    numbers = " ".join(f"{value:.4f}".rstrip("0").rstrip(".") or "0" for value in matrix)
    return (f"Q q BT {FONT_RESOURCE} {FONT_SIZE:g} Tf 0 g {numbers} Tm ({label}) Tj ET Q\n").encode("ascii")


def _font_resource(pdf: Pdf) -> pikepdf.Object:
    return pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
    )


def _resources(page: Page) -> pikepdf.Object:
    # Inherited resources are copied onto the page so adding the font changes no other page.
    if "/Resources" not in page.obj:
        inherited = _inherited(page, "/Resources")
        page.obj.Resources = inherited.copy() if isinstance(inherited, Dictionary) else Dictionary()
    resources = page.obj.Resources
    if "/Font" not in resources:
        resources.Font = Dictionary()
    return resources


def stamp_page(pdf: Pdf, page: Page, label: str, font: pikepdf.Object) -> None:
    _resources(page).Font[FONT_RESOURCE] = font
    width = stringWidth(label, "Helvetica", FONT_SIZE)
    matrix = text_matrix(_box(page), _rotation(page), width)
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, _stamp_stream(label, matrix)), prepend=False)


def stamp_pdf(source: Path, target: Path, *, label_for: Callable[[int], str], control: str) -> int:
    """Stamp page *n* (0-based) of ``source`` with ``label_for(n)`` into ``target``; the page count."""
    try:
        with Pdf.open(source) as pdf:
            font = _font_resource(pdf)
            for index, page in enumerate(pdf.pages):
                stamp_page(pdf, page, label_for(index), font)
            count = len(pdf.pages)
            if count == 0:
                raise ProductionError(gettext_noop("the PDF has no pages"), control=control)
            pdf.save(target, fix_metadata_version=False, deterministic_id=True)
    except pikepdf.PasswordError as exc:
        raise ProductionError(
            gettext_noop("the PDF is password-protected and cannot be stamped"), control=control
        ) from exc
    except (pikepdf.PdfError, ValueError, TypeError) as exc:
        reason = gettext_noop("the PDF cannot be opened or stamped (%(kind)s)")
        raise ProductionError(reason, control=control, kind=exc.__class__.__name__) from exc
    return count
