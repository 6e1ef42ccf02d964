"""Segmented AES-256-GCM content encryption (the "CSTY" stream format, version 1).

A STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), laid out like Tink's
AesGcmHkdfStreaming: a per-stream key is derived with HKDF-SHA256 from the item's data key and a
random salt; segment ``i`` is sealed with the nonce ``prefix(7) || i (u32, big-endian) || last(1)``
and the associated data ``header || binding``. Reordering, dropping, duplicating or truncating
segments, flipping bits, and moving a ciphertext to another object all fail authentication.
The byte layout is documented in ``docs/encryption.md``; keep the two in step.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault.crypto.errors import (
    ConfigurationError,
    CryptoError,
    FormatError,
    TamperedHeaderError,
    TamperedSegmentError,
    TrailingDataError,
    TruncatedError,
    WrongBindingError,
    WrongKeyError,
)

MAGIC: Final = b"CSTY"
VERSION: Final = 1
DATA_KEY_SIZE: Final = 32
SALT_SIZE: Final = 32
NONCE_PREFIX_SIZE: Final = 7
COMMITMENT_SIZE: Final = 32
HEADER_TAG_SIZE: Final = 16
BINDING_TAG_SIZE: Final = 16
TAG_SIZE: Final = 16
HEADER_SIZE: Final = 4 + 1 + 4 + SALT_SIZE + NONCE_PREFIX_SIZE + COMMITMENT_SIZE + HEADER_TAG_SIZE + BINDING_TAG_SIZE
DEFAULT_SEGMENT_SIZE: Final = 1 << 20
MIN_SEGMENT_SIZE: Final = 16
MAX_SEGMENT_SIZE: Final = 64 << 20
MAX_SEGMENTS: Final = 1 << 32
_HKDF_INFO: Final = b"custody/stream/v1"
# Below this size a helper thread costs more than the hashing it overlaps.
_PARALLEL_MIN_SEGMENT: Final = 64 << 10

_OFF_SEGMENT: Final = 5
_OFF_SALT: Final = 9
_OFF_PREFIX: Final = _OFF_SALT + SALT_SIZE
_OFF_COMMIT: Final = _OFF_PREFIX + NONCE_PREFIX_SIZE
_OFF_HEADER_TAG: Final = _OFF_COMMIT + COMMITMENT_SIZE
_OFF_BINDING_TAG: Final = _OFF_HEADER_TAG + HEADER_TAG_SIZE


def new_data_key() -> bytes:
    """A fresh random 256-bit data key (one per item; never reuse across items)."""
    return os.urandom(DATA_KEY_SIZE)


def _binding_bytes(binding: str | bytes) -> bytes:
    value = binding.encode("utf-8") if isinstance(binding, str) else bytes(binding)
    if not value:
        raise ConfigurationError("A stream needs a non-empty binding (the object's id).")
    return value


@dataclass(frozen=True)
class _Keys:
    segment: AESGCM
    commitment: bytes
    mac: bytes


def _derive(data_key: bytes, salt: bytes) -> _Keys:
    if len(data_key) != DATA_KEY_SIZE:
        raise ConfigurationError("A data key is 32 bytes.")
    okm = HKDF(algorithm=hashes.SHA256(), length=96, salt=salt, info=_HKDF_INFO).derive(data_key)
    return _Keys(segment=AESGCM(okm[:32]), commitment=okm[32:64], mac=okm[64:])


def _mac(key: bytes, data: bytes, size: int) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()[:size]


@dataclass(frozen=True)
class StreamHeader:
    """The parsed, verified header of a stream."""

    raw: bytes
    segment_size: int

    @property
    def nonce_prefix(self) -> bytes:
        return self.raw[_OFF_PREFIX:_OFF_COMMIT]


def _build_header(data_key: bytes, binding: bytes, segment_size: int) -> tuple[StreamHeader, _Keys]:
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise ConfigurationError(f"Segment size must be between {MIN_SEGMENT_SIZE} and {MAX_SEGMENT_SIZE} bytes.")
    salt = os.urandom(SALT_SIZE)
    keys = _derive(data_key, salt)
    head = MAGIC + bytes([VERSION]) + struct.pack(">I", segment_size) + salt + os.urandom(NONCE_PREFIX_SIZE)
    head += keys.commitment
    head += _mac(keys.mac, head, HEADER_TAG_SIZE)
    head += _mac(keys.mac, head + binding, BINDING_TAG_SIZE)
    return StreamHeader(raw=head, segment_size=segment_size), keys


def parse_header(raw: bytes, data_key: bytes, binding: bytes) -> tuple[StreamHeader, _Keys]:
    """Check a header against the data key and binding; raise the most specific IntegrityError."""
    if len(raw) < HEADER_SIZE:
        raise TruncatedError("The ciphertext is shorter than its header.")
    if raw[:4] != MAGIC:
        raise FormatError("Not a Custody stream (bad magic).")
    if raw[4] != VERSION:
        raise FormatError(f"Unsupported stream version {raw[4]}.")
    keys = _derive(data_key, raw[_OFF_SALT:_OFF_PREFIX])
    if not hmac.compare_digest(keys.commitment, raw[_OFF_COMMIT:_OFF_HEADER_TAG]):
        raise WrongKeyError("The data key does not open this stream (or its salt was modified).")
    header_tag = _mac(keys.mac, raw[:_OFF_HEADER_TAG], HEADER_TAG_SIZE)
    if not hmac.compare_digest(header_tag, raw[_OFF_HEADER_TAG:_OFF_BINDING_TAG]):
        raise TamperedHeaderError("The stream header was modified.")
    expected = _mac(keys.mac, raw[:_OFF_BINDING_TAG] + binding, BINDING_TAG_SIZE)
    if not hmac.compare_digest(expected, raw[_OFF_BINDING_TAG:HEADER_SIZE]):
        raise WrongBindingError("This ciphertext belongs to another object.")
    (segment_size,) = struct.unpack(">I", raw[_OFF_SEGMENT:_OFF_SALT])
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise FormatError("The stream header declares an impossible segment size.")
    return StreamHeader(raw=bytes(raw[:HEADER_SIZE]), segment_size=segment_size), keys


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= MAX_SEGMENTS:
        raise CryptoError("A stream holds at most 2**32 segments.")
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def ciphertext_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Size of the canonical ciphertext of ``plaintext_size`` bytes (as ``StreamEncryptor`` writes it)."""
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER_SIZE + plaintext_size + segments * TAG_SIZE


