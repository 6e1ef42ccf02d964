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
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.sudo import sudo_redirect
from audit.actions import Action
from audit.services import record
from cases.approvals import ApprovalRefused, do_request_approval, use_approval
from cases.consent import ConsentRefused
from cases.models import ApprovalKind, ApprovalRequest, ApprovalState
from cases.sealing import SealedValueUnavailable
from cases.survivors import RevealRefused, authorise_reveal
from evidence.access import item_target
from evidence.consent import concerned_survivors, undetermined
from evidence.redaction.geometry import Area
from evidence.redaction.preview import PREVIEW_DPI
from evidence.redaction.result import RedactionError
from evidence.redaction_access import get_item_to_redact, get_job_for, redaction_ref
from evidence.redaction_models import RedactionJob
from evidence.redaction_runs import job_target, mark_texts
from evidence.redaction_services import (
    PreviewFailed,
    RedactionStepRefused,
    do_add_area,
    do_add_term,
    do_approve,
    do_decide_mark,
    do_preview_page,
    do_propose,
    do_review,
)
from evidence.retrieval import IntegrityFailure
from teams.access import acting_as, not_found, record_denial, request_actor
from teams.policy import Decision, Perm, decide

# Showing the text behind the marks reveals identifiers: like an identity reveal, it needs a second
# coalition lead's approval of the reviewer's request, used once (cases.approvals).
REVEAL_KIND = ApprovalKind.REVEAL_IDENTITY


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


def reveal_subject(job: RedactionJob) -> str:
    return f"redaction-job:{job.pk}"


def _reveal_state(job: RedactionJob, user: Any) -> str:
    requests = ApprovalRequest.objects.filter(
        kind=REVEAL_KIND, case_id=job.item.case_id, subject=reveal_subject(job), requested_by_id=user.pk
    )
    if requests.filter(state=ApprovalState.APPROVED, expires_at__gt=timezone.now()).exists():
        return "approved"
    return "pending" if requests.filter(state=ApprovalState.PENDING, expires_at__gt=timezone.now()).exists() else ""


def _preview(request: HttpRequest, job: RedactionJob) -> dict[str, Any] | None:
    if not job.pages:
        return None
    try:
        page = min(max(int(request.GET.get("page", "1")), 1), job.pages)
    except ValueError:
        page = 1
    return {
        "page": page,
        "url": reverse("redaction:page", args=[job.pk, page]),
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < job.pages else None,
        "dpi": PREVIEW_DPI,
    }


def _render(request: HttpRequest, job: RedactionJob, texts: dict[int, str] | None = None) -> HttpResponse:
    actor = request_actor(request)
    ref = redaction_ref(job.item, job)
    may = {
        "review": bool(decide(actor, Perm.REDACTION_REVIEW, ref)),
        "approve": bool(decide(actor, Perm.REDACTION_APPROVE, ref)),
    }
    rows = [{"mark": m, "text": (texts or {}).get(m.pk)} for m in job.marks.all()]
    context = {
        "job": job,
        "rows": rows,
        "revealed": texts is not None,
        "may": may,
        "log": list(job.log.all()),
        "preview": _preview(request, job) if may["review"] else None,
        "reveal_state": _reveal_state(job, request.user) if may["review"] else "",
    }
    response = render(request, "evidence/redaction.html", context)
    if texts is not None:
        response["Cache-Control"] = "no-store"
    return response


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


def _authorise_without_survivor(request: HttpRequest, job: RedactionJob, purpose: str) -> None:
    """An item concerning no survivor has no custodian: a coalition lead of the case's organisation stands in.

    An item of a case with survivors that nobody has linked yet may concern any of them: refused
    until an editor says whom it concerns.
    """
    if undetermined(job.item):
        raise RevealRefused(_("Link this item to the survivors it concerns before the text behind its marks is shown."))
    if len(purpose.strip()) < 10:
        raise RevealRefused(_("State the purpose of this reveal (at least 10 characters)."))
    if not decide(request_actor(request), Perm.REDACTION_REVEAL_UNLINKED, job.item.case.as_ref()):
        raise RevealRefused(_("This item concerns no survivor: only a coalition lead of the case may see this text."))


