"""Background steps of a redaction job. Ids only; each step is idempotent on the job's state."""

from __future__ import annotations

from evidence.redaction_runs import run_proposal, run_release
from vault.tasks import vault_task


@vault_task("evidence.redact_propose", time_limit=3600)
def redact_propose(job_id: int) -> str:
    """Find what to propose; a second run after the proposal is stored does nothing."""
    return run_proposal(job_id)


@vault_task("evidence.redact_release", time_limit=3 * 3600)
def redact_release(job_id: int) -> str:
    """Produce, verify and store the approved copy; a second run after release or failure does nothing."""
    return run_release(job_id)
