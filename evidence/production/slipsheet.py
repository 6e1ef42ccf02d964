"""The one-page slip sheet standing in for a document produced in its native form.

It carries the Bates number, the control, the neutral display name, the media type, the path of
the native beside it in the package and the native's SHA-256, so a reader of the printed set can
find and check the file. The Bates stamp itself is added afterwards like on any produced PDF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

SANS: Final = "CustodySans"
SANS_BOLD: Final = "CustodySans-Bold"


@dataclass(frozen=True)
class SlipSheet:
    label: str
    control: str
    display_name: str
    media_type: str
    native_path: str
    native_sha256: str
    native_size: int


def _fonts() -> None:
    # Vera ships with ReportLab and is embedded: names in any Latin script print the same everywhere.
    if SANS not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(SANS, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(SANS_BOLD, "VeraBd.ttf"))


def _fit(text: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, SANS, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", SANS, size) > width:
        text = text[:-1]
    return text + "…"


def render(sheet: SlipSheet) -> bytes:
    """The slip sheet as PDF bytes (A4, one page, reproducible byte for byte)."""
    _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(sheet.label)
    width, height = A4
    left, text_width = 60.0, width - 120.0
    canvas.setFont(SANS_BOLD, 26)
    canvas.drawCentredString(width / 2, height - 200, sheet.label)
    canvas.setFont(SANS_BOLD, 14)
    canvas.drawCentredString(width / 2, height - 240, _("Document produced in native form"))
    rows = [
        (_("Control number"), sheet.control),
        (_("Document name"), sheet.display_name),
        (_("Media type"), sheet.media_type),
        (_("Native file in this package"), sheet.native_path),
        (_("Size in bytes"), str(sheet.native_size)),
        (_("SHA-256 of the native file"), sheet.native_sha256),
    ]
    y = height - 300
    for title, value in rows:
        canvas.setFont(SANS_BOLD, 10)
        canvas.drawString(left, y, title)
        canvas.setFont(SANS, 10)
        canvas.drawString(left, y - 14, _fit(value, 10, text_width))
        y -= 40
    canvas.setFont(SANS, 9)
    canvas.drawString(left, y - 10, _fit(_("This page replaces the document in the printed set."), 9, text_width))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
