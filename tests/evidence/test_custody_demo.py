"""The custody report of the seeded demo item opens as a PDF and its numbers are the database's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from demo.seed import DEMO_CASE, seed_all
from evidence.custody_models import CustodyTransfer, TransferState
from evidence.models import EvidenceItem, Kind
from tests.evidence.custody_helpers import FAST_HASHERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def test_seeded_demo_item_report_opens_and_matches(tmp_path: Path) -> None:
    seed_all()
    seed_all()  # idempotent: a second start adds nothing
    item = EvidenceItem.objects.get(case__reference=DEMO_CASE, kind=Kind.PHYSICAL)
    transfer = CustodyTransfer.objects.get(item=item)
    assert transfer.state == TransferState.ACCEPTED and item.custodian == transfer.to_user

    pdf, js = tmp_path / "demo.pdf", tmp_path / "demo.json"
    call_command("custody_report", str(item.pk), str(pdf), "--json", str(js), "--checkpoint")
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    page = subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")])
    assert page.returncode == 0 and list(tmp_path.glob("p*.png")), "page 1 renders"

    report = json.loads(js.read_text())
    listed = [(e["seq"], e["hash"], e["prev_hash"]) for e in report["events"]]
    stored = [
        (e.seq, e.hash, e.prev_hash)
        for e in AuditEvent.objects.filter(seq__lte=report["as_of_seq"]).order_by("seq")
        if f"evidence.item:{item.pk}" in e.targets
    ]
    assert listed == stored and len(listed) >= 4
    assert [t["id"] for t in report["transfers"]] == [transfer.pk]
    assert report["item"]["seal_number"] == item.seal_number == "CAR-DEMO-SEAL-0002"
    assert report["checkpoint"] is not None

    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout.split()
    )
    for seq, digest, prev in listed:
        assert digest in text and prev in text and f" {seq} " in text
    assert item.display_name in text and "CAR-DEMO-SEAL-0001" in text and "CAR-DEMO-SEAL-0002" in text
