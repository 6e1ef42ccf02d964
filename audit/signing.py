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

from vault.crypto.gpg_agent import stop_started_agent

KEY_NAME: Final = "Custody audit checkpoints"
KEY_EMAIL: Final = "audit-checkpoints@custody.invalid"


class SigningError(RuntimeError):
    pass


def _home() -> Path:
    home = Path(settings.CUSTODY_GNUPG_HOME)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    return home


def _gpg(*, agent: bool = False) -> gnupg.GPG:
    # Only secret-key operations need gpg-agent; everything else must not start one.
    return gnupg.GPG(gnupghome=str(_home()), options=None if agent else ["--no-autostart"])


def _passphrase() -> str | None:
    return getattr(settings, "CUSTODY_AUDIT_KEY_PASSPHRASE", None) or None


@contextmanager
def _session() -> Iterator[gnupg.GPG]:
    """gpg for one use of the secret key. The agent gpg starts for it is stopped at the end, so no
    daemon holding the unlocked key outlives the process (an agent the operator runs for this home,
    e.g. for a smartcard, is left alone); the lock keeps two workers from creating two keys, or from
    stopping the agent while the other one signs."""
    home = _home()
    with (home / ".custody-audit-key.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with stop_started_agent(home):
                yield _gpg(agent=True)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _find(gpg: gnupg.GPG) -> str | None:
    for key in gpg.list_keys(secret=True):
        if any(KEY_EMAIL in uid for uid in key.get("uids", [])):
            return str(key["fingerprint"])
    return None


def _create(gpg: gnupg.GPG) -> str:
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


def fingerprint() -> str:
    """The signing key's fingerprint, creating the key if there is none yet."""
    with _session() as gpg:
        return _find(gpg) or _create(gpg)


def known_fingerprints() -> list[str]:
    """The fingerprints of every vault signing key held here (older keys stay after a rotation),
    without creating one: what a package or checkpoint signed by this vault must be signed by."""
    with _session() as gpg:
        return [
            str(key["fingerprint"])
            for key in gpg.list_keys(secret=True)
            if any(KEY_EMAIL in uid for uid in key.get("uids", []))
        ]


def sign(data: bytes) -> tuple[str, str]:
    """A detached ASCII-armored signature over ``data``, and the signing key's fingerprint."""
    with _session() as gpg:
        key = _find(gpg) or _create(gpg)
        result = gpg.sign(data, keyid=key, detach=True, passphrase=_passphrase())
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
