"""Background build of a court production, and the sweep of builds that never finished. Ids only; idempotent."""

from __future__ import annotations

from vault.tasks import TRANSIENT_ERRORS, vault_task

# The build's hard time limit; a production still ``building`` after it is stale (production_build).
BUILD_TIME_LIMIT = 6 * 3600


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
    """Mark builds older than the build's hard time limit as failed, so no production stays ``building``."""
    from evidence.production_build import fail_stale_builds

    return fail_stale_builds()
