from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from django.urls import reverse

from audit.models import Alert, AuditEvent
from evidence.models import EvidenceItem, IntegrityCheck
from evidence.sealing import SEGMENT_SIZE
from tests.evidence.conftest import overwrite, stored_bytes
from vault.crypto.stream import HEADER_SIZE, TAG_SIZE

pytestmark = pytest.mark.django_db
PURPOSE = {"purpose": "prepare the hearing bundle"}


@pytest.fixture
def item(world: Any, case: Any, upload: Any) -> tuple[EvidenceItem, bytes]:
    content = os.urandom(2 * SEGMENT_SIZE + 12345)
    response = upload(world.member, case, content, name="clip.bin")
    return EvidenceItem.objects.get(pk=response.json()["id"]), content


def _download(client: Any, item: EvidenceItem) -> bytes:
    response = client.post(reverse("evidence:download", args=[item.pk]), PURPOSE)
    assert response.status_code == 200, response.status_code
    # Never cached by the browser, never spooled to a proxy's temporary files.
    assert response["Cache-Control"] == "no-store"
    assert response["X-Accel-Buffering"] == "no"
    return b"".join(response.streaming_content)


def test_download_of_an_original_needs_sudo_and_purpose(world: Any, login: Any, item: Any) -> None:
    obj, content = item
    client = login(world.member)
    response = client.post(reverse("evidence:download", args=[obj.pk]), PURPOSE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sudo"))
    client = login(world.member, sudo=True)
    response = client.post(reverse("evidence:download", args=[obj.pk]), {"purpose": ""})
    assert response.status_code == 302
    assert _download(client, obj) == content
    event = AuditEvent.objects.filter(action="evidence.downloaded").get()
    assert event.purpose == PURPOSE["purpose"]
    assert event.targets == [f"evidence.item:{obj.pk}"]


@pytest.mark.parametrize("who", ["other_member", "outsider", "auditor", "admin"])
def test_download_refused_with_404(world: Any, login: Any, item: Any, who: str) -> None:
    obj, _content = item
    client = login(getattr(world, who), sudo=True)
    response = client.post(reverse("evidence:download", args=[obj.pk]), PURPOSE)
    assert response.status_code == 404
    missing = client.post(reverse("evidence:download", args=[obj.pk + 1000]), PURPOSE)
    assert missing.status_code == 404 and missing.content == response.content


def test_range_request_decrypts_only_what_is_asked(world: Any, login: Any, item: Any) -> None:
    obj, content = item
    client = login(world.member, sudo=True)
    _download(client, obj)  # states the purpose for this item
    start, end = SEGMENT_SIZE - 10, SEGMENT_SIZE + 20
    response = client.get(reverse("evidence:content", args=[obj.pk]), headers={"Range": f"bytes={start}-{end}"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(content)}"
    assert b"".join(response.streaming_content) == content[start : end + 1]
    tail = client.get(reverse("evidence:content", args=[obj.pk]), headers={"Range": "bytes=-5"})
    assert b"".join(tail.streaming_content) == content[-5:]
    bad = client.get(reverse("evidence:content", args=[obj.pk]), headers={"Range": f"bytes={len(content) + 5}-"})
    assert bad.status_code == 416


def test_preview_of_an_original_needs_a_purpose_first(world: Any, login: Any, item: Any) -> None:
    obj, _content = item
    client = login(world.member)
    assert client.get(reverse("evidence:content", args=[obj.pk])).status_code == 403


def _tamper_cases(stored: bytes) -> dict[str, bytes]:
    step = SEGMENT_SIZE + TAG_SIZE
    first, second = HEADER_SIZE, HEADER_SIZE + step
    swapped = stored[:first] + stored[second : second + step] + stored[first:second] + stored[second + step :]
    flipped = bytearray(stored)
    flipped[HEADER_SIZE + step + 100] ^= 0x01
    return {
        "bit flip": bytes(flipped),
        "truncation": stored[: HEADER_SIZE + step],
        "swapped segments": swapped,
        "trailing data": stored + b"\x00" * 32,
    }


@pytest.mark.parametrize("kind", ["bit flip", "truncation", "swapped segments", "trailing data"])
def test_tampered_object_cuts_the_download_and_raises_the_alarm(world: Any, login: Any, item: Any, kind: str) -> None:
    obj, content = item
    overwrite(obj, _tamper_cases(stored_bytes(obj))[kind])
    client = login(world.member, sudo=True)
    response = client.post(reverse("evidence:download", args=[obj.pk]), PURPOSE)
    assert response.status_code == 200  # headers are sent before the content is read
    received = bytearray()
    with pytest.raises(Exception, match=r"."):
        for chunk in response.streaming_content:
            received.extend(chunk)
    assert bytes(received) != content
    failure = AuditEvent.objects.get(action="evidence.integrity_failed")
    assert failure.outcome == "failed" and failure.targets == [f"evidence.item:{obj.pk}"]
    assert IntegrityCheck.objects.filter(item=obj, ok=False).exists()
    obj.refresh_from_db()
    assert obj.integrity_ok is False
    assert Alert.objects.filter(kind=f"evidence.integrity:{obj.pk}", resolved_at__isnull=True).exists()


def test_object_of_another_item_is_refused(world: Any, case: Any, login: Any, upload: Any, item: Any) -> None:
    """Same size, other item: its data key and binding differ, so nothing decrypts (wrong key)."""
    obj, content = item
    other = EvidenceItem.objects.get(pk=upload(world.member, case, os.urandom(len(content))).json()["id"])
    overwrite(obj, stored_bytes(other))
    client = login(world.member, sudo=True)
    response = client.post(reverse("evidence:download", args=[obj.pk]), PURPOSE)
    with pytest.raises(Exception, match=r"."):
        b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(action="evidence.integrity_failed").exists()


def test_sweep_reports_tampering(world: Any, item: Any) -> None:
    from evidence.integrity import do_sweep

    obj, _content = item
    assert do_sweep().failed == []
    assert hashlib.sha256(stored_bytes(obj)).hexdigest() == obj.ciphertext_sha256
    overwrite(obj, _tamper_cases(stored_bytes(obj))["bit flip"])
    result = do_sweep()
    assert result.failed == [obj.pk]
    assert AuditEvent.objects.filter(action="evidence.verified", outcome="failed").exists()


def test_integrity_page_for_auditors_and_admins_only(world: Any, login: Any, item: Any) -> None:
    url = reverse("evidence:integrity")
    assert login(world.auditor).get(url).status_code == 200
    assert login(world.admin).get(url).status_code == 200
    assert login(world.member).get(url).status_code == 404
    assert login(world.outsider).get(url).status_code == 404


def test_item_page_shows_hashes_and_history_not_the_file_name(world: Any, login: Any, item: Any) -> None:
    obj, _content = item
    page = login(world.auditor).get(reverse("evidence:item", args=[obj.pk]))
    assert page.status_code == 200
    assert obj.sha256.encode() in page.content
    assert b"clip.bin" not in page.content
    assert AuditEvent.objects.filter(action="evidence.viewed", targets=[f"evidence.item:{obj.pk}"]).exists()
    assert login(world.other_member).get(reverse("evidence:item", args=[obj.pk])).status_code == 404


def test_survivor_linked_item_needs_consent_to_download(world: Any, case: Any, login: Any, item: Any) -> None:
    import datetime

    from cases.consent_services import do_record_consent
    from cases.models import ConsentAction, Decision
    from cases.survivors import do_create_survivor

    obj, content = item
    survivor = do_create_survivor(case=case, user=world.member)
    obj.survivors.add(survivor)
    client = login(world.member, sudo=True)
    refused = client.post(reverse("evidence:download", args=[obj.pk]), PURPOSE)
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="consent.refused").exists()
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()
    record = do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.GRANTED,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=world.member,
    )
    assert _download(client, obj) == content
    event = AuditEvent.objects.get(action="evidence.downloaded")
    assert event.consent_record_id == str(record.pk)
    assert f"cases.survivor:{survivor.pk}" in event.targets
