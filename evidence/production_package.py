"""The stored production package: written encrypted as the engine streams it, read back verified.

The package is sealed like an evidence item (``intake.SealedWriter``: AES-256-GCM segments under a
data key of its own, bound to the package's uid, wrapped by the case's key scope) so a package in
object storage is ciphertext only. Reading it back checks every segment and the SHA-256 recorded
when it was stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from audit.actions import Action
from audit.services import Target, record
from evidence import retrieval, sealing
from evidence.intake import SealedWriter
from evidence.production_models import Production, ProductionKey


class PackageSink(io.RawIOBase):
    """A write-only, non-seekable file the engine writes the package into; bytes are sealed on the way."""

    def __init__(self, writer: SealedWriter) -> None:
        super().__init__()
        self.writer = writer
        self.written = 0
        self.dropped = False

    def writable(self) -> bool:
        return True

    def drop(self) -> None:
        """The build failed and the partial object is gone: bytes still flushed by the writer are ignored."""
        self.dropped = True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(data)
        if self.dropped:
            return len(chunk)
        self.writer.write(chunk)
        self.written += len(chunk)
        return len(chunk)


def package_chunks(production: Production) -> Iterator[bytes]:
    """The package's bytes, verified segment by segment and against its recorded SHA-256 at the end."""
    if production.package_uid is None or not production.object_key:
        raise retrieval.IntegrityFailure("no stored package")
    rows = list(ProductionKey.objects.filter(production=production, escrow=False))
    try:
        data_key = sealing.unwrap(rows, production.package_uid)
    except sealing.CryptoError as exc:
        raise retrieval.IntegrityFailure("package key cannot be unwrapped") from exc
    stream = retrieval.decrypt_object(
        alias=production.storage_location, key=production.object_key, uid=production.package_uid, data_key=data_key
    )
    digests = yield from stream
    if digests is None or digests.plaintext_sha256 != production.package_sha256:
        raise retrieval.IntegrityFailure("package hash mismatch")


def package_filename(production: Production) -> str:
    """``<reference>.zip`` (or ``.zip.gpg`` when encrypted to the recipient); the reference is safe ASCII."""
    suffix = ".zip.gpg" if production.recipient_key.strip() else ".zip"
    return production.reference.replace("/", "_") + suffix


def do_rewrap_package_keys(*, kek_scope: str, user: Any = None) -> int:
    """Re-wrap the packages' data keys of a scope under its current KEK version (with the items' keys).

    A stored package depends on its key's KEK version like an item does: without this, retiring an old
    version once no item uses it would make packages unreadable.
    """
    with transaction.atomic():
        rows = list(
            ProductionKey.objects.select_for_update()
            .select_related("production")
            .filter(kek_scope=kek_scope, escrow=False)
            .order_by("pk")
        )
        changed = [row for row in rows if sealing.needs_rewrap(bytes(row.wrapped))]
        for row in changed:
            assert row.production.package_uid is not None
            wrapping = sealing.rewrap(bytes(row.wrapped), row.production.package_uid)
            row.wrapped, row.kek_version, row.provider = wrapping.wrapped, wrapping.kek_version, wrapping.provider
        ProductionKey.objects.bulk_update(changed, ["wrapped", "kek_version", "provider"])
        if changed:
            record(
                action=Action.EVIDENCE_KEYS_ROTATED,
                user=user,
                targets=[Target("kek", kek_scope)],
                details={"kek_scope": kek_scope, "rewrapped": len(changed), "kind": "production packages"},
            )
    return len(changed)
