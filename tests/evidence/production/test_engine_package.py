"""The package: layout, load files, slip sheets, logs, refusals, encryption to a recipient."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import zipfile
from pathlib import Path

import gnupg
import pytest
from pdfminer.high_level import extract_text

from evidence.production.errors import ProductionError
from evidence.production.loadfile import FIELDS
from evidence.production.package import PackageResult, write_package
from evidence.production.signer import VaultSigner
from evidence.production.verify import verify_package
from tests.evidence.production.engine_helpers import (
    NonSeekable,
    document,
    fpdf_pdf,
    gpg_home,
    info,
    mixed_documents,
    signer,
    withheld,
)

ROOT = "CAF-2026-0007-P003/"


def build(**extra: object) -> tuple[bytes, PackageResult]:
    sink = NonSeekable()
    options: dict[str, object] = {"info": info(), "documents": mixed_documents(), "withheld": withheld()}
    options["signer"] = signer()
    options.update(extra)
    result = write_package(sink, **options)  # type: ignore[arg-type]
    return sink.getvalue(), result


@pytest.fixture(scope="module")
def built() -> tuple[zipfile.ZipFile, PackageResult, bytes]:
    data, result = build()
    return zipfile.ZipFile(io.BytesIO(data)), result, data


def test_one_bag_directory_named_by_the_reference_with_fixed_names(built: tuple) -> None:
    archive, result, data = built
    names = archive.namelist()
    assert all(name.startswith(ROOT) for name in names)
    assert result.bag_name == "CAF-2026-0007-P003"
    expected_tags = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"}
    expected_tags |= {"tagmanifest-sha256.txt.asc", "signing-key.asc", "README.txt"}
    assert {name.removeprefix(ROOT) for name in names if "/data/" not in name} == expected_tags
    assert result.package_sha256 == hashlib.sha256(data).hexdigest() and result.package_size == len(data)
    assert not any("Exhibit" in name for name in names)
    assert archive.testzip() is None


def test_bates_numbers_run_across_documents_and_pages(built: tuple) -> None:
    _archive, result, _data = built
    ranges = [(doc.control, doc.bates_first, doc.bates_last, doc.pages, doc.slip_sheet) for doc in result.documents]
    assert ranges == [
        ("DOC-000001", "CAF-MINUSCA-000001", "CAF-MINUSCA-000001", 1, False),
        ("DOC-000002", "CAF-MINUSCA-000002", "CAF-MINUSCA-000005", 4, False),
        ("DOC-000003", "CAF-MINUSCA-000006", "CAF-MINUSCA-000006", 1, True),
        ("DOC-000004", "CAF-MINUSCA-000007", "CAF-MINUSCA-000008", 2, False),
        ("DOC-000005", "CAF-MINUSCA-000009", "CAF-MINUSCA-000009", 1, True),
    ]
    assert (result.bates_first, result.bates_last) == ("CAF-MINUSCA-000001", "CAF-MINUSCA-000009")
    assert result.next_number == 10


def test_numbering_continues_from_the_allocated_start() -> None:
    _data, result = build(info=info(bates_start=120, bates_width=7), documents=mixed_documents()[:2])
    assert (result.bates_first, result.bates_last) == ("CAF-MINUSCA-0000120", "CAF-MINUSCA-0000124")
    assert result.next_number == 125


def test_load_files_csv_and_dat(built: tuple) -> None:
    archive, result, _data = built
    rows = list(csv.reader(io.StringIO(archive.read(ROOT + "data/loadfile.csv").decode())))
    assert tuple(rows[0]) == FIELDS
    dat = archive.read(ROOT + "data/loadfile.dat")
    assert dat.startswith(b"\xef\xbb\xbf\xc3\xbe" + b"BEGBATES" + "þ\x14þ".encode() + b"ENDBATES")
    lines = dat.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == "" and len(lines) == len(rows) + 1
    for line, row in zip(lines, rows, strict=False):
        assert line == "\x14".join(f"þ{cell}þ" for cell in row)
    native = dict(zip(FIELDS, rows[3], strict=True))
    assert native["BEGBATES"] == native["ENDBATES"] == "CAF-MINUSCA-000006"
    assert native["MEDIATYPE"] == "text/csv" and native["CUSTODIAN"] == "Coalition legal team"
    assert native["COLLECTED"] == "2026-03-01T10:00:00Z" and native["FORM"] == "original"
    assert native["NATIVEPATH"] == "data/natives/CAF-MINUSCA-000006.csv"
    assert native["SOURCESHA256"] == hashlib.sha256(b"native spreadsheet bytes\n" * 100).hexdigest()
    assert native["SHA256"] == hashlib.sha256(archive.read(ROOT + native["IMAGEPATH"])).hexdigest()
    redacted = dict(zip(FIELDS, rows[4], strict=True))
    assert redacted["FORM"] == "redacted" and redacted["REDACTIONLOGPATH"] == "data/redaction/DOC-000004.json"
    assert archive.read(ROOT + "data/redaction/DOC-000004.json") == b'{"areas": 3}'
    assert result.documents[3].path == redacted["IMAGEPATH"] == "data/documents/CAF-MINUSCA-000007.pdf"


def test_native_sits_beside_its_slip_sheet(built: tuple, tmp_path: Path) -> None:
    archive, _result, _data = built
    assert archive.read(ROOT + "data/natives/CAF-MINUSCA-000006.csv") == b"native spreadsheet bytes\n" * 100
    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(archive.read(ROOT + "data/documents/CAF-MINUSCA-000006.pdf"))
    text = extract_text(str(sheet))
    native = "data/natives/CAF-MINUSCA-000006.csv"
    for expected in ("CAF-MINUSCA-000006", "DOC-000003", "Exhibit DOC-000003", "text/csv", native):
        assert expected in text
    assert hashlib.sha256(b"native spreadsheet bytes\n" * 100).hexdigest() in text
    assert archive.read(ROOT + "data/natives/CAF-MINUSCA-000009.png").startswith(b"\x89PNG")


def test_withholding_log_and_custody_reports(built: tuple) -> None:
    archive, _result, _data = built
    rows = list(csv.reader(io.StringIO(archive.read(ROOT + "data/withholding-log.csv").decode())))
    assert rows == [
        ["ITEMREF", "DOCNAME", "REASONCODE", "REASON"],
        ["item-9", "Exhibit 9", "privilege", "Legal advice privilege"],
        ["item-10", "'=HYPERLINK(1)", "consent", "Consent missing for proceedings before tgi-bangui"],
    ]
    assert archive.read(ROOT + "data/custody/DOC-000001.json") == b'{"item": "DOC-000001", "events": []}'


def test_bag_info_describes_the_production(built: tuple) -> None:
    archive, result, _data = built
    bag_info = archive.read(ROOT + "bag-info.txt").decode()
    for line in (
        "External-Identifier: CAF-2026-0007-P003",
        "Production-Recipient: Tribunal de grande instance de Bangui",
        f"Payload-Oxum: {result.payload_oxum}",
        "Bates-First: CAF-MINUSCA-000001",
        "Bates-Last: CAF-MINUSCA-000009",
        f"Signing-Key-Fingerprint: {signer().fingerprint()}",
        "Bagging-Date: 2026-11-30",
    ):
        assert line in bag_info.splitlines()
    manifest = archive.read(ROOT + "tagmanifest-sha256.txt")
    assert result.tagmanifest_sha256 == hashlib.sha256(manifest).hexdigest()


def test_same_input_gives_the_same_package() -> None:
    first, _result = build()
    second, _result = build()
    assert first == second


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"control": "../etc"}, "control"),
        ({"form": "copy"}, "unknown form"),
        ({"form": "redacted"}, "needs its redaction log"),
        ({"source_sha256": "0" * 64}, "does not match its recorded SHA-256"),
    ],
)
def test_bad_documents_are_refused_naming_the_control(changes: dict, message: str) -> None:
    bad = document(changes.pop("control", "DOC-000009"), fpdf_pdf(["x"]), **changes)
    with pytest.raises(ProductionError, match=message):
        build(documents=[*mixed_documents()[:1], bad])


def test_read_failure_of_the_vault_object_names_the_control() -> None:
    def broken() -> object:
        yield b"%PDF-"
        raise ValueError("segment 3 failed its integrity check")

    with pytest.raises(ProductionError, match="DOC-000001: the stored object could not be read"):
        build(documents=[document("DOC-000001", b"", open_plaintext=broken)])


def test_nothing_reaches_the_sink_after_a_failure() -> None:
    sink = NonSeekable()
    bad = document("DOC-000009", b"not a pdf")
    with pytest.raises(ProductionError, match="DOC-000009: the PDF cannot be opened"):
        write_package(sink, info=info(), documents=[*mixed_documents()[:1], bad], withheld=[], signer=signer())
    written = len(sink.getvalue())
    gc.collect()
    assert len(sink.getvalue()) == written
    assert b"PK\x05\x06" not in sink.getvalue()  # no end of central directory: not a usable ZIP


def test_duplicate_controls_and_bad_info_are_refused() -> None:
    with pytest.raises(ProductionError, match="used twice"):
        build(documents=mixed_documents()[:1] * 2)
    with pytest.raises(ProductionError, match="Bates prefix"):
        build(info=info(bates_prefix="CAF/../"))
    with pytest.raises(ProductionError, match="production reference"):
        build(info=info(production_ref="Survivor name.pdf "))
    with pytest.raises(ProductionError, match="does not fit"):
        build(info=info(bates_start=999_999, bates_width=6), documents=mixed_documents()[:2])


def test_progress_counts_documents() -> None:
    seen: list[int] = []
    build(progress=seen.append)
    assert seen == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_the_vault_signer_signs_the_package(tmp_path: Path) -> None:
    data, result = build(signer=VaultSigner(), documents=mixed_documents()[:1])
    package = tmp_path / "p.zip"
    package.write_bytes(data)
    report = verify_package(package, fingerprints=[VaultSigner().fingerprint()])
    assert report.sound, report.first_problem
    assert report.fingerprint == result.signature_fingerprint == VaultSigner().fingerprint()


def _recipient() -> tuple[gnupg.GPG, str]:
    gpg = gnupg.GPG(gnupghome=gpg_home("custody-recipient-"))
    spec = gpg.gen_key_input(
        key_type="EDDSA", key_curve="ed25519", subkey_type="ECDH", subkey_curve="cv25519",
        name_email="clerk@court.invalid", no_protection=True, expire_date=0,
    )  # fmt: skip
    fingerprint = str(gpg.gen_key(spec).fingerprint)
    return gpg, fingerprint


def test_encrypted_package_decrypts_to_the_same_zip(tmp_path: Path) -> None:
    gpg, fingerprint = _recipient()
    plain, _result = build()
    encrypted, result = build(recipient_key=str(gpg.export_keys(fingerprint)))
    assert not encrypted.startswith(b"PK") and plain not in encrypted
    assert result.package_sha256 == hashlib.sha256(encrypted).hexdigest() and result.package_size == len(encrypted)
    decrypted = gpg.decrypt(encrypted)
    assert decrypted.ok, decrypted.status
    assert decrypted.data == plain
    (tmp_path / "p.zip").write_bytes(decrypted.data)
    assert verify_package(tmp_path / "p.zip", fingerprints=[signer().fingerprint()]).sound


def test_encryption_refuses_a_key_that_cannot_encrypt() -> None:
    with pytest.raises(ProductionError, match="cannot encrypt"):
        build(recipient_key=signer().public_key())
    with pytest.raises(ProductionError, match="exactly one OpenPGP public key"):
        build(recipient_key="not a key")
