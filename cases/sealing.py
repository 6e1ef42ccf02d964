"""Sealed values for cases: survivor identities and MHPSS notes, each under a data key of its own.

The one adapter between cases and ``vault.crypto``. A sealed value is a pair: the
wrapped data key (safe at rest, unwrapped by the key-encryption key of the host
country's scope) and the ciphertext, plus — when escrow recovery keys are configured — the same
data key encrypted to the coalition's recovery keys, so a value survives the loss of the server's
key-encryption keys exactly like evidence does. Deleting the wrapped key *and* the escrow copy
crypto-shreds the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vault import crypto

_FIELD = "value"


class SealedValueUnavailable(Exception):
    """The value was shredded, or its key or ciphertext cannot be used. Never carries plaintext."""


@dataclass(frozen=True, slots=True)
class Sealed:
    wrapped_key: bytes
    ciphertext: bytes
    # The data key for the recovery keys (gpg message); empty when escrow is off.
    escrow: bytes = b""


def scope_for(country_code: str) -> str:
    return f"jur:{country_code.upper()}"


def seal_json(data: dict[str, Any], *, scope: str, context: str) -> Sealed:
    """Encrypt ``data`` under a fresh data key bound to ``context`` (an id, never a name)."""
    key = crypto.FieldKey.create(scope=scope, context=context)
    token = key.encrypt(json.dumps(data, ensure_ascii=False, sort_keys=True).encode(), field=_FIELD)
    return Sealed(wrapped_key=bytes(key.wrapped), ciphertext=token, escrow=key.escrow() or b"")


def open_json(sealed: Sealed, *, context: str) -> dict[str, Any]:
    if not sealed.wrapped_key:
        raise SealedValueUnavailable("shredded")
    try:
        key = crypto.FieldKey.open(sealed.wrapped_key, context=context)
        plaintext = key.decrypt(sealed.ciphertext, field=_FIELD)
    except crypto.CryptoError as error:
        raise SealedValueUnavailable(type(error).__name__) from None
    return dict(json.loads(plaintext))


def recover_json(
    ciphertext: bytes, *, escrow: bytes, context: str, gnupg_home: Path | str, passphrase: str | None = None
) -> dict[str, Any]:
    """Offline recovery without the server's key-encryption keys: open the value with a recovery private key."""
    if not escrow:
        raise SealedValueUnavailable("no escrow copy")
    try:
        key = crypto.FieldKey.from_escrow(escrow, context=context, gnupg_home=gnupg_home, passphrase=passphrase)
        plaintext = key.decrypt(ciphertext, field=_FIELD)
    except crypto.CryptoError as error:
        raise SealedValueUnavailable(type(error).__name__) from None
    return dict(json.loads(plaintext))
