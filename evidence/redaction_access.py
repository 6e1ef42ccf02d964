"""The one access helper for redaction jobs: the job if the caller may, else 404 (denial audited)."""

from __future__ import annotations

from django.http import HttpRequest

from evidence.access import item_ref, item_target, missing_item
from evidence.models import EvidenceItem
from evidence.redaction_models import RedactionJob
from evidence.redaction_runs import job_target
from teams.access import not_found, require, require_found
from teams.policy import Decision, Perm, RedactionRef


def redaction_ref(item: EvidenceItem, job: RedactionJob | None = None) -> RedactionRef:
    if job is None:
        return RedactionRef(item=item_ref(item))
    return RedactionRef(
        item=item_ref(item), state=job.state, proposed_by_id=job.proposed_by_id, reviewed_by_id=job.reviewed_by_id
    )


def missing_job(job_id: int) -> RedactionJob:
    """A placeholder for a job that does not exist, judged with the same queries as a real one."""
    return RedactionJob(pk=job_id, item=missing_item(job_id))


def get_job_for(request: HttpRequest, job_id: int, perm: Perm) -> tuple[RedactionJob, Decision]:
    """The job if the caller may; a missing job and a hidden one answer alike (same body, same work)."""
    found = (
        RedactionJob.objects.select_related(
            "item",
            "item__case",
            "item__case__organisation",
            "item__case__host_jurisdiction",
            "proposed_by",
            "reviewed_by",
            "approved_by",
            "output",
        )
        .filter(pk=job_id)
        .first()
    )
    job = found or missing_job(job_id)
    targets = [item_target(job.item_id), job_target(job_id)] if found else [job_target(job_id)]
    decision = require_found(
        request, perm, redaction_ref(job.item, job), found=found is not None, targets=targets, case_id=job.item.case_id
    )
    return job, decision


def get_item_to_redact(request: HttpRequest, item_id: int) -> tuple[EvidenceItem, Decision]:
    item = (
        EvidenceItem.objects.select_related("case", "case__organisation", "case__host_jurisdiction")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise not_found(request, perm=Perm.REDACTION_PROPOSE, targets=[item_target(item_id)])
    targets = [item_target(item.pk)]
    decision = require(request, Perm.REDACTION_PROPOSE, redaction_ref(item), targets=targets, case_id=item.case_id)
    return item, decision
