"""The intake pipeline: plaintext in, hashed and sealed segment by segment, ciphertext out to storage.

Plaintext exists only in memory, one segment at a time (plus the first bytes kept for media type
detection). Nothing here writes a row: the caller records the item once the object is complete.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, Final

from evidence import sealing, storage

HEAD_BYTES: Final = 8192


@dataclass(frozen=True, slots=True)
class Plan:
    """Where and under which key scope a new object goes; decided from the case before any byte arrives."""

    alias: str
    kek_scope: str


@dataclass(frozen=True, slots=True)
class Sealed:
    """A complete, durably stored object and what the item row must record about it."""

    uid: uuid.UUID
    alias: str
    key: str
    size: int
    sha256: str
    ciphertext_sha256: str
    object_size: int
    head: bytes
    data_key: sealing.DataKey


class SealedWriter:
    """Hashes and encrypts a stream of plaintext into one stored object."""

    def __init__(self, plan: Plan, *, uid: uuid.UUID | None = None, data_key: sealing.DataKey | None = None) -> None:
        self.plan = plan
        self.uid = uid or uuid.uuid4()
        self.key = storage.item_key(self.uid)
        self.data_key = data_key or sealing.new_data_key(plan.kek_scope, self.uid)
        self._encryptor = sealing.encryptor(self.data_key, self.uid)
        self._head = bytearray()
        self._context: Any = storage.writer(plan.alias, self.key)
        self._out: IO[bytes] = self._context.__enter__()
        self._closed = False

    def write(self, data: bytes) -> None:
        try:
            if len(self._head) < HEAD_BYTES:
                self._head.extend(data[: HEAD_BYTES - len(self._head)])
            sealed = self._encryptor.update(data)
            if sealed:
                storage.put(self._out, sealed)
        except BaseException as exc:
            self.abort(exc)
            raise

    def finish(self) -> Sealed:
        try:
            storage.put(self._out, self._encryptor.finalize())
            self._closed = True
            self._context.__exit__(None, None, None)
        except BaseException as exc:
            self.abort(exc)
            raise
        digests = self._encryptor.digests
        assert digests is not None  # finalize() sets them
        return Sealed(
            uid=self.uid,
            alias=self.plan.alias,
            key=self.key,
            size=digests.plaintext_size,
            sha256=digests.plaintext_sha256,
            ciphertext_sha256=digests.ciphertext_sha256,
            object_size=digests.ciphertext_size,
            head=bytes(self._head),
            data_key=self.data_key,
        )

    def abort(self, exc: BaseException | None = None) -> None:
        """Drop buffered plaintext and the partial object; safe to call more than once."""
        self._encryptor.close()
        if self._closed:
            return
        self._closed = True
        error = exc or RuntimeError("intake aborted")
        # The writer removes the partial object and re-raises; the caller reports the original error.
        with contextlib.suppress(BaseException):
            self._context.__exit__(type(error), error, error.__traceback__)


def seal_stream(plan: Plan, chunks: Iterable[bytes]) -> Sealed:
    writer = SealedWriter(plan)
    for chunk in chunks:
        writer.write(chunk)
    return writer.finish()
