"""Where encrypted objects live, and streaming access to them through Django's storage API.

Only ciphertext passes through this module. Each case's host jurisdiction picks a storage
alias (``CUSTODY_EVIDENCE_STORAGES``), so originals from one country stay in that country's bucket.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.translation import gettext_lazy as _

DEFAULT_ALIAS: Final = "evidence"
READ_CHUNK: Final = 4 * 1024 * 1024


class StorageUnavailable(Exception):
    """The object store failed; nothing about the item was recorded."""

    message = _("The evidence store could not be reached. Nothing was recorded; please try again.")


def alias_for(jurisdiction_code: str) -> str:
    """The storage alias for a country: its own location when configured, else the default one."""
    mapping: dict[str, str] = getattr(settings, "CUSTODY_EVIDENCE_STORAGES", {})
    alias = mapping.get(jurisdiction_code.upper(), DEFAULT_ALIAS)
    return alias if alias in settings.STORAGES else DEFAULT_ALIAS


def get(alias: str) -> Storage:
    return storages[alias]


def item_key(uid: object) -> str:
    return f"items/{uid}"


def part_key(upload_id: object, number: int) -> str:
    return f"uploads/{upload_id}/{number:08d}"


def _s3_object(storage: Storage, key: str) -> Any:
    normalize = storage._normalize_name  # type: ignore[attr-defined]
    return storage.bucket.Object(normalize(key))  # type: ignore[attr-defined]


def _is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket")


@contextlib.contextmanager
def writer(alias: str, key: str) -> Iterator[IO[bytes]]:
    """Open ``key`` for writing; on any failure the partial object is removed and StorageUnavailable raised."""
    storage = get(alias)
    handle: Any = None
    try:
        if isinstance(storage, FileSystemStorage):
            path = Path(storage.path(key))
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            handle = os.fdopen(fd, "wb")
        else:
            handle = storage.open(key, "wb")
        yield handle
        handle.close()
    except BaseException as exc:
        _abort(storage, key, handle)
        if isinstance(exc, _store_errors()):
            raise StorageUnavailable(str(type(exc).__name__)) from exc
        raise


def transport_errors() -> tuple[type[BaseException], ...]:
    """Errors of the object store's client that mean "the store failed" rather than a bug."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency of the production profile
        return ()
    return (BotoCoreError, ClientError)


def _store_errors() -> tuple[type[BaseException], ...]:
    return (OSError, *transport_errors())


def _abort(storage: Storage, key: str, handle: Any) -> None:
    """Remove whatever a failed write left: an open multipart upload or a partial file."""
    with contextlib.suppress(Exception):
        multipart = getattr(handle, "_multipart", None)
        if multipart is not None:
            multipart.abort()
            handle._multipart = None
            handle._is_dirty = False
    with contextlib.suppress(Exception):
        if handle is not None and isinstance(storage, FileSystemStorage):
            handle.close()
    with contextlib.suppress(Exception):
        storage.delete(key)


def put(handle: IO[bytes], data: bytes) -> None:
    """Write to an object opened by ``writer``, reporting a store failure as StorageUnavailable."""
    try:
        handle.write(data)
    except _store_errors() as exc:
        raise StorageUnavailable(type(exc).__name__) from exc


def size(alias: str, key: str) -> int:
    storage = get(alias)
    try:
        return int(storage.size(key))
    except _store_errors() as exc:
        raise StorageUnavailable(type(exc).__name__) from exc


def read_range(alias: str, key: str, start: int, length: int) -> Iterator[bytes]:
    """Stream ``length`` bytes of ``key`` from ``start``, never the whole object at once."""
    if length <= 0:
        return
    storage = get(alias)
    try:
        if _is_s3(storage):
            body = _s3_object(storage, key).get(Range=f"bytes={start}-{start + length - 1}")["Body"]
            yield from body.iter_chunks(READ_CHUNK)
            return
        with storage.open(key, "rb") as handle:
            handle.seek(start)
            remaining = length
            while remaining > 0:
                chunk = handle.read(min(READ_CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
    except _store_errors() as exc:
        raise StorageUnavailable(type(exc).__name__) from exc


def read_all(alias: str, key: str) -> Iterator[bytes]:
    return read_range(alias, key, 0, size(alias, key))


def delete(alias: str, key: str) -> None:
    storage = get(alias)
    with contextlib.suppress(FileNotFoundError):
        storage.delete(key)


def exists(alias: str, key: str) -> bool:
    return bool(get(alias).exists(key))
