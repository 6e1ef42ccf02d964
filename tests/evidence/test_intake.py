from __future__ import annotations

import hashlib
import os
import subprocess
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from evidence import selectors, storage
from evidence.models import EvidenceItem, KeyRole, State, WrappedDataKey
from evidence.retrieval import iter_content
from tests.evidence.conftest import stored_bytes

pytestmark = pytest.mark.django_db


def test_upload_stores_ciphertext_and_records_hashes(world: Any, case: Any, upload: Any) -> None:
    content = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024 + 17)
    response = upload(world.member, case, content, name="interview-with-someone.pdf")
    assert response.status_code == 200, response.content
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    assert item.state == State.STORED
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.size == len(content)
    assert item.media_type == "application/pdf"
    assert item.display_name == "CAF-MINUSCA-0042/E0001"
    stored = stored_bytes(item)
    assert hashlib.sha256(stored).hexdigest() == item.ciphertext_sha256
    assert content[:4096] not in stored
    assert b"interview-with-someone" not in bytes(item.sealed_original_name)
    assert selectors.original_name(item) == "interview-with-someone.pdf"
    keys = WrappedDataKey.objects.filter(item=item, role=KeyRole.PRIMARY)
    assert keys.count() == 1
    assert keys.get().kek_scope == "org:host-counsel"
    assert AuditEvent.objects.filter(action="evidence.uploaded", case_id=case.pk).count() == 1


