"""True removal of identifiers from PDF files.

Matches are found on the text as the content streams show it, mapped back to the glyphs that
produced it, and those glyphs are cut out of the streams (their advance kept as a TJ
adjustment so the rest of the line does not move); a black box is drawn where they were.
Pages whose glyphs cannot be mapped to text, Type3 pages, and scans are rasterised, the
matched words burned into the pixels, and a text layer restored by OCR. Everything else that
can carry text outside the page content is removed or cleaned, and the file is written anew.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from django.utils.translation import gettext as _
from PIL import Image

from . import ocr
from .cleaning import clean_document, prepare_annotations, prune_fonts
from .content import Box, Glyph, Interpreter, PageContent, Registry, page_text
from .detection import Match, Policy, Term, applied_spans, detect
from .geometry import Area, PageFrame, overlaps
from .result import ManualReviewRequired, Outcome, RedactionError, Report
from .rewrite import box_operators, rewrite_stream
from .scratch import scratch

RASTER_DPI = 200
MIN_IMAGE_AREA = 400.0  # square points (~1.4 cm²): smaller images cannot hold legible words at 200 dpi


@dataclass
class _PagePlan:
    frame: PageFrame = field(default_factory=lambda: PageFrame(0.0, 0.0, 612.0, 792.0))
    removals: list[Glyph] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    rasterise: bool = False
    scan: bool = False
    images: bool = False


def redact_pdf(data: bytes, terms: Sequence[Term], policy: Policy, areas: Sequence[Area] = ()) -> Outcome:
    """Remove ``terms`` (and every glyph under the hand-drawn ``areas``) from the PDF ``data``."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise RedactionError(_("The PDF is encrypted with a password; decrypt it first.")) from exc
    except pikepdf.PdfError as exc:
        raise RedactionError(_("The PDF cannot be read.")) from exc
    with pdf:
        report = Report(format="pdf", pages=len(pdf.pages))
        _check_areas(areas, len(pdf.pages))
        prepare_annotations(pdf)
        registry = Registry(pdf)
        interpreter = Interpreter(registry)
        plans = [
            _plan_page(interpreter.page(page), terms, policy, report, n, PageFrame.of(page), areas)
            for n, page in enumerate(pdf.pages, 1)
        ]
        _apply_removals(registry, plans)
        for page, plan in zip(pdf.pages, plans, strict=True):
            if plan.boxes and not plan.rasterise:
                page.contents_add(pdf.make_stream(box_operators(plan.boxes)), prepend=False)
        raster = [n for n, plan in enumerate(plans, 1) if plan.rasterise]
        with_images = [n for n, plan in enumerate(plans, 1) if plan.images and not plan.rasterise]
        text_in_images = _pages_with_identifiers_in_images(pdf, with_images, terms, policy)
        if raster:
            _rasterise(pdf, data, raster, plans, terms, policy, report)
        if text_in_images:
            interim = io.BytesIO()
            pdf.save(interim)
            kept_boxes = [_PagePlan(frame=plan.frame) for plan in plans]
            _rasterise(pdf, interim.getvalue(), text_in_images, kept_boxes, terms, policy, report)
        prune_fonts(pdf)
        clean_document(pdf, terms, policy)
        out = io.BytesIO()
        pdf.save(
            out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True
        )
    return Outcome(out.getvalue(), report)


def _check_areas(areas: Sequence[Area], pages: int) -> None:
    for area in areas:
        if not area.valid() or area.page > pages:
            raise RedactionError(
                _("An area drawn by hand is not on a page of this document (page %(page)s).") % {"page": area.page}
            )


def _plan_page(
    content: PageContent,
    terms: Sequence[Term],
    policy: Policy,
    report: Report,
    number: int,
    frame: PageFrame,
    areas: Sequence[Area],
) -> _PagePlan:
    plan = _PagePlan(frame=frame)
    drawn = _plan_areas(content, plan, [a for a in areas if a.page == number])
    if drawn:
        report.add("manual", number, True, count=len(drawn))
    text, owners = page_text(content.glyphs)
    matches = detect(text, terms, policy)
    for start, end in applied_spans(matches):
        glyphs = sorted({owners[i] for i in range(start, end) if owners[i] >= 0})
        for index in glyphs:
            plan.removals.append(content.glyphs[index])
        plan.boxes.extend(line_boxes([content.glyphs[i] for i in glyphs]))
    visible = [g for g in content.glyphs if not g.invisible and (g.text or "").strip()]
    plan.scan = not visible and content.image_area > 0
    plan.images = content.image_area >= MIN_IMAGE_AREA
    hidden_match = any(g.invisible for g in plan.removals) and content.image_area > 0
    # Pixels under a drawn area can only be removed by burning them: the page is rasterised.
    area_on_image = any(overlaps(box, image) for box in drawn for image in content.images)
    plan.rasterise = content.unmappable or content.type3 or plan.scan or hidden_match or area_on_image
    if not plan.rasterise:
        for match in matches:
            report.add(match.category, number, match.applied)
    return plan


