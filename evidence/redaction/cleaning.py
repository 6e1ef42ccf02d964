"""Everything in a PDF besides page content that can carry an identifier."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence

import pikepdf
from pikepdf import sanitize

from .content import Interpreter, Registry
from .detection import Policy, Term
from .fonts import to_unicode_cmap
from .text import redact_string

_SANITIZERS = (
    sanitize.remove_attachments,
    sanitize.remove_javascript,
    sanitize.remove_thumbnails,
    sanitize.remove_search_index,
    sanitize.remove_private_app_data,
    sanitize.remove_multimedia,
    sanitize.remove_web_capture,
    sanitize.remove_collection,
)
# Keys dropped from every dictionary of the file.
_DROP_EVERYWHERE = ("/Metadata", "/PieceInfo", "/Thumb", "/AA", "/LastModified")
# Keys dropped from the document catalog.
_DROP_FROM_CATALOG = (
    "/AcroForm",
    "/StructTreeRoot",
    "/MarkInfo",
    "/Threads",
    "/SpiderInfo",
    "/Perms",
    "/Legal",
    "/Collection",
    "/OpenAction",
    "/URI",
)


def prepare_annotations(pdf: pikepdf.Pdf) -> None:
    """Turn form fields and annotations into page content (then redacted like any text) and drop them."""
    if "/AcroForm" in pdf.Root:
        with contextlib.suppress(pikepdf.PdfError):
            pdf.generate_appearance_streams()
    with contextlib.suppress(pikepdf.PdfError):
        pdf.flatten_annotations("all")
    for page in pdf.pages:
        if "/Annots" in page.obj:
            del page.obj["/Annots"]
    if "/AcroForm" in pdf.Root:
        del pdf.Root["/AcroForm"]


def prune_fonts(pdf: pikepdf.Pdf) -> None:
    """Drop fonts no longer used and rewrite ToUnicode maps to list only the codes still shown.

    A subset font used only by a removed word could otherwise still spell it in its map.
    """
    registry = Registry(pdf)
    interpreter = Interpreter(registry)
    used: dict[object, set[int]] = defaultdict(set)
    for page in pdf.pages:
        for glyph in interpreter.page(page).glyphs:
            used[glyph.font.key].add(glyph.code)
    for key, (info, font) in registry.fonts.items():
        if "/ToUnicode" not in font:
            continue
        mapping = {code: info.unicode[code] for code in used.get(key, set()) if code in info.unicode}
        font.ToUnicode = pdf.make_stream(to_unicode_cmap(mapping, info.two_byte))
    kept = {font.objgen for _info, font in registry.fonts.values() if font.is_indirect}
    for resources in _all_resources(pdf):
        fonts = resources.get("/Font")
        if not isinstance(fonts, pikepdf.Dictionary):
            continue
        for name in list(fonts.keys()):
            font = fonts[name]
            if font.is_indirect and font.objgen not in kept:
                del fonts[name]


def _all_resources(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found: list[pikepdf.Dictionary] = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            resources = obj.get("/Resources")
            if isinstance(resources, pikepdf.Dictionary):
                found.append(resources)
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary):
            found.append(resources)
    return found


def clean_document(pdf: pikepdf.Pdf, terms: Sequence[Term], policy: Policy) -> None:
    for remove in _SANITIZERS:
        remove(pdf)
    for key in _DROP_FROM_CATALOG:
        if key in pdf.Root:
            del pdf.Root[key]
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key in list(names.keys()):
            if key != "/Dests":
                del names[key]
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    _clean_outlines(pdf)
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            target = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
            for key in _DROP_EVERYWHERE:
                if key in target:
                    del target[key]
        _redact_strings(obj, terms, policy)


def _clean_outlines(pdf: pikepdf.Pdf) -> None:
    """Keep bookmarks as navigation only: their titles are redacted with every other string."""
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary):
        return
    stack = [outlines.get("/First")]
    seen: set[tuple[int, int]] = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or (item.is_indirect and item.objgen in seen):
            continue
        if item.is_indirect:
            seen.add(item.objgen)
        action = item.get("/A")
        if isinstance(action, pikepdf.Dictionary) and str(action.get("/S", "")) != "/GoTo":
            del item["/A"]
        stack.extend([item.get("/Next"), item.get("/First")])


def _redact_strings(obj: pikepdf.Object, terms: Sequence[Term], policy: Policy) -> None:
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        for key in list(obj.keys()):
            value = obj[key]
            if isinstance(value, pikepdf.String):
                obj[key] = _redacted(value, terms, policy)
            elif isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect:
                _redact_strings(value, terms, policy)
    elif isinstance(obj, pikepdf.Array):
        for index, value in enumerate(obj):
            if isinstance(value, pikepdf.String):
                obj[index] = _redacted(value, terms, policy)
            elif isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect:
                _redact_strings(value, terms, policy)


def _redacted(value: pikepdf.String, terms: Sequence[Term], policy: Policy) -> pikepdf.String:
    text = str(value)
    redacted, matches = redact_string(text, terms, Policy(policy.applied_patterns, fuzzy=False))
    return pikepdf.String(redacted) if any(m.applied for m in matches) else value
