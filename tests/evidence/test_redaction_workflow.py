"""Redaction workflow: propose in the background, review, approve by a second person, store a verified copy."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases.consent_services import do_record_consent
from cases.models import ConsentAction, Decision
from cases.survivors import IdentityData, do_create_survivor, do_seal_identity
from evidence.models import DerivativeKind, EvidenceItem
from evidence.redaction_models import JobState, MarkKind, RedactionJob, RedactionMark
from evidence.redaction_runs import run_proposal, run_release
from evidence.redaction_services import do_propose
from evidence.retrieval import iter_content
from tests.evidence.conftest import stored_bytes

NAME = "Aïcha Koné"
LINES = [
    "Statement of Aicha Kone taken in Bangui on 3 March 2024.",
    "The witness AICHA KONE lives in Boy-Rabe and can be called on 72 12 34 56.",
    "Her neighbour Aicha Konee confirmed the account.",
    "The events concern the contingent stationed near the market.",
]


def _pdf(lines: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for i, line in enumerate(lines):
        c.drawString(60, 760 - 18 * i, line)
    c.showPage()
    c.save()
    return out.getvalue()


def _text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["pdftotext", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture
def original(world: Any, case: Any, upload: Any) -> EvidenceItem:
    survivor = do_create_survivor(case=case, user=world.member)
    survivor.custodians.add(world.member)
    do_seal_identity(
        survivor=survivor,
        identity=IdentityData(legal_name=NAME, places=["Boy-Rabé"], contacts=["+236 72 12 34 56"]),
        user=world.member,
    )
    do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.GRANTED,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=world.member,
    )
    response = upload(world.member, case, _pdf(LINES), name="statement-aicha.pdf")
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    item.survivors.add(survivor)
    return item


def _proposed(world: Any, login: Any, item: EvidenceItem, user: Any = None) -> RedactionJob:
    response = login(user or world.investigator).post(reverse("redaction:propose", args=[item.pk]))
    assert response.status_code == 302
    job = RedactionJob.objects.get(item=item)
    assert run_proposal(job.pk) == JobState.PROPOSED
    return job


def _content(item: EvidenceItem) -> bytes:
    return b"".join(iter_content(item))


def test_full_flow_produces_a_verified_derivative_and_leaves_the_original(
    world: Any, login: Any, original: EvidenceItem
) -> None:
    before = (original.sha256, stored_bytes(original))
    job = _proposed(world, login, original)
    near = list(RedactionMark.objects.filter(job=job, kind=MarkKind.NEAR_MISS))
    assert near and all(m.page == 1 and m.category == "legal_name" and not m.accepted for m in near)
    assert RedactionMark.objects.filter(job=job, kind=MarkKind.PATTERN, category="date", decidable=True).exists()
    assert RedactionMark.objects.filter(job=job, kind=MarkKind.IDENTIFIER, accepted=True).exists()

    reviewer = login(world.member)
    page = reviewer.get(reverse("redaction:job", args=[job.pk]))
    assert page.status_code == 200 and "Aicha" not in page.content.decode() and "Koné" not in page.content.decode()
    for mark in near:
        response = reviewer.post(reverse("redaction:decide", args=[job.pk, mark.pk]), {"decision": "accept"})
        assert response.status_code == 302
    assert reviewer.post(reverse("redaction:add_term", args=[job.pk]), {"term": "contingent"}).status_code == 302
    assert reviewer.post(reverse("redaction:review", args=[job.pk])).status_code == 302
    manual = RedactionMark.objects.get(job=job, kind=MarkKind.MANUAL_TERM)
    assert b"contingent" not in bytes(manual.sealed_term)

    assert login(world.lead).post(reverse("redaction:approve", args=[job.pk])).status_code == 302
    assert run_release(job.pk) == JobState.RELEASED
    job.refresh_from_db()
    copy = job.output
    assert copy is not None and copy.derivative_of_id == original.pk and copy.derivative_kind == DerivativeKind.REDACTED
    text = _fold(_text(_content(copy)))
    for leaked in ("aicha", "kone", "boy-rabe", "72 12 34 56", "contingent"):
        assert leaked not in text
    assert "market" in text and "statement" in text
    original.refresh_from_db()
    assert (original.sha256, stored_bytes(original)) == before
    assert copy.sha256 != original.sha256
    assert list(copy.survivors.all()) == list(original.survivors.all())

    log = json.loads(login(world.member).get(reverse("redaction:log_json", args=[job.pk])).content)
    assert log["proposed_by"] == world.investigator.username and log["approved_by"] == world.lead.username
    assert log["redacted_sha256"] == copy.sha256 and log["removed"]
    csv_text = login(world.member).get(reverse("redaction:log_csv", args=[job.pk])).content.decode()
    assert "legal_name" in csv_text and "Aicha" not in csv_text and "contingent" not in csv_text
    target = f"evidence.redaction:{job.pk}"
    actions = {e.action for e in AuditEvent.objects.filter(action__startswith="redaction.") if target in e.targets}
    assert {
        "redaction.proposed",
        "redaction.proposal_ready",
        "redaction.viewed",
        "redaction.mark_decided",
        "redaction.term_added",
        "redaction.reviewed",
        "redaction.approved",
        "redaction.released",
        "redaction.log_exported",
    } <= actions
    for event in AuditEvent.objects.filter(action__startswith="redaction."):
        assert "Aicha" not in json.dumps(event.details) and "contingent" not in json.dumps(event.details)


def test_the_text_needs_a_custodian_and_a_second_leads_approval(world: Any, login: Any, original: EvidenceItem) -> None:
    from cases.approvals import ApprovalRefused, do_decide_approval
    from cases.models import ApprovalKind, ApprovalRequest, ApprovalState

    job = _proposed(world, login, original)
    ask, url = reverse("redaction:reveal_request", args=[job.pk]), reverse("redaction:reveal", args=[job.pk])
    purpose = {"purpose": "checking the proposals before approval"}
    # A lead who is no custodian can neither ask nor see.
    assert login(world.lead, sudo=True).post(ask, purpose).status_code == 302
    assert login(world.lead, sudo=True).post(url, purpose).status_code == 302
    assert not ApprovalRequest.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied", details__permission="identity.reveal").count() == 2
    member = login(world.member, sudo=True)
    # A custodian without a second lead's approval is refused, and the refusal is recorded.
    refused = member.post(url, purpose, follow=True)
    assert "second coalition lead" in refused.content.decode() and "Aicha Kone" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="redaction.text_revealed").exists()
    assert member.post(ask, {"purpose": "short"}).status_code == 302
    assert not ApprovalRequest.objects.exists()
    assert member.post(ask, purpose).status_code == 302
    approval = ApprovalRequest.objects.get()
    assert (approval.kind, approval.subject) == (ApprovalKind.REVEAL_IDENTITY, f"redaction-job:{job.pk}")
    assert 'id="reveal-pending"' in member.get(reverse("redaction:job", args=[job.pk])).content.decode()
    with pytest.raises(ApprovalRefused):
        do_decide_approval(approval=approval, user=world.member, approve=True)
    do_decide_approval(approval=approval, user=world.lead, approve=True)
    # Without sudo mode the reveal first asks for the password again.
    no_sudo = login(world.member, Client(headers={"X-Forwarded-Proto": "https"})).post(url, purpose)
    assert no_sudo.status_code == 302 and no_sudo["Location"].startswith("/accounts/confirm/")
    shown = member.post(url, purpose)
    page = shown.content.decode()
    assert shown.status_code == 200 and "Aicha Kone" in page and "Aicha Konee" in page
    assert "no-store" in shown["Cache-Control"]
    event = AuditEvent.objects.get(action="redaction.text_revealed")
    assert event.details["approved_by"] == world.lead.pk and "Aicha" not in json.dumps(event.details)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.USED
    # The approval served once: a second showing needs a new request.
    again = member.post(url, purpose)
    assert again.status_code == 302 and AuditEvent.objects.filter(action="redaction.text_revealed").count() == 1
    assert login(world.other_member, sudo=True).post(url, purpose).status_code == 404


def test_a_text_file_goes_through_the_same_steps(world: Any, login: Any, case: Any, upload: Any, original: Any) -> None:
    response = upload(world.member, case, "Note: Aïcha Koné called from Boy-Rabé.\n".encode(), name="note.txt")
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    item.survivors.set(original.survivors.all())
    job = _proposed(world, login, item)
    assert set(RedactionMark.objects.filter(job=job).values_list("page", flat=True)) == {None}
    login(world.member).post(reverse("redaction:review", args=[job.pk]))
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    assert run_release(job.pk) == JobState.RELEASED
    job.refresh_from_db()
    assert job.output is not None
    text = _content(job.output).decode()
    assert "Aïcha" not in text and "Boy-Rabé" not in text and text.startswith("Note:")


def test_a_rejected_near_miss_stays_in_the_copy(world: Any, login: Any, original: EvidenceItem) -> None:
    job = _proposed(world, login, original)
    reviewer = login(world.member)
    reviewer.post(reverse("redaction:review", args=[job.pk]))
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    assert run_release(job.pk) == JobState.RELEASED
    job.refresh_from_db()
    assert job.output is not None
    assert "konee" in _fold(_text(_content(job.output)))


def test_the_reviewer_cannot_approve_and_the_proposer_cannot_either(
    world: Any, login: Any, original: EvidenceItem
) -> None:
    job = _proposed(world, login, original, user=world.member)
    login(world.lead).post(reverse("redaction:review", args=[job.pk]))
    for person in (world.lead, world.member):
        response = login(person).post(reverse("redaction:approve", args=[job.pk]))
        assert response.status_code == 403
    job.refresh_from_db()
    assert job.state == JobState.REVIEWED and job.approved_by is None
    assert AuditEvent.objects.filter(action="access.denied", details__permission="redaction.approve").count() >= 2


def test_approval_before_review_is_refused(world: Any, login: Any, original: EvidenceItem) -> None:
    job = _proposed(world, login, original)
    assert login(world.lead).post(reverse("redaction:approve", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.state == JobState.PROPOSED


def test_verification_failure_releases_nothing(world: Any, login: Any, original: EvidenceItem) -> None:
    job = _proposed(world, login, original)
    reviewer = login(world.member)
    # A two-digit term is also found in the file's own numbers after removal: verification fails safe.
    reviewer.post(reverse("redaction:add_term", args=[job.pk]), {"term": "12"})
    reviewer.post(reverse("redaction:review", args=[job.pk]))
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    items_before = EvidenceItem.objects.count()
    assert run_release(job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert job.output is None and job.failure_category == "manual" and job.failure_location
    assert EvidenceItem.objects.count() == items_before
    page = login(world.member).get(reverse("redaction:job", args=[job.pk])).content.decode()
    assert "Nothing was released" in page
    assert AuditEvent.objects.filter(action="redaction.failed").exists()


def test_approval_needs_consent(world: Any, login: Any, original: EvidenceItem) -> None:
    from cases.models import Survivor

    job = _proposed(world, login, original)
    login(world.member).post(reverse("redaction:review", args=[job.pk]))
    survivor = Survivor.objects.get(evidence_items=original)
    do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.WITHDRAWN,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 2, 10),
        user=world.member,
    )
    login(world.lead).post(reverse("redaction:approve", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.REVIEWED
    assert AuditEvent.objects.filter(action="consent.refused").exists()


def test_the_proposal_task_is_idempotent(world: Any, login: Any, original: EvidenceItem) -> None:
    job = _proposed(world, login, original)
    marks = RedactionMark.objects.filter(job=job).count()
    assert run_proposal(job.pk) == JobState.PROPOSED
    assert RedactionMark.objects.filter(job=job).count() == marks
    assert run_release(job.pk) == JobState.PROPOSED


@pytest.mark.parametrize("persona", ["other_member", "outsider", "mhpss", "auditor", "anonymous"])
def test_denials_on_every_write_view(world: Any, login: Any, original: EvidenceItem, persona: str) -> None:
    job = _proposed(world, login, original)
    mark = RedactionMark.objects.filter(job=job).first()
    assert mark is not None
    fresh = Client(headers={"X-Forwarded-Proto": "https"})
    browser = fresh if persona == "anonymous" else login(getattr(world, persona), fresh)
    posts = [
        (reverse("redaction:propose", args=[original.pk]), {}),
        (reverse("redaction:decide", args=[job.pk, mark.pk]), {"decision": "accept"}),
        (reverse("redaction:add_term", args=[job.pk]), {"term": "x"}),
        (reverse("redaction:reveal", args=[job.pk]), {"purpose": "checking the proposals before approval"}),
        (reverse("redaction:reveal_request", args=[job.pk]), {"purpose": "checking the proposals before approval"}),
        (reverse("redaction:add_area", args=[job.pk]), {"page": 1, "left": 1, "top": 1, "right": 90, "bottom": 90}),
        (reverse("redaction:review", args=[job.pk]), {}),
        (reverse("redaction:approve", args=[job.pk]), {}),
    ]
    for url, data in posts:
        response = browser.post(url, data)
        expected = {302} if persona == "anonymous" else {404}
        assert response.status_code in expected, url
        if persona == "anonymous":
            assert "/accounts/" in response["Location"] or "login" in response["Location"]
    listing = browser.get(reverse("redaction:item", args=[original.pk]))
    assert listing.status_code == (302 if persona == "anonymous" else 404)
    for name in ("redaction:job", "redaction:log_csv"):
        assert browser.get(reverse(name, args=[job.pk])).status_code in ({302} if persona == "anonymous" else {404})
    preview = browser.get(reverse("redaction:page", args=[job.pk, 1]))
    assert preview.status_code == (302 if persona == "anonymous" else 404)
    assert RedactionJob.objects.count() == 1
    job.refresh_from_db()
    assert job.state == JobState.PROPOSED and job.reviewed_by is None
    assert not RedactionMark.objects.filter(job=job, kind__in=[MarkKind.MANUAL_TERM, MarkKind.MANUAL_AREA]).exists()
    assert not AuditEvent.objects.filter(action="redaction.page_previewed").exists()


def test_an_investigator_proposes_but_does_not_review(world: Any, login: Any, original: EvidenceItem) -> None:
    item_page = login(world.member).get(reverse("evidence:item", args=[original.pk])).content.decode()
    assert reverse("redaction:item", args=[original.pk]) in item_page
    listing = login(world.investigator).get(reverse("redaction:item", args=[original.pk]))
    assert listing.status_code == 200 and reverse("redaction:propose", args=[original.pk]) in listing.content.decode()
    job = _proposed(world, login, original)
    assert (
        reverse("redaction:job", args=[job.pk])
        in login(world.member).get(reverse("redaction:item", args=[original.pk])).content.decode()
    )
    assert login(world.investigator).get(reverse("redaction:job", args=[job.pk])).status_code == 200
    assert login(world.investigator).post(reverse("redaction:review", args=[job.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_jobs_run_on_a_worker(celery_live: Any, world: Any, case: Any, upload: Any) -> None:
    from cases.survivors import do_create_survivor as create

    survivor = create(case=case, user=world.member)
    do_seal_identity(survivor=survivor, identity=IdentityData(legal_name=NAME), user=world.member)
    do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.GRANTED,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=world.member,
    )
    item = EvidenceItem.objects.get(pk=upload(world.member, case, _pdf(LINES), name="s.pdf").json()["id"])
    item.survivors.add(survivor)
    with transaction.atomic():
        job = do_propose(item=item, user=world.investigator)
    _wait(job, JobState.PROPOSED)
    from evidence.redaction_services import do_approve, do_review

    do_review(job=job, user=world.member)
    do_approve(job=job, user=world.lead)
    _wait(job, JobState.RELEASED)
    job.refresh_from_db()
    assert job.output is not None
    text = _fold(_text(_content(job.output)))
    # The exact name is gone; the near miss nobody accepted stays.
    assert text.count("kone") == text.count("konee") == 1


def _wait(job: RedactionJob, state: str, seconds: float = 120) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state == state:
            return
        assert job.state != JobState.FAILED, job.failure_category
        time.sleep(0.2)
    raise AssertionError(f"job still {job.state}")


def test_the_text_of_an_item_concerning_no_survivor_is_never_let_through_by_an_empty_custodian_list(
    world: Any, login: Any, original: EvidenceItem
) -> None:
    from cases.models import ApprovalRequest
    from evidence.survivor_links import do_set_survivors

    job = _proposed(world, login, original)
    ask, url = reverse("redaction:reveal_request", args=[job.pk]), reverse("redaction:reveal", args=[job.pk])
    purpose = {"purpose": "checking the proposals before approval"}
    # Unlinked in a case with survivors: it may concern any of them, so nobody may ask.
    do_set_survivors(
        item=original, survivors=[], no_survivor_material=False, user=world.lead, acting_as=None, request=None
    )
    for person in (world.member, world.lead):
        assert login(person, sudo=True).post(ask, purpose).status_code == 302
        assert login(person, sudo=True).post(url, purpose).status_code == 302
    assert not ApprovalRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="redaction.text_revealed").exists()
    denied = AuditEvent.objects.filter(action="access.denied", details__permission="identity.reveal")
    assert denied.count() == 4
    # Marked as concerning no survivor: no custodian exists, a coalition lead of the case stands in.
    do_set_survivors(
        item=original, survivors=[], no_survivor_material=True, user=world.lead, acting_as=None, request=None
    )
    assert login(world.member, sudo=True).post(ask, purpose).status_code == 302
    assert not ApprovalRequest.objects.exists() and denied.count() == 5
    assert login(world.lead, sudo=True).post(ask, {"purpose": "short"}).status_code == 302
    assert not ApprovalRequest.objects.exists()
    assert login(world.lead, sudo=True).post(ask, purpose).status_code == 302
    assert ApprovalRequest.objects.get().requested_by_id == world.lead.pk
