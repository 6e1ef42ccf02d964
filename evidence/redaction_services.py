"""Redaction job steps people take: propose, decide on proposals, add a term, review, approve; page previews.

Each step checks the job's state under a row lock and records its audit event in the same
transaction; the background steps are queued on commit with the job's id only.
"""

from __future__ import annotations

import subprocess
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action, Outcome
from audit.services import ActingAs, record
from cases.sealing import scope_for, seal_json
from evidence.access import item_target
from evidence.consent import ConsentRefused, require_use, use_allowed
from evidence.integrity import do_record_integrity_failure
from evidence.models import EvidenceItem
from evidence.redaction.geometry import Area
from evidence.redaction.scratch import ScratchUnavailable
from evidence.redaction_models import JobState, MarkKind, RedactionJob, RedactionMark
from evidence.redaction_runs import PURPOSE, job_target, mark_context, render_preview
from evidence.redaction_tasks import redact_propose, redact_release
from evidence.retrieval import IntegrityFailure

MAX_TERM_LENGTH = 200


class RedactionStepRefused(Exception):
    """The job is not in a state for this step; the message is safe to show."""


class PreviewFailed(Exception):
    """The page could not be rendered; the failure is recorded (``reason``: a code, never document text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What can go wrong between the verified read and the PNG: the stored object failing its check, no
# memory scratch directory, pdftoppm missing, failing or timing out, Pillow unable to read its output.
_RENDER_FAILURES = (IntegrityFailure, ScratchUnavailable, OSError, subprocess.SubprocessError)


def _locked(job: RedactionJob, *states: str) -> RedactionJob:
    locked = RedactionJob.objects.select_for_update().select_related("item").get(pk=job.pk)
    if locked.state not in states:
        raise RedactionStepRefused(
            _("This redaction is no longer at that step (now: %(state)s).") % {"state": locked.get_state_display()}
        )
    return locked


def _record(
    action: Action,
    job: RedactionJob,
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    **details: Any,
) -> None:
    record(
        action=action,
        user=user,
        acting_as=acting_as,
        request=request,
        purpose=PURPOSE,
        case_id=job.item.case_id,
        targets=[item_target(job.item_id), job_target(job.pk)],
        details=details,
    )


def do_propose(
    *, item: EvidenceItem, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> RedactionJob:
    with transaction.atomic():
        job = RedactionJob.objects.create(item=item, proposed_by=user)
        _record(Action.REDACTION_PROPOSED, job, user, acting_as, request, survivors=item.survivors.count())
        redact_propose.delay_on_commit(job.pk)
    return job


def do_decide_mark(
    *,
    job: RedactionJob,
    mark_id: int,
    accepted: bool,
    user: Any,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> RedactionMark:
    with transaction.atomic():
        job = _locked(job, JobState.PROPOSED)
        mark = RedactionMark.objects.filter(job=job, pk=mark_id, decidable=True).first()
        if mark is None:
            raise RedactionStepRefused(_("This proposal does not exist or needs no decision."))
        mark.accepted, mark.decided_by = accepted, user
        mark.save(update_fields=["accepted", "decided_by"])
        _record(
            Action.REDACTION_MARK_DECIDED,
            job,
            user,
            acting_as,
            request,
            mark=mark.pk,
            kind=mark.kind,
            category=mark.category,
            page=mark.page,
            accepted=accepted,
        )
    return mark


def do_add_term(
    *, job: RedactionJob, term: str, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> RedactionMark:
    term = " ".join(term.split())
    if not term or len(term) > MAX_TERM_LENGTH:
        raise RedactionStepRefused(_("Enter a term of 1 to %(n)s characters.") % {"n": MAX_TERM_LENGTH})
    with transaction.atomic():
        job = _locked(job, JobState.PROPOSED)
        scope = scope_for(job.item.case.host_jurisdiction.code)
        sealed = seal_json({"term": term}, scope=scope, context=mark_context(job.pk))
        mark = RedactionMark.objects.create(
            job=job,
            kind=MarkKind.MANUAL_TERM,
            category="manual",
            accepted=True,
            decidable=True,
            sealed_term=sealed.ciphertext,
            sealed_key=sealed.wrapped_key,
            decided_by=user,
        )
        _record(Action.REDACTION_TERM_ADDED, job, user, acting_as, request, mark=mark.pk)
    return mark


def do_add_area(
    *,
    job: RedactionJob,
    area: Area,
    user: Any,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> RedactionMark:
    """A rectangle drawn on a page: every glyph under it is removed and the area burned in at release."""
    with transaction.atomic():
        job = _locked(job, JobState.PROPOSED)
        if not job.pages:
            raise RedactionStepRefused(_("Areas can be drawn on the pages of a PDF only."))
        if not area.valid() or area.page > job.pages:
            raise RedactionStepRefused(
                _("Draw the area inside a page: page 1 to %(n)s, at least one point wide and high.") % {"n": job.pages}
            )
        box = [round(v, 2) for v in (area.left, area.top, area.right, area.bottom)]
        mark = RedactionMark.objects.create(
            job=job,
            page=area.page,
            kind=MarkKind.MANUAL_AREA,
            category="manual",
            accepted=True,
            decidable=True,
            boxes=[box],
            decided_by=user,
        )
        # The audit chain stores no floats: the corners are recorded as text.
        corners = [f"{v:.2f}" for v in box]
        _record(Action.REDACTION_AREA_ADDED, job, user, acting_as, request, mark=mark.pk, page=area.page, box=corners)
    return mark


def do_review(
    *, job: RedactionJob, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> RedactionJob:
    with transaction.atomic():
        job = _locked(job, JobState.PROPOSED)
        job.state, job.reviewed_by, job.reviewed_at = JobState.REVIEWED, user, timezone.now()
        job.save(update_fields=["state", "reviewed_by", "reviewed_at"])
        accepted = job.marks.filter(decidable=True, accepted=True).count()
        _record(Action.REDACTION_REVIEWED, job, user, acting_as, request, accepted_proposals=accepted)
    return job


def do_approve(
    *, job: RedactionJob, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> RedactionJob:
    """Approve and queue the final run. Every survivor concerned must consent to the team using the item.

    Raises ``ConsentRefused`` (recorded by the consent service) before anything changes.
    """
    consents = require_use(item=job.item, user=user, request=request, acting_as=acting_as, purpose=PURPOSE)
    with transaction.atomic():
        job = _locked(job, JobState.REVIEWED)
        job.state, job.approved_by, job.approved_at = JobState.APPROVED, user, timezone.now()
        job.save(update_fields=["state", "approved_by", "approved_at"])
        record(
            action=Action.REDACTION_APPROVED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose=PURPOSE,
            consent_record_id=consents.first,
            case_id=job.item.case_id,
            targets=[item_target(job.item_id), job_target(job.pk), *consents.targets],
            details={"proposed_by": job.proposed_by_id, "reviewed_by": job.reviewed_by_id},
        )
        redact_release.delay_on_commit(job.pk)
    return job


def do_preview_page(
    *, job: RedactionJob, page: int, user: Any, acting_as: ActingAs | None, request: HttpRequest | None
) -> bytes:
    """PNG of one page under review; its consent check and its preview (or the failure) are one audited unit.

    Consent is asked first without recording (``use_allowed``), so nothing of the original is read
    without it; a refusal is recorded by the consent service, alone, as for every refused use. The page
    is rendered outside any transaction: a render takes seconds and must hold neither the audit
    chain's lock nor SQLite's write lock. One transaction then records the consent check
    (``require_use``, which decides again) with ``redaction.page_previewed``: outcome allowed, or
    failed with the reason, the way other actions record failure (an integrity failure also marks
    the item and raises the alert, as a failed download does). A consent withdrawn during the render
    is refused there and recorded, and the image is not served. Raises ``ConsentRefused`` or
    ``PreviewFailed``.
    """
    common: dict[str, Any] = {"user": user, "request": request, "acting_as": acting_as, "purpose": PURPOSE}
    if not use_allowed(job.item):
        require_use(item=job.item, **common)  # records the refusal and raises
    png, failure = b"", None
    try:
        png = render_preview(job, page)
    except _RENDER_FAILURES as error:
        failure = error
    reason = _failure_reason(failure)
    refused: ConsentRefused | None = None
    with transaction.atomic():
        try:
            consents = require_use(item=job.item, **common)
        except ConsentRefused as error:
            # Caught inside the transaction so that the refusal the consent service wrote is kept.
            refused = error
        else:
            record(
                action=Action.REDACTION_PAGE_PREVIEWED,
                outcome=Outcome.FAILED if failure is not None else Outcome.ALLOWED,
                consent_record_id=consents.first,
                case_id=job.item.case_id,
                targets=[item_target(job.item_id), job_target(job.pk), *consents.targets],
                details={"page": page, **({"failure": reason} if failure is not None else {})},
                **common,
            )
            if isinstance(failure, IntegrityFailure):
                do_record_integrity_failure(item=job.item, reason=failure.reason, channel="redaction_preview", **common)
    if refused is not None:
        raise refused
    if failure is not None:
        raise PreviewFailed(reason)
    return png


def _failure_reason(failure: BaseException | None) -> str:
    if isinstance(failure, IntegrityFailure):
        return f"integrity: {failure.reason}"
    return type(failure).__name__ if failure is not None else ""
