"""Writing a production: Bates-stamped documents, load files and logs in a signed BagIt bag, zipped.

The ZIP holds one directory named after the production, which is the bag. Payload members are
written first as documents arrive, each hashed on the way into the archive; the manifest and load
files are spooled to the memory scratch meanwhile, then the tag files, the tag manifest and its
detached signature close the archive. Memory is bounded by one document, never by their number.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext_noop

from evidence.production import naming
from evidence.production.builder import Builder
from evidence.production.encrypt import EncryptingSink
from evidence.production.errors import ProductionError
from evidence.production.records import (
    DocumentResult,
    PackageInfo,
    PackageResult,
    ProducedDocument,
    Signer,
    WithheldEntry,
)
from evidence.production.stream import CountingSink
from evidence.redaction.scratch import scratch_base

__all__ = [
    "DocumentResult",
    "PackageInfo",
    "PackageResult",
    "ProducedDocument",
    "ProductionError",
    "Signer",
    "WithheldEntry",
    "write_package",
]


def _created(info: PackageInfo) -> datetime:
    try:
        created = datetime.fromisoformat(info.created_at.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ProductionError(
            gettext_noop("created_at %(value)r is not an ISO 8601 date-time"), value=info.created_at
        ) from exc
    if created.tzinfo is None:
        raise ProductionError(gettext_noop("created_at must carry a time zone (UTC)"))
    created = created.astimezone(UTC)
    if created.year < 1980:
        raise ProductionError(gettext_noop("created_at is before 1980, which a ZIP cannot record"))
    return created


def _check(info: PackageInfo) -> str:
    naming.check_prefix(info.bates_prefix)
    if not 1 <= info.bates_width <= 12:
        raise ProductionError(gettext_noop("the Bates width must be between 1 and 12 digits"))
    if info.bates_start < 1:
        raise ProductionError(gettext_noop("the first Bates number must be 1 or more"))
    naming.bates_label(info.bates_prefix, info.bates_start, info.bates_width)
    return naming.check_reference(info.production_ref)


def write_package(
    sink: BinaryIO,
    *,
    info: PackageInfo,
    documents: Iterable[ProducedDocument],
    withheld: Sequence[WithheldEntry],
    signer: Signer,
    progress: Callable[[int], None] | None = None,
    recipient_key: str | None = None,
) -> PackageResult:
    """Write the production to ``sink`` (write-only, need not seek): a ZIP, or with ``recipient_key``
    that ZIP encrypted to the recipient's OpenPGP key. Raises ProductionError naming the document
    at fault; the sink then holds an unusable partial package, to be discarded."""
    bag_name = _check(info)
    created = _created(info)
    counting = CountingSink(sink)
    with tempfile.TemporaryDirectory(prefix="custody-produce-", dir=scratch_base()) as tmp:
        encrypting = EncryptingSink(counting, recipient_key, Path(tmp) / "gnupg") if recipient_key else None
        builder = Builder(encrypting or counting, info=info, bag_name=bag_name, created=created, tmp=Path(tmp))
        try:
            for done, document in enumerate(documents, start=1):
                builder.add(document)
                if progress is not None:
                    progress(done)
            outcome = builder.finish(withheld, signer)
        except BaseException:
            builder.discard()
            if encrypting is not None:
                encrypting.abort()
            raise
        if encrypting is not None:
            encrypting.close()
    return PackageResult(
        bag_name=bag_name,
        documents=tuple(builder.results),
        bates_first=builder.bates_first,
        bates_last=builder.bates_last,
        next_number=builder.next_number,
        tagmanifest_sha256=hashlib.sha256(outcome.tagmanifest).hexdigest(),
        signature_fingerprint=outcome.fingerprint,
        payload_oxum=outcome.oxum,
        package_sha256=counting.sha256.hexdigest(),
        package_size=counting.size,
    )
