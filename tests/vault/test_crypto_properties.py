"""Properties of the stream format over generated sizes, segment sizes, chunkings and damage."""

from __future__ import annotations

import hashlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from vault.crypto import (
    IntegrityError,
    SegmentReader,
    StreamEncryptor,
    ciphertext_size,
    iter_decrypt,
    new_data_key,
)

KEY = new_data_key()
BINDING = "evidence:property"


def _encrypt(data: bytes, segment_size: int, cuts: list[int]) -> bytes:
    encryptor = StreamEncryptor(KEY, binding=BINDING, segment_size=segment_size)
    out = bytearray()
    start = 0
    for cut in sorted(set(cuts)):
        out += encryptor.update(data[start:cut])
        start = cut
    out += encryptor.update(data[start:]) + encryptor.finalize()
    assert encryptor.digests is not None
    assert encryptor.digests.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert encryptor.digests.ciphertext_sha256 == hashlib.sha256(out).hexdigest()
    return bytes(out)


def _decrypt(ciphertext: bytes, chunk: int = 37) -> bytes:
    return b"".join(iter_decrypt(KEY, io.BytesIO(ciphertext), binding=BINDING, chunk_size=chunk))


streams = st.integers(min_value=16, max_value=96).flatmap(
    lambda segment: st.tuples(
        st.just(segment),
        st.binary(max_size=6 * segment),
    )
)


@settings(max_examples=150, deadline=None, database=None)
@given(streams, st.lists(st.integers(min_value=0, max_value=600), max_size=8), st.integers(1, 300))
def test_round_trip_any_chunking(stream: tuple[int, bytes], cuts: list[int], read_chunk: int) -> None:
    segment, data = stream
    ciphertext = _encrypt(data, segment, [min(cut, len(data)) for cut in cuts])
    assert len(ciphertext) == ciphertext_size(len(data), segment)
    assert _decrypt(ciphertext, read_chunk) == data


@settings(max_examples=150, deadline=None, database=None)
@given(streams, st.integers(min_value=0), st.integers(min_value=0))
def test_ranges_equal_slices(stream: tuple[int, bytes], a: int, b: int) -> None:
    segment, data = stream
    reader = SegmentReader(KEY, io.BytesIO(_encrypt(data, segment, [])), binding=BINDING)
    start, stop = sorted((a % (len(data) + 2), b % (len(data) + 2)))
    assert reader.read_range(start, stop) == data[start:stop]


@settings(max_examples=200, deadline=None, database=None)
@given(streams, st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_any_bit_flip_is_detected(stream: tuple[int, bytes], position: int, bit: int) -> None:
    segment, data = stream
    damaged = bytearray(_encrypt(data, segment, []))
    damaged[position % len(damaged)] ^= 1 << bit
    try:
        _decrypt(bytes(damaged))
    except IntegrityError:
        return
    raise AssertionError("a flipped bit went unnoticed")


@settings(max_examples=200, deadline=None, database=None)
@given(streams, st.integers(min_value=0))
def test_any_truncation_is_detected(stream: tuple[int, bytes], position: int) -> None:
    segment, data = stream
    ciphertext = _encrypt(data, segment, [])
    cut = ciphertext[: position % len(ciphertext)]
    try:
        _decrypt(cut)
    except IntegrityError:
        return
    raise AssertionError("a truncated stream was accepted")


@settings(max_examples=100, deadline=None, database=None)
@given(streams, st.integers(min_value=0))
def test_resume_anywhere(stream: tuple[int, bytes], first: int) -> None:
    segment, data = stream
    first = first % (len(data) + 1)
    encryptor = StreamEncryptor(KEY, binding=BINDING, segment_size=segment)
    stored = encryptor.update(data[:first]) + encryptor.suspend().ciphertext
    resumed = StreamEncryptor.resume(KEY, io.BytesIO(stored), binding=BINDING)
    offset = resumed.plaintext_offset
    assert offset % segment == 0
    stored += resumed.update(data[offset:]) + resumed.finalize()
    assert _decrypt(stored) == data
    assert resumed.digests is not None
    assert resumed.digests.plaintext_sha256 == hashlib.sha256(data).hexdigest()
