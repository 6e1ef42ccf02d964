"""Periodic integrity sweep of every stored evidence object."""

from __future__ import annotations

from evidence.integrity import do_sweep
from evidence.uploads import do_purge_stale_uploads
from vault.tasks import vault_task


@vault_task("evidence.verify_all", time_limit=6 * 3600)
def verify_all() -> dict[str, int]:
    """Re-check every stored object; idempotent (a second run only adds check rows)."""
    result = do_sweep()
    return {"checked": result.checked, "failed": len(result.failed)}


@vault_task("evidence.purge_stale_uploads", time_limit=3600)
def purge_stale_uploads() -> int:
    """Remove resumable uploads left unfinished past their expiry (their parts are ciphertext only)."""
    return do_purge_stale_uploads()


from evidence.production_tasks import build_production  # noqa: E402, F401  (registers the task)
from evidence.redaction_tasks import redact_propose, redact_release  # noqa: E402, F401  (registers the tasks)
