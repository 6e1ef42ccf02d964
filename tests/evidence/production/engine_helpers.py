"""Documents, signers and shell runners for the production engine's tests."""

from __future__ import annotations

import atexit
import datetime
import hashlib
import io
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import gnupg
import pikepdf
from fpdf import FPDF

from evidence.production.package import PackageInfo, ProducedDocument, WithheldEntry

VENV_BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"
CREATED = "2026-11-30T09:15:00Z"
FIXED_DATE = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)


def gpg_home(prefix: str) -> str:
    """A throw-away GnuPG home whose agent (started by key generation, decryption or a plain
    ``gpg --import``) is stopped and whose directory is removed when the test process ends."""
    home = tempfile.mkdtemp(prefix=prefix)
    atexit.register(release_gpg_home, home)
    return home


def release_gpg_home(home: str) -> None:
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], capture_output=True, check=False)
    shutil.rmtree(home, ignore_errors=True)


class KeySigner:
    """A real GnuPG signing key in its own home; signatures memoised so equal input gives equal bytes."""

    def __init__(self, name: str = "Production test") -> None:
        self.home = gpg_home("custody-test-signer-")
        self.gpg = gnupg.GPG(gnupghome=self.home)
        spec = self.gpg.gen_key_input(
            key_type="EDDSA", key_curve="ed25519", key_usage="sign", name_real=name,
            name_email="signer@custody.invalid", no_protection=True, expire_date=0,
        )  # fmt: skip
        self.fpr = str(self.gpg.gen_key(spec).fingerprint)
        self.signed: dict[bytes, str] = {}

    def sign(self, data: bytes) -> str:
        if data not in self.signed:
            self.signed[data] = str(self.gpg.sign(data, keyid=self.fpr, detach=True))
        return self.signed[data]

    def fingerprint(self) -> str:
        return self.fpr

    def public_key(self) -> str:
        return str(self.gpg.export_keys(self.fpr))


@cache
def signer() -> KeySigner:
    return KeySigner()


def fpdf_pdf(texts: list[str]) -> bytes:
    doc = FPDF()
    doc.set_creation_date(FIXED_DATE)  # same input, same bytes: builds can be compared byte for byte
    doc.set_font("helvetica", size=14)
    for text in texts:
        doc.add_page()
        doc.cell(text=text)
    return bytes(doc.output())


def rotated_pdf() -> bytes:
    """Four pages rotated 0/90/180/270, the last two with a crop box smaller than the media box."""
    pdf = pikepdf.open(io.BytesIO(fpdf_pdf([f"rotated page {n}" for n in range(4)])))
    for index, page in enumerate(pdf.pages):
        page.obj.Rotate = index * 90
        if index >= 2:
            page.obj.CropBox = [50, 60, 500, 700]
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)  # a time-based /ID would make two builds differ
    return out.getvalue()


def document(control: str, data: bytes, *, media_type: str = "application/pdf", **extra: object) -> ProducedDocument:
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 65536):
            yield data[start : start + 65536]

    fields: dict[str, object] = {
        "control": control,
        "item_ref": f"item-{control.lower()}",
        "form": "original",
        "media_type": media_type,
        "display_name": f"Exhibit {control}",
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "custodian": "Coalition legal team",
        "collected_at": "2026-03-01T10:00:00Z",
        "open_plaintext": chunks,
        "custody_report": json.dumps({"item": control, "events": []}).encode(),
        "redaction_log": None,
    }
    fields.update(extra)
    return ProducedDocument(**fields)  # type: ignore[arg-type]


def info(**extra: object) -> PackageInfo:
    fields: dict[str, object] = {
        "production_ref": "CAF-2026-0007-P003",
        "case_ref": "CAF-2026-0007",
        "recipient": "Tribunal de grande instance de Bangui",
        "forum": "tgi-bangui",
        "purpose": "Trial, first instance",
        "prepared_by": "Counsel for the survivors",
        "organisation": "Coalition",
        "bates_prefix": "CAF-MINUSCA-",
        "bates_start": 1,
        "created_at": CREATED,
    }
    fields.update(extra)
    return PackageInfo(**fields)  # type: ignore[arg-type]


def mixed_documents() -> list[ProducedDocument]:
    redacted = fpdf_pdf(["redacted statement, page one", "redacted statement, page two"])
    return [
        document("DOC-000001", fpdf_pdf(["first exhibit, only page"])),
        document("DOC-000002", rotated_pdf()),
        document("DOC-000003", b"native spreadsheet bytes\n" * 100, media_type="text/csv"),
        document("DOC-000004", redacted, form="redacted", redaction_log=b'{"areas": 3}'),
        document("DOC-000005", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, media_type="image/png"),
    ]


def withheld() -> list[WithheldEntry]:
    return [
        WithheldEntry("item-9", "Exhibit 9", "privilege", "Legal advice privilege"),
        WithheldEntry("item-10", "=HYPERLINK(1)", "consent", "Consent missing for proceedings before tgi-bangui"),
    ]


class NonSeekable:
    """A write-only sink like the vault's encrypting writer: no seek, no tell."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def getvalue(self) -> bytes:
        return self.buffer.getvalue()


def shell(command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def clerk_steps(bag: Path) -> list[tuple[str, int, str]]:
    """The documented standard-tool steps, each with its exit status and output."""
    gnupg_home = tempfile.mkdtemp(prefix="custody-clerk-")
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "GNUPGHOME": gnupg_home, "LC_ALL": "C.UTF-8"}
    try:
        return _run_steps(bag, env)
    finally:
        release_gpg_home(gnupg_home)


def _run_steps(bag: Path, env: dict[str, str]) -> list[tuple[str, int, str]]:
    steps = [
        "bagit.py --validate .",
        "sha256sum -c manifest-sha256.txt",
        "sha256sum -c tagmanifest-sha256.txt",
        "gpg --import signing-key.asc",
        "gpg --verify tagmanifest-sha256.txt.asc tagmanifest-sha256.txt",
    ]
    results = []
    for step in steps:
        done = shell(step, bag, env)
        results.append((step, done.returncode, done.stdout + done.stderr))
    return results
