"""Legal hold, crypto-shredding, key rotation, the integrity sweep, bulk intake and the API."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from evidence import sealing, storage
from evidence.models import EvidenceItem, State, WrappedDataKey
from evidence.retrieval import iter_content
from evidence.selectors import item_history
from evidence.services import do_rotate_scope
from evidence.tasks import verify_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(world: Any, case: Any, upload: Any) -> EvidenceItem:
    return EvidenceItem.objects.get(pk=upload(world.member, case, os.urandom(50_000)).json()["id"])


def test_legal_hold_blocks_shredding_and_both_are_audited(
    world: Any, login: Any, item: EvidenceItem, django_capture_on_commit_callbacks: Any
) -> None:
    lead = login(world.lead, sudo=True)
    hold = lead.post(reverse("evidence:legal_hold", args=[item.pk]), {"hold": "on", "reason": "litigation pending"})
    assert hold.status_code == 302
    item.refresh_from_db()
    assert item.legal_hold
    lead.post(reverse("evidence:shred", args=[item.pk]), {"reason": "erasure request"})
    item.refresh_from_db()
    assert item.state == State.STORED and WrappedDataKey.objects.filter(item=item).exists()
    assert AuditEvent.objects.filter(action="access.denied", details__permission="evidence.shred").exists()
    lead.post(reverse("evidence:legal_hold", args=[item.pk]), {"reason": "hearing concluded"})
    with django_capture_on_commit_callbacks(execute=True):
        lead.post(reverse("evidence:shred", args=[item.pk]), {"reason": "erasure request"})
    item.refresh_from_db()
    assert item.state == State.SHREDDED and item.shredded_at is not None
    assert not WrappedDataKey.objects.filter(item=item).exists()
    assert not storage.exists(item.storage_location, item.object_key)
    assert item.sha256  # metadata stays
    actions = set(item_history(item).values_list("action", flat=True))
    assert {"evidence.legal_hold_set", "evidence.legal_hold_removed", "evidence.shredded"} <= actions
    download = lead.post(reverse("evidence:download", args=[item.pk]), {"purpose": "try to read it"})
    assert download.status_code == 404


def test_shredding_needs_sudo_and_the_lead(world: Any, login: Any, item: EvidenceItem) -> None:
    response = login(world.lead).post(reverse("evidence:shred", args=[item.pk]), {"reason": "erasure request"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sudo"))
    for who in ("member", "other_member", "outsider"):
        client = login(getattr(world, who), sudo=True)
        response = client.post(reverse("evidence:shred", args=[item.pk]), {"reason": "erasure request"})
        assert response.status_code in {302, 404}
    item.refresh_from_db()
    assert item.state == State.STORED


@pytest.mark.parametrize("who", ["other_member", "outsider", "investigator", "auditor"])
def test_legal_hold_refused_to_others(world: Any, login: Any, item: EvidenceItem, who: str) -> None:
    response = login(getattr(world, who)).post(
        reverse("evidence:legal_hold", args=[item.pk]), {"hold": "on", "reason": "litigation pending"}
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.legal_hold


def test_rotation_rewraps_keys_without_touching_content(item: EvidenceItem) -> None:
    before_key = bytes(WrappedDataKey.objects.get(item=item).wrapped)
    before_object = hashlib.sha256(b"".join(storage.read_all(item.storage_location, item.object_key))).hexdigest()
    call_command("rotate_kek", "--scope", "org:host-counsel", stdout=io.StringIO())
    row = WrappedDataKey.objects.get(item=item)
    assert bytes(row.wrapped) != before_key
    assert row.rewrapped_at is not None
    assert not sealing.needs_rewrap(bytes(row.wrapped))
    assert (
        hashlib.sha256(b"".join(storage.read_all(item.storage_location, item.object_key))).hexdigest() == before_object
    )
    assert hashlib.sha256(b"".join(iter_content(item))).hexdigest() == item.sha256
    assert AuditEvent.objects.filter(action="evidence.keys_rotated").exists()
    assert do_rotate_scope(kek_scope="org:host-counsel") == 0  # idempotent


def test_verify_command_and_periodic_task(item: EvidenceItem) -> None:
    out = io.StringIO()
    call_command("verify_evidence", stdout=out)
    assert "checked 1, failed 0" in out.getvalue()
    assert verify_all.apply().get() == {"checked": 1, "failed": 0}
    storage.delete(item.storage_location, item.object_key)
    with pytest.raises(CommandError, match="integrity failure"):
        call_command("verify_evidence", stdout=io.StringIO())


def test_bulk_ingest_with_manifest(world: Any, case: Any, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    (drive / "sub").mkdir(parents=True)
    (drive / "a.txt").write_bytes(b"first file")
    (drive / "sub" / "b.bin").write_bytes(os.urandom(3000))
    (drive / "sub" / "copy.txt").write_bytes(b"first file")
    manifest = tmp_path / "manifest.csv"
    err = io.StringIO()
    call_command("vault_ingest", str(drive), case=case.reference, username="member", manifest=str(manifest), stderr=err)
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o600
    rows = list(csv.DictReader(manifest.open()))
    assert [r["status"] for r in rows] == ["stored", "stored", "duplicate"]
    assert rows[0]["sha256"] == hashlib.sha256(b"first file").hexdigest()
    assert EvidenceItem.objects.filter(case=case).count() == 3
    assert "a.txt" not in err.getvalue() and "[3/3] DUPLICATE" in err.getvalue()
    assert AuditEvent.objects.filter(action="evidence.uploaded", details__channel="bulk").count() == 3


def test_bulk_ingest_refuses_foreign_users_and_reports_failures(world: Any, case: Any, tmp_path: Path) -> None:
    target = tmp_path / "one.txt"
    target.write_bytes(b"x")
    with pytest.raises(CommandError):
        call_command("vault_ingest", str(target), case=case.reference, username="foreign", stderr=io.StringIO())
    assert not EvidenceItem.objects.exists()
    unreadable = tmp_path / "gone.txt"  # listed, then removed from the drive before it could be read
    out = io.StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command("vault_ingest", str(unreadable), case=case.reference, username="member", stdout=out, format="json",
                     stderr=io.StringIO())  # fmt: skip
    assert json.loads(out.getvalue())[0]["status"] == "failed"


def test_api_lists_and_shows_items_through_the_policy(world: Any, login: Any, case: Any, item: EvidenceItem) -> None:
    client = login(world.auditor)
    listed = client.get(f"/api/v1/evidence/cases/{case.pk}/items/")
    assert listed.status_code == 200
    assert listed.json()[0]["sha256"] == item.sha256
    assert "sealed_original_name" not in listed.json()[0]
    assert client.get(f"/api/v1/evidence/items/{item.pk}/").json()["display_name"] == item.display_name
    foreign = login(world.other_member)
    assert foreign.get(f"/api/v1/evidence/items/{item.pk}/").status_code == 404
    assert foreign.get(f"/api/v1/evidence/cases/{case.pk}/items/").status_code == 404


def test_api_download_needs_second_factor_for_originals(world: Any, login: Any, item: EvidenceItem) -> None:
    url = f"/api/v1/evidence/items/{item.pk}/download/"
    body = {"purpose": "prepare hearing bundle"}
    assert login(world.member).post(url, body, content_type="application/json").status_code == 403
    response = login(world.member, sudo=True).post(url, body, content_type="application/json")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == item.sha256
    assert login(world.auditor, sudo=True).post(url, body, content_type="application/json").status_code == 404


def test_api_legal_hold(world: Any, login: Any, item: EvidenceItem) -> None:
    url = f"/api/v1/evidence/items/{item.pk}/legal-hold/"
    assert (
        login(world.member).post(url, {"hold": True, "reason": "x"}, content_type="application/json").status_code == 400
    )
    response = login(world.member).post(url, {"hold": True, "reason": "pending"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["legal_hold"] is True
    assert (
        login(world.outsider)
        .post(url, {"hold": False, "reason": "pending"}, content_type="application/json")
        .status_code
        == 404
    )


def test_schema_is_valid(world: Any, login: Any) -> None:
    with transaction.atomic():
        response = login(world.member).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/evidence/items/{item_id}/download/" in response.content


@pytest.mark.django_db(transaction=True)
def test_sweep_runs_on_a_real_worker(celery_live: Any, world: Any, case: Any, upload: Any) -> None:
    upload(world.member, case, os.urandom(10_000))
    result = verify_all.delay()
    assert result.get(timeout=120) == {"checked": 1, "failed": 0}
    assert AuditEvent.objects.filter(action="evidence.verified", outcome="allowed").exists()


def test_shredding_an_original_shreds_its_duplicates(
    world: Any, case: Any, upload: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from evidence.services import ShredRefused, do_shred

    content = os.urandom(30_000)
    first = EvidenceItem.objects.get(pk=upload(world.member, case, content).json()["id"])
    second = EvidenceItem.objects.get(pk=upload(world.investigator, case, content).json()["id"])
    EvidenceItem.objects.filter(pk=second.pk).update(legal_hold=True)
    with pytest.raises(ShredRefused):
        do_shred(item=first, reason="erasure request", user=world.lead, acting_as=None, request=None)
    EvidenceItem.objects.filter(pk=second.pk).update(legal_hold=False)
    with django_capture_on_commit_callbacks(execute=True):
        do_shred(item=first, reason="erasure request", user=world.lead, acting_as=None, request=None)
    second.refresh_from_db()
    assert second.state == State.SHREDDED
    assert not WrappedDataKey.objects.filter(item__in=[first, second]).exists()
    assert not storage.exists(first.storage_location, first.object_key)


def test_a_redacted_copy_is_recorded_as_a_derivative(world: Any, case: Any, item: EvidenceItem) -> None:
    from evidence.intake import SealedWriter
    from evidence.models import DerivativeKind
    from evidence.services import Collection, Derivative, do_register_item, plan_for

    writer = SealedWriter(plan_for(case))
    writer.write(b"redacted text")
    copy = do_register_item(
        case=case,
        sealed=writer.finish(),
        original_name="copy.txt",
        collection=Collection(),
        user=world.member,
        acting_as=None,
        channel="redaction",
        derivative=Derivative(of=item, kind=DerivativeKind.REDACTED),
    )
    assert copy.derivative_of == item and not copy.is_original
    assert b"".join(iter_content(copy)) == b"redacted text"
    event = AuditEvent.objects.get(action="evidence.uploaded", details__channel="redaction")
    assert event.details["derivative_of"] == item.pk


def test_lifting_a_legal_hold_needs_sudo(world: Any, login: Any, item: EvidenceItem) -> None:
    url = reverse("evidence:legal_hold", args=[item.pk])
    # Setting a hold protects: no confirmation needed. Lifting it opens the way to shredding.
    assert login(world.member).post(url, {"hold": "on", "reason": "litigation pending"}).status_code == 302
    response = login(world.member).post(url, {"reason": "hearing concluded"})
    assert response["Location"].startswith(reverse("accounts:sudo"))
    item.refresh_from_db()
    assert item.legal_hold
    login(world.member, sudo=True).post(url, {"reason": "hearing concluded"})
    item.refresh_from_db()
    assert not item.legal_hold


def test_api_lifting_a_legal_hold_needs_sudo(world: Any, login: Any, item: EvidenceItem) -> None:
    url = f"/api/v1/evidence/items/{item.pk}/legal-hold/"
    login(world.member).post(url, {"hold": True, "reason": "pending"}, content_type="application/json")
    lift = {"hold": False, "reason": "hearing concluded"}
    refused = login(world.member).post(url, lift, content_type="application/json")
    assert refused.status_code == 403
    item.refresh_from_db()
    assert item.legal_hold
    allowed = login(world.member, sudo=True).post(url, lift, content_type="application/json")
    assert allowed.status_code == 200 and allowed.json()["legal_hold"] is False


def test_shredding_refused_by_a_held_duplicate_answers_clearly_and_is_audited(
    world: Any, case: Any, upload: Any, login: Any
) -> None:
    content = os.urandom(30_000)
    first = EvidenceItem.objects.get(pk=upload(world.member, case, content).json()["id"])
    second = EvidenceItem.objects.get(pk=upload(world.investigator, case, content).json()["id"])
    EvidenceItem.objects.filter(pk=second.pk).update(legal_hold=True)
    client = login(world.lead, sudo=True)
    response = client.post(reverse("evidence:shred", args=[first.pk]), {"reason": "erasure request"}, follow=True)
    assert response.status_code == 200
    assert "under legal hold" in response.content.decode()
    first.refresh_from_db()
    assert first.state == State.STORED
    denial = AuditEvent.objects.get(action="access.denied", details__permission="evidence.shred")
    assert denial.details["reason"] == "legal hold" and denial.targets == [f"evidence.item:{first.pk}"]


def test_bulk_ingest_never_overwrites_a_manifest(world: Any, case: Any, tmp_path: Path) -> None:
    source = tmp_path / "one.txt"
    source.write_bytes(b"content")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("earlier run\n")
    with pytest.raises(CommandError, match="already exists"):
        call_command("vault_ingest", str(source), case=case.reference, username="member", manifest=str(manifest))
    assert manifest.read_text() == "earlier run\n"
    assert not EvidenceItem.objects.filter(case=case).exists()
