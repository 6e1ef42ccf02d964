"""Areas drawn by hand (text removed, pixels burned), page geometry, and proposals on scanned pages."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from evidence.redaction import ocr
from evidence.redaction.detection import Policy
from evidence.redaction.engine import redact_bytes
from evidence.redaction.geometry import Area, PageFrame
from evidence.redaction.preview import Drawn, render_page
from evidence.redaction.proposals import find
from evidence.redaction.result import ManualReviewRequired, RedactionError
from tests.evidence.redaction.corpus import IDENTIFIERS, image_in_text_page, scanned
from tests.evidence.redaction.test_corpus import leaked

needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
LINES = ["Case file opened in Bangui.", "Secret annex reference XK-4471 stays private.", "The hearing is in June."]


def _pdf(lines: list[str], rotate: int = 0) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(595, 842))
    for i, line in enumerate(lines):
        c.drawString(60, 760 - 18 * i, line)
    c.showPage()
    c.save()
    if not rotate:
        return out.getvalue()
    with pikepdf.open(io.BytesIO(out.getvalue())) as pdf:
        pdf.pages[0].obj.Rotate = rotate
        rotated = io.BytesIO()
        pdf.save(rotated)
        return rotated.getvalue()


def _text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


# Line 2's baseline is at y = 742 in user space: 100 points from the top of an 842-point page.
LINE_2 = Area(1, 50.0, 88.0, 560.0, 103.0)


def test_an_area_removes_the_glyphs_under_it_and_keeps_the_rest(tmp_path: Path) -> None:
    outcome = redact_bytes(_pdf(LINES), "doc.pdf", IDENTIFIERS, areas=[LINE_2])
    text = _text(outcome.data, tmp_path)
    assert "XK-4471" not in text and "Secret" not in text and "annex" not in text
    assert "Bangui" in text and "hearing" in text
    assert outcome.report.removed[("manual", 1)] == 1
    assert outcome.report.rasterised_pages == []
    inside = (LINE_2.left + 2, LINE_2.top + 2, LINE_2.right - 2, LINE_2.bottom - 2)
    assert _dark(_render(outcome.data, tmp_path), inside, 72) > 0.95  # the area is blacked out


def test_an_area_is_placed_on_the_page_as_seen_when_the_page_is_rotated(tmp_path: Path) -> None:
    # Rotated 90° clockwise the page is 842 wide and 595 high; line 2 becomes a column 100 points from the right.
    frame = PageFrame(0, 0, 595, 842, 90)
    assert frame.size == (842, 595)
    column = Area(1, 842 - 103.0, 50.0, 842 - 88.0, 560.0)
    assert frame.to_user(column) == pytest.approx((50.0, 739.0, 560.0, 754.0))
    assert frame.to_display(frame.to_user(column)) == pytest.approx((739.0, 50.0, 754.0, 560.0))
    text = _text(redact_bytes(_pdf(LINES, rotate=90), "doc.pdf", IDENTIFIERS, areas=[column]).data, tmp_path)
    assert "XK-4471" not in text and "Bangui" in text and "hearing" in text


def test_an_area_off_the_document_is_refused() -> None:
    with pytest.raises(RedactionError):
        redact_bytes(_pdf(LINES), "doc.pdf", IDENTIFIERS, areas=[Area(2, 10, 10, 50, 50)])
    with pytest.raises(RedactionError):
        redact_bytes(_pdf(LINES), "doc.pdf", IDENTIFIERS, areas=[Area(1, 50, 50, 40, 60)])
    with pytest.raises(RedactionError):
        redact_bytes(b"plain text", "note.txt", IDENTIFIERS, areas=[LINE_2])


def _dark(image: Image.Image, box: tuple[float, float, float, float], dpi: int) -> float:
    """Share of dark pixels inside ``box`` (points from the top-left) of a page rendered at ``dpi``."""
    scale = dpi / 72.0
    crop = image.convert("L").crop(tuple(int(v * scale) for v in box))  # type: ignore[arg-type]
    pixels = list(crop.getdata())
    return sum(1 for p in pixels if p < 60) / max(len(pixels), 1)


def _render(data: bytes, tmp_path: Path, dpi: int = 72) -> Image.Image:
    path = tmp_path / "render.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(path), str(tmp_path / "r")], check=True)
    return Image.open(tmp_path / "r.png")


@needs_ocr
def test_an_area_on_a_scan_is_burned_into_the_pixels(tmp_path: Path) -> None:
    source = scanned(tmp_path).read_bytes()
    # Lines 4 and 5 of the scan (no identifier on them) are drawn at 200 dpi from y = 370 px.
    area = Area(1, 40.0, 130.0, 560.0, 160.0)
    outcome = redact_bytes(source, "scan.pdf", IDENTIFIERS, areas=[area])
    assert outcome.report.rasterised_pages == [1]
    before = _dark(_render(source, tmp_path), (area.left, area.top, area.right, area.bottom), 72)
    after = _dark(_render(outcome.data, tmp_path), (area.left + 2, area.top + 2, area.right - 2, area.bottom - 2), 72)
    assert before < 0.3 and after > 0.95
    assert "investigator" not in _text(outcome.data, tmp_path).lower()


@needs_ocr
def test_an_area_over_a_picture_on_a_text_page_rasterises_that_page(tmp_path: Path) -> None:
    source = image_in_text_page(tmp_path).read_bytes()
    # The picture sits at x 60-420, y 500-578 in user space: 264-342 points from the top.
    area = Area(1, 60.0, 300.0, 420.0, 342.0)
    outcome = redact_bytes(source, "doc.pdf", IDENTIFIERS, areas=[area])
    assert outcome.report.rasterised_pages == [1]
    after = _dark(_render(outcome.data, tmp_path), (64.0, 304.0, 416.0, 338.0), 72)
    assert after > 0.95


@needs_ocr
def test_identifiers_on_a_scan_are_proposed_with_their_boxes(tmp_path: Path) -> None:
    findings = find(scanned(tmp_path).read_bytes(), "scan.pdf", IDENTIFIERS, Policy())
    assert findings.ocr_pages == [1] and findings.unreadable == []
    names = [f for f in findings.found if f.match.category == "legal_name" and f.match.applied]
    assert names and all(f.page == 1 and f.boxes for f in names)
    # Boxes are in points from the top-left: the first line is drawn 160 px (57.6 pt) from the top at 200 dpi.
    first = min(names, key=lambda f: f.boxes[0][1])
    assert 50 < first.boxes[0][1] < 75
    assert any(not f.match.applied for f in findings.found)  # near misses and other dates, for review


def _without_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pdftoppm", "pdftotext", "qpdf"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert not ocr.available()


def test_without_ocr_a_scan_is_flagged_and_not_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = scanned(tmp_path).read_bytes()
    _without_tesseract(tmp_path, monkeypatch)
    findings = find(source, "scan.pdf", IDENTIFIERS, Policy())
    assert findings.unreadable == [1] and findings.found == [] and findings.ocr_pages == []
    with pytest.raises(ManualReviewRequired):
        redact_bytes(source, "scan.pdf", IDENTIFIERS, areas=[Area(1, 10, 10, 100, 100)])


@needs_ocr
def test_ocr_of_identical_pixels_runs_once_per_redaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.png"
    Image.new("L", (400, 100), 255).save(page)
    calls: list[Path] = []
    real = ocr._read_words
    monkeypatch.setattr(ocr, "_read_words", lambda path, dpi=None: calls.append(path) or real(path, dpi))
    with ocr.reuse():
        ocr.words(page)
        ocr.words(page)
    ocr.words(page)
    assert len(calls) == 2  # once inside the block, once after it (nothing is remembered past the block)


def test_the_preview_draws_the_boxes(tmp_path: Path) -> None:
    png = render_page(_pdf(LINES), 1, [Drawn((50.0, 88.0, 560.0, 103.0), "area", "#1")], dpi=72)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (595, 842)
    red, _green, blue = image.getpixel((300, 95))
    assert blue > red + 60  # the blue of an area drawn by hand, over the line
    assert image.getpixel((300, 400)) == (255, 255, 255)
    assert leaked(str(png)) == []


@pytest.mark.parametrize("style", ["removed", "proposed", "area"])
def test_the_preview_hides_the_text_under_every_box(style: str) -> None:
    # The text behind a mark is shown only by the approved reveal: a see-through box would show it to
    # anyone allowed the preview.
    box = (50.0, 88.0, 560.0, 103.0)  # over "Secret annex reference XK-4471 stays private."
    png = render_page(_pdf(LINES), 1, [Drawn(box, style, "#1")], dpi=72)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    inside = image.crop((int(box[0]) + 3, int(box[1]) + 3, int(box[2]) - 3, int(box[3]) - 3))
    colours = {colour for _count, colour in inside.getcolors(maxcolors=4096) or []}
    assert len(colours) == 1  # one flat fill: no glyph shows through
    uncovered = image.crop((50, 70, 560, 85))  # the line above the box still reads
    assert len(uncovered.getcolors(maxcolors=4096) or []) > 1
