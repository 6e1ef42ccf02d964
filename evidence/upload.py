"""A Django upload handler that seals evidence as it arrives.

Installed for the intake view only (``request.upload_handlers = [SealingUploadHandler(...)]``
before the body is read), so Django's memory and temporary-file handlers never see an evidence
upload: each chunk is hashed and encrypted in memory and only ciphertext reaches storage.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from evidence import storage
from evidence.intake import Plan, Sealed, SealedWriter
from evidence.storage import StorageUnavailable

UPLOAD_FIELD = "file"


class SealedUpload(UploadedFile):
    """What the view receives instead of the file: the stored object's facts, and no content."""

    def __init__(self, sealed: Sealed, name: str, content_type: str | None) -> None:
        super().__init__(file=io.BytesIO(b""), name=name, content_type=content_type, size=sealed.size)
        self.sealed = sealed


class SealingUploadHandler(FileUploadHandler):
    # Django's multipart parser reads the body in chunks of this size and copies each chunk several
    # times; chunks that fit the CPU cache keep that cheap (the parser costs about three times more CPU
    # per byte with 1 MiB chunks than with 64 KiB). The encryptor gathers them into 1 MiB segments.
    chunk_size = 64 * 1024

    def __init__(self, request: HttpRequest, plan: Plan) -> None:
        super().__init__(request)
        self.plan = plan
        self.writer: SealedWriter | None = None
        self.error: StorageUnavailable | None = None
        self.completed: list[SealedUpload] = []
        self.registered = False

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != UPLOAD_FIELD or self.completed:
            # One item per request, and only from the expected field: anything else is dropped unread.
            raise StopUpload(connection_reset=False)
        try:
            self.writer = SealedWriter(self.plan)
        except StorageUnavailable as exc:
            self.error = exc
            raise StopUpload(connection_reset=False) from exc

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.writer is None:
            return None
        try:
            self.writer.write(raw_data)
        except StorageUnavailable as exc:
            self.error = exc
            self.writer = None
            raise StopUpload(connection_reset=False) from exc
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.writer is None:
            return None
        writer, self.writer = self.writer, None
        try:
            sealed = writer.finish()
        except StorageUnavailable as exc:
            self.error = exc
            return None
        upload = SealedUpload(sealed, self.file_name or "", self.content_type)
        self.completed.append(upload)
        return upload

    def upload_interrupted(self) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove everything this request stored: the view calls it when it cannot record the item."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
        for upload in self.completed:
            storage.delete(upload.sealed.alias, upload.sealed.key)
        self.completed.clear()
