"""Font decoding for content streams: byte codes to glyph widths and Unicode text.

Only what redaction needs: simple fonts (standard 14, TrueType, Type1 with encodings,
Differences and ToUnicode maps) and Type0 fonts with Identity-H/V encodings (2-byte codes,
as Chromium, LibreOffice, Word and most PDF libraries write). Anything else is reported as
unmappable so the page goes through rasterisation and OCR instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from pdfminer.cmapdb import CMapParser, FileUnicodeMap
from pdfminer.encodingdb import EncodingDB, name2unicode
from pdfminer.fontmetrics import FONT_METRICS
from pdfminer.psparser import PSLiteral

_IDENTITY = {"/Identity-H", "/Identity-V"}
_STANDARD_ALIASES = {
    "Arial": "Helvetica",
    "Arial,Bold": "Helvetica-Bold",
    "Arial,Italic": "Helvetica-Oblique",
    "Arial,BoldItalic": "Helvetica-BoldOblique",
    "TimesNewRoman": "Times-Roman",
    "CourierNew": "Courier",
}


@dataclass
class FontInfo:
    """Decoded view of one font dictionary."""

    key: tuple[int, int] | int
    two_byte: bool
    type3: bool
    widths: dict[int, float] = field(default_factory=dict)
    default_width: float = 0.0
    unicode: dict[int, str] = field(default_factory=dict)
    has_to_unicode: bool = False
    mappable: bool = True

    def split(self, data: bytes) -> list[tuple[int, int, int]]:
        """(code, byte start, byte end) for each glyph of a shown string."""
        if self.two_byte:
            return [(int.from_bytes(data[i : i + 2], "big"), i, i + 2) for i in range(0, len(data) - 1, 2)]
        return [(b, i, i + 1) for i, b in enumerate(data)]

    def text(self, code: int) -> str | None:
        return self.unicode.get(code)

    def width(self, code: int) -> float:
        """Glyph advance in thousandths of text space."""
        return self.widths.get(code, self.default_width)


def _name(obj: Any) -> str:
    return str(obj) if obj is not None else ""


def _parse_to_unicode(stream: pikepdf.Object) -> dict[int, str]:
    cmap = FileUnicodeMap()
    try:
        CMapParser(cmap, io.BytesIO(bytes(stream.read_bytes()))).run()
    except Exception:
        return {}
    return {int(k): v for k, v in cmap.cid2unichr.items()}


def _differences(encoding: pikepdf.Object) -> list[Any]:
    diffs: list[Any] = []
    for item in encoding.get("/Differences", pikepdf.Array()):
        if isinstance(item, pikepdf.Name):
            diffs.append(PSLiteral(str(item)[1:]))
        else:
            diffs.append(int(item))
    return diffs


def _simple_unicode(font: pikepdf.Object, base_font: str) -> dict[int, str]:
    encoding = font.get("/Encoding")
    base = "StandardEncoding"
    diffs: list[Any] = []
    if isinstance(encoding, pikepdf.Name):
        base = str(encoding)[1:]
    elif isinstance(encoding, pikepdf.Dictionary):
        base = str(encoding.get("/BaseEncoding", "/StandardEncoding"))[1:]
        diffs = _differences(encoding)
    elif base_font in ("Symbol", "ZapfDingbats") or (
        _is_symbolic(font) and "/FontFile2" in font.get("/FontDescriptor", {})
    ):
        return {}
    return dict(EncodingDB.get_encoding(base, diffs))


def _is_symbolic(font: pikepdf.Object) -> bool:
    descriptor = font.get("/FontDescriptor")
    flags = int(descriptor.get("/Flags", 0)) if isinstance(descriptor, pikepdf.Dictionary) else 0
    return bool(flags & 4) and not bool(flags & 32)


def _simple_widths(font: pikepdf.Object, base_font: str, unicode: dict[int, str]) -> tuple[dict[int, float], float]:
    descriptor = font.get("/FontDescriptor")
    missing = float(descriptor.get("/MissingWidth", 0)) if isinstance(descriptor, pikepdf.Dictionary) else 0.0
    widths_array = font.get("/Widths")
    if isinstance(widths_array, pikepdf.Array):
        first = int(font.get("/FirstChar", 0))
        return {first + i: float(w) for i, w in enumerate(widths_array)}, missing
    metrics = FONT_METRICS.get(_STANDARD_ALIASES.get(base_font, base_font))
    if metrics is None:
        return {}, missing or 500.0
    by_char = metrics[1]
    return {code: float(by_char.get(ch, by_char.get(" ", 0))) for code, ch in unicode.items()}, missing


def _cid_widths(descendant: pikepdf.Object) -> tuple[dict[int, float], float]:
    default = float(descendant.get("/DW", 1000))
    widths: dict[int, float] = {}
    items = list(descendant.get("/W", pikepdf.Array()))
    i = 0
    while i < len(items):
        first = int(items[i])
        nxt = items[i + 1]
        if isinstance(nxt, pikepdf.Array):
            for j, item in enumerate(nxt):
                widths[first + j] = float(item)
            i += 2
        else:
            last, width = int(nxt), float(items[i + 2])
            for cid in range(first, last + 1):
                widths[cid] = width
            i += 3
    return widths, default


def _key(font: pikepdf.Object) -> tuple[int, int] | int:
    return font.objgen if font.is_indirect else id(font)


def load_font(font: pikepdf.Object) -> FontInfo:
    subtype = _name(font.get("/Subtype"))
    base_font = _name(font.get("/BaseFont")).lstrip("/")
    if "+" in base_font[:7]:
        base_font = base_font.split("+", 1)[1]
    to_unicode = font.get("/ToUnicode")
    mapped = _parse_to_unicode(to_unicode) if isinstance(to_unicode, pikepdf.Stream) else {}
    if subtype == "/Type0":
        encoding = _name(font.get("/Encoding"))
        descendants = font.get("/DescendantFonts", pikepdf.Array())
        descendant = descendants[0] if len(descendants) else pikepdf.Dictionary()
        widths, default = _cid_widths(descendant)
        return FontInfo(
            key=_key(font),
            two_byte=True,
            type3=False,
            widths=widths,
            default_width=default,
            unicode=mapped,
            has_to_unicode=bool(mapped),
            mappable=encoding in _IDENTITY and bool(mapped),
        )
    unicode = _simple_unicode(font, base_font)
    unicode.update(mapped)
    widths, missing = _simple_widths(font, base_font, unicode)
    if subtype == "/Type3":
        scale = float(font.get("/FontMatrix", [0.001])[0]) * 1000
        widths = {code: w * scale for code, w in widths.items()}
    return FontInfo(
        key=_key(font),
        two_byte=False,
        type3=subtype == "/Type3",
        widths=widths,
        default_width=missing,
        unicode=unicode,
        has_to_unicode=bool(mapped),
        mappable=subtype != "/Type3" and bool(unicode),
    )


def name_to_unicode(name: str) -> str:
    try:
        return str(name2unicode(name))
    except (KeyError, ValueError):
        return ""


def to_unicode_cmap(mapping: dict[int, str], two_byte: bool) -> bytes:
    """A ToUnicode CMap listing only ``mapping`` (the codes still shown after removal)."""
    width = 4 if two_byte else 2
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<{'0' * width}> <{'F' * width}>",
        "endcodespacerange",
    ]
    items = sorted(mapping.items())
    for chunk_start in range(0, len(items), 100):
        chunk = items[chunk_start : chunk_start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for code, text in chunk:
            hex_text = text.encode("utf-16-be").hex().upper()
            lines.append(f"<{code:0{width}X}> <{hex_text}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode("ascii")
