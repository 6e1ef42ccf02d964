"""Platform-level tasks."""

from __future__ import annotations

from celery import shared_task
from django.db import connection
from django.utils import timezone

RETRY = {"autoretry_for": (ConnectionError, TimeoutError), "retry_backoff": True, "max_retries": 5}


@shared_task(name="vault.health_check", **RETRY)
def health_check(token: str) -> dict[str, str]:
    """Prove a worker can run a task, reach the database and answer through the result backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone() or (0,)
    return {"token": token, "database": "ok" if one == 1 else "failed", "at": timezone.now().isoformat()}
