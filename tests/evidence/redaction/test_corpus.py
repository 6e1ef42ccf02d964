"""Done-when checks on the corpus, with readers independent of the engine's own verifier."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from pdfminer.high_level import extract_text

from evidence.redaction.result import Outcome
from tests.evidence.redaction.corpus import PRODUCERS

KEYS = ["aichakone", "moussakone", "72123456", "boyrabe"]
IDENTIFIER_WORDS = {"aicha", "kone", "moussa", "boy", "rabe"}
NAMES = sorted(PRODUCERS)
# Pages that go through OCR: their original text is not (fully) extractable to compare with.
RASTERISED = {"scanned", "no-unicode-font"}
# Checked by OCR of the rendered output: text readers cannot see words inside images.
IN_PIXELS = ["scanned", "image-in-text-page"]


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[\W_]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)).casefold())


def leaked(text: str) -> list[str]:
    folded = fold(text)
    return [key for key in KEYS if key in folded]


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def words(text: str) -> Counter[str]:
    return Counter(w for w in (fold(m) for m in re.findall(r"[^\W\d_]{2,}", text)) if w not in IDENTIFIER_WORDS)


def _output(name: str, redacted: dict[str, Outcome], tmp_path: Path) -> Path:
    if name not in redacted:
        pytest.skip(f"producer for {name} not installed")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(redacted[name].data)
    return path


def test_corpus_carries_identifiers_before_redaction(corpus: dict[str, Path]) -> None:
    for name, path in corpus.items():
        raw = subprocess.run(
            ["qpdf", "--qdf", "--object-streams=disable", str(path), "-"], capture_output=True, check=False
        ).stdout
        in_pixels_only = name in ("scanned", "image-in-text-page")
        assert in_pixels_only or leaked(pdftotext(path)) or leaked(raw.decode("latin-1")), name
    assert len(corpus) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_no_identifier_left_per_pdftotext(name: str, redacted: dict[str, Outcome], tmp_path: Path) -> None:
    assert leaked(pdftotext(_output(name, redacted, tmp_path))) == []


@pytest.mark.parametrize("name", NAMES)
def test_no_identifier_left_per_pdfminer(name: str, redacted: dict[str, Outcome], tmp_path: Path) -> None:
    assert leaked(extract_text(str(_output(name, redacted, tmp_path)))) == []


@pytest.mark.parametrize("name", NAMES)
def test_no_identifier_in_decompressed_bytes(name: str, redacted: dict[str, Outcome], tmp_path: Path) -> None:
    path = _output(name, redacted, tmp_path)
    qdf = tmp_path / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), str(qdf)], check=True)
    raw = qdf.read_bytes()
    for decoded in (raw.decode("latin-1"), raw.decode("utf-16-be", "ignore"), raw[1:].decode("utf-16-be", "ignore")):
        assert leaked(decoded) == []


@pytest.mark.parametrize("name", NAMES)
def test_structure_kept_and_clean(
    name: str, corpus: dict[str, Path], redacted: dict[str, Outcome], tmp_path: Path
) -> None:
    path = _output(name, redacted, tmp_path)
    with pikepdf.open(corpus[name]) as before, pikepdf.open(path) as after:
        assert len(after.pages) == len(before.pages)
        assert "/Info" not in after.trailer
        assert "/Metadata" not in after.Root
        assert "/AcroForm" not in after.Root
        assert len(after.attachments) == 0
        assert all("/Annots" not in page.obj for page in after.pages)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=False)
    assert check.returncode == 0, check.stdout.decode()[-500:]
    assert redacted[name].report.verified


@pytest.mark.parametrize("name", [n for n in NAMES if n not in RASTERISED])
def test_other_words_still_extractable(
    name: str, corpus: dict[str, Path], redacted: dict[str, Outcome], tmp_path: Path
) -> None:
    before = words(pdftotext(corpus[name])) if name in corpus else Counter()
    after = words(pdftotext(_output(name, redacted, tmp_path)))
    kept = sum(min(n, after[w]) for w, n in before.items())
    assert before
    assert kept / sum(before.values()) >= 0.95


def test_scanned_page_is_burned_and_searchable(redacted: dict[str, Outcome], tmp_path: Path) -> None:
    path = _output("scanned", redacted, tmp_path)
    assert redacted["scanned"].report.rasterised_pages == [1]
    text = pdftotext(path)
    assert "investigator" in text.lower()
    assert leaked(text) == []


def test_font_without_unicode_mapping_is_rasterised(redacted: dict[str, Outcome]) -> None:
    if "no-unicode-font" not in redacted:
        pytest.skip("ghostscript not installed")
    assert redacted["no-unicode-font"].report.rasterised_pages == [1]
    assert redacted["ghostscript"].report.rasterised_pages == []


def test_text_page_keeps_vector_text_and_draws_boxes(redacted: dict[str, Outcome]) -> None:
    outcome = redacted["reportlab-helvetica"]
    assert outcome.report.rasterised_pages == []
    with pikepdf.open(io.BytesIO(outcome.data)) as pdf:
        pdf.pages[0].contents_coalesce()
        content = pdf.pages[0].Contents.read_bytes()
    assert b" re f" in content
    assert b"TJ" in content


def test_report_holds_counts_not_text(redacted: dict[str, Outcome]) -> None:
    report = redacted["chromium"].report.as_dict()
    assert report["removed_by_category"]["legal_name"] >= 2
    assert report["removed_by_category"]["relative"] == 1
    assert leaked(repr(report)) == []


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler not installed")
def test_boxes_cover_the_removed_words(redacted: dict[str, Outcome], tmp_path: Path) -> None:
    from PIL import Image

    path = _output("reportlab-helvetica", redacted, tmp_path)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", "-singlefile", str(path), str(tmp_path / "p")]
    )
    with Image.open(tmp_path / "p.png") as image:
        dark = sum(1 for px in image.convert("L").get_flattened_data() if px < 20)
    assert dark > 500


@pytest.mark.parametrize("name", IN_PIXELS)
def test_no_identifier_visible_per_ocr_of_rendered_output(
    name: str, redacted: dict[str, Outcome], tmp_path: Path
) -> None:
    path = _output(name, redacted, tmp_path)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    for image in sorted(tmp_path.glob("page*.png")):
        text = subprocess.run(["tesseract", str(image), "stdout", "-l", "fra+eng"], capture_output=True, check=True)
        assert leaked(text.stdout.decode()) == []


def test_original_picture_shows_the_name_to_ocr(corpus: dict[str, Path], tmp_path: Path) -> None:
    if "image-in-text-page" not in corpus:
        pytest.skip("tesseract not installed")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(corpus["image-in-text-page"]), str(tmp_path / "p")], check=True
    )
    image = next(tmp_path.glob("p*.png"))
    text = subprocess.run(["tesseract", str(image), "stdout", "-l", "fra+eng"], capture_output=True, check=True)
    assert leaked(text.stdout.decode()) == ["aichakone"]


@pytest.mark.parametrize("name", ["fpdf2-dejavu", "chromium", "reportlab-truetype"])
def test_font_maps_forget_characters_only_the_removed_words_used(name: str, redacted: dict[str, Outcome]) -> None:
    from evidence.redaction.fonts import load_font

    if name not in redacted:
        pytest.skip("producer not installed")
    with pikepdf.open(io.BytesIO(redacted[name].data)) as pdf:
        mapped = set()
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/ToUnicode" in obj:
                mapped |= set(load_font(obj).unicode.values())
    assert mapped
    assert "ï" not in mapped  # only "Aïcha" uses it
