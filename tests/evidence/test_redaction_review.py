"""Reviewing a redaction on the page: previews, areas drawn by hand, scanned pages, pages OCR cannot read."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from evidence.models import EvidenceItem
from evidence.redaction_models import JobState, MarkKind, RedactionMark
from evidence.redaction_runs import run_release
from tests.evidence import test_redaction_workflow as workflow
from tests.evidence.redaction.corpus import scanned
from tests.evidence.test_redaction_workflow import _content, _fold, _proposed, _text

original = workflow.original  # the statement PDF and its survivor, shared with the workflow tests

needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
# Line 4 of the statement ("The events concern the contingent stationed near the market.") has its
# baseline at y = 706 on an 842-point page: 136 points from the top.
LINE_4 = {"page": "1", "left": "50", "top": "126", "right": "560", "bottom": "140"}


def _png(response: Any) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))


def test_the_preview_shows_the_page_with_the_boxes_to_reviewers_only(
    world: Any, login: Any, original: EvidenceItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTODY_SCRATCH_DIR", str(tmp_path))
    job = _proposed(world, login, original)
    url = reverse("redaction:page", args=[job.pk, 1])
    response = login(world.member).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    image = _png(response).convert("RGB")
    assert image.size == (827, 1170)  # A4 at 100 dpi
    mark = RedactionMark.objects.filter(job=job, kind=MarkKind.IDENTIFIER).exclude(boxes=[]).first()
    assert mark is not None
    left, top, right, bottom = mark.boxes[0]
    red, green, _blue = image.getpixel((int((left + right) / 2 * 100 / 72), int((top + bottom) / 2 * 100 / 72)))
    assert red > green + 40  # the red of what is always removed
    event = AuditEvent.objects.get(action="redaction.page_previewed")
    assert event.details["page"] == 1 and f"evidence.redaction:{job.pk}" in event.targets
    assert list(tmp_path.iterdir()) == []  # rendered in memory scratch, nothing left behind
    assert login(world.member).get(reverse("redaction:page", args=[job.pk, 2])).status_code == 404
    assert login(world.investigator).get(url).status_code == 404  # proposes, does not review
    page = login(world.member).get(reverse("redaction:job", args=[job.pk])).content.decode()
    assert url in page and "redaction_areas.js" in page and 'nonce="' in page


def test_an_area_drawn_by_hand_is_removed_from_the_released_copy(
    world: Any, login: Any, original: EvidenceItem
) -> None:
    job = _proposed(world, login, original)
    reviewer = login(world.member)
    add = reverse("redaction:add_area", args=[job.pk])
    for wrong in ({**LINE_4, "page": "2"}, {**LINE_4, "right": "40"}, {**LINE_4, "top": "x"}, {"page": "1"}):
        assert reviewer.post(add, wrong).status_code == 302
    assert not RedactionMark.objects.filter(job=job, kind=MarkKind.MANUAL_AREA).exists()
    response = reviewer.post(add, LINE_4)
    assert response.status_code == 302 and response["Location"].endswith("?page=1")
    area = RedactionMark.objects.get(job=job, kind=MarkKind.MANUAL_AREA)
    assert area.page == 1 and area.boxes == [[50.0, 126.0, 560.0, 140.0]] and area.accepted
    assert AuditEvent.objects.filter(action="redaction.area_added", details__page=1).exists()
    reviewer.post(reverse("redaction:review", args=[job.pk]))
    assert reviewer.post(add, LINE_4).status_code == 302  # reviewed: no more areas
    assert RedactionMark.objects.filter(job=job, kind=MarkKind.MANUAL_AREA).count() == 1
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    assert run_release(job.pk) == JobState.RELEASED
    job.refresh_from_db()
    assert job.output is not None
    text = _fold(_text(_content(job.output)))
    assert "contingent" not in text and "market" not in text
    assert "neighbour" in text and "statement" in text
    assert job.log.filter(category="manual", page=1, count=1).exists()


def test_a_rejected_area_is_not_applied(world: Any, login: Any, original: EvidenceItem) -> None:
    job = _proposed(world, login, original)
    reviewer = login(world.member)
    reviewer.post(reverse("redaction:add_area", args=[job.pk]), LINE_4)
    area = RedactionMark.objects.get(job=job, kind=MarkKind.MANUAL_AREA)
    reviewer.post(reverse("redaction:decide", args=[job.pk, area.pk]), {"decision": "reject"})
    reviewer.post(reverse("redaction:review", args=[job.pk]))
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    assert run_release(job.pk) == JobState.RELEASED
    job.refresh_from_db()
    assert job.output is not None and "market" in _fold(_text(_content(job.output)))


def _scanned_item(world: Any, case: Any, upload: Any, original: EvidenceItem, tmp_path: Path) -> EvidenceItem:
    data = scanned(tmp_path).read_bytes()
    item = EvidenceItem.objects.get(pk=upload(world.member, case, data, name="scan.pdf").json()["id"])
    item.survivors.set(original.survivors.all())
    return item


@needs_ocr
def test_identifiers_on_a_scan_are_proposed_reviewed_and_burned(
    world: Any, login: Any, case: Any, upload: Any, original: EvidenceItem, tmp_path: Path
) -> None:
    item = _scanned_item(world, case, upload, original, tmp_path)
    job = _proposed(world, login, item)
    names = RedactionMark.objects.filter(job=job, page=1, kind=MarkKind.IDENTIFIER, category="legal_name").first()
    assert names is not None and names.count >= 1 and names.boxes
    events = AuditEvent.objects.filter(action="redaction.proposal_ready")
    event = next(e for e in events if f"evidence.redaction:{job.pk}" in e.targets)
    assert event.details["ocr_pages"] == [1] and event.details["unreadable_pages"] == []
    login(world.member).post(reverse("redaction:review", args=[job.pk]))
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    assert run_release(job.pk) == JobState.RELEASED
    job.refresh_from_db()
    assert job.output is not None
    assert job.log.filter(category="legal_name", page=1).exists()
    assert "aicha" not in json.dumps(list(job.log.values())).lower()


def test_a_scan_without_ocr_is_flagged_and_never_released(
    world: Any,
    login: Any,
    case: Any,
    upload: Any,
    original: EvidenceItem,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = _scanned_item(world, case, upload, original, tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pdftoppm", "pdftotext", "qpdf"):
        if found := shutil.which(tool):
            os.symlink(found, bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    job = _proposed(world, login, item)
    flagged = RedactionMark.objects.get(job=job, kind=MarkKind.UNREADABLE)
    assert flagged.page == 1 and not flagged.decidable
    page = login(world.member).get(reverse("redaction:job", args=[job.pk])).content.decode()
    assert "needs OCR" in page
    login(world.member).post(reverse("redaction:review", args=[job.pk]))
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    items = EvidenceItem.objects.count()
    assert run_release(job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert job.failure_category == "ManualReviewRequired" and job.output is None
    assert EvidenceItem.objects.count() == items
