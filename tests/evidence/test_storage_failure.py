"""The object store goes down in the middle of an upload: nothing is recorded, the error is clear, a retry works.

Production profile: a real moto S3 server started here is stopped while the request body is being read.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test.client import ClientHandler
from django.test.utils import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from evidence.models import EvidenceItem

pytestmark = [pytest.mark.production_only, pytest.mark.django_db]
BOUNDARY = "custody-test-boundary"
BUCKET = "custody-evidence-failover"


class StoppingBody(io.RawIOBase):
    """A request body that stops the S3 server once ``after`` bytes have been read."""

    def __init__(self, data: bytes, after: int, server: Any) -> None:
        super().__init__()
        self.data, self.position, self.after, self.server, self.stopped = data, 0, after, server, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.after and not self.stopped:
            self.server.stop()
            self.stopped = True
        chunk = self.data[self.position : self.position + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def _multipart(content: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="sensitivity"\r\n\r\nhigh\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="video.mp4"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


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
    options = {**storages["evidence"]["OPTIONS"], "endpoint_url": endpoint, "bucket_name": BUCKET}
    storages["evidence"] = {**storages["evidence"], "OPTIONS": options}
    return storages


def _post(client: Any, case: Any, body: Any, length: int) -> Any:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": reverse("evidence:upload", args=[case.pk]),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "wsgi.input": body,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(length),
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_COOKIE": client.cookies.output(header="", sep=";").strip(),
        "REMOTE_ADDR": "127.0.0.1",
    }
    return ClientHandler(enforce_csrf_checks=False)(environ)


def test_s3_down_mid_upload_records_nothing_and_a_retry_succeeds(
    world: Any, case: Any, login: Any, s3_server: Any
) -> None:
    import boto3

    server, endpoint = s3_server()
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=settings.AWS_S3_REGION_NAME)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": settings.AWS_S3_REGION_NAME})
    client = login(world.member)
    content = os.urandom(24 * 1024 * 1024)
    body = _multipart(content)
    with override_settings(STORAGES=_storages(endpoint)):
        stopping = StoppingBody(body, after=12 * 1024 * 1024, server=server)
        response = _post(client, case, io.BufferedReader(stopping), len(body))
    assert stopping.stopped
    assert response.status_code == 503
    assert b"could not be reached" in response.content
    assert not EvidenceItem.objects.exists()
    assert AuditEvent.objects.filter(action="evidence.upload_failed", outcome="failed").exists()

    _server2, endpoint2 = s3_server()  # the store is back (moto keeps its state in this process)
    s3 = boto3.client("s3", endpoint_url=endpoint2, region_name=settings.AWS_S3_REGION_NAME)
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="items/").get("KeyCount", 0) == 0, "a partial object was kept"
    with override_settings(STORAGES=_storages(endpoint2)):
        retry = _post(client, case, io.BytesIO(body), len(body))
        assert retry.status_code == 200, retry.content
        item = EvidenceItem.objects.get()
        assert item.size == len(content)
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="items/")
        assert [o["Key"] for o in listed["Contents"]] == [item.object_key]
