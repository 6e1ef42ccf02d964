"""Small sealed values: identities, names, notes.

``seal``/``unseal``: one fresh data key per value, wrapped by the scope's KEK, everything needed to
open it (except the context) inside the blob.

``FieldKey``: one data key for a subject (e.g. a survivor's record), stored wrapped; many fields are
encrypted under it. Destroying the stored wrapped key (and its escrow copy) shreds every field.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.crypto.envelope import rewrap, unwrap_data_key, wrap_data_key
from vault.crypto.errors import AuthenticationError, ConfigurationError, FormatError
from vault.crypto.escrow import escrow_data_key, recover_data_key
from vault.crypto.keys import WrappedKey, check_context
from vault.crypto.stream import new_data_key

SEAL_VERSION: Final = 1
_SEALED: Final = 0x53  # "S"
_FIELD: Final = 0x46  # "F"
_NONCE_SIZE: Final = 12
_SEAL_AAD: Final = b"custody/seal/v1\0"
_FIELD_AAD: Final = b"custody/field/v1\0"
# Fields stay small: large content goes through the stream format.
MAX_SEALED_SIZE: Final = 16 << 20


def seal(plaintext: bytes, *, scope: str, context: str, provider: str | None = None) -> bytes:
    """Encrypt a small value under a fresh data key wrapped by ``scope``'s KEK, bound to ``context``."""
    if len(plaintext) > MAX_SEALED_SIZE:
        raise ConfigurationError("Sealed values are limited to 16 MiB; use the stream format for content.")
    data_key = new_data_key()
    wrapped = wrap_data_key(data_key, scope=scope, context=context, provider=provider)
    head = bytes([SEAL_VERSION, _SEALED]) + struct.pack(">H", len(wrapped)) + wrapped
    nonce = os.urandom(_NONCE_SIZE)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, _seal_aad(context))
    return head + nonce + sealed


def _seal_aad(context: str) -> bytes:
    # The wrapped key is not in the AAD, so rotation swaps it without re-encrypting; another
    # wrapped key could only open to another data key, which fails the tag anyway.
    return _SEAL_AAD + bytes([SEAL_VERSION, _SEALED]) + check_context(context)


def unseal(blob: bytes, *, context: str) -> bytes:
    """Open a value made by ``seal`` with the same context."""
    if len(blob) < 4 or blob[0] != SEAL_VERSION or blob[1] != _SEALED:
        raise FormatError("Not a sealed value of a known version.")
    (wrapped_len,) = struct.unpack(">H", blob[2:4])
    head_end = 4 + wrapped_len
    if len(blob) < head_end + _NONCE_SIZE + 16:
        raise FormatError("Sealed value is truncated.")
    data_key = unwrap_data_key(blob[4:head_end], context=context)
    nonce, sealed = blob[head_end : head_end + _NONCE_SIZE], blob[head_end + _NONCE_SIZE :]
    try:
        return AESGCM(data_key).decrypt(nonce, sealed, _seal_aad(context))
    except InvalidTag:
        raise AuthenticationError("The sealed value does not open: wrong context or modified.") from None


def sealed_key(blob: bytes) -> bytes:
    """The wrapped key inside a sealed value (to re-wrap it on rotation with ``reseal_key``)."""
    if len(blob) < 4 or blob[0] != SEAL_VERSION or blob[1] != _SEALED:
        raise FormatError("Not a sealed value of a known version.")
    (wrapped_len,) = struct.unpack(">H", blob[2:4])
    return blob[4 : 4 + wrapped_len]


def reseal_key(blob: bytes, *, context: str, scope: str | None = None, provider: str | None = None) -> bytes:
    """Re-wrap a sealed value's data key with the current KEK; the ciphertext is kept as is."""
    wrapped = sealed_key(blob)
    new_wrapped = rewrap(wrapped, context=context, scope=scope, provider=provider)
    return bytes([SEAL_VERSION, _SEALED]) + struct.pack(">H", len(new_wrapped)) + new_wrapped + blob[4 + len(wrapped) :]


class FieldKey:
    """A subject's own data key: create once, store ``wrapped``, encrypt many small fields.

    Each field is bound to the key's context and the field's name, so a value cannot be moved to
    another field or subject. Keep the object only for the request that needs it.
    """

    def __init__(self, data_key: bytes, *, wrapped: bytes, context: str) -> None:
        self._data_key = data_key
        self._aead = AESGCM(data_key)
        self._context = check_context(context)
        self.wrapped = wrapped
        self.context = context

    @classmethod
    def create(cls, *, scope: str, context: str, provider: str | None = None) -> FieldKey:
        data_key = new_data_key()
        wrapped = wrap_data_key(data_key, scope=scope, context=context, provider=provider)
        return cls(data_key, wrapped=wrapped, context=context)

    @classmethod
    def open(cls, wrapped: bytes, *, context: str) -> FieldKey:
        return cls(unwrap_data_key(wrapped, context=context), wrapped=wrapped, context=context)

    def escrow(self) -> bytes | None:
        """This key for the coalition's recovery keys (``escrow_data_key``), or None if escrow is off.
        Store it beside ``wrapped``; shredding must delete both."""
        scope = WrappedKey.from_bytes(self.wrapped).scope
        return escrow_data_key(self._data_key, scope=scope, context=self.context)

    @classmethod
    def from_escrow(
        cls, escrowed: bytes, *, context: str, gnupg_home: Path | str | None = None, passphrase: str | None = None
    ) -> FieldKey:
        """Recovery without the server's KEKs: open the key from its escrow message (offline)."""
        data_key = recover_data_key(escrowed, context=context, gnupg_home=gnupg_home, passphrase=passphrase)
        return cls(data_key, wrapped=b"", context=context)

    def _aad(self, field: str) -> bytes:
        if not field:
            raise ConfigurationError("A field name is required.")
        return _FIELD_AAD + self._context + b"\0" + field.encode("utf-8")

    def encrypt(self, plaintext: bytes, *, field: str) -> bytes:
        if len(plaintext) > MAX_SEALED_SIZE:
            raise ConfigurationError("Fields are limited to 16 MiB; use the stream format for content.")
        nonce = os.urandom(_NONCE_SIZE)
        return bytes([SEAL_VERSION, _FIELD]) + nonce + self._aead.encrypt(nonce, plaintext, self._aad(field))

    def decrypt(self, token: bytes, *, field: str) -> bytes:
        if len(token) < 2 + _NONCE_SIZE + 16 or token[0] != SEAL_VERSION or token[1] != _FIELD:
            raise FormatError("Not an encrypted field of a known version.")
        nonce, sealed = token[2 : 2 + _NONCE_SIZE], token[2 + _NONCE_SIZE :]
        try:
            return self._aead.decrypt(nonce, sealed, self._aad(field))
        except InvalidTag:
            raise AuthenticationError("The field does not open: wrong key, field, or modified.") from None
