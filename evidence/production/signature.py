"""Checking the detached signature over the tag manifest, with gpg in a throw-away home directory."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import gnupg

from evidence.production import bag
from evidence.production.errors import ProductionError
from evidence.redaction.scratch import scratch_base


def _normal(fingerprint: str) -> str:
    return "".join(fingerprint.split()).upper()


def check_signature(directory: Path, *, key: str | None, fingerprints: Sequence[str]) -> str:
    """The primary fingerprint of the key that signed the tag manifest; raises if the signature is bad.

    Only ``key`` (when given) or else the packaged public key is known to gpg, so a signature by
    any other key fails; ``fingerprints`` narrows the accepted keys further."""
    signature, manifest = directory / bag.SIGNATURE, directory / bag.TAGMANIFEST
    for needed in (signature, manifest):
        if not needed.is_file():
            raise ProductionError(f"{needed.name} is missing")
    if key is None:
        packaged = directory / bag.PUBLIC_KEY
        if not packaged.is_file():
            raise ProductionError(f"{bag.PUBLIC_KEY} is missing")
        key = packaged.read_text(encoding="ascii", errors="replace")
    with tempfile.TemporaryDirectory(prefix="custody-gpg-", dir=scratch_base()) as home:
        # No agent: checking a signature needs no secret key, and an agent would outlive the home.
        gpg = gnupg.GPG(gnupghome=home, options=["--no-autostart"])
        if not gpg.import_keys(key).fingerprints:
            raise ProductionError("no OpenPGP public key could be read to check the signature with")
        result = gpg.verify_data(str(signature), manifest.read_bytes())
    if not result.valid:
        raise ProductionError(f"the signature over {bag.TAGMANIFEST} is not valid ({result.status or 'no signature'})")
    found = _normal(str(result.pubkey_fingerprint or result.fingerprint))
    if fingerprints and found not in {_normal(value) for value in fingerprints}:
        raise ProductionError(f"signed by key {found}, which is not one of the required keys")
    return found
