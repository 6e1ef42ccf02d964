"""Bates stamps: on every page, readable, at the displayed bottom right, the page content untouched."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pdfminer.high_level import extract_text

from evidence.production.bates import MARGIN, stamp_pdf, text_matrix
from evidence.production.errors import ProductionError
from evidence.production.stamps import page_content
from tests.evidence.production.engine_helpers import fpdf_pdf, rotated_pdf


def _stamp(tmp_path: Path, data: bytes, first: int = 41) -> tuple[Path, int]:
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(data)
    pages = stamp_pdf(source, target, label_for=lambda index: f"CAF-MINUSCA-{first + index:06d}", control="DOC-1")
    return target, pages


def _texts(path: Path, pages: int) -> list[str]:
    return [extract_text(str(path), page_numbers=[index]) for index in range(pages)]


def test_every_page_carries_its_own_number_and_keeps_its_text(tmp_path: Path) -> None:
    stamped, pages = _stamp(tmp_path, fpdf_pdf([f"witness statement page {n}" for n in range(5)]))
    assert pages == 5
    for index, text in enumerate(_texts(stamped, pages)):
        assert f"CAF-MINUSCA-{41 + index:06d}" in text
        assert f"witness statement page {index}" in text
        assert sum(f"CAF-MINUSCA-{n:06d}" in text for n in range(41, 46)) == 1


def test_original_content_streams_are_kept_byte_for_byte(tmp_path: Path) -> None:
    data = fpdf_pdf(["alpha", "beta", "gamma"])
    with pikepdf.open(io.BytesIO(data)) as original:
        before = [page_content(page) for page in original.pages]
        raw_before = [page.obj.Contents.read_raw_bytes() for page in original.pages]
    stamped, _pages = _stamp(tmp_path, data)
    with pikepdf.open(stamped) as pdf:
        for page, content, raw in zip(pdf.pages, before, raw_before, strict=True):
            streams = list(page.obj.Contents)
            assert len(streams) == 3
            assert streams[0].read_bytes() == b"q\n"
            assert streams[1].read_bytes() == content
            assert streams[1].read_raw_bytes() == raw
            assert streams[2].read_bytes().startswith(b"Q q BT /CustodyBates")


def test_rotated_and_cropped_pages_are_stamped_inside_the_visible_area(tmp_path: Path) -> None:
    stamped, pages = _stamp(tmp_path, rotated_pdf(), first=7)
    assert pages == 4
    for index, text in enumerate(_texts(stamped, pages)):
        assert f"CAF-MINUSCA-{7 + index:06d}" in text
    with pikepdf.open(stamped) as pdf:
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in (page.obj.get("/CropBox") or page.obj.MediaBox))
            tokens = pikepdf.parse_content_stream(list(page.obj.Contents)[-1])
            matrix = next(op.operands for op in tokens if str(op.operator) == "Tm")
            e, f = float(matrix[4]), float(matrix[5])
            assert x0 <= e <= x1 and y0 <= f <= y1


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_stamp_reads_upright_at_the_displayed_bottom_right(rotate: int) -> None:
    box = (50.0, 60.0, 500.0, 700.0)
    a, b, c, d, e, f = text_matrix(box, rotate, 80.0)
    # Map user space to the page as displayed (rotated clockwise by /Rotate).
    x0, y0, x1, y1 = box
    to_display = {
        0: lambda x, y: (x - x0, y - y0),
        90: lambda x, y: (y - y0, x1 - x),
        180: lambda x, y: (x1 - x, y1 - y),
        270: lambda x, y: (y1 - y, x - x0),
    }[rotate]
    display_width = (x1 - x0) if rotate in (0, 180) else (y1 - y0)
    start = to_display(e, f)
    end = to_display(e + 80 * a, f + 80 * b)
    up = to_display(e + 10 * c, f + 10 * d)
    assert start == pytest.approx((display_width - MARGIN - 80, MARGIN))
    assert end == pytest.approx((display_width - MARGIN, MARGIN))
    assert up == pytest.approx((start[0], MARGIN + 10))


def test_inherited_resources_are_copied_not_shared(tmp_path: Path) -> None:
    pdf = pikepdf.open(io.BytesIO(fpdf_pdf(["one", "two"])))
    resources = pdf.pages[0].obj.Resources
    pdf.Root.Pages.Resources = resources
    for page in pdf.pages:
        del page.obj["/Resources"]
    source = io.BytesIO()
    pdf.save(source)
    stamped, pages = _stamp(tmp_path, source.getvalue())
    texts = _texts(stamped, pages)
    assert "one" in texts[0] and "CAF-MINUSCA-000041" in texts[0]
    assert "two" in texts[1] and "CAF-MINUSCA-000042" in texts[1]


def test_libreoffice_pdf_is_stamped(tmp_path: Path) -> None:
    text = tmp_path / "statement.txt"
    text.write_text("Statement made before the investigator\n" * 80, encoding="utf-8")
    converted = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(text)],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    produced = tmp_path / "statement.pdf"
    assert converted.returncode == 0 and produced.exists(), converted.stderr
    data = produced.read_bytes()
    with pikepdf.open(produced) as made:
        assert "LibreOffice" in str(made.docinfo["/Producer"])
    stamped, pages = _stamp(tmp_path, data)
    assert pages >= 2
    for index, page_text in enumerate(_texts(stamped, pages)):
        assert f"CAF-MINUSCA-{41 + index:06d}" in page_text
        assert "Statement made before the investigator" in page_text


@pytest.mark.parametrize(
    "data",
    [b"not a pdf at all", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"],
    ids=["garbage", "no-pages"],
)
def test_unreadable_pdf_names_the_control(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ProductionError) as raised:
        _stamp(tmp_path, data)
    assert raised.value.control == "DOC-1"
    assert str(raised.value).startswith("DOC-1: ")


def test_password_protected_pdf_names_the_control(tmp_path: Path) -> None:
    pdf = pikepdf.open(io.BytesIO(fpdf_pdf(["secret"])))
    locked = io.BytesIO()
    pdf.save(locked, encryption=pikepdf.Encryption(user="open-sesame", owner="owner"))
    with pytest.raises(ProductionError, match="DOC-1: the PDF is password-protected"):
        _stamp(tmp_path, locked.getvalue())
