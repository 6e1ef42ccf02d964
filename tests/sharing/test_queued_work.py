"""Revocation, expiry and consent withdrawal reach work already under way: a download streaming, and a
redaction release queued before the change and run after it by the worker."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import ConsentAction, Grant, GrantLevel, GrantState
from cases.survivors import IdentityData, do_seal_identity
from evidence import streaming
from evidence.models import DerivativeKind, EvidenceItem
from evidence.redaction_models import JobState, RedactionJob
from evidence.redaction_runs import run_proposal, run_release
from evidence.redaction_services import do_approve, do_propose, do_review
from evidence.sealing import SEGMENT_SIZE
from evidence.streaming import AccessEnded
from teams.models import Membership
from tests.sharing.conftest import ShareWorld

PURPOSE = {"purpose": "prepare the joint complaint"}


@pytest.fixture
def copy_abroad(sw: ShareWorld, upload: Any) -> EvidenceItem:
    """A three-segment redacted copy a foreign lawyer may download through a cross-border grant."""
    original = EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, b"statement").json()["id"])
    copy = EvidenceItem.objects.get(
        pk=upload(sw.world.member, sw.case, os.urandom(3 * SEGMENT_SIZE), name="copy.bin").json()["id"]
    )
    EvidenceItem.objects.filter(pk=copy.pk).update(derivative_of=original, derivative_kind=DerivativeKind.REDACTED)
    sw.concerns(original)
    copy.survivors.add(sw.survivor)
    sw.consent_to_foreign_team()
    sw.grant(level=GrantLevel.REDACTED, rights=("view", "download"))
    return copy


def _streaming(login: Any, sw: ShareWorld, item: EvidenceItem, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(streaming, "RECHECK_SECONDS", 0.0)
    response = login(sw.world.other_member).post(reverse("evidence:download", args=[item.pk]), PURPOSE)
    assert response.status_code == 200
    stream = iter(response.streaming_content)
    assert next(stream)
    return stream


def test_expiry_cuts_a_running_download(
    sw: ShareWorld, copy_abroad: EvidenceItem, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = _streaming(login, sw, copy_abroad, monkeypatch)
    # The grant's end passes while the transfer runs; the daily task has not run yet.
    Grant.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(AccessEnded):
        b"".join(stream)
    assert Grant.objects.get().state == GrantState.ACTIVE


def test_consent_withdrawal_cuts_a_running_download(
    sw: ShareWorld, copy_abroad: EvidenceItem, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = _streaming(login, sw, copy_abroad, monkeypatch)
    sw.withdraw(ConsentAction.SHARE_JURISDICTION, "BD")
    with pytest.raises(AccessEnded):
        b"".join(stream)
    assert Grant.objects.get().state == GrantState.SUSPENDED


@pytest.fixture
def approved_job(sw: ShareWorld, upload: Any) -> RedactionJob:
    """A redaction of a statement naming the survivor, approved: its release is queued, not yet run.

    Tasks are queued on commit, and a test's transaction never commits, so the release waits for
    ``run_release`` as it would wait for a worker.
    """
    sw.survivor.custodians.add(sw.world.member)
    do_seal_identity(
        survivor=sw.survivor,
        identity=IdentityData(legal_name="Aicha Kone", places=[], contacts=[]),
        user=sw.world.member,
    )
    item = EvidenceItem.objects.get(
        pk=upload(sw.world.member, sw.case, b"Statement of Aicha Kone, Bangui.\n", name="s.txt").json()["id"]
    )
    sw.concerns(item)
    job = do_propose(item=item, user=sw.world.investigator)
    assert run_proposal(job.pk) == JobState.PROPOSED
    do_review(job=job, user=sw.world.member)
    return do_approve(job=job, user=sw.world.lead)


def _no_copy(job: RedactionJob) -> None:
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.output is None
    assert not EvidenceItem.objects.filter(derivative_of=job.item).exists()


def test_queued_release_is_judged_when_it_runs_approver_left_the_case(
    sw: ShareWorld, approved_job: RedactionJob
) -> None:
    Membership.objects.filter(user=sw.world.lead).delete()
    assert run_release(approved_job.pk) == JobState.FAILED
    _no_copy(approved_job)


def test_queued_release_is_judged_when_it_runs_consent_withdrawn(sw: ShareWorld, approved_job: RedactionJob) -> None:
    sw.withdraw(ConsentAction.STORE_EVIDENCE)
    assert run_release(approved_job.pk) == JobState.FAILED
    _no_copy(approved_job)


def test_queued_release_runs_when_nothing_changed(sw: ShareWorld, approved_job: RedactionJob) -> None:
    assert run_release(approved_job.pk) == JobState.RELEASED


def test_queued_release_is_judged_when_it_runs_approver_left_no_survivor(sw: ShareWorld, upload: Any) -> None:
    item = EvidenceItem.objects.get(
        pk=upload(sw.world.member, sw.case, b"Call 72 12 34 56 about the market.\n", name="m.txt").json()["id"]
    )
    EvidenceItem.objects.filter(pk=item.pk).update(no_survivor_material=True)
    item.refresh_from_db()
    job = do_propose(item=item, user=sw.world.investigator)
    assert run_proposal(job.pk) == JobState.PROPOSED
    do_review(job=job, user=sw.world.member)
    do_approve(job=job, user=sw.world.lead)
    Membership.objects.filter(user=sw.world.lead).delete()
    assert run_release(job.pk) == JobState.FAILED
    _no_copy(job)


def test_a_released_copy_is_linked_like_any_item_and_judged_against_the_grants(
    sw: ShareWorld, approved_job: RedactionJob
) -> None:
    # A whole-case grant judged for no survivor (made before any was linked), which the survivor never
    # consented to: the copy the release links to them is judged against it and the grant suspended.
    grant = sw.grant(survivors=[])
    assert run_release(approved_job.pk) == JobState.RELEASED
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED and grant.ended_by_id == sw.world.lead.pk
    released = AuditEvent.objects.get(action="redaction.released")
    assert released.details["grants_suspended"] == [grant.pk]
    assert AuditEvent.objects.filter(action="sharing.grant_suspended", details__grant=grant.pk).exists()