def _layout(total: int, segment_size: int) -> tuple[int, int]:
    """Segment count and plaintext size of a stream of ``total`` ciphertext bytes."""
    body = total - HEADER_SIZE
    if body < TAG_SIZE:
        raise TruncatedError("The ciphertext ends before its final segment.")
    full, rest = divmod(body, segment_size + TAG_SIZE)
    if rest == 0:
        count = full
    elif rest >= TAG_SIZE:
        count = full + 1
    else:
        raise TruncatedError("The ciphertext ends inside a segment tag.")
    return count, body - count * TAG_SIZE


class _Hashes:
    """SHA-256 of plaintext and ciphertext; the plaintext side runs in a helper thread when it pays."""

    def __init__(self, parallel: bool) -> None:
        self.plain = hashlib.sha256()
        self.cipher = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="custody-hash") if parallel else None
        self._pending: Future[None] | None = None

    def plaintext(self, data: bytes | memoryview) -> None:
        if self._pool is None:
            self.plain.update(data)
            return
        self.wait()
        self._pending = self._pool.submit(self.plain.update, data)

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def close(self) -> None:
        self.wait()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


@dataclass(frozen=True)
class Digests:
    """Sizes and SHA-256 (hex) of a finished stream's plaintext and ciphertext."""

    plaintext_sha256: str
    ciphertext_sha256: str
    plaintext_size: int
    ciphertext_size: int
    segment_count: int


