"""The BagIt tag files (RFC 8493) of a production and the names of everything in the bag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from django.utils.translation import gettext as _

from evidence.production.naming import one_line

BAGIT_TXT: Final = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST: Final = "manifest-sha256.txt"
TAGMANIFEST: Final = "tagmanifest-sha256.txt"
SIGNATURE: Final = "tagmanifest-sha256.txt.asc"
PUBLIC_KEY: Final = "signing-key.asc"
README: Final = "README.txt"
BAG_INFO: Final = "bag-info.txt"
BAGIT: Final = "bagit.txt"
TAG_FILES: Final = (BAGIT, BAG_INFO, MANIFEST, PUBLIC_KEY, README)
LOADFILE_CSV: Final = "data/loadfile.csv"
LOADFILE_DAT: Final = "data/loadfile.dat"
WITHHOLDING_LOG: Final = "data/withholding-log.csv"
DOCUMENTS: Final = "data/documents/"
NATIVES: Final = "data/natives/"
CUSTODY: Final = "data/custody/"
REDACTION: Final = "data/redaction/"


def manifest_line(sha256: str, path: str) -> str:
    # Two spaces: the line format sha256sum -c reads.
    return f"{sha256}  {path}\n"


def bag_info(fields: Sequence[tuple[str, str]]) -> bytes:
    return "".join(f"{label}: {one_line(value)}\n" for label, value in fields if value).encode("utf-8")


def readme(*, production_ref: str, fingerprint: str) -> bytes:
    lines = [
        _("Production %(ref)s") % {"ref": production_ref},
        "",
        _("This directory is a BagIt bag (RFC 8493). Check it with standard tools, in this directory:"),
        "",
        "  bagit.py --validate .",
        f"  sha256sum -c {MANIFEST}",
        f"  sha256sum -c {TAGMANIFEST}",
        "  export GNUPGHOME=$(mktemp -d)",
        f"  gpg --import {PUBLIC_KEY}",
        f"  gpg --verify {SIGNATURE} {TAGMANIFEST}",
        "  gpg --fingerprint",
        "",
        _("Every command must succeed. gpg must report a good signature by the key with fingerprint:"),
        f"  {fingerprint}",
        _("Compare that fingerprint with the one the producing organisation gave you by another channel."),
        "",
        _("data/loadfile.csv and data/loadfile.dat list the documents with their Bates ranges and SHA-256;"),
        _("data/withholding-log.csv lists the documents withheld and why."),
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
