"""Escrow of data keys to the coalition's recovery OpenPGP keys.

When ``settings.CUSTODY_ESCROW_FINGERPRINTS`` lists recovery keys (their public halves imported into
``settings.CUSTODY_GNUPG_HOME``), each data key is also encrypted to them. Whoever holds a recovery
private key can then open the content without the server's KEKs. Only data keys (32 bytes plus their
binding) pass through gpg here, so in-memory calls are fine; content is decrypted by the stream
decryptor straight to a file.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final

import gnupg
from django.conf import settings

from vault.crypto.errors import AuthenticationError, ConfigurationError, WrongBindingError
from vault.crypto.gpg_agent import stop_started_agent
from vault.crypto.keys import check_context, check_scope
from vault.crypto.stream import DATA_KEY_SIZE, Digests, StreamDecryptor

_FORMAT: Final = "custody-escrow/v1"


def _home(gnupg_home: Path | str | None) -> Path:
    home = Path(gnupg_home or settings.CUSTODY_GNUPG_HOME)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


@contextmanager
def _secret_key_gpg(home: Path) -> Iterator[gnupg.GPG]:
    """gpg for a recovery private key: the agent gpg starts for it is stopped afterwards, unless one
    was already running for that home (the recovery officer's own)."""
    with stop_started_agent(home):
        yield gnupg.GPG(gnupghome=str(home))


def escrow_enabled() -> bool:
    return bool(settings.CUSTODY_ESCROW_FINGERPRINTS)


def escrow_data_key(
    data_key: bytes,
    *,
    scope: str,
    context: str,
    fingerprints: list[str] | None = None,
    gnupg_home: Path | str | None = None,
) -> bytes | None:
    """An OpenPGP message (binary) holding the data key and its binding, or None if escrow is off."""
    recipients = list(settings.CUSTODY_ESCROW_FINGERPRINTS if fingerprints is None else fingerprints)
    if not recipients:
        return None
    if len(data_key) != DATA_KEY_SIZE:
        raise ConfigurationError("A data key is 32 bytes.")
    check_context(context)
    record = {
        "format": _FORMAT,
        "scope": check_scope(scope),
        "context": context,
        "key": base64.b64encode(data_key).decode("ascii"),
    }
    # Encrypting to public keys needs no agent, and one started here would outlive the process.
    gpg = gnupg.GPG(gnupghome=str(_home(gnupg_home)), options=["--no-autostart"])
    # Recipients are pinned by full fingerprint in settings, so the web of trust adds nothing.
    result = gpg.encrypt(json.dumps(record).encode("utf-8"), recipients, armor=False, always_trust=True)
    if not result.ok:
        raise ConfigurationError(f"Escrow encryption failed ({result.status}); check the recovery keys.")
    return bytes(result.data)


def recover_data_key(
    escrowed: bytes,
    *,
    context: str,
    gnupg_home: Path | str | None = None,
    passphrase: str | None = None,
) -> bytes:
    """Open an escrow message with a recovery private key and check it belongs to ``context``."""
    with _secret_key_gpg(_home(gnupg_home)) as gpg:
        result = gpg.decrypt(escrowed, passphrase=passphrase)
    if not result.ok:
        raise AuthenticationError(f"The escrow message does not open with these recovery keys ({result.status}).")
    try:
        record = json.loads(bytes(result.data))
        data_key = base64.b64decode(record["key"], validate=True)
        if record["format"] != _FORMAT or len(data_key) != DATA_KEY_SIZE:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise AuthenticationError("The escrow message is not a Custody escrow record.") from None
    if record["context"] != context:
        raise WrongBindingError("This escrow record belongs to another object.")
    return data_key


def recover_content(
    escrowed: bytes,
    source: BinaryIO,
    destination: BinaryIO,
    *,
    context: str,
    binding: str | bytes,
    gnupg_home: Path | str | None = None,
    passphrase: str | None = None,
    chunk_size: int = 1 << 20,
) -> Digests:
    """Recover an item without the server's KEKs: unwrap its data key from escrow, then decrypt and
    verify ``source`` into ``destination`` segment by segment. Returns the digests to compare with
    the recorded SHA-256. On an integrity error ``destination`` holds only verified segments and
    must be discarded."""
    data_key = recover_data_key(escrowed, context=context, gnupg_home=gnupg_home, passphrase=passphrase)
    decryptor = StreamDecryptor(data_key, binding=binding)
    while chunk := source.read(chunk_size):
        destination.write(decryptor.update(chunk))
    destination.write(decryptor.finalize())
    assert decryptor.digests is not None
    return decryptor.digests