def test_media_type_comes_from_content_not_name(world: Any, case: Any, upload: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = upload(world.member, case, png, name="notes.txt")
    assert EvidenceItem.objects.get(pk=response.json()["id"]).media_type == "image/png"
    response = upload(world.member, case, "témoignage en français".encode(), name="photo.jpg")
    assert EvidenceItem.objects.get(pk=response.json()["id"]).media_type == "text/plain"


def test_duplicate_is_linked_not_stored_twice(
    world: Any, case: Any, upload: Any, django_capture_on_commit_callbacks: Any
) -> None:
    content = os.urandom(100_000)
    first = EvidenceItem.objects.get(pk=upload(world.member, case, content).json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        second = EvidenceItem.objects.get(pk=upload(world.investigator, case, content).json()["id"])
    assert second.duplicate_of == first
    assert second.object_key == ""
    assert storage.exists(first.storage_location, first.object_key)
    assert not storage.exists(first.storage_location, storage.item_key(second.uid)), "stored twice"
    assert AuditEvent.objects.filter(action="evidence.duplicate", case_id=case.pk).count() == 1


@pytest.mark.parametrize("who", ["other_member", "outsider", "auditor", "mhpss"])
def test_intake_refused_to_non_editors(world: Any, case: Any, upload: Any, who: str) -> None:
    response = upload(getattr(world, who), case, b"content")
    assert response.status_code == 404
    assert not EvidenceItem.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").exists()


def test_upload_page_and_list(world: Any, case: Any, upload: Any, login: Any) -> None:
    upload(world.member, case, b"some words")
    client = login(world.member)
    assert client.get(reverse("evidence:upload_page", args=[case.pk])).status_code == 200
    page = client.get(reverse("evidence:list", args=[case.pk]))
    assert page.status_code == 200
    assert b"CAF-MINUSCA-0042/E0001" in page.content
    assert b"statement.txt" not in page.content
    assert login(world.other_member).get(reverse("evidence:list", args=[case.pk])).status_code == 404


def test_escrow_copy_of_the_data_key_is_stored_and_opens_offline(
    world: Any, case: Any, upload: Any, settings: Any, tmp_path: Any
) -> None:
    import gnupg

    from vault.crypto.escrow import recover_data_key

    server, offline = tmp_path / "server", tmp_path / "offline"
    server.mkdir(mode=0o700)
    offline.mkdir(mode=0o700)
    recovery = gnupg.GPG(gnupghome=str(offline))
    params = recovery.gen_key_input(
        key_type="EDDSA", key_curve="ed25519", subkey_type="ECDH", subkey_curve="cv25519",
        name_real="Coalition recovery", name_email="recovery@coalition.test", expire_date=0, no_protection=True,
    )  # fmt: skip
    fingerprint = str(recovery.gen_key(params).fingerprint)
    gnupg.GPG(gnupghome=str(server)).import_keys(recovery.export_keys([fingerprint]))
    settings.CUSTODY_GNUPG_HOME = server
    settings.CUSTODY_ESCROW_FINGERPRINTS = [fingerprint]
    content = os.urandom(20_000)
    item = EvidenceItem.objects.get(pk=upload(world.member, case, content).json()["id"])
    escrowed = WrappedDataKey.objects.get(item=item, role=KeyRole.ESCROW)
    data_key = recover_data_key(bytes(escrowed.wrapped), context=f"evidence.item:{item.uid}", gnupg_home=offline)
    WrappedDataKey.objects.filter(item=item, role=KeyRole.PRIMARY).delete()  # the server's keys are lost
    from vault.crypto.stream import StreamDecryptor

    decryptor = StreamDecryptor(data_key, binding=f"evidence.item:{item.uid}")
    plain = decryptor.update(stored_bytes(item)) + decryptor.finalize()
    assert plain == content
    for home in (server, offline):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)


def test_cases_of_a_listed_country_use_its_own_location_and_keys(
    world: Any, case: Any, upload: Any, settings: Any, tmp_path: Any
) -> None:
    base = settings.STORAGES["evidence"]
    options = dict(base["OPTIONS"])
    if "bucket_name" in options:
        import boto3

        options["bucket_name"] = "custody-evidence-cf"
        s3 = boto3.client("s3", endpoint_url=options["endpoint_url"], region_name=settings.AWS_S3_REGION_NAME)
        if "custody-evidence-cf" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(
                Bucket="custody-evidence-cf",
                CreateBucketConfiguration={"LocationConstraint": settings.AWS_S3_REGION_NAME},
            )
    else:
        options["location"] = tmp_path / "objects-cf"
    settings.STORAGES = {**settings.STORAGES, "evidence-cf": {**base, "OPTIONS": options}}
    settings.CUSTODY_EVIDENCE_STORAGES = {"CF": "evidence-cf"}
    settings.CUSTODY_JURISDICTION_KEYS = frozenset({"CF"})
    item = EvidenceItem.objects.get(pk=upload(world.member, case, b"kept in the country").json()["id"])
    assert item.storage_location == "evidence-cf"
    assert storage.exists("evidence-cf", item.object_key)
    assert not storage.exists("evidence", item.object_key)
    assert WrappedDataKey.objects.get(item=item, role=KeyRole.PRIMARY).kek_scope == "jur:CF"
    assert b"".join(iter_content(item)) == b"kept in the country"


def test_multipart_intake_still_checks_csrf(world: Any, case: Any, settings: Any) -> None:
    """The view swaps upload handlers before the body is read, then runs the CSRF check itself."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.otp import ensure_totp_device

    client = Client(enforce_csrf_checks=True, headers={"X-Forwarded-Proto": "https"})
    client.force_login(world.member)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = ensure_totp_device(world.member).persistent_id
    session.save()
    url = reverse("evidence:upload", args=[case.pk])
    client.get(reverse("evidence:upload_page", args=[case.pk]), secure=True)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    before = _stored_objects()
    # Cookie and referer are fine, the token is missing: the body is parsed (and sealed) before the refusal.
    refused = client.post(
        url, {"file": SimpleUploadedFile("a.txt", b"no token")}, headers={"Referer": "https://testserver/"}, secure=True
    )
    assert refused.status_code == 403
    assert not EvidenceItem.objects.exists()
    assert _stored_objects() == before, "the sealed object of a refused request must not stay stored"
    accepted = client.post(
        url,
        {"csrfmiddlewaretoken": token, "sensitivity": "high", "file": SimpleUploadedFile("a.txt", b"with token")},
        headers={"Referer": "https://testserver/"},
        secure=True,
    )
    assert accepted.status_code == 302, accepted.status_code
    assert EvidenceItem.objects.count() == 1


def _stored_objects() -> set[str]:
    evidence = storage.get("evidence")
    return set(evidence.listdir("items")[1]) if evidence.exists("items") or hasattr(evidence, "bucket") else set()
