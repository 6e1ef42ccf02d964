"""The segmented stream format: round trips, tampering, binding, random access, resumption."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tracemalloc

import pytest

from vault.crypto import (
    DEFAULT_SEGMENT_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    FormatError,
    IntegrityError,
    SegmentReader,
    StreamDecryptor,
    StreamEncryptor,
    TamperedHeaderError,
    TamperedSegmentError,
    TrailingDataError,
    TruncatedError,
    WrongBindingError,
    WrongKeyError,
    ciphertext_size,
    iter_decrypt,
    new_data_key,
    verify_stream,
)

SEG = 64
BINDING = "evidence:2f1c-item"


def encrypt(data: bytes, key: bytes, *, segment_size: int = SEG, chunk: int = 7, binding: str = BINDING) -> bytes:
    encryptor = StreamEncryptor(key, binding=binding, segment_size=segment_size)
    parts = [encryptor.update(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    parts.append(encryptor.finalize())
    return b"".join(parts)


def decrypt(ciphertext: bytes, key: bytes, *, binding: str = BINDING, chunk: int = 13) -> bytes:
    return b"".join(iter_decrypt(key, io.BytesIO(ciphertext), binding=binding, chunk_size=chunk))


def segments(ciphertext: bytes, segment_size: int = SEG) -> list[bytes]:
    body = ciphertext[HEADER_SIZE:]
    step = segment_size + TAG_SIZE
    return [body[i : i + step] for i in range(0, len(body), step)]


@pytest.fixture
def key() -> bytes:
    return new_data_key()


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 5 * SEG + 17])
def test_round_trip_small_segments(key: bytes, size: int) -> None:
    data = os.urandom(size)
    encryptor = StreamEncryptor(key, binding=BINDING, segment_size=SEG)
    ciphertext = encryptor.update(data) + encryptor.finalize()
    assert len(ciphertext) == ciphertext_size(size, SEG)
    assert decrypt(ciphertext, key) == data
    digests = encryptor.digests
    assert digests is not None
    assert digests.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert digests.ciphertext_sha256 == hashlib.sha256(ciphertext).hexdigest()
    assert (digests.plaintext_size, digests.ciphertext_size) == (size, len(ciphertext))


@pytest.mark.parametrize(
    "size",
    [0, 1, DEFAULT_SEGMENT_SIZE - 1, DEFAULT_SEGMENT_SIZE, DEFAULT_SEGMENT_SIZE + 1, 5 * DEFAULT_SEGMENT_SIZE + 123],
)
@pytest.mark.parametrize("chunk", [65_536, 3 * DEFAULT_SEGMENT_SIZE + 5])
def test_round_trip_default_segments(key: bytes, size: int, chunk: int) -> None:
    data = os.urandom(size)
    ciphertext = encrypt(data, key, segment_size=DEFAULT_SEGMENT_SIZE, chunk=chunk)
    assert len(ciphertext) == ciphertext_size(size)
    decryptor = StreamDecryptor(key, binding=BINDING)
    plain = b"".join(decryptor.update(ciphertext[i : i + 100_000]) for i in range(0, len(ciphertext), 100_000))
    plain += decryptor.finalize()
    assert plain == data
    assert decryptor.digests is not None
    assert decryptor.digests.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert decryptor.digests.ciphertext_sha256 == hashlib.sha256(ciphertext).hexdigest()


def test_serial_and_parallel_hashing_agree(key: bytes) -> None:
    data = os.urandom(3 * DEFAULT_SEGMENT_SIZE + 9)
    results = []
    for parallel in (False, True):
        encryptor = StreamEncryptor(key, binding=BINDING, parallel=parallel)
        buffer = bytearray(data)
        out = encryptor.update(buffer)
        buffer[:] = bytes(len(buffer))  # the caller reusing its buffer must not change what was hashed
        out += encryptor.finalize()
        assert decrypt(out, key) == data
        results.append(encryptor.digests.plaintext_sha256 if encryptor.digests else "")
    assert results == [hashlib.sha256(data).hexdigest()] * 2


def test_two_encryptions_differ(key: bytes) -> None:
    data = b"same content" * 20
    assert encrypt(data, key) != encrypt(data, key)


@pytest.mark.parametrize("offset", [0, 4, 5, 9, 40, 47, 60, 90, 100, HEADER_SIZE - 1])
def test_flipped_header_bit_is_refused(key: bytes, offset: int) -> None:
    ciphertext = bytearray(encrypt(os.urandom(200), key))
    ciphertext[offset] ^= 0x01
    with pytest.raises(IntegrityError):
        decrypt(bytes(ciphertext), key)


def test_header_errors_are_specific(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(200), key)

    def flipped(offset: int) -> bytes:
        raw = bytearray(ciphertext)
        raw[offset] ^= 0x80
        return bytes(raw)

    with pytest.raises(FormatError):
        decrypt(flipped(0), key)
    with pytest.raises(FormatError):
        decrypt(flipped(4), key)
    with pytest.raises(TamperedHeaderError):
        decrypt(flipped(5), key)  # segment size
    with pytest.raises(WrongKeyError):
        decrypt(flipped(9), key)  # salt
    with pytest.raises(TamperedHeaderError):
        decrypt(flipped(42), key)  # nonce prefix
    with pytest.raises(WrongBindingError):
        decrypt(flipped(HEADER_SIZE - 1), key)  # binding tag


@pytest.mark.parametrize("where", ["first", "middle", "tag", "last"])
def test_flipped_segment_bit_is_refused(key: bytes, where: str) -> None:
    data = os.urandom(4 * SEG + 10)
    ciphertext = bytearray(encrypt(data, key))
    step = SEG + TAG_SIZE
    offset = {
        "first": HEADER_SIZE + 3,
        "middle": HEADER_SIZE + 2 * step + 30,
        "tag": HEADER_SIZE + step - 1,
        "last": len(ciphertext) - 1,
    }[where]
    ciphertext[offset] ^= 0x10
    with pytest.raises(TamperedSegmentError) as caught:
        decrypt(bytes(ciphertext), key)
    assert caught.value.segment == (offset - HEADER_SIZE) // step


def test_no_plaintext_before_a_bad_segment_is_detected(key: bytes) -> None:
    data = os.urandom(4 * SEG)
    ciphertext = bytearray(encrypt(data, key))
    ciphertext[HEADER_SIZE + 2 * (SEG + TAG_SIZE) + 1] ^= 1
    received = bytearray()
    with pytest.raises(TamperedSegmentError):
        for plain in iter_decrypt(key, io.BytesIO(bytes(ciphertext)), binding=BINDING, chunk_size=SEG + TAG_SIZE):
            received += plain
    assert bytes(received) == data[: 2 * SEG]


@pytest.mark.parametrize("segments_kept", [0, 1, 2, 3])
def test_truncation_at_segment_boundary(key: bytes, segments_kept: int) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG + 5), key)
    cut = ciphertext[: HEADER_SIZE + segments_kept * (SEG + TAG_SIZE)]
    with pytest.raises(TruncatedError):
        decrypt(cut, key)


@pytest.mark.parametrize("cut", [1, 10, HEADER_SIZE - 1, HEADER_SIZE + 5, HEADER_SIZE + SEG + TAG_SIZE + 40])
def test_truncation_mid_segment(key: bytes, cut: int) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG + 5), key)
    with pytest.raises((TruncatedError, TamperedSegmentError)):
        decrypt(ciphertext[:cut], key)


def test_truncating_the_last_bytes(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG + 5), key)
    with pytest.raises(IntegrityError):
        decrypt(ciphertext[:-1], key)


def test_swapped_segments(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG), key)
    parts = segments(ciphertext)
    parts[1], parts[2] = parts[2], parts[1]
    with pytest.raises(TamperedSegmentError) as caught:
        decrypt(ciphertext[:HEADER_SIZE] + b"".join(parts), key)
    assert caught.value.segment == 1


def test_duplicated_segment(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG), key)
    parts = segments(ciphertext)
    parts.insert(2, parts[1])
    with pytest.raises(TamperedSegmentError):
        decrypt(ciphertext[:HEADER_SIZE] + b"".join(parts), key)


def test_dropped_segment(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG + 3), key)
    parts = segments(ciphertext)
    del parts[1]
    with pytest.raises(TamperedSegmentError):
        decrypt(ciphertext[:HEADER_SIZE] + b"".join(parts), key)


@pytest.mark.parametrize("extra", [b"\x00", os.urandom(TAG_SIZE), os.urandom(SEG + TAG_SIZE)])
def test_appended_data(key: bytes, extra: bytes) -> None:
    ciphertext = encrypt(os.urandom(2 * SEG), key)
    with pytest.raises(TrailingDataError):
        decrypt(ciphertext + extra, key)


@pytest.mark.parametrize("extra", [b"\x00", os.urandom(TAG_SIZE), os.urandom(SEG + TAG_SIZE)])
def test_appended_data_after_a_short_final_segment(key: bytes, extra: bytes) -> None:
    # The extra bytes merge with the short final segment: it no longer authenticates.
    ciphertext = encrypt(os.urandom(2 * SEG + 3), key)
    with pytest.raises(TamperedSegmentError):
        decrypt(ciphertext + extra, key)
    reader = SegmentReader(key, io.BytesIO(ciphertext + extra), binding=BINDING)
    with pytest.raises(IntegrityError):
        reader.read_range(0, reader.plaintext_size)


def test_appended_segment_from_same_stream(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(2 * SEG), key)
    with pytest.raises(TrailingDataError):
        decrypt(ciphertext + segments(ciphertext)[-1], key)


def test_segment_from_another_stream_with_same_key(key: bytes) -> None:
    first, second = encrypt(os.urandom(3 * SEG), key), encrypt(os.urandom(3 * SEG), key)
    mixed = first[:HEADER_SIZE] + segments(first)[0] + segments(second)[1] + segments(first)[2]
    with pytest.raises(TamperedSegmentError):
        decrypt(mixed, key)


def test_wrong_key(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(100), key)
    with pytest.raises(WrongKeyError):
        decrypt(ciphertext, new_data_key())


def test_ciphertext_moved_to_another_item(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(100), key, binding="evidence:item-a")
    with pytest.raises(WrongBindingError):
        decrypt(ciphertext, key, binding="evidence:item-b")


def test_header_from_another_item_with_the_same_key(key: bytes) -> None:
    a = encrypt(os.urandom(3 * SEG), key, binding="evidence:item-a")
    b = encrypt(os.urandom(3 * SEG), key, binding="evidence:item-b")
    # Relabel b's segments with a's header: the binding check passes, every segment fails.
    with pytest.raises(TamperedSegmentError):
        decrypt(a[:HEADER_SIZE] + b[HEADER_SIZE:], key, binding="evidence:item-a")


def test_not_a_stream(key: bytes) -> None:
    with pytest.raises(FormatError):
        decrypt(b"%PDF-1.7" + os.urandom(300), key)
    with pytest.raises(TruncatedError):
        decrypt(b"", key)


def test_empty_binding_is_refused(key: bytes) -> None:
    with pytest.raises(Exception, match="binding"):
        StreamEncryptor(key, binding="")


def test_verify_stream_reports_digests(key: bytes) -> None:
    data = os.urandom(5 * SEG + 1)
    ciphertext = encrypt(data, key)
    digests = verify_stream(key, io.BytesIO(ciphertext), binding=BINDING, chunk_size=50)
    assert digests.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert digests.segment_count == 6


# --- random access --------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, SEG, SEG + 1, 7 * SEG + 33])
def test_range_reads_match_plaintext_slices(key: bytes, size: int) -> None:
    data = os.urandom(size)
    reader = SegmentReader(key, io.BytesIO(encrypt(data, key)), binding=BINDING)
    assert reader.plaintext_size == size
    points = sorted({0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG + 7, max(size - 1, 0), size, size + 10})
    for start in points:
        for stop in points:
            assert reader.read_range(start, stop) == data[start:stop], (start, stop)


def test_range_read_decrypts_only_covering_segments(key: bytes) -> None:
    data = os.urandom(10 * SEG)
    ciphertext = bytearray(encrypt(data, key))
    ciphertext[HEADER_SIZE + 8 * (SEG + TAG_SIZE) + 3] ^= 1  # damage segment 8
    reader = SegmentReader(key, io.BytesIO(bytes(ciphertext)), binding=BINDING)
    assert reader.read_range(SEG + 5, 3 * SEG) == data[SEG + 5 : 3 * SEG]
    with pytest.raises(TamperedSegmentError):
        reader.read_range(7 * SEG, 9 * SEG)


def test_range_reader_detects_truncation_at_boundary(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG + 9), key)
    cut = ciphertext[: HEADER_SIZE + 2 * (SEG + TAG_SIZE)]
    reader = SegmentReader(key, io.BytesIO(cut), binding=BINDING)
    assert reader.read_segment(0)
    with pytest.raises(TruncatedError):
        reader.read_segment(1)


def test_range_reader_with_recorded_size_longer_than_object(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(4 * SEG + 9), key)
    reader = SegmentReader(key, io.BytesIO(ciphertext[:-20]), binding=BINDING, size=len(ciphertext))
    with pytest.raises(TruncatedError):
        reader.read_segment(reader.segment_count - 1)


def test_range_reader_checks_binding(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(100), key)
    with pytest.raises(WrongBindingError):
        SegmentReader(key, io.BytesIO(ciphertext), binding="evidence:other")


# --- suspension and resumption ---------------------------------------------------


@pytest.mark.parametrize("first_part", [0, 5, SEG, SEG + 1, 3 * SEG, 3 * SEG + 40])
def test_resumed_encryption_equals_direct(key: bytes, first_part: int) -> None:
    data = os.urandom(6 * SEG + 11)
    encryptor = StreamEncryptor(key, binding=BINDING, segment_size=SEG)
    stored = encryptor.update(data[:first_part])
    suspended = encryptor.suspend()
    stored += suspended.ciphertext
    assert len(stored) == suspended.ciphertext_offset
    assert suspended.plaintext_offset % SEG == 0
    assert suspended.plaintext_offset <= first_part
    assert suspended.next_segment == suspended.plaintext_offset // SEG

    resumed = StreamEncryptor.resume(key, io.BytesIO(stored), binding=BINDING)
    assert resumed.plaintext_offset == suspended.plaintext_offset
    stored += resumed.update(data[suspended.plaintext_offset :]) + resumed.finalize()

    assert decrypt(stored, key) == data
    assert resumed.digests is not None
    assert resumed.digests.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert resumed.digests.ciphertext_sha256 == hashlib.sha256(stored).hexdigest()
    assert SegmentReader(key, io.BytesIO(stored), binding=BINDING).read_range(0, len(data)) == data


def test_resume_twice(key: bytes) -> None:
    data = os.urandom(9 * SEG)
    encryptor = StreamEncryptor(key, binding=BINDING, segment_size=SEG)
    stored = encryptor.update(data[: 2 * SEG + 3]) + encryptor.suspend().ciphertext
    encryptor = StreamEncryptor.resume(key, io.BytesIO(stored), binding=BINDING)
    offset = encryptor.plaintext_offset
    stored += encryptor.update(data[offset : 6 * SEG + 1]) + encryptor.suspend().ciphertext
    encryptor = StreamEncryptor.resume(key, io.BytesIO(stored), binding=BINDING)
    stored += encryptor.update(data[encryptor.plaintext_offset :]) + encryptor.finalize()
    assert decrypt(stored, key) == data


def test_resume_refuses_a_damaged_or_misaligned_prefix(key: bytes) -> None:
    encryptor = StreamEncryptor(key, binding=BINDING, segment_size=SEG)
    stored = encryptor.update(os.urandom(3 * SEG + 4)) + encryptor.suspend().ciphertext
    with pytest.raises(TruncatedError):
        StreamEncryptor.resume(key, io.BytesIO(stored[:-1]), binding=BINDING)
    damaged = bytearray(stored)
    damaged[-3] ^= 1
    with pytest.raises(TamperedSegmentError):
        StreamEncryptor.resume(key, io.BytesIO(bytes(damaged)), binding=BINDING)
    with pytest.raises(WrongBindingError):
        StreamEncryptor.resume(key, io.BytesIO(stored), binding="evidence:other")


def test_resume_refuses_a_finished_stream(key: bytes) -> None:
    ciphertext = encrypt(os.urandom(2 * SEG), key)
    with pytest.raises(TrailingDataError):
        StreamEncryptor.resume(key, io.BytesIO(ciphertext), binding=BINDING)


def test_finished_encryptor_refuses_more(key: bytes) -> None:
    encryptor = StreamEncryptor(key, binding=BINDING, segment_size=SEG)
    encryptor.finalize()
    with pytest.raises(Exception, match="finished"):
        encryptor.update(b"x")


def test_header_layout_is_as_documented(key: bytes) -> None:
    ciphertext = encrypt(b"", key, segment_size=4096)
    assert HEADER_SIZE == 112
    assert ciphertext[:4] == b"CSTY"
    assert ciphertext[4] == 1
    assert struct.unpack(">I", ciphertext[5:9]) == (4096,)
    assert len(ciphertext) == HEADER_SIZE + TAG_SIZE


def test_memory_stays_flat(key: bytes) -> None:
    """32 MiB through the encryptor and decryptor: traced allocations stay at a few segments."""
    chunk = os.urandom(256 << 10)
    total = 32 << 20
    tracemalloc.start()
    try:
        encryptor = StreamEncryptor(key, binding=BINDING)
        sink = hashlib.sha256()
        for _ in range(total // len(chunk)):
            sink.update(encryptor.update(chunk))
        sink.update(encryptor.finalize())
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        ciphertext_digest = sink.hexdigest()

        replay = StreamEncryptor(key, binding=BINDING)
        decryptor = StreamDecryptor(key, binding=BINDING)
        for _ in range(total // len(chunk)):
            decryptor.update(replay.update(chunk))
        decryptor.update(replay.finalize())
        decryptor.finalize()
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert encryptor.digests is not None and encryptor.digests.ciphertext_sha256 == ciphertext_digest
    assert decryptor.digests is not None and decryptor.digests.plaintext_size == total
    assert encrypt_peak < 6 * DEFAULT_SEGMENT_SIZE
    assert decrypt_peak < 10 * DEFAULT_SEGMENT_SIZE
