"""Streaming helpers: a sink that hashes what passes through it, and ZIP members written from chunks.

The ZIP is written to a sink that cannot seek (an encrypting writer into vault storage), so every
member carries a data descriptor; members of unknown size get ZIP64 fields so a native of any
size fits. Nothing is held whole in memory: chunks pass straight to the sink.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

CHUNK = 1024 * 1024


class Writable(Protocol):
    def write(self, data: bytes, /) -> int | None: ...


class CountingSink:
    """Passes writes to ``sink`` and keeps the SHA-256 and byte count of everything written."""

    def __init__(self, sink: Writable) -> None:
        self.sink = sink
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self.sink.write(data)
        return len(data)

    def flush(self) -> None:
        flush = getattr(self.sink, "flush", None)
        if callable(flush):
            flush()


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def add_member(
    archive: zipfile.ZipFile,
    name: str,
    chunks: Iterable[bytes],
    *,
    date_time: tuple[int, int, int, int, int, int],
    compress: bool,
    size: int | None = None,
) -> tuple[str, int]:
    """Write one member from ``chunks``; its SHA-256 and size."""
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    if size is not None:
        info.file_size = size
    digest, written = hashlib.sha256(), 0
    with archive.open(info, "w", force_zip64=size is None) as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
            written += len(chunk)
    return digest.hexdigest(), written


def open_zip(sink: Writable) -> zipfile.ZipFile:
    return zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True)  # type: ignore[call-overload]
