"""Writes on resumable upload sessions: cancelling one, and purging those left unfinished."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.services import Target, record
from evidence import storage
from evidence.models import UploadSession
from evidence.sealing import SEGMENT_SIZE


def expiry() -> timedelta:
    return timedelta(days=int(getattr(settings, "CUSTODY_UPLOAD_EXPIRY_DAYS", 7)))


def expires_at(upload: UploadSession) -> Any:
    return upload.updated_at + expiry()


def do_cancel_upload(
    *, upload: UploadSession, user: Any, request: HttpRequest | None, reason: str = "cancelled"
) -> None:
    """Delete an unfinished upload's stored parts (ciphertext) and its session, audited."""
    for key in upload.part_keys:
        storage.delete(upload.storage_location, key)
    with transaction.atomic():
        record(
            action=Action.EVIDENCE_UPLOAD_CANCELLED,
            user=user,
            request=request,
            case_id=upload.case_id,
            targets=[Target("case", upload.case_id)],
            details={"upload": str(upload.pk), "reason": reason, "stored_bytes": upload.offset},
        )
        upload.delete()


def do_purge_stale_uploads() -> int:
    """Remove uploads not continued within the expiry period (idempotent)."""
    stale = UploadSession.objects.filter(updated_at__lt=timezone.now() - expiry())
    count = 0
    for upload in stale.iterator(chunk_size=100):
        do_cancel_upload(upload=upload, user=None, request=None, reason="expired")
        count += 1
    return count


def needs_restart(upload: UploadSession) -> bool:
    """True when the session can only go on from byte 0 under a new data key.

    Either a claimed segment was never stored (see ``evidence.tus``), or every byte was stored but
    the item could not be assembled from the parts: a session whose last byte is stored is deleted
    by the request that recorded its item, so one still present with ``offset == length`` is stuck.
    """
    if upload.length and upload.offset == upload.length:
        return True
    return upload.burned_segments > upload.offset // SEGMENT_SIZE


def do_fail_assembly(*, upload: UploadSession, user: Any, request: HttpRequest | None, reason: str) -> bool:
    """The parts of a fully received upload could not become an item: reset it to byte 0, audited.

    The session keeps its claims, so the next PATCH (from byte 0) restarts it under a fresh data key;
    HEAD answers ``Upload-Offset: 0`` meanwhile. Its parts are deleted now if the store answers, else
    by that restart or by the expiry purge. Returns False if another request changed the session first.
    """
    with transaction.atomic():
        current = UploadSession.objects.filter(pk=upload.pk, generation=upload.generation, offset=upload.offset)
        if not current.update(offset=0, sealed_head=b""):
            return False
        record(
            action=Action.EVIDENCE_UPLOAD_FAILED,
            outcome=Outcome.FAILED,
            user=user,
            request=request,
            case_id=upload.case_id,
            targets=[Target("case", upload.case_id)],
            details={
                "reason": reason,
                "channel": "resumable",
                "upload": str(upload.pk),
                "stored_bytes": upload.offset,
                "restart": True,
            },
        )
    upload.offset, upload.sealed_head = 0, b""
    _discard_parts(upload)
    return True


def _discard_parts(upload: UploadSession) -> None:
    """Delete the parts while the store answers; whatever remains is listed for the restart or the purge."""
    remaining = list(upload.part_keys)
    failures: tuple[type[BaseException], ...] = (storage.StorageUnavailable, OSError, *storage.transport_errors())
    while remaining:
        try:
            storage.delete(upload.storage_location, remaining[0])
        except failures:
            break
        remaining.pop(0)
    UploadSession.objects.filter(pk=upload.pk, generation=upload.generation, offset=0).update(part_keys=remaining)
    upload.part_keys = remaining