def _authorise_reveal(request: HttpRequest, job: RedactionJob, purpose: str) -> str | None:
    """None when the reviewer is an identity custodian of every survivor concerned; else the refusal, audited.

    With no survivor concerned there is no custodian to ask: the reveal is never let through by an
    empty list (see ``_authorise_without_survivor``).
    """
    try:
        survivors = concerned_survivors(job.item)
        if not survivors:
            _authorise_without_survivor(request, job, purpose)
        for survivor in survivors:
            authorise_reveal(survivor=survivor, user=request.user, purpose=purpose)
    except RevealRefused as refused:
        targets = [item_target(job.item_id), job_target(job.pk)]
        record_denial(
            request, perm=Perm.IDENTITY_REVEAL, targets=targets, case_id=job.item.case_id, reason=str(refused.message)
        )
        return str(refused.message)
    return None


@login_required
@require_POST
def request_reveal(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """A custodian asks a second coalition lead to approve showing the text behind the marks once."""
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    if confirm := sudo_redirect(request):
        return confirm
    purpose = request.POST.get("purpose", "")
    if refusal := _authorise_reveal(request, job, purpose):
        return _refused(request, job, refusal)
    do_request_approval(
        kind=REVEAL_KIND,
        case=job.item.case,
        subject=reveal_subject(job),
        purpose=purpose.strip(),
        user=request.user,
        request=request,
        acting_as=acting_as(decision),
    )
    messages.success(request, _("Approval requested: another coalition lead decides on the case's sharing page."))
    return _back(job)


@login_required
@require_POST
def reveal(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The text behind each mark, for a custodian of every survivor concerned, with a second lead's approval."""
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    if confirm := sudo_redirect(request):
        return confirm
    purpose = request.POST.get("purpose", "")
    targets = [item_target(job.item_id), job_target(job.pk)]
    if refusal := _authorise_reveal(request, job, purpose):
        return _refused(request, job, refusal)
    try:
        with transaction.atomic():
            subject = reveal_subject(job)
            approval = use_approval(kind=REVEAL_KIND, case=job.item.case, subject=subject, user=request.user)
            texts = mark_texts(job, request.user)
            record(
                action=Action.REDACTION_TEXT_REVEALED,
                user=request.user,
                acting_as=acting_as(decision),
                request=request,
                purpose=purpose.strip(),
                case_id=job.item.case_id,
                targets=targets,
                details={"marks": len(texts), "approval": approval.pk, "approved_by": approval.decided_by_id},
            )
    except ApprovalRefused:
        message = _("Showing the text needs a second coalition lead's approval of your request first.")
        record_denial(request, perm=Perm.IDENTITY_REVEAL, targets=targets, case_id=job.item.case_id, reason=message)
        return _refused(request, job, message)
    except (RedactionError, IntegrityFailure, SealedValueUnavailable):
        return _refused(request, job, _("The text could not be read again from the original."))
    return _render(request, job, texts)


@login_required
@require_GET
def page_preview(request: HttpRequest, job_id: int, page: int) -> HttpResponse:
    """One page of the original as a PNG with the marks drawn: rendered in memory, never stored or cached."""
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    targets = [item_target(job.item_id), job_target(job.pk)]
    if not job.pages or not 1 <= page <= job.pages:
        raise not_found(request, perm=Perm.REDACTION_REVIEW, targets=targets, case_id=job.item.case_id)
    try:
        png = do_preview_page(job=job, page=page, user=request.user, acting_as=acting_as(decision), request=request)
    except ConsentRefused as refused:
        return HttpResponse(str(refused.message), status=403, content_type="text/plain; charset=utf-8")
    except PreviewFailed:
        message = _(
            "This page could not be shown: the original could not be read or rendered. The failure was "
            "recorded; try again later, and tell an administrator if it happens again."
        )
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = f'inline; filename="redaction-{job.pk}-page-{page}.png"'
    return response


def _area(post: Any) -> Area | None:
    try:
        values = [float(post.get(key, "")) for key in ("left", "top", "right", "bottom")]
        return Area(int(post.get("page", "")), *values)
    except ValueError:
        return None


@login_required
@require_POST
def add_area(request: HttpRequest, job_id: int) -> HttpResponse:
    job, decision = get_job_for(request, job_id, Perm.REDACTION_REVIEW)
    area = _area(request.POST)
    if area is None:
        return _refused(request, job, _("Draw a rectangle on the page, or enter its page and four coordinates."))
    try:
        do_add_area(job=job, area=area, user=request.user, acting_as=acting_as(decision), request=request)
    except RedactionStepRefused as refused:
        return _refused(request, job, refused)
    messages.success(request, _("Everything under this area will be removed and the area blacked out."))
    return redirect(f"{reverse('redaction:job', args=[job.pk])}?page={area.page}")


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
