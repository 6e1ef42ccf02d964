"""Memory stays bounded by one document: ten times the documents, (nearly) the same peak."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator

from evidence.production.package import write_package
from tests.evidence.production.engine_helpers import document, fpdf_pdf, info, signer

NATIVE = 512 * 1024
PDF = fpdf_pdf(["page one", "page two"])


class Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def _documents(count: int) -> Iterator:
    # Each native is produced chunk by chunk as the vault's verified reader would, never whole.
    block = bytes(range(256)) * 256
    for index in range(count):
        control = f"DOC-{index:06d}"
        if index % 2:
            yield document(control, PDF)
            continue
        prefix = index.to_bytes(4, "big")
        chunks = [prefix + block[4:]] + [block] * (NATIVE // len(block) - 1)
        digest = hashlib.sha256(b"".join(chunks)).hexdigest()
        reader = lambda c=chunks: iter(c)  # noqa: E731
        yield document(control, b"", media_type="video/mp4", source_sha256=digest, open_plaintext=reader)


def _peak(count: int) -> int:
    signer()  # key generation outside the measurement
    tracemalloc.start()
    try:
        write_package(Discard(), info=info(), documents=_documents(count), withheld=[], signer=signer())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_the_number_of_documents() -> None:
    small, large = _peak(10), _peak(100)
    # 90 more documents hold 23 MiB of natives; what may grow is bookkeeping (ZIP directory, results).
    assert large - small < 90 * 4096, (small, large)
    assert large < 4 * 1024 * 1024, large
