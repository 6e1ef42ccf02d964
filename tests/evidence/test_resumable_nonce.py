"""A resumable upload never encrypts one segment index twice under the same key and nonce prefix.

The object store goes down during a PATCH after its segments were encrypted; the client then resends
*different* bytes for the same offset. The session must restart under a new data key (new salt and nonce
prefix) instead of sealing those segment indexes again. Both profiles: a real moto S3 server over HTTP,
started here and stopped mid-upload.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test.utils import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from evidence import storage
from evidence.models import EvidenceItem, UploadSession
from evidence.sealing import SEGMENT_SIZE
from tests.evidence.test_resumable import TUS, _create, _patch
from vault.crypto import stream

pytestmark = pytest.mark.django_db
BUCKET = "custody-evidence-nonce"


@pytest.fixture
def s3_server() -> Iterator[Any]:
    from moto.server import ThreadedMotoServer

    servers: list[Any] = []

    def start() -> tuple[Any, str]:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        servers.append(server)
        host, port = server.get_host_and_port()
        return server, f"http://{host}:{port}"

    yield start
    for server in servers:
        try:
            server.stop()
        except Exception:  # noqa: S112 - already stopped by the test
            continue


def _storages(endpoint: str) -> dict[str, Any]:
    storages = {name: dict(cfg) for name, cfg in settings.STORAGES.items()}
    storages["evidence"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": endpoint,
            "region_name": settings.AWS_S3_REGION_NAME,
            "access_key": "testing",
            "secret_key": "testing",
            "default_acl": None,
            "file_overwrite": False,
        },
    }
    return storages


class StoppingBody:
    """A PATCH body that stops the S3 server once ``after`` bytes have been read (the rest still arrives)."""

    def __init__(self, data: bytes, after: int, server: Any) -> None:
        self.data, self.position, self.after, self.server, self.stopped = data, 0, after, server, False

    def read(self, size: int = -1) -> bytes:
        if self.position >= self.after and not self.stopped:
            self.server.stop()
            self.stopped = True
        end = len(self.data) if size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _prefix_and_salt(header: bytes) -> bytes:
    # Everything before the key commitment: magic, version, segment size, salt, nonce prefix.
    return header[: stream._OFF_COMMIT]


def _s3(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=settings.AWS_S3_REGION_NAME,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_store_failure_then_different_bytes_restarts_under_a_new_key(
    world: Any, case: Any, login: Any, s3_server: Any
) -> None:
    server, endpoint = s3_server()
    _s3(endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": settings.AWS_S3_REGION_NAME}
    )
    first_bytes = os.urandom(4 * SEGMENT_SIZE + 123)
    resent = first_bytes[: 2 * SEGMENT_SIZE] + os.urandom(2 * SEGMENT_SIZE + 123)
    client = login(world.member)
    with override_settings(STORAGES=_storages(endpoint)):
        url = _create(client, case, len(first_bytes))
        assert _patch(client, url, 0, first_bytes[: 2 * SEGMENT_SIZE]).status_code == 204
        session = UploadSession.objects.get()
        assert (session.offset, session.burned_segments, session.generation) == (2 * SEGMENT_SIZE, 2, 0)
        old_wrapped = bytes(session.wrapped_key)
        old_header = b"".join(storage.read_range("evidence", session.part_keys[0], 0, stream.HEADER_SIZE))
        old_parts = list(session.part_keys)

        rest = first_bytes[2 * SEGMENT_SIZE :]
        body = StoppingBody(rest, after=64 * 1024, server=server)
        lost = client.generic(
            "PATCH",
            url,
            rest,
            content_type="application/offset+octet-stream",
            headers={**TUS, "Upload-Offset": str(2 * SEGMENT_SIZE)},
            **{"wsgi.input": body},
        )
    assert body.stopped
    assert lost.status_code == 503
    session.refresh_from_db()
    # Segments 2..4 were handed to the encryptor (claimed and committed first) but never stored.
    assert session.offset == 2 * SEGMENT_SIZE and session.burned_segments == 5 and session.generation == 0

    _server2, endpoint2 = s3_server()  # the store is back (moto keeps its state in this process)
    with override_settings(STORAGES=_storages(endpoint2)):
        refused = _patch(client, url, 2 * SEGMENT_SIZE, resent[2 * SEGMENT_SIZE :])
        assert refused.status_code == 409
        assert refused["Upload-Offset"] == "0"
        assert b"starts again from the beginning" in refused.content
        session.refresh_from_db()
        assert (session.offset, session.part_keys, session.burned_segments) == (0, [], 0)
        assert session.generation == 1 and bytes(session.wrapped_key) != old_wrapped
        for key in old_parts:
            assert not storage.exists("evidence", key), "a part sealed under the old key was kept"
        assert client.head(url, headers=TUS)["Upload-Offset"] == "0"
        assert AuditEvent.objects.filter(action="evidence.upload_restarted").count() == 1

        done = _patch(client, url, 0, resent)
        assert done.status_code == 204, done.content
        item = EvidenceItem.objects.get(case=case)
        assert item.sha256 == hashlib.sha256(resent).hexdigest()
        new_header = b"".join(storage.read_range("evidence", item.object_key, 0, stream.HEADER_SIZE))
        listed = _s3(endpoint2).list_objects_v2(Bucket=BUCKET, Prefix="uploads/")
    # A new salt and nonce prefix under a new data key: no segment shares a nonce with a lost one.
    assert _prefix_and_salt(new_header) != _prefix_and_salt(old_header)
    assert new_header[stream._OFF_PREFIX : stream._OFF_COMMIT] != old_header[stream._OFF_PREFIX : stream._OFF_COMMIT]
    assert listed.get("KeyCount", 0) == 0


def test_claimed_but_unstored_segments_refuse_a_resume(world: Any, case: Any, login: Any) -> None:
    content = os.urandom(3 * SEGMENT_SIZE)
    client = login(world.member)
    url = _create(client, case, len(content))
    assert _patch(client, url, 0, content[:SEGMENT_SIZE]).status_code == 204
    session = UploadSession.objects.get()
    old_wrapped = bytes(session.wrapped_key)
    # A PATCH that sealed segment 1 but lost it leaves it claimed above the stored offset.
    UploadSession.objects.filter(pk=session.pk).update(burned_segments=2)
    refused = _patch(client, url, SEGMENT_SIZE, content[SEGMENT_SIZE:])
    assert refused.status_code == 409 and refused["Upload-Offset"] == "0"
    session.refresh_from_db()
    assert session.offset == 0 and session.generation == 1 and bytes(session.wrapped_key) != old_wrapped
    assert _patch(client, url, 0, content).status_code == 204
    assert EvidenceItem.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()


def test_a_cut_connection_does_not_claim_the_partial_segment(world: Any, case: Any, login: Any) -> None:
    content = os.urandom(2 * SEGMENT_SIZE + 5)
    client = login(world.member)
    url = _create(client, case, len(content))
    assert _patch(client, url, 0, content[: SEGMENT_SIZE + SEGMENT_SIZE // 3]).status_code == 204
    session = UploadSession.objects.get()
    # Only the whole segment was encrypted; the partial one was dropped unencrypted and is resent.
    assert (session.offset, session.burned_segments, session.generation) == (SEGMENT_SIZE, 1, 0)
    assert _patch(client, url, SEGMENT_SIZE, content[SEGMENT_SIZE:]).status_code == 204
    assert EvidenceItem.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()


def test_multipart_body_cut_inside_the_file_seals_no_final_segment(world: Any, case: Any, login: Any) -> None:
    """The direct intake: a body that ends inside the file is never finalized (no short last segment)."""
    boundary = "custody-cut"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="sensitivity"\r\n\r\nhigh\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="video.mp4"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    cut = head + os.urandom(SEGMENT_SIZE + SEGMENT_SIZE // 2)
    before = _objects()
    client = login(world.member)
    response = client.generic(
        "POST",
        reverse("evidence:upload", args=[case.pk]),
        cut,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert not EvidenceItem.objects.exists()
    assert _objects() == before, "an object was kept for a cut upload"


def _objects() -> set[str]:
    location = storage.get("evidence")
    try:
        _dirs, files = location.listdir("items/")
    except FileNotFoundError:
        return set()
    return set(files)


def test_a_fully_stored_upload_left_without_item_restarts_from_zero(world: Any, case: Any, login: Any) -> None:
    """Every byte stored but no item (composing failed and nothing reset it): HEAD says start again, and
    a PATCH from byte 0 restarts under a new key; a client told the offset was at the end would stop there."""
    content = os.urandom(SEGMENT_SIZE + 10)
    client = login(world.member)
    url = _create(client, case, len(content))
    assert _patch(client, url, 0, content[:SEGMENT_SIZE]).status_code == 204
    session = UploadSession.objects.get()
    keys = list(session.part_keys)
    UploadSession.objects.filter(pk=session.pk).update(offset=len(content), burned_segments=2)
    head = client.head(url, headers=TUS)
    assert head["Upload-Offset"] == "0" and head["X-Custody-Upload-Restart"] == "required"
    at_end = _patch(client, url, len(content), b"x")
    assert at_end.status_code == 409 and at_end["Upload-Offset"] == "0"
    session.refresh_from_db()
    assert session.generation == 1 and session.offset == 0 and not session.part_keys
    assert not any(storage.exists(session.storage_location, key) for key in keys)
    assert _patch(client, url, 0, content).status_code == 204
    assert EvidenceItem.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()
