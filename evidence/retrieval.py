"""Verified reads: decrypt on the fly, check every segment, and the whole content's SHA-256 at the end.

A failure raises ``IntegrityFailure`` from inside the stream, so a download is cut (the client sees
a broken transfer, never a clean end of file) and the caller records the failure.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Generator, Iterator
from typing import BinaryIO, cast

from evidence import sealing, storage
from evidence.models import EvidenceItem, KeyRole, WrappedDataKey


class IntegrityFailure(Exception):
    """The stored object does not match what was recorded at intake."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def content_item(item: EvidenceItem) -> EvidenceItem:
    """A duplicate holds no object of its own: its content is the first identical item's."""
    return item.duplicate_of if item.duplicate_of_id is not None and item.duplicate_of else item


def data_key_for(item: EvidenceItem) -> sealing.DataKey:
    rows = list(WrappedDataKey.objects.filter(item=item, role=KeyRole.PRIMARY))
    if not rows:
        raise IntegrityFailure("no data key")
    try:
        return sealing.unwrap(rows, item.uid)
    except sealing.CryptoError as exc:
        raise IntegrityFailure("data key cannot be unwrapped") from exc


def _reason(exc: sealing.CryptoError) -> str:
    return type(exc).__name__


def decrypt_object(
    *, alias: str, key: str, uid: uuid.UUID, data_key: sealing.DataKey
) -> Generator[bytes, None, sealing.Digests | None]:
    """Verified plaintext of a stored object; the generator's return value is its digests."""
    decryptor = sealing.decryptor(data_key, uid)
    try:
        for chunk in storage.read_all(alias, key):
            plain = decryptor.update(chunk)
            if plain:
                yield plain
        plain = decryptor.finalize()
    except sealing.CryptoError as exc:
        raise IntegrityFailure(_reason(exc)) from exc
    except storage.StorageUnavailable as exc:
        raise IntegrityFailure("object unreadable") from exc
    if plain:
        yield plain
    return decryptor.digests


def iter_content(item: EvidenceItem) -> Iterator[bytes]:
    """The whole content, verified segment by segment and against the recorded SHA-256 at the end."""
    source = content_item(item)
    if not source.object_key:
        raise IntegrityFailure("no stored object")
    stream = decrypt_object(
        alias=source.storage_location, key=source.object_key, uid=source.uid, data_key=data_key_for(source)
    )
    digests = yield from stream
    if digests is None or digests.plaintext_sha256 != source.sha256 or digests.plaintext_size != source.size:
        raise IntegrityFailure("content hash mismatch")
    if source.ciphertext_sha256 and digests.ciphertext_sha256 != source.ciphertext_sha256:
        raise IntegrityFailure("stored object hash mismatch")


class RangeFile(io.RawIOBase):
    """A seekable read-only view of a stored object that fetches only the bytes asked for."""

    def __init__(self, alias: str, key: str, size: int) -> None:
        super().__init__()
        self.alias, self.key, self.size, self.position = alias, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self.size - self.position)
        if want <= 0:
            return 0
        data = b"".join(storage.read_range(self.alias, self.key, self.position, want))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def iter_range(item: EvidenceItem, start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start..end`` (inclusive), decrypting and verifying only the segments that hold them."""
    source = content_item(item)
    if not source.object_key or source.object_size is None:
        raise IntegrityFailure("no stored object")
    try:
        handle = RangeFile(source.storage_location, source.object_key, source.object_size)
        reader = sealing.segment_reader(data_key_for(source), source.uid, cast(BinaryIO, handle), source.object_size)
        if reader.plaintext_size != source.size:
            raise IntegrityFailure("object size differs")
        yield from reader.iter_range(start, end + 1)
    except sealing.CryptoError as exc:
        raise IntegrityFailure(_reason(exc)) from exc
    except storage.StorageUnavailable as exc:
        raise IntegrityFailure("object unreadable") from exc


def verify(item: EvidenceItem) -> None:
    """Read the whole object through the verifying stream; raise IntegrityFailure on any mismatch."""
    source = content_item(item)
    try:
        stored_size = storage.size(source.storage_location, source.object_key)
    except storage.StorageUnavailable as exc:
        raise IntegrityFailure("object missing") from exc
    if source.object_size is not None and stored_size != source.object_size:
        raise IntegrityFailure("object size differs")
    for _chunk in iter_content(source):
        pass


def plaintext_sha256(*, alias: str, key: str, uid: uuid.UUID, data_key: sealing.DataKey) -> tuple[str, int]:
    """Content hash and size of a stored object, by decrypting it (when no running hash survived)."""
    stream = decrypt_object(alias=alias, key=key, uid=uid, data_key=data_key)
    while True:
        try:
            next(stream)
        except StopIteration as stop:
            digests = stop.value
            return digests.plaintext_sha256, digests.plaintext_size
