from __future__ import annotations

import email
import email.policy
import io
import os
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from evidence.redaction.detection import Policy, Term
from evidence.redaction.engine import redact_bytes, redact_file, verify
from evidence.redaction.result import LeakDetected, ManualReviewRequired, UnsupportedFormat
from tests.evidence.redaction.corpus import DEJAVU, IDENTIFIERS, scanned
from tests.evidence.redaction.test_corpus import leaked

needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")


def test_plain_text() -> None:
    data = "Témoignage de AICHA KONÉ, joignable au 72 12 34 56.\nRien d'autre.".encode()
    outcome = redact_bytes(data, "note.txt", IDENTIFIERS)
    text = outcome.data.decode()
    assert leaked(text) == []
    assert "Rien d'autre." in text
    assert outcome.report.verified


def test_csv_cells_keep_their_columns() -> None:
    data = "name;village;note\nAïcha Koné;Boy-Rabé;interviewed\nX;Y;Moussa Koné called\n".encode()
    outcome = redact_bytes(data, "list.csv", IDENTIFIERS)
    rows = [line.split(";") for line in outcome.data.decode().splitlines()]
    assert [len(r) for r in rows] == [3, 3, 3]
    assert rows[1][2] == "interviewed"
    assert leaked(outcome.data.decode()) == []


def _eml(attachment: tuple[bytes, str, str, str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Aïcha Koné <temoin@example.org>"
    message["To"] = "avocat@example.org"
    message["Subject"] = "Statement of Aïcha Koné"
    message.set_content("Her brother Moussa Koné can be reached on +236 72 12 34 56.\nRegards")
    if attachment:
        data, maintype, subtype, filename = attachment
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def test_email_headers_body_and_attachments(corpus: dict[str, Path]) -> None:
    pdf = corpus["reportlab-helvetica"].read_bytes()
    data = _eml((pdf, "application", "pdf", "aicha-kone.pdf"))
    outcome = redact_bytes(data, "message.eml", IDENTIFIERS)
    assert leaked(outcome.data.decode("latin-1")) == []
    body = email.message_from_bytes(outcome.data, policy=email.policy.default).get_body(("plain",))
    assert body is not None
    assert "Regards" in body.get_content()
    assert outcome.report.removed
    assert verify("eml", outcome.data, IDENTIFIERS, Policy()) == []


def test_email_with_unsupported_attachment_is_refused() -> None:
    data = _eml((b"PK\x03\x04 not really a zip", "application", "zip", "files.zip"))
    with pytest.raises(UnsupportedFormat):
        redact_bytes(data, "message.eml", IDENTIFIERS)


def test_unsupported_format_is_refused() -> None:
    with pytest.raises(UnsupportedFormat):
        redact_bytes(b"PK\x03\x04docx", "statement.docx", IDENTIFIERS)


@needs_ocr
def test_image_text_burned_and_metadata_dropped() -> None:
    image = Image.new("RGB", (1400, 300), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU), 40)
    draw.text((40, 60), "Statement of Aïcha Koné", fill="black", font=font)
    draw.text((40, 160), "The interview took place in the morning", fill="black", font=font)
    exif = Image.Exif()
    exif[0x010E] = "Aïcha Koné"  # ImageDescription
    exif[0x8825] = {1: "N", 2: (4.0, 21.0, 40.0)}  # GPS
    source = io.BytesIO()
    image.save(source, "JPEG", exif=exif, quality=95)
    outcome = redact_bytes(source.getvalue(), "photo.jpg", IDENTIFIERS)
    with Image.open(io.BytesIO(outcome.data)) as out:
        assert len(out.getexif()) == 0
        assert "exif" not in out.info
        assert out.size == image.size
    assert outcome.report.removed[("legal_name", 1)] == 1


def test_verification_names_category_and_place_never_the_value(corpus: dict[str, Path]) -> None:
    leaks = verify("pdf", corpus["reportlab-helvetica"].read_bytes(), IDENTIFIERS, Policy())
    assert {leak.category for leak in leaks} >= {"legal_name", "relative"}
    locations = " ".join(leak.location for leak in leaks)
    assert "page 1 text (pdftotext)" in locations
    assert "document info" in locations
    error = LeakDetected(leaks)
    assert leaked(error.message) == []


def test_scan_without_ocr_needs_manual_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = scanned(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pdftoppm", "pdftotext", "qpdf"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(ManualReviewRequired):
        redact_bytes(path.read_bytes(), path.name, IDENTIFIERS)


def test_output_only_written_when_verified(tmp_path: Path) -> None:
    source = tmp_path / "statement.docx"
    source.write_bytes(b"PK\x03\x04")
    target = tmp_path / "out" / "statement.docx"
    with pytest.raises(UnsupportedFormat):
        redact_file(source, target, [Term("legal_name", "Aïcha Koné")])
    assert not target.exists()
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_command_line(corpus: dict[str, Path], tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("# survivor\nAïcha Koné\nrelative: Moussa Koné\ncontact: +236 72 12 34 56\n", encoding="utf-8")
    out, report = tmp_path / "out.pdf", tmp_path / "report.json"
    manage = [sys.executable, "manage.py", "redact"]
    ok = subprocess.run(
        [*manage, str(corpus["chromium"]), str(out), "--identifiers", str(ids), "--report", str(report)],
        capture_output=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr.decode()[-400:]
    assert out.exists()
    assert '"verified": true' in report.read_text()
    assert leaked(report.read_text()) == []
    unknown = tmp_path / "archive.bin"
    unknown.write_bytes(b"\x00\x01binary")
    refused = subprocess.run(
        [*manage, str(unknown), str(tmp_path / "x.bin"), "--identifiers", str(ids)], capture_output=True, check=False
    )
    assert refused.returncode != 0
    assert b"cannot be redacted" in refused.stderr
    assert not (tmp_path / "x.bin").exists()
    assert not list(tmp_path.glob(".redacting-*"))
