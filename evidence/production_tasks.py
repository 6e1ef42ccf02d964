"""Background build of a court production, and the sweep of builds that never finished. Ids only; idempotent."""

from __future__ import annotations

from vault.tasks import TRANSIENT_ERRORS, vault_task

# The build's hard time limit; a production still ``building`` after it is stale (production_build).
BUILD_TIME_LIMIT = 6 * 3600
# A run writes its heartbeat at least once per document; silent this long, its worker is taken as dead
# and another delivery of the build may take it over. Generous: one large native can take minutes.
RUN_SILENCE = 30 * 60


@vault_task("evidence.production_build", time_limit=BUILD_TIME_LIMIT)
def build_production(production_id: int, token: str) -> str:
    """Build and store the package of the build ``token``; a run of another (earlier) build does nothing."""
    from evidence.production_build import fail_unexpected, run_build  # the build imports the services

    try:
        return run_build(production_id, token=token)
    except TRANSIENT_ERRORS as error:
        if build_production.request.retries >= (build_production.max_retries or 0):
            return fail_unexpected(production_id, error, token=token)  # retries exhausted: failed, not stuck
        raise


@vault_task("evidence.production_sweep", time_limit=300)
def sweep_stale_builds() -> int:
    """Fail builds older than the hard time limit; deliver again the builds whose run went silent."""
    from evidence.production_build import fail_stale_builds, resume_silent_runs

    return fail_stale_builds() + resume_silent_runs()
