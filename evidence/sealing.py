"""The evidence app's one door to ``vault.crypto``: data keys, segment streams, sealed small values.

Everything cryptographic is done by ``vault.crypto``; this module only binds it to items: the
binding (associated data) is always the item's uid, so a ciphertext cannot move to another item.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Final, Protocol

from django.conf import settings

from vault.crypto import envelope, escrow, stream
from vault.crypto.errors import CryptoError

SEGMENT_SIZE: Final = stream.DEFAULT_SEGMENT_SIZE
Encryptor = stream.StreamEncryptor
Decryptor = stream.StreamDecryptor
Digests = stream.Digests

__all__ = ["SEGMENT_SIZE", "CryptoError", "DataKey", "Decryptor", "Digests", "Encryptor", "Wrapping"]


@dataclass(frozen=True)
class Wrapping:
    """One stored wrapping of a data key: by the scope's key-encryption key, or to an escrow recipient."""

    provider: str
    kek_scope: str
    kek_version: str
    wrapped: bytes
    escrow: bool = False


@dataclass(frozen=True)
class DataKey:
    """An item's data key in memory, with the wrappings to store. Its repr never shows the key."""

    secret: bytes
    wrapped: tuple[Wrapping, ...]

    def __repr__(self) -> str:
        return f"DataKey(wrappings={len(self.wrapped)})"

    @property
    def primary(self) -> Wrapping:
        return next(w for w in self.wrapped if not w.escrow)


def binding(uid: uuid.UUID) -> str:
    return f"evidence.item:{uid}"


def encryptor(data_key: DataKey, uid: uuid.UUID) -> stream.StreamEncryptor:
    return stream.StreamEncryptor(data_key.secret, binding=binding(uid))


def resume_encryptor(data_key: DataKey, uid: uuid.UUID, stored: BinaryIO) -> stream.StreamEncryptor:
    return stream.StreamEncryptor.resume(data_key.secret, stored, binding=binding(uid))


def decryptor(data_key: DataKey, uid: uuid.UUID) -> stream.StreamDecryptor:
    return stream.StreamDecryptor(data_key.secret, binding=binding(uid))


def segment_reader(data_key: DataKey, uid: uuid.UUID, source: BinaryIO, size: int) -> stream.SegmentReader:
    return stream.SegmentReader(data_key.secret, source, binding=binding(uid), size=size)


def name_binding(uid: uuid.UUID) -> str:
    return f"evidence.item-name:{uid}"


# --- Data keys -----------------------------------------------------------------------------


def _wrapping(wrapped: bytes) -> Wrapping:
    ref = envelope.describe_wrapped(wrapped)
    return Wrapping(provider=ref.provider, kek_scope=ref.scope, kek_version=str(ref.version), wrapped=wrapped)


def new_data_key(kek_scope: str, uid: uuid.UUID) -> DataKey:
    """A fresh data key for one item, wrapped by the scope's current key-encryption key (and escrowed)."""
    secret = stream.new_data_key()
    wrapped = envelope.wrap_data_key(secret, scope=kek_scope, context=binding(uid))
    return with_escrow(DataKey(secret=secret, wrapped=(_wrapping(wrapped),)), kek_scope, uid)


def with_escrow(data_key: DataKey, kek_scope: str, uid: uuid.UUID) -> DataKey:
    """Add the copy for the coalition's recovery keys, when escrow is configured and not already there."""
    if any(w.escrow for w in data_key.wrapped):
        return data_key
    message = escrow.escrow_data_key(data_key.secret, scope=kek_scope, context=binding(uid))
    if message is None:
        return data_key
    fingerprints = ",".join(str(f)[-16:] for f in settings.CUSTODY_ESCROW_FINGERPRINTS)
    copy = Wrapping(provider="gpg", kek_scope=kek_scope, kek_version=fingerprints[:128], wrapped=message, escrow=True)
    return DataKey(secret=data_key.secret, wrapped=(*data_key.wrapped, copy))


class StoredWrapping(Protocol):
    @property
    def wrapped(self) -> bytes | memoryview: ...


def unwrap(rows: Iterable[StoredWrapping], uid: uuid.UUID) -> DataKey:
    """The data key from the first stored wrapping that opens; raises CryptoError if none does."""
    error: CryptoError | None = None
    for row in rows:
        raw = bytes(row.wrapped)
        try:
            secret = envelope.unwrap_data_key(raw, context=binding(uid))
        except CryptoError as exc:
            error = exc
            continue
        return DataKey(secret=secret, wrapped=(_wrapping(raw),))
    raise error or CryptoError("No wrapped key for this item.")


def rewrap(wrapped: bytes, uid: uuid.UUID) -> Wrapping:
    """Re-wrap under the scope's current KEK version (the content is not touched)."""
    return _wrapping(envelope.rewrap(wrapped, context=binding(uid)))


def needs_rewrap(wrapped: bytes) -> bool:
    return envelope.needs_rewrap(wrapped)


def rotate(kek_scope: str) -> str:
    return str(envelope.rotate_kek(kek_scope).version)


# --- Small sealed values (the original file name) --------------------------------------------


def seal_name(data_key: DataKey, uid: uuid.UUID, name: str) -> bytes:
    encryptor = stream.StreamEncryptor(data_key.secret, binding=name_binding(uid), parallel=False)
    return encryptor.update(name.encode("utf-8")) + encryptor.finalize()


def open_name(data_key: DataKey, uid: uuid.UUID, sealed: bytes) -> str:
    decryptor = stream.StreamDecryptor(data_key.secret, binding=name_binding(uid), parallel=False)
    plain = decryptor.update(sealed) + decryptor.finalize()
    return plain.decode("utf-8")
