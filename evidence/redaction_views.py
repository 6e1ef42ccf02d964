"""Pages for redaction: propose, review the proposals, add a term, approve, export the log."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.actions import Action
from audit.services import record
from cases.consent import ConsentRefused
from cases.sealing import SealedValueUnavailable
from cases.survivors import RevealRefused, authorise_reveal
from evidence.access import item_target
from evidence.redaction.result import RedactionError
from evidence.redaction_access import get_item_to_redact, get_job_for, redaction_ref
from evidence.redaction_models import RedactionJob
from evidence.redaction_runs import job_target, mark_texts
from evidence.redaction_services import (
    RedactionStepRefused,
    do_add_term,
    do_approve,
    do_decide_mark,
    do_propose,
    do_review,
)
from evidence.retrieval import IntegrityFailure
from teams.access import acting_as, record_denial, request_actor
from teams.policy import Decision, Perm, decide


def _back(job: RedactionJob) -> HttpResponse:
    return redirect(reverse("redaction:job", args=[job.pk]))


def _refused(request: HttpRequest, job: RedactionJob, message: Any) -> HttpResponse:
    messages.error(request, str(message))
    return _back(job)


@login_required
@require_GET
def item_jobs(request: HttpRequest, item_id: int) -> HttpResponse:
    item, decision = get_item_to_redact(request, item_id)
    with transaction.atomic():
        record(
            action=Action.REDACTION_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
        )
    jobs = RedactionJob.objects.filter(item=item).select_related("proposed_by", "output")
    return render(request, "evidence/redaction_jobs.html", {"item": item, "jobs": jobs})


@login_required
@require_POST
def propose(request: HttpRequest, item_id: int) -> HttpResponse:
    item, decision = get_item_to_redact(request, item_id)
    job = do_propose(item=item, user=request.user, acting_as=acting_as(decision), request=request)
    messages.success(request, _("Looking for identifiers; the proposal appears here when it is ready."))
    return _back(job)


def _render(request: HttpRequest, job: RedactionJob, texts: dict[int, str] | None = None) -> HttpResponse:
    actor = request_actor(request)
    ref = redaction_ref(job.item, job)
    may = {
        "review": bool(decide(actor, Perm.REDACTION_REVIEW, ref)),
        "approve": bool(decide(actor, Perm.REDACTION_APPROVE, ref)),
    }
    rows = [{"mark": m, "text": (texts or {}).get(m.pk)} for m in job.marks.all()]
    context = {"job": job, "rows": rows, "revealed": texts is not None, "may": may, "log": list(job.log.all())}
    return render(request, "evidence/redaction.html", context)


@login_required
@require_GET
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job, decision = get_job_for(request, job_id, Perm.REDACTION_PROPOSE)
    with transaction.atomic():
        record(
            action=Action.REDACTION_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=job.item.case_id,
            targets=[item_target(job.item_id), job_target(job.pk)],
        )
    return _render(request, job)


@login_required
@require_POST
def reveal(request: HttpRequest, job_id: int) -> HttpResponse:
    """The text behind each mark, for a reviewer who may reveal every concerned survivor's identity."""
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    purpose = request.POST.get("purpose", "")
    targets = [item_target(job.item_id), job_target(job.pk)]
    try:
        for survivor in job.item.survivors.select_related("case"):
            authorise_reveal(survivor=survivor, user=request.user, purpose=purpose)
    except RevealRefused as refused:
        record_denial(
            request, perm=Perm.IDENTITY_REVEAL, targets=targets, case_id=job.item.case_id, reason=str(refused.message)
        )
        return _refused(request, job, refused.message)
    try:
        with transaction.atomic():
            texts = mark_texts(job, request.user)
            record(
                action=Action.REDACTION_TEXT_REVEALED,
                user=request.user,
                acting_as=acting_as(decision),
                request=request,
                purpose=purpose.strip(),
                case_id=job.item.case_id,
                targets=targets,
                details={"marks": len(texts)},
            )
    except (RedactionError, IntegrityFailure, SealedValueUnavailable):
        return _refused(request, job, _("The text could not be read again from the original."))
    return _render(request, job, texts)


@login_required
@require_POST
def decide_mark(request: HttpRequest, job_id: int, mark_id: int) -> HttpResponse:
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    choice = request.POST.get("decision", "")
    if choice not in {"accept", "reject"}:
        return _refused(request, job, _("Choose to accept or reject the proposal."))
    try:
        do_decide_mark(
            job=job,
            mark_id=mark_id,
            accepted=choice == "accept",
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
        )
    except RedactionStepRefused as refused:
        return _refused(request, job, refused)
    return _back(job)