@dataclass(frozen=True)
class Suspended:
    """Where an interrupted encryption stopped: resume with ``StreamEncryptor.resume``.

    ``ciphertext`` must still be written; the stored object then holds exactly ``ciphertext_offset``
    bytes, covering plaintext ``[0, plaintext_offset)``. Plaintext received after that offset was
    discarded and must be sent again.
    """

    ciphertext: bytes
    plaintext_offset: int
    ciphertext_offset: int
    next_segment: int


class StreamEncryptor:
    """Encrypts a stream fed in chunks of any size, with memory bounded by two segments.

    ``update`` returns ciphertext ready to append to the stored object (the first call's output starts
    with the header); ``finalize`` returns the last bytes and the digests are then available.
    """

    def __init__(
        self,
        data_key: bytes,
        *,
        binding: str | bytes,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        parallel: bool = True,
    ) -> None:
        self._binding = _binding_bytes(binding)
        header, keys = _build_header(data_key, self._binding, segment_size)
        self._setup(header, keys, parallel)

    def _setup(self, header: StreamHeader, keys: _Keys, parallel: bool) -> None:
        self.header = header
        self._keys = keys
        self._aad = header.raw + self._binding
        self._size = header.segment_size
        # Two segment buffers, alternately filled: the hash thread may still read the one just sealed.
        self._buffers: list[memoryview] = []
        self._fill = 0
        self._index = 0
        self._plain_total = 0
        self._cipher_total = 0
        self._header_sent = False
        self._closed = False
        self._hashes = _Hashes(parallel and self._size >= _PARALLEL_MIN_SEGMENT)
        self.digests: Digests | None = None

    @classmethod
    def resume(
        cls,
        data_key: bytes,
        stored: BinaryIO,
        *,
        binding: str | bytes,
        parallel: bool = True,
    ) -> StreamEncryptor:
        """Continue a suspended stream from the ciphertext stored so far (read once, never kept).

        Every stored segment is decrypted and verified to rebuild the SHA-256 states (hashlib cannot
        serialise them); the plaintext is dropped as soon as it is hashed.
        """
        binding_b = _binding_bytes(binding)
        header, keys = parse_header(_read_exact(stored, HEADER_SIZE), data_key, binding_b)
        self = cls.__new__(cls)
        self._binding = binding_b
        self._setup(header, keys, parallel)
        self._header_sent = True
        self._hashes.cipher.update(header.raw)
        self._cipher_total = HEADER_SIZE
        step = header.segment_size + TAG_SIZE
        while True:
            chunk = _read_exact(stored, step)
            if not chunk:
                return self
            if len(chunk) != step:
                self.close()
                raise TruncatedError("The stored ciphertext does not end at a segment boundary.")
            plain = _open_segment(keys, header, self._aad, self._index, chunk)
            self._hashes.plaintext(plain)
            self._hashes.cipher.update(chunk)
            self._plain_total += len(plain)
            self._cipher_total += step
            self._index += 1

    def _emit(self, plain: bytes | memoryview, *, last: bool) -> bytes:
        nonce = _nonce(self.header.nonce_prefix, self._index, last)
        self._hashes.plaintext(plain)
        sealed = self._keys.segment.encrypt(nonce, plain, self._aad)
        self._index += 1
        self._plain_total += len(plain)
        if not self._header_sent:
            self._header_sent = True
            sealed = self.header.raw + sealed
        self._hashes.cipher.update(sealed)
        self._cipher_total += len(sealed)
        return sealed

    def _buffer(self) -> memoryview:
        # Writes go through a memoryview: assigning a memoryview to a bytearray slice would first
        # copy it into a temporary bytearray (a fresh 1 MiB allocation per segment).
        if not self._buffers:
            self._buffers.append(memoryview(bytearray(self._size)))
        return self._buffers[0]

    def _seal_buffer(self, *, last: bool) -> bytes:
        sealed = self._emit(self._buffer()[: self._fill], last=last)
        self._fill = 0
        if len(self._buffers) == 1:
            self._buffers.append(memoryview(bytearray(self._size)))
        self._buffers.reverse()
        return sealed

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Encrypt ``data``; returns the ciphertext completed by it (possibly empty)."""
        self._check_open()
        view = memoryview(data).cast("B")
        # Segments taken straight from the caller's data are handed to the hash thread, which may
        # still read them after we return: only immutable bytes are used without a copy.
        immutable = isinstance(data, bytes)
        out: list[bytes] = []
        size = self._size
        if self._fill:
            need = size - self._fill
            if len(view) <= need:
                self._buffer()[self._fill : self._fill + len(view)] = view
                self._fill += len(view)
                return b""
            self._buffer()[self._fill :] = view[:need]
            self._fill = size
            view = view[need:]
            out.append(self._seal_buffer(last=False))
        while len(view) > size:
            piece = view[:size]
            out.append(self._emit(piece if immutable else bytes(piece), last=False))
            view = view[size:]
        if view:
            self._buffer()[: len(view)] = view
            self._fill = len(view)
        return b"".join(out)

    def finalize(self) -> bytes:
        """Seal the final segment; returns the last ciphertext bytes and sets ``digests``."""
        self._check_open()
        tail = self._seal_buffer(last=True)
        self.close()
        self.digests = Digests(
            plaintext_sha256=self._hashes.plain.hexdigest(),
            ciphertext_sha256=self._hashes.cipher.hexdigest(),
            plaintext_size=self._plain_total,
            ciphertext_size=self._cipher_total,
            segment_count=self._index,
        )
        return tail

    def suspend(self) -> Suspended:
        """Stop at the last full segment so the stream can be resumed later (see ``Suspended``)."""
        self._check_open()
        out = b""
        if self._fill == self._size:
            out = self._seal_buffer(last=False)
        elif not self._header_sent:
            self._header_sent = True
            out = self.header.raw
            self._hashes.cipher.update(out)
            self._cipher_total += len(out)
        self.close()
        return Suspended(
            ciphertext=out,
            plaintext_offset=self._plain_total,
            ciphertext_offset=self._cipher_total,
            next_segment=self._index,
        )

    @property
    def plaintext_offset(self) -> int:
        """Plaintext bytes received so far (sealed or buffered)."""
        return self._plain_total + self._fill

    def close(self) -> None:
        """Release the helper thread and drop buffered plaintext (idempotent)."""
        self._closed = True
        self._hashes.close()
        for buffer in self._buffers:
            buffer[:] = bytes(len(buffer))
            buffer.release()
        self._buffers = []
        self._fill = 0

    def _check_open(self) -> None:
        if self._closed:
            raise CryptoError("This encryptor is finished.")

    def __enter__(self) -> StreamEncryptor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_exact(source: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining:
        chunk = source.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _open_segment(keys: _Keys, header: StreamHeader, aad: bytes, index: int, sealed: bytes | memoryview) -> bytes:
    """Open a segment that is known not to be the last one."""
    try:
        return keys.segment.decrypt(_nonce(header.nonce_prefix, index, False), sealed, aad)
    except InvalidTag:
        pass
    try:
        keys.segment.decrypt(_nonce(header.nonce_prefix, index, True), sealed, aad)
    except InvalidTag:
        raise TamperedSegmentError(f"Segment {index} failed authentication.", segment=index) from None
    raise TrailingDataError(f"Data follows the final segment ({index}).")


def _open_last(keys: _Keys, header: StreamHeader, aad: bytes, index: int, sealed: bytes | memoryview) -> bytes:
    """Open the segment the ciphertext ends with, which must be flagged as the last one."""
    try:
        return keys.segment.decrypt(_nonce(header.nonce_prefix, index, True), sealed, aad)
    except InvalidTag:
        pass
    try:
        keys.segment.decrypt(_nonce(header.nonce_prefix, index, False), sealed, aad)
    except InvalidTag:
        raise TamperedSegmentError(f"Segment {index} failed authentication.", segment=index) from None
    raise TruncatedError(f"The ciphertext was cut after segment {index}.")


class StreamDecryptor:
    """Push-style decryptor: feed ciphertext chunks, get back verified plaintext.

    Every byte returned belongs to a segment that passed authentication in its position. Whether the
    stream is complete is only known at ``finalize()``, which raises on truncation: a caller that
    streams plaintext onwards must treat output as provisional until ``finalize`` returns.
    """

    def __init__(self, data_key: bytes, *, binding: str | bytes, parallel: bool = True) -> None:
        self._data_key = data_key
        self._binding = _binding_bytes(binding)
        self._buf = bytearray()
        self._header: StreamHeader | None = None
        self._keys: _Keys | None = None
        self._aad = b""
        self._index = 0
        self._plain_total = 0
        self._cipher_total = 0
        self._parallel = parallel
        self._hashes = _Hashes(False)
        self._closed = False
        self.digests: Digests | None = None

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._closed:
            raise CryptoError("This decryptor is finished.")
        self._buf += data
        if self._header is None:
            if len(self._buf) < HEADER_SIZE:
                return b""
            self._start()
        assert self._header is not None and self._keys is not None
        step = self._header.segment_size + TAG_SIZE
        out: list[bytes] = []
        start = 0
        # Keep one full segment back: it may be the last one.
        with memoryview(self._buf) as view:
            while len(view) - start > step:
                with view[start : start + step] as sealed:
                    plain = _open_segment(self._keys, self._header, self._aad, self._index, sealed)
                    self._account(plain, sealed)
                out.append(plain)
                start += step
        del self._buf[:start]
        return b"".join(out)

    def _start(self) -> None:
        header, keys = parse_header(bytes(self._buf[:HEADER_SIZE]), self._data_key, self._binding)
        self._header, self._keys = header, keys
        self._aad = header.raw + self._binding
        self._hashes = _Hashes(self._parallel and header.segment_size >= _PARALLEL_MIN_SEGMENT)
        self._hashes.cipher.update(header.raw)
        self._cipher_total = HEADER_SIZE
        del self._buf[:HEADER_SIZE]

    def _account(self, plain: bytes, sealed: bytes | memoryview) -> None:
        self._hashes.plaintext(plain)
        self._hashes.cipher.update(sealed)
        self._plain_total += len(plain)
        self._cipher_total += len(sealed)
        self._index += 1

    def finalize(self) -> bytes:
        """Open the final segment and check nothing is missing; sets ``digests``."""
        if self._closed:
            raise CryptoError("This decryptor is finished.")
        self._closed = True
        try:
            if self._header is None:
                # A partial header still tells a foreign file from a cut one.
                known = (MAGIC + bytes([VERSION]))[: len(self._buf)]
                if bytes(self._buf[: len(known)]) != known:
                    raise FormatError("Not a Custody stream of a known version.")
                raise TruncatedError("The ciphertext ends before its header.")
            assert self._keys is not None
            if len(self._buf) < TAG_SIZE:
                raise TruncatedError("The ciphertext ends before its final segment.")
            sealed = bytes(self._buf)
            plain = _open_last(self._keys, self._header, self._aad, self._index, sealed)
            self._account(plain, sealed)
        finally:
            self._buf = bytearray()
            self._hashes.close()
        self.digests = Digests(
            plaintext_sha256=self._hashes.plain.hexdigest(),
            ciphertext_sha256=self._hashes.cipher.hexdigest(),
            plaintext_size=self._plain_total,
            ciphertext_size=self._cipher_total,
            segment_count=self._index,
        )
        return plain


def _chunks(source: BinaryIO | Iterable[bytes], chunk_size: int) -> Iterator[bytes]:
    if isinstance(source, Iterable) and not hasattr(source, "read"):
        yield from source
        return
    read = source.read
    while chunk := read(chunk_size):
        yield chunk


def iter_decrypt(
    data_key: bytes,
    source: BinaryIO | Iterable[bytes],
    *,
    binding: str | bytes,
    chunk_size: int = DEFAULT_SEGMENT_SIZE,
) -> Generator[bytes, None, Digests | None]:
    """Yield verified plaintext from a file object or an iterable of ciphertext chunks.

    Raises an ``IntegrityError`` subclass at the first failure; the generator's return value (via
    ``StopIteration.value``) is the stream's ``Digests``.
    """
    decryptor = StreamDecryptor(data_key, binding=binding)
    for chunk in _chunks(source, chunk_size):
        plain = decryptor.update(chunk)
        if plain:
            yield plain
    plain = decryptor.finalize()
    if plain:
        yield plain
    return decryptor.digests


def verify_stream(
    data_key: bytes, source: BinaryIO | Iterable[bytes], *, binding: str | bytes, chunk_size: int = DEFAULT_SEGMENT_SIZE
) -> Digests:
    """Authenticate a whole stored stream and return its digests, discarding the plaintext."""
    decryptor = StreamDecryptor(data_key, binding=binding)
    for chunk in _chunks(source, chunk_size):
        decryptor.update(chunk)
    decryptor.finalize()
    assert decryptor.digests is not None
    return decryptor.digests


class SegmentReader:
    """Random access to a stored stream by segment, for HTTP range requests.

    ``source`` is a seekable binary file (``size`` defaults to its length). Each segment read is
    verified, including its position and whether it is the last one, so a range answer contains only
    authentic bytes; the whole-object SHA-256 can only be checked by reading everything
    (``verify_stream``). Not safe to share between threads (it seeks ``source``).
    """

    def __init__(self, data_key: bytes, source: BinaryIO, *, binding: str | bytes, size: int | None = None) -> None:
        self._source = source
        binding_b = _binding_bytes(binding)
        if size is None:
            size = source.seek(0, os.SEEK_END)
        source.seek(0)
        self.header, self._keys = parse_header(_read_exact(source, HEADER_SIZE), data_key, binding_b)
        self._aad = self.header.raw + binding_b
        self.segment_size = self.header.segment_size
        self.segment_count, self.plaintext_size = _layout(size, self.segment_size)
        self.ciphertext_size = size

    def read_segment(self, index: int) -> bytes:
        if not 0 <= index < self.segment_count:
            raise IndexError(index)
        step = self.segment_size + TAG_SIZE
        self._source.seek(HEADER_SIZE + index * step)
        sealed = _read_exact(self._source, step)
        last = index == self.segment_count - 1
        expected = self.ciphertext_size - HEADER_SIZE - index * step if last else step
        if len(sealed) != expected:
            raise TruncatedError("The stored object is shorter than its recorded size.")
        if last:
            return _open_last(self._keys, self.header, self._aad, index, sealed)
        return _open_segment(self._keys, self.header, self._aad, index, sealed)

    def iter_range(self, start: int, stop: int) -> Iterator[bytes]:
        """Yield verified plaintext ``[start, stop)`` (clamped to the plaintext size)."""
        stop = min(stop, self.plaintext_size)
        if start < 0 or start >= stop:
            return
        first, last = start // self.segment_size, (stop - 1) // self.segment_size
        for index in range(first, last + 1):
            plain = self.read_segment(index)
            base = index * self.segment_size
            yield plain[max(start - base, 0) : stop - base]

    def read_range(self, start: int, stop: int) -> bytes:
        return b"".join(self.iter_range(start, stop))
