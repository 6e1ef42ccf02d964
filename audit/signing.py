"""The vault's audit signing key, held by GnuPG through python-gnupg.

The key is an Ed25519 signing key created on first use in
``settings.CUSTODY_GNUPG_HOME`` (directory mode 0700). Without
``CUSTODY_AUDIT_KEY_PASSPHRASE`` the secret key is stored unprotected and
guarded by file permissions only; docs/audit.md describes the production
options (a passphrase, or a key created elsewhere and imported).
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import gnupg
from django.conf import settings

KEY_NAME: Final = "Custody audit checkpoints"
KEY_EMAIL: Final = "audit-checkpoints@custody.invalid"


class SigningError(RuntimeError):
    pass


def _home() -> Path:
    home = Path(settings.CUSTODY_GNUPG_HOME)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    return home


def _gpg() -> gnupg.GPG:
    return gnupg.GPG(gnupghome=str(_home()))


def _passphrase() -> str | None:
    return getattr(settings, "CUSTODY_AUDIT_KEY_PASSPHRASE", None) or None


@contextmanager
def _key_lock() -> Iterator[None]:
    # Two workers starting together must not each create a key.
    with (_home() / ".custody-audit-key.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _find(gpg: gnupg.GPG) -> str | None:
    for key in gpg.list_keys(secret=True):
        if any(KEY_EMAIL in uid for uid in key.get("uids", [])):
            return str(key["fingerprint"])
    return None


def fingerprint() -> str:
    """The signing key's fingerprint, creating the key if there is none yet."""
    gpg = _gpg()
    found = _find(gpg)
    if found:
        return found
    with _key_lock():
        found = _find(gpg)
        if found:
            return found
        passphrase = _passphrase()
        spec = gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            key_usage="sign",
            name_real=KEY_NAME,
            name_email=KEY_EMAIL,
            expire_date=0,
            no_protection=passphrase is None,
            passphrase=passphrase,
        )
        created = gpg.gen_key(spec)
        if not created.fingerprint:
            raise SigningError("The audit signing key could not be created.")
        return str(created.fingerprint)


def sign(data: bytes) -> tuple[str, str]:
    """A detached ASCII-armored signature over ``data``, and the signing key's fingerprint."""
    key = fingerprint()
    result = _gpg().sign(data, keyid=key, detach=True, passphrase=_passphrase())
    if not result.fingerprint:
        raise SigningError("The audit checkpoint could not be signed.")
    return str(result), str(result.fingerprint)


def verify(data: bytes, signature: str) -> str | None:
    """The fingerprint of the key that made ``signature`` over ``data``, or None if it is not valid."""
    with tempfile.NamedTemporaryFile("w", suffix=".asc", encoding="ascii") as handle:
        handle.write(signature)
        handle.flush()
        result = _gpg().verify_data(handle.name, data)
    return str(result.fingerprint) if result.valid else None


def public_key() -> str:
    """The ASCII-armored public key, for anyone checking checkpoints offline."""
    return str(_gpg().export_keys(fingerprint()))
