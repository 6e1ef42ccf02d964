"""Resumable uploads (tus 1.0): only whole encrypted segments are kept, and a resumed upload hashes the same."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from evidence import storage
from evidence.models import EvidenceItem, UploadSession
from evidence.sealing import SEGMENT_SIZE
from tests.evidence.conftest import stored_bytes

pytestmark = pytest.mark.django_db
TUS = {"Tus-Resumable": "1.0.0"}


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _create(client: Any, case: Any, length: int, **meta: str) -> str:
    response = client.post(
        reverse("evidence:tus", args=[case.pk]),
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": _meta(filename="night-statement.m4a", **meta)},
    )
    assert response.status_code == 201, response.content
    return str(response["Location"])


def _patch(client: Any, url: str, offset: int, data: bytes) -> Any:
    return client.generic(
        "PATCH",
        url,
        data,
        content_type="application/offset+octet-stream",
        headers={**TUS, "Upload-Offset": str(offset)},
    )


def test_options_advertises_the_extensions(world: Any, case: Any, login: Any) -> None:
    response = login(world.member).options(reverse("evidence:tus", args=[case.pk]))
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}


def test_interrupted_upload_resumes_from_the_last_segment_and_hashes_the_same(
    world: Any, case: Any, login: Any, upload: Any
) -> None:
    content = os.urandom(3 * SEGMENT_SIZE + 777)
    client = login(world.member)
    url = _create(client, case, len(content), collected_by="investigator 7")
    # The connection drops two and a half segments in: only whole segments are kept.
    first = _patch(client, url, 0, content[: 2 * SEGMENT_SIZE + SEGMENT_SIZE // 2])
    assert first.status_code == 204
    assert int(first["Upload-Offset"]) == 2 * SEGMENT_SIZE
    head = client.head(url, headers=TUS)
    assert head["Upload-Offset"] == str(2 * SEGMENT_SIZE) and head["Upload-Length"] == str(len(content))
    stale = _patch(client, url, 0, content[:100])
    assert stale.status_code == 409
    done = _patch(client, url, 2 * SEGMENT_SIZE, content[2 * SEGMENT_SIZE :])
    assert done.status_code == 204, done.content
    item = EvidenceItem.objects.get(case=case)
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.collected_by == "investigator 7"
    assert hashlib.sha256(stored_bytes(item)).hexdigest() == item.ciphertext_sha256
    assert not UploadSession.objects.exists()
    # A direct upload of the same bytes gives the same content hash (and is linked as a duplicate).
    direct = EvidenceItem.objects.get(pk=upload(world.member, case, content).json()["id"])
    assert direct.sha256 == item.sha256 and direct.duplicate_of == item


def test_small_upload_in_one_patch(world: Any, case: Any, login: Any) -> None:
    client = login(world.member)
    url = _create(client, case, 11)
    response = _patch(client, url, 0, b"hello world")
    assert response.status_code == 204 and response["Upload-Offset"] == "11"
    assert EvidenceItem.objects.get(case=case).sha256 == hashlib.sha256(b"hello world").hexdigest()


def test_termination_removes_stored_parts(world: Any, case: Any, login: Any) -> None:
    client = login(world.member)
    url = _create(client, case, 3 * SEGMENT_SIZE)
    _patch(client, url, 0, os.urandom(SEGMENT_SIZE + 10))
    upload = UploadSession.objects.get()
    keys = list(upload.part_keys)
    assert keys and all(storage.exists(upload.storage_location, k) for k in keys)
    assert client.delete(url, headers=TUS).status_code == 204
    assert not any(storage.exists(upload.storage_location, k) for k in keys)
    assert AuditEvent.objects.filter(action="evidence.upload_cancelled").exists()


@pytest.mark.parametrize("who", ["other_member", "outsider", "auditor"])
def test_others_cannot_start_or_continue_an_upload(world: Any, case: Any, login: Any, who: str) -> None:
    owner = login(world.member)
    url = _create(owner, case, 100)
    client = login(getattr(world, who))
    created = client.post(reverse("evidence:tus", args=[case.pk]), headers={**TUS, "Upload-Length": "10"})
    assert created.status_code == 404
    assert _patch(client, url, 0, b"x" * 100).status_code == 404
    assert client.head(url, headers=TUS).status_code == 404


def test_unfinished_uploads_expire_and_are_purged(world: Any, case: Any, login: Any) -> None:
    import datetime

    from django.utils import timezone

    from evidence.tasks import purge_stale_uploads

    client = login(world.member)
    url = _create(client, case, 3 * SEGMENT_SIZE)
    response = _patch(client, url, 0, os.urandom(SEGMENT_SIZE + 10))
    assert "Upload-Expires" in response
    upload = UploadSession.objects.get()
    keys = list(upload.part_keys)
    assert purge_stale_uploads.apply().get() == 0
    UploadSession.objects.filter(pk=upload.pk).update(updated_at=timezone.now() - datetime.timedelta(days=8))
    assert purge_stale_uploads.apply().get() == 1
    assert not UploadSession.objects.exists()
    assert not any(storage.exists(upload.storage_location, k) for k in keys)
    assert AuditEvent.objects.filter(action="evidence.upload_cancelled", details__reason="expired").exists()


def test_resumable_intake_links_the_chosen_survivors(world: Any, case: Any, login: Any) -> None:
    from cases.survivors import do_create_survivor

    first = do_create_survivor(case=case, user=world.member)
    second = do_create_survivor(case=case, user=world.member)
    client = login(world.member)
    url = _create(client, case, 11, survivors=f"{first.pk}, {second.pk}")
    assert _patch(client, url, 0, b"hello world").status_code == 204
    item = EvidenceItem.objects.get(case=case)
    assert set(item.survivors.all()) == {first, second} and not item.no_survivor_material
    uploaded = AuditEvent.objects.get(action="evidence.uploaded")
    assert uploaded.details["channel"] == "resumable"
    assert uploaded.details["survivor_ids"] == sorted([first.pk, second.pk])
    assert {f"cases.survivor:{first.pk}", f"cases.survivor:{second.pk}"} <= set(uploaded.targets)


def test_resumable_intake_can_mark_no_survivor_material(world: Any, case: Any, login: Any) -> None:
    client = login(world.member)
    url = _create(client, case, 11, no_survivor_material="on")
    assert _patch(client, url, 0, b"hello world").status_code == 204
    assert EvidenceItem.objects.get(case=case).no_survivor_material


@pytest.mark.parametrize("meta", ["foreign", "both", "garbage"])
def test_resumable_intake_refuses_survivors_it_cannot_link(world: Any, case: Any, login: Any, meta: str) -> None:
    from cases.models import Case
    from cases.survivors import do_create_survivor

    own = do_create_survivor(case=case, user=world.member)
    other_case = Case.objects.create(
        reference="CAF-MINUSCA-0999", organisation=case.organisation, host_jurisdiction=case.host_jurisdiction
    )
    foreign = do_create_survivor(case=other_case, user=world.member)
    values = {
        "foreign": {"survivors": str(foreign.pk)},
        "both": {"survivors": str(own.pk), "no_survivor_material": "on"},
        "garbage": {"survivors": "not-a-number"},
    }[meta]
    response = login(world.member).post(
        reverse("evidence:tus", args=[case.pk]),
        headers={**TUS, "Upload-Length": "11", "Upload-Metadata": _meta(filename="a.txt", **values)},
    )
    assert response.status_code == 400
    assert not UploadSession.objects.exists()


def _block_item_object(upload: UploadSession) -> Any:
    """Make the item's object impossible to write in the local store: a directory stands at its path."""
    from django.core.files.storage import FileSystemStorage

    target = storage.get(upload.storage_location)
    if not isinstance(target, FileSystemStorage):
        pytest.skip("blocks a path of the local evidence store")
    path = Path(target.path(storage.item_key(upload.item_uid)))
    path.mkdir(parents=True)
    return path


