"""Resumable uploads: the server side of tus 1.0 (core, creation, termination).

Only whole encrypted segments are ever made durable. A PATCH seals the complete segments it
received into one part object under ``uploads/<id>/`` and answers ``Upload-Offset`` = the last
segment boundary stored; the partial segment at the end of an interrupted PATCH is discarded
(never written) and the client resends it. When the last byte arrives, the parts are composed
into the item's object and the item is recorded.

No segment index is ever encrypted twice under one data key. Before the encryptor may seal a
segment, its index is claimed in the session (``burned_segments``, committed first). A PATCH that
would seal an index already claimed but never stored (its part was lost to a store failure, or
another request holds it) is refused and the session restarts from byte 0 under a fresh data key,
so resent bytes that differ from the lost ones never share a nonce with them.
"""

from __future__ import annotations

import base64
import binascii
import io
import secrets
from collections.abc import Iterator
from typing import Any, BinaryIO, Final, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from audit.actions import Action
from audit.services import record
from cases.models import Case
from evidence import sealing, services, storage
from evidence.access import case_target, get_case_for
from evidence.forms import CollectionForm
from evidence.intake import HEAD_BYTES, Sealed
from evidence.models import UploadSession
from evidence.uploads import do_cancel_upload, do_fail_assembly, expires_at, needs_restart
from teams.access import acting_as, not_found
from teams.policy import Perm

TUS_VERSION: Final = "1.0.0"
# On HEAD (with Upload-Offset 0) and on refused PATCHes: the upload must be sent again from byte 0.
RESTART_HEADER: Final = "X-Custody-Upload-Restart"
READ_SIZE: Final = 1024 * 1024


