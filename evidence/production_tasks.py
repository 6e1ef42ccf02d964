"""Background build of a court production. Ids only; idempotent on the production's state."""

from __future__ import annotations

from vault.tasks import vault_task


@vault_task("evidence.production_build", time_limit=6 * 3600)
def build_production(production_id: int) -> str:
    """Build and store the package; a second run after the build finished or failed does nothing."""
    from evidence.production_build import run_build  # the build imports the services, which queue this task

    return run_build(production_id)
