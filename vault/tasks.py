"""Task conventions shared by every app, and the platform's own health check.

Every task is declared with :func:`vault_task` so retries, time limits and
acknowledgement behave the same everywhere (docs/ARCHITECTURE.md, "Tasks"):

- arguments are ids and plain JSON values, never model instances;
- tasks are queued with ``task.delay_on_commit(...)`` so a worker never sees an
  id whose transaction has not committed (and nothing is queued on rollback);
- transient failures (network, database connection) are retried with
  exponential backoff and jitter, a bounded number of times;
- each task states a hard time limit; the soft limit fires a little earlier so
  the task can clean up;
- ``acks_late`` with ``reject_on_worker_lost`` re-delivers a task whose worker
  died, so a task may run more than once: it must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

_P = ParamSpec("_P")
_R = TypeVar("_R")

# Failures worth another attempt: the other side may be back in a moment.
TRANSIENT_ERRORS: Final[tuple[type[BaseException], ...]] = (
    ConnectionError,
    TimeoutError,
    OperationalError,
    InterfaceError,
)
MAX_RETRIES: Final = 5
RETRY_BACKOFF_MAX: Final = 600
# Seconds between the soft limit (SoftTimeLimitExceeded raised in the task) and the hard kill.
SOFT_LIMIT_GRACE: Final = 10


def vault_task(
    name: str,
    *,
    time_limit: int,
    max_retries: int = MAX_RETRIES,
    retry_on: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
) -> Callable[[Callable[_P, _R]], DjangoTask[_P, _R]]:
    """Declare a task with the platform's retry policy and an explicit time limit (seconds).

    ``name`` is the stable routing name (``"<app>.<verb>"``): queued messages refer to it,
    so renaming a function must not change it.
    """
    if time_limit <= SOFT_LIMIT_GRACE:
        raise ValueError(f"time_limit for {name} must exceed {SOFT_LIMIT_GRACE} seconds")

    def decorate(function: Callable[_P, _R]) -> DjangoTask[_P, _R]:
        task: DjangoTask[_P, _R] = shared_task(
            base=DjangoTask,
            name=name,
            autoretry_for=retry_on,
            retry_backoff=True,
            retry_backoff_max=RETRY_BACKOFF_MAX,
            retry_jitter=True,
            max_retries=max_retries,
            acks_late=True,
            reject_on_worker_lost=True,
            time_limit=time_limit,
            soft_time_limit=time_limit - SOFT_LIMIT_GRACE,
        )(function)
        return task

    return decorate


@vault_task("vault.health_check", time_limit=30)
def health_check(token: str) -> dict[str, str]:
    """Prove a worker can run a task, reach the database and answer through the result backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    database = "ok" if row is not None and row[0] == 1 else "failed"
    return {"token": token, "database": database, "at": timezone.now().isoformat()}