@login_required
@require_POST
def add_term(request: HttpRequest, job_id: int) -> HttpResponse:
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    try:
        do_add_term(
            job=job,
            term=request.POST.get("term", ""),
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
        )
    except RedactionStepRefused as refused:
        return _refused(request, job, refused)
    messages.success(request, _("The term will be removed wherever it appears."))
    return _back(job)


@login_required
@require_POST
def review(request: HttpRequest, job_id: int) -> HttpResponse:
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    try:
        do_review(job=job, user=request.user, acting_as=acting_as(decision), request=request)
    except RedactionStepRefused as refused:
        return _refused(request, job, refused)
    messages.success(request, _("Reviewed. A second person must now approve."))
    return _back(job)


def _approval(request: HttpRequest, job: RedactionJob) -> Decision | HttpResponse:
    """Four eyes: someone who may see the job but proposed or reviewed it is told why, and refused."""
    decision = decide(request_actor(request), Perm.REDACTION_APPROVE, redaction_ref(job.item, job))
    if decision:
        return decision
    targets = [item_target(job.item_id), job_target(job.pk)]
    with transaction.atomic():
        record_denial(
            request, perm=Perm.REDACTION_APPROVE, targets=targets, case_id=job.item.case_id, reason=str(decision.reason)
        )
    return HttpResponse(str(decision.reason), status=403, content_type="text/plain; charset=utf-8")


@login_required
@require_POST
def approve(request: HttpRequest, job_id: int) -> HttpResponse:
    job, _visible = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    decision = _approval(request, job)
    if isinstance(decision, HttpResponse):
        return decision
    try:
        do_approve(job=job, user=request.user, acting_as=acting_as(decision), request=request)
    except (RedactionStepRefused, ConsentRefused) as refused:
        return _refused(request, job, refused)
    messages.success(request, _("Approved. The redacted copy is produced and verified before it is stored."))
    return _back(job)


def log_rows(job: RedactionJob) -> dict[str, Any]:
    """The redaction log for court: who, when, what categories on which pages — never the text removed."""

    def person(user: Any) -> str:
        return user.get_username() if user else ""

    def when(value: Any) -> str:
        return value.isoformat() if value else ""

    return {
        "job": job.pk,
        "original_item": job.item_id,
        "original_sha256": job.item.sha256,
        "redacted_item": job.output_id,
        "redacted_sha256": job.output.sha256 if job.output else "",
        "state": job.state,
        "proposed_by": person(job.proposed_by),
        "proposed_at": when(job.created_at),
        "reviewed_by": person(job.reviewed_by),
        "reviewed_at": when(job.reviewed_at),
        "approved_by": person(job.approved_by),
        "approved_at": when(job.approved_at),
        "finished_at": when(job.finished_at),
        "failure": {"category": job.failure_category, "location": job.failure_location},
        "removed": [{"category": e.category, "page": e.page, "count": e.count} for e in job.log.all()],
    }


def _exported(request: HttpRequest, job_id: int, fmt: str) -> tuple[RedactionJob, dict[str, Any]]:
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    rows = log_rows(job)
    with transaction.atomic():
        record(
            action=Action.REDACTION_LOG_EXPORTED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=job.item.case_id,
            targets=[item_target(job.item_id), job_target(job.pk)],
            details={"format": fmt},
        )
    return job, rows


@login_required
@require_GET
def log_json(request: HttpRequest, job_id: int) -> HttpResponse:
    job, rows = _exported(request, job_id, "json")
    response = HttpResponse(json.dumps(rows, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="redaction-log-{job.pk}.json"'
    return response


@login_required
@require_GET
def log_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    job, rows = _exported(request, job_id, "csv")
    out = io.StringIO()
    writer = csv.writer(out)
    for key in ("job", "original_item", "original_sha256", "redacted_item", "redacted_sha256", "state"):
        writer.writerow([key, rows[key]])
    for step in ("proposed", "reviewed", "approved"):
        writer.writerow([f"{step}_by", rows[f"{step}_by"], rows[f"{step}_at"]])
    writer.writerow(["failure", rows["failure"]["category"], rows["failure"]["location"]])
    writer.writerow(["category", "page", "count"])
    for entry in rows["removed"]:
        writer.writerow([entry["category"], entry["page"] or "", entry["count"]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="redaction-log-{job.pk}.csv"'
    return response