def _plan_areas(content: PageContent, plan: _PagePlan, areas: Sequence[Area]) -> list[Box]:
    """Every glyph touching a drawn area is removed, and the area itself is boxed."""
    drawn = [plan.frame.to_user(area) for area in areas]
    for glyph in content.glyphs:
        if any(overlaps(glyph.box, box) for box in drawn):
            plan.removals.append(glyph)
    plan.boxes.extend(drawn)
    return drawn


def line_boxes(glyphs: list[Glyph]) -> list[Box]:
    boxes: list[Box] = []
    for glyph in glyphs:
        x0, y0, x1, y1 = glyph.box
        if boxes:
            bx0, by0, bx1, by1 = boxes[-1]
            same_line = abs(by0 - y0) < 0.3 * max(glyph.size, 1e-6) and x0 <= bx1 + glyph.size
            if same_line:
                boxes[-1] = (min(bx0, x0), min(by0, y0), max(bx1, x1), max(by1, y1))
                continue
        boxes.append((x0, y0, x1, y1))
    return boxes


def _apply_removals(registry: Registry, plans: Sequence[_PagePlan]) -> None:
    by_stream: dict[int, dict[tuple[int, int, int], Glyph]] = defaultdict(dict)
    for plan in plans:
        if plan.rasterise:
            continue
        for glyph in plan.removals:
            by_stream[glyph.stream][(glyph.op, glyph.item, glyph.start)] = glyph
    for index, ref in enumerate(registry.streams):
        rewrite_stream(registry.pdf, ref, list(by_stream.get(index, {}).values()))


def _pages_with_identifiers_in_images(
    pdf: pikepdf.Pdf, pages: Sequence[int], terms: Sequence[Term], policy: Policy
) -> list[int]:
    """Pages (already stripped of matched text) whose images still show an identifier to OCR."""
    if not pages:
        return []
    if not ocr.available():
        raise ManualReviewRequired(
            _("Pages %(pages)s contain images that need OCR and OCR is not available here.")
            % {"pages": ", ".join(str(p) for p in pages)}
        )
    interim = io.BytesIO()
    pdf.save(interim)
    flagged: list[int] = []
    with scratch() as tmp:
        source = Path(tmp) / "interim.pdf"
        source.write_bytes(interim.getvalue())
        for number in pages:
            image_path = ocr.render_pdf_page(source, number, RASTER_DPI, Path(tmp))
            matches, _covered = ocr.match_words(ocr.words(image_path, RASTER_DPI), terms, policy)
            if any(m.applied for m in matches):
                flagged.append(number)
    return flagged


def _rasterise(
    pdf: pikepdf.Pdf,
    original: bytes,
    pages: Sequence[int],
    plans: Sequence[_PagePlan],
    terms: Sequence[Term],
    policy: Policy,
    report: Report,
) -> None:
    if not ocr.available():
        raise ManualReviewRequired(
            _("Pages %(pages)s need OCR (scans or fonts without text mapping) and OCR is not available here.")
            % {"pages": ", ".join(str(p) for p in pages)}
        )
    with scratch() as tmp:
        workdir = Path(tmp)
        source = workdir / "source.pdf"
        source.write_bytes(original)
        for number in pages:
            replacement = _raster_page(source, number, plans[number - 1], terms, policy, report, workdir)
            with pikepdf.open(io.BytesIO(replacement)) as single:
                pdf.pages[number - 1] = single.pages[0]
            report.rasterised_pages.append(number)


def _raster_page(
    source: Path,
    number: int,
    plan: _PagePlan,
    terms: Sequence[Term],
    policy: Policy,
    report: Report,
    workdir: Path,
) -> bytes:
    image_path = ocr.render_pdf_page(source, number, RASTER_DPI, workdir)
    words = ocr.words(image_path, RASTER_DPI)
    matches, covered = ocr.match_words(words, terms, policy)
    boxes = [ocr.word_box(words[i]) for match, idx in zip(matches, covered, strict=True) if match.applied for i in idx]
    _count_ocr(matches, report, number)
    boxes.extend(_boxes_in_pixels(plan.boxes, plan.frame))
    with Image.open(image_path) as image:
        burned = ocr.burn(image, boxes)
    return ocr.searchable_page(burned, ocr.kept_words(words, boxes), RASTER_DPI)


def _count_ocr(matches: Sequence[Match], report: Report, number: int) -> None:
    for match in matches:
        report.add(match.category, number, match.applied)


def _boxes_in_pixels(boxes: Sequence[Box], frame: PageFrame) -> list[tuple[int, int, int, int]]:
    """User-space boxes (matched glyphs, drawn areas) on a page rendered at RASTER_DPI."""
    scale = RASTER_DPI / 72.0
    shown = [frame.to_display(box) for box in boxes]
    return [(int(x0 * scale), int(y0 * scale), int(x1 * scale) + 1, int(y1 * scale) + 1) for x0, y0, x1, y1 in shown]
