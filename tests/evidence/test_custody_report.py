"""The custody report: its numbers are the database's, the PDF opens and carries them, nothing leaks."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import chain, signing
from audit.actions import Action
from audit.models import AuditEvent, Checkpoint
from evidence.custody_models import CustodyTransfer
from evidence.custody_pdf import render_pdf
from evidence.custody_report import build_report, do_generate_report, render_json
from evidence.custody_services import do_accept_transfer, do_propose_transfer
from evidence.models import EvidenceItem
from tests.evidence.custody_helpers import FAST_HASHERS, make_case, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # The personas' passwords are never used here; the production hasher would only slow every test down.
    settings.PASSWORD_HASHERS = FAST_HASHERS


Login = Callable[..., Client]
PLAIN = "a" * 64
CIPHER = "b" * 64


@pytest.fixture
def item(world: Any) -> EvidenceItem:
    item = make_item(make_case(world), world.member)
    EvidenceItem.objects.filter(pk=item.pk).update(sha256=PLAIN, ciphertext_sha256=CIPHER)
    transfer = do_propose_transfer(
        item_id=item.pk,
        user=world.member,
        acting_as=None,
        request=None,
        to_user=world.investigator,
        reason="Handing over for the hearing",
        to_location="Court registry, locker 4",
        new_seal_number="SEAL-0002",
    )
    do_accept_transfer(item_id=item.pk, transfer_id=transfer.pk, user=world.investigator, acting_as=None, request=None)
    item.refresh_from_db()
    return item


def _item_events(item: EvidenceItem) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.order_by("seq") if f"evidence.item:{item.pk}" in e.targets]


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


def test_json_numbers_match_the_database(world: Any, item: EvidenceItem) -> None:
    payload = do_generate_report(item_id=item.pk, user=world.member, fmt="json")
    report = json.loads(payload.content)
    db_events = _item_events(item)
    assert [e["seq"] for e in report["events"]] == [e.seq for e in db_events]
    assert [(e["hash"], e["prev_hash"]) for e in report["events"]] == [(e.hash, e.prev_hash) for e in db_events]
    assert report["events"][-1]["action"] == Action.CUSTODY_REPORT_GENERATED
    assert report["as_of_seq"] == db_events[-1].seq == payload.as_of_seq
    assert report["hashes"] == {"sha256": PLAIN, "ciphertext_sha256": CIPHER}
    transfers = list(CustodyTransfer.objects.filter(item=item))
    assert [t["id"] for t in report["transfers"]] == [t.pk for t in transfers]
    assert report["transfers"][0]["state"] == "accepted"
    assert (report["transfers"][0]["old_seal_number"], report["transfers"][0]["new_seal_number"]) == (
        "SEAL-0001",
        "SEAL-0002",
    )
    assert report["item"]["custodian"]["username"] == world.investigator.username
    assert report["item"]["seal_number"] == "SEAL-0002"
    for event in report["events"]:
        assert chain.chain_hash(event["prev_hash"], event["canonical"]) == event["hash"], "hash recomputable"


def test_report_is_deterministic(world: Any, item: EvidenceItem) -> None:
    payload = do_generate_report(item_id=item.pk, user=world.member, fmt="pdf")
    do_generate_report(item_id=item.pk, user=world.member, fmt="json")  # later events leave it unchanged
    event = AuditEvent.objects.get(seq=payload.as_of_seq)
    again = build_report(
        item.pk, as_of_seq=payload.as_of_seq, generated_at=event.occurred_at, generated_by=event.actor_username
    )
    assert render_json(again) == render_json(payload.report)
    assert render_pdf(again) == payload.content


def test_report_cites_the_newest_checkpoint_before_it(world: Any, item: EvidenceItem) -> None:
    head = AuditEvent.objects.order_by("-seq").first()
    assert head is not None
    Checkpoint.objects.create(
        seq=head.seq,
        head_hash=head.hash,
        signed_at=timezone.now(),
        statement=json.dumps({"seq": head.seq, "head": head.hash}),
        signature="-----BEGIN PGP SIGNATURE-----\n\nfixture\n-----END PGP SIGNATURE-----\n",
        statement_key=f"checkpoints/{head.seq}.json",
        signature_key=f"checkpoints/{head.seq}.json.asc",
        key_fingerprint="F" * 40,
    )
    report = do_generate_report(item_id=item.pk, user=world.member, fmt="json").report
    assert report["checkpoint"]["seq"] == head.seq and report["checkpoint"]["head_hash"] == head.hash
    covered = [e["covered_by_checkpoint"] for e in report["events"]]
    assert covered[:-1] == [True] * (len(covered) - 1) and covered[-1] is False


def test_command_writes_a_pdf_that_opens_and_carries_the_numbers(
    world: Any, item: EvidenceItem, tmp_path: Path
) -> None:
    pdf, js = tmp_path / "report.pdf", tmp_path / "report.json"
    call_command("custody_report", str(item.pk), str(pdf), "--json", str(js))
    assert oct(pdf.stat().st_mode & 0o777) == "0o600"
    report = json.loads(js.read_text())
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = _pdf_text(pdf)
    for event in report["events"]:
        assert event["hash"] in text and event["prev_hash"] in text
        assert f" {event['seq']} {event['at']} " in text, "each event's position next to its time"
    assert PLAIN in text and CIPHER in text
    assert "Handing over for the hearing" in text and "SEAL-0002" in text
    assert item.display_name in text
    generated = AuditEvent.objects.get(seq=report["as_of_seq"])
    assert generated.action == Action.CUSTODY_REPORT_GENERATED and generated.actor_username.startswith("manage.py")


def test_pdf_metadata_holds_no_identifiers(world: Any, item: EvidenceItem) -> None:
    content = do_generate_report(item_id=item.pk, user=world.member, fmt="pdf").content
    with pikepdf.open(io.BytesIO(content)) as pdf:
        info = {str(k): str(v) for k, v in pdf.docinfo.items()}
        xmp = str(pdf.open_metadata())
    blob = " ".join(info.values()) + xmp
    for needle in (item.display_name, item.case.reference, world.member.username, "SEAL-0002", str(item.uid)):
        assert needle not in blob
    assert info.get("/Title") == "Chain of custody report"
    assert "/CreationDate" not in info and "/ModDate" not in info, "no time that could date or link the file"


@pytest.mark.parametrize("who", ["member", "lead", "auditor", "investigator"])
def test_download_for_the_case_team_is_audited(world: Any, login: Login, item: EvidenceItem, who: str) -> None:
    unconfirmed = login(getattr(world, who)).get(reverse("custody:report_pdf", args=[item.pk]))
    assert unconfirmed.status_code == 302 and unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert not AuditEvent.objects.filter(action=Action.CUSTODY_REPORT_GENERATED).exists()
    client = login(getattr(world, who), sudo=True)
    response = client.get(reverse("custody:report_pdf", args=[item.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == Action.CUSTODY_REPORT_GENERATED
    assert event.actor_id == getattr(world, who).pk
    as_json = json.loads(client.get(reverse("custody:report_json", args=[item.pk])).content)
    assert as_json["as_of_seq"] == AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


@pytest.mark.parametrize("who", ["other_member", "outsider", "mhpss", "admin"])
def test_download_is_refused_outside_the_policy(world: Any, login: Login, item: EvidenceItem, who: str) -> None:
    client = login(getattr(world, who))
    for name in ("report_pdf", "report_json"):
        assert client.get(reverse(f"custody:{name}", args=[item.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CUSTODY_REPORT_GENERATED).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor_id=getattr(world, who).pk).count() == 2


def test_signed_checkpoint_verifies_offline(world: Any, item: EvidenceItem, tmp_path: Path) -> None:
    pdf, js = tmp_path / "report.pdf", tmp_path / "report.json"
    call_command("custody_report", str(item.pk), str(pdf), "--json", str(js), "--checkpoint")
    report = json.loads(js.read_text())
    checkpoint = report["checkpoint"]
    assert checkpoint["seq"] == report["as_of_seq"] - 2, "signed just before the report (and its own event)"
    assert all(e["covered_by_checkpoint"] for e in report["events"][:-1])
    assert checkpoint["key_fingerprint"] == signing.fingerprint()
    # What a court does: a fresh keyring holding only the published public key.
    home = tmp_path / "court-gnupg"
    home.mkdir(mode=0o700)
    (tmp_path / "custody-audit.asc").write_text(signing.public_key())
    (tmp_path / "statement.json").write_text(checkpoint["statement"])
    (tmp_path / "statement.json.asc").write_text(checkpoint["signature"])
    gpg = ["gpg", "--homedir", str(home), "--batch", "--status-fd", "1"]
    subprocess.run([*gpg, "--import", str(tmp_path / "custody-audit.asc")], check=True, capture_output=True)
    verify = subprocess.run(
        [*gpg, "--verify", str(tmp_path / "statement.json.asc"), str(tmp_path / "statement.json")],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stderr
    assert f"VALIDSIG {checkpoint['key_fingerprint']}" in verify.stdout
    statement = json.loads(checkpoint["statement"])
    assert (statement["tree_size"], statement["chain_head"]) == (checkpoint["seq"], checkpoint["head_hash"])
    text = _pdf_text(pdf)
    assert checkpoint["head_hash"] in text and checkpoint["key_fingerprint"] in text