def _expires(response: HttpResponse, upload: UploadSession) -> HttpResponse:
    response["Upload-Expires"] = http_date(expires_at(upload).timestamp())
    return response


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str) -> HttpResponse:
    return _tus(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


def max_size() -> int:
    return int(getattr(settings, "CUSTODY_MAX_UPLOAD_BYTES", 64 * 1024**3))


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    result: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _sep, value = pair.partition(" ")
        try:
            result[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError(key) from exc
    return result


def collection_data(metadata: dict[str, str]) -> dict[str, Any]:
    """The collection form's data from ``Upload-Metadata``: ``survivors`` is a comma-separated list of ids."""
    data: dict[str, Any] = {**metadata, "sensitivity": metadata.get("sensitivity") or "high"}
    data["survivors"] = [part.strip() for part in metadata.get("survivors", "").split(",") if part.strip()]
    return data


@login_required
@require_http_methods(["OPTIONS", "POST"])
def collection(request: HttpRequest, case_id: int) -> HttpResponse:
    if request.method == "OPTIONS":
        response = _tus(HttpResponse(status=204))
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = "creation,termination,expiration"
        response["Tus-Max-Size"] = str(max_size())
        return response
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _error(412, _("Unsupported tus version."))
    case, decision = get_case_for(request, case_id, Perm.EVIDENCE_UPLOAD)
    try:
        length = int(request.headers.get("Upload-Length", ""))
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
    except ValueError:
        return _error(400, _("Upload-Length and Upload-Metadata must be valid."))
    if length < 0 or length > max_size():
        return _error(413, _("The file is larger than this server accepts."))
    form = CollectionForm(collection_data(metadata), case=case)
    if not form.is_valid():
        return _error(400, _("The collection details are not valid: %(fields)s") % {"fields": ", ".join(form.errors)})
    plan = services.plan_for(case)
    with transaction.atomic():
        upload = UploadSession(
            case=case,
            created_by=cast(User, request.user),
            length=length,
            storage_location=plan.alias,
            kek_scope=plan.kek_scope,
            collection={k: v for k, v in form.data.items() if k in form.fields},
        )
        data_key = sealing.new_data_key(plan.kek_scope, upload.item_uid)
        primary = data_key.primary
        upload.provider, upload.kek_version, upload.wrapped_key = primary.provider, primary.kek_version, primary.wrapped
        upload.sealed_original_name = sealing.seal_name(data_key, upload.item_uid, metadata.get("filename", ""))
        upload.save()
        record(
            action=Action.EVIDENCE_UPLOAD_STARTED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=case.pk,
            targets=[case_target(case.pk)],
            details={"upload": str(upload.pk), "length": length},
        )
    response = _tus(HttpResponse(status=201))
    response["Location"] = reverse("evidence:tus_resource", args=[upload.pk])
    response["Upload-Offset"] = "0"
    return _expires(response, upload)


def _get_upload(request: HttpRequest, upload_id: Any) -> UploadSession:
    """Only the person who started an upload may continue it; others get the same 404 as for none."""
    upload = UploadSession.objects.select_related("case").filter(pk=upload_id).first()
    if upload is None or upload.created_by_id != request.user.pk:
        raise not_found(request, perm=Perm.EVIDENCE_UPLOAD, targets=[case_target(0)])
    get_case_for(request, upload.case_id, Perm.EVIDENCE_UPLOAD)
    return upload


@login_required
@require_http_methods(["HEAD", "PATCH", "DELETE", "OPTIONS"])
def resource(request: HttpRequest, upload_id: Any) -> HttpResponse:
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _error(412, _("Unsupported tus version."))
    if request.method == "OPTIONS":
        return collection(request, 0)
    upload = _get_upload(request, upload_id)
    if request.method == "HEAD":
        response = _tus(HttpResponse(status=200))
        restart = needs_restart(upload)
        # Offset 0 makes a tus client send the file again from the start; the header says why.
        response["Upload-Offset"] = "0" if restart else str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        if restart:
            response[RESTART_HEADER] = "required"
        return _expires(response, upload)
    if request.method == "DELETE":
        do_cancel_upload(upload=upload, user=request.user, request=request)
        return _tus(HttpResponse(status=204))
    return _patch(request, upload)


def _patch(request: HttpRequest, upload: UploadSession) -> HttpResponse:
    if request.content_type != "application/offset+octet-stream":
        return _error(415, _("PATCH requests need Content-Type: application/offset+octet-stream."))
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return _error(400, _("Upload-Offset is missing."))
    restart = needs_restart(upload)
    if offset != upload.offset and not (restart and offset == 0):
        response = _error(409, _("The upload continues from another offset."))
        response["Upload-Offset"] = "0" if restart else str(upload.offset)
        if restart:
            response[RESTART_HEADER] = "required"
        return response
    try:
        if restart:
            restarted = _restart(request, upload)
            if offset != 0 or not restarted:
                return _restart_required()
        data_key = sealing.unwrap([_Wrapped(bytes(upload.wrapped_key))], upload.item_uid)
        new_offset, digests = _seal_part(request, upload, data_key)
    except storage.StorageUnavailable:
        return _error(503, _("The evidence store could not be reached. Resume the upload later."))
    except sealing.CryptoError:
        return _error(409, _("The stored part of this upload is damaged. Start the upload again."))
    except _Superseded:
        return _restart_required()
    if digests is not None:
        return _complete(request, upload, data_key, digests)
    response = _tus(HttpResponse(status=204))
    response["Upload-Offset"] = str(new_offset)
    upload.refresh_from_db(fields=["updated_at"])
    return _expires(response, upload)


class _Superseded(Exception):
    """Another request claimed the segments this one was about to encrypt, or restarted the session."""


def _restart_required() -> HttpResponse:
    response = _error(
        409,
        _(
            "Part of this upload was lost before it could be stored. For the safety of the encryption "
            "it starts again from the beginning: send the file again from byte 0."
        ),
    )
    response["Upload-Offset"] = "0"
    response[RESTART_HEADER] = "required"
    return response


def _restart(request: HttpRequest, upload: UploadSession) -> bool:
    """Start the session again at byte 0 under a fresh data key; the stored parts are discarded.

    Returns False if another request changed the session meanwhile (nothing is changed then).
    """
    old_key = sealing.unwrap([_Wrapped(bytes(upload.wrapped_key))], upload.item_uid)
    name = sealing.open_name(old_key, upload.item_uid, bytes(upload.sealed_original_name))
    for key in upload.part_keys:
        storage.delete(upload.storage_location, key)
    data_key = sealing.new_data_key(upload.kek_scope, upload.item_uid)
    primary = data_key.primary
    changes: dict[str, Any] = {
        "offset": 0,
        "part_keys": [],
        "burned_segments": 0,
        "generation": upload.generation + 1,
        "provider": primary.provider,
        "kek_version": primary.kek_version,
        "wrapped_key": primary.wrapped,
        "sealed_original_name": sealing.seal_name(data_key, upload.item_uid, name),
        "sealed_head": b"",
    }
    with transaction.atomic():
        current = UploadSession.objects.filter(
            pk=upload.pk, generation=upload.generation, offset=upload.offset, burned_segments=upload.burned_segments
        )
        if not current.update(**changes):
            return False
        record(
            action=Action.EVIDENCE_UPLOAD_RESTARTED,
            user=request.user,
            request=request,
            case_id=upload.case_id,
            targets=[case_target(upload.case_id)],
            details={"upload": str(upload.pk), "discarded_bytes": upload.offset},
        )
    for name_, value in changes.items():
        setattr(upload, name_, value)
    return True


def _segment_count(length: int) -> int:
    return max(1, -(-length // sealing.SEGMENT_SIZE))


def _claim(upload: UploadSession, segments: int) -> None:
    """Commit that segment indexes below ``segments`` may now be encrypted (before any of them is)."""
    if segments <= upload.burned_segments:
        return
    with transaction.atomic():
        claimed = UploadSession.objects.filter(
            pk=upload.pk, generation=upload.generation, burned_segments=upload.burned_segments
        ).update(burned_segments=segments)
    if not claimed:
        raise _Superseded
    upload.burned_segments = segments


class _Wrapped:
    def __init__(self, wrapped: bytes) -> None:
        self.wrapped = wrapped


class PartsReader(io.RawIOBase):
    """The stored parts of an upload read back in order, as one stream of ciphertext."""

    def __init__(self, alias: str, keys: list[str]) -> None:
        super().__init__()
        self._chunks = (chunk for key in keys for chunk in storage.read_all(alias, key))
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _encryptor_for(upload: UploadSession, data_key: sealing.DataKey) -> sealing.Encryptor:
    if upload.offset == 0:
        return sealing.encryptor(data_key, upload.item_uid)
    # Rebuilds the hash states by decrypting the stored parts: only after an interruption.
    return sealing.resume_encryptor(
        data_key, upload.item_uid, cast(BinaryIO, PartsReader(upload.storage_location, upload.part_keys))
    )


def _seal_part(
    request: HttpRequest, upload: UploadSession, data_key: sealing.DataKey
) -> tuple[int, sealing.Digests | None]:
    """Seal this PATCH's whole segments into one part; record it only if the offset did not move meanwhile."""
    start = upload.offset
    encryptor = _encryptor_for(upload, data_key)
    key = f"{storage.part_key(upload.pk, start // sealing.SEGMENT_SIZE)}-{secrets.token_hex(4)}"
    head = bytearray()
    try:
        with storage.writer(upload.storage_location, key) as out:
            for chunk in _body(request, upload.length - start):
                position = encryptor.plaintext_offset
                if position < HEAD_BYTES:
                    head.extend(chunk[: HEAD_BYTES - position])
                # update() seals only segments complete in what it has received, suspend() at most one more.
                _claim(upload, (position + len(chunk)) // sealing.SEGMENT_SIZE)
                storage.put(out, encryptor.update(chunk))
            if encryptor.plaintext_offset == upload.length:
                _claim(upload, _segment_count(upload.length))
                storage.put(out, encryptor.finalize())
                new_offset, digests = upload.length, encryptor.digests
            else:
                suspended = encryptor.suspend()
                storage.put(out, suspended.ciphertext)
                new_offset, digests = suspended.plaintext_offset, None
    finally:
        encryptor.close()
    if new_offset == start and digests is None:
        # Less than a segment arrived: nothing worth keeping (and never a second header).
        storage.delete(upload.storage_location, key)
        return start, None
    if not _record_part(upload, key, start, new_offset, bytes(head), data_key):
        return upload.offset, None
    return new_offset, digests


def _body(request: HttpRequest, limit: int) -> Iterator[bytes]:
    """The PATCH body; a dropped connection simply ends it (the whole segments received are kept)."""
    remaining = limit
    while remaining > 0:
        try:
            chunk = request.read(min(READ_SIZE, remaining))
        except OSError:
            return
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def _record_part(
    upload: UploadSession, key: str, start: int, new_offset: int, head: bytes, data_key: sealing.DataKey
) -> bool:
    changes: dict[str, Any] = {"offset": new_offset, "part_keys": [*upload.part_keys, key]}
    if start == 0:
        changes["sealed_head"] = sealing.seal_name(data_key, upload.item_uid, base64.b64encode(head).decode("ascii"))
    updated = UploadSession.objects.filter(pk=upload.pk, offset=start, generation=upload.generation).update(**changes)
    if not updated:
        # Another request stored this range first: drop ours; the client asks HEAD and continues.
        storage.delete(upload.storage_location, key)
        return False
    for name, value in changes.items():
        setattr(upload, name, value)
    return True


def _complete(
    request: HttpRequest, upload: UploadSession, data_key: sealing.DataKey, digests: sealing.Digests
) -> HttpResponse:
    case, decision = get_case_for(request, upload.case_id, Perm.EVIDENCE_UPLOAD)
    try:
        sealed = _compose(upload, data_key, digests)
        item = services.do_register_item(
            case=case,
            sealed=sealed,
            original_name=sealing.open_name(data_key, upload.item_uid, bytes(upload.sealed_original_name)),
            collection=_collection(upload, case),
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            channel="resumable",
        )
    except (storage.StorageUnavailable, DatabaseError) as exc:
        # Every byte arrived but no item came of it: without a reset the client (seeing its offset at
        # the end) would believe it done. Reset to byte 0 (parts removed) so that it sends the file again.
        do_fail_assembly(upload=upload, user=request.user, request=request, reason=type(exc).__name__)
        response = _error(
            503,
            _(
                "The upload arrived but could not be stored as evidence. Nothing was recorded; "
                "the file must be sent again from the beginning."
            ),
        )
        response[RESTART_HEADER] = "required"
        return response
    for key in upload.part_keys:
        storage.delete(upload.storage_location, key)
    upload.delete()
    response = _tus(HttpResponse(status=204))
    response["Upload-Offset"] = str(upload.length)
    response["X-Custody-Item"] = reverse("evidence:item", args=[item.pk])
    return response


def _collection(upload: UploadSession, case: Case) -> services.Collection:
    """The collection details sent at creation.

    When the survivor choice no longer validates (a survivor removed from the case since), the whole
    choice is dropped: the item is left undetermined, refused for use until someone links its survivors.
    """
    form = CollectionForm(upload.collection, case=case)
    if not form.is_valid():
        form = CollectionForm({**upload.collection, "survivors": []}, case=case)
        form.is_valid()
    return form.collection()


def _compose(upload: UploadSession, data_key: sealing.DataKey, digests: sealing.Digests) -> Sealed:
    """Concatenate the parts into the item's object (ciphertext only, never decrypted here)."""
    key = storage.item_key(upload.item_uid)
    with storage.writer(upload.storage_location, key) as out:
        for part in upload.part_keys:
            for chunk in storage.read_all(upload.storage_location, part):
                storage.put(out, chunk)
    head_text = sealing.open_name(data_key, upload.item_uid, bytes(upload.sealed_head)) if upload.sealed_head else ""
    return Sealed(
        uid=upload.item_uid,
        alias=upload.storage_location,
        key=key,
        size=digests.plaintext_size,
        sha256=digests.plaintext_sha256,
        ciphertext_sha256=digests.ciphertext_sha256,
        object_size=digests.ciphertext_size,
        head=base64.b64decode(head_text) if head_text else b"",
        data_key=sealing.with_escrow(data_key, upload.kek_scope, upload.item_uid),
    )
