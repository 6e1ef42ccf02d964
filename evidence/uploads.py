"""Writes on resumable upload sessions: cancelling one, and purging those left unfinished."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action
from audit.services import Target, record
from evidence import storage
from evidence.models import UploadSession


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