def test_failed_assembly_resets_the_upload_for_a_restart(world: Any, case: Any, login: Any) -> None:
    content = os.urandom(2 * SEGMENT_SIZE + 99)
    client = login(world.member)
    url = _create(client, case, len(content))
    assert _patch(client, url, 0, content[:SEGMENT_SIZE]).status_code == 204
    upload = UploadSession.objects.get()
    blocked = _block_item_object(upload)
    failed = _patch(client, url, SEGMENT_SIZE, content[SEGMENT_SIZE:])
    assert failed.status_code == 503 and failed["X-Custody-Upload-Restart"] == "required"
    assert not EvidenceItem.objects.exists()
    upload.refresh_from_db()
    assert upload.offset == 0 and upload.part_keys == []
    assert not any(storage.exists(upload.storage_location, key) for key in _all_part_keys(upload))
    event = AuditEvent.objects.get(action="evidence.upload_failed")
    assert event.outcome == "failed" and event.details["restart"] is True
    # HEAD tells the client to send the file again from byte 0 (a tus client does so by itself).
    head = client.head(url, headers=TUS)
    assert head.status_code == 200 and head["Upload-Offset"] == "0"
    assert head["X-Custody-Upload-Restart"] == "required"
    assert _patch(client, url, SEGMENT_SIZE, content[SEGMENT_SIZE:]).status_code == 409
    if blocked.exists():  # the failed write's clean-up may have removed it already
        blocked.rmdir()
    done = _patch(client, url, 0, content)
    assert done.status_code == 204, done.content
    item = EvidenceItem.objects.get(case=case)
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert hashlib.sha256(stored_bytes(item)).hexdigest() == item.ciphertext_sha256
    assert AuditEvent.objects.filter(action="evidence.upload_restarted").count() == 1
    assert not UploadSession.objects.exists()


def _all_part_keys(upload: UploadSession) -> list[str]:
    from django.core.files.storage import FileSystemStorage

    target = storage.get(upload.storage_location)
    assert isinstance(target, FileSystemStorage)
    folder = Path(target.path(f"uploads/{upload.pk}"))
    return [f"uploads/{upload.pk}/{p.name}" for p in folder.iterdir()] if folder.exists() else []


def test_failed_item_record_resets_the_upload_on_every_store(world: Any, case: Any, login: Any) -> None:
    """The item row cannot be written (its uid is taken): the upload resets to byte 0, no object stays."""
    content = os.urandom(SEGMENT_SIZE + 5)
    client = login(world.member)
    url = _create(client, case, len(content))
    upload = UploadSession.objects.get()
    clash = EvidenceItem.objects.create(
        uid=upload.item_uid, case=case, number=900, created_by=world.member, custodian=world.member
    )
    failed = _patch(client, url, 0, content)
    assert failed.status_code == 503 and failed["X-Custody-Upload-Restart"] == "required"
    upload.refresh_from_db()
    assert upload.offset == 0 and upload.part_keys == []
    assert not storage.exists(upload.storage_location, storage.item_key(upload.item_uid))
    assert EvidenceItem.objects.filter(case=case).count() == 1
    clash.delete()
    assert _patch(client, url, 0, content).status_code == 204
    assert EvidenceItem.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()
