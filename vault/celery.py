"""The Celery application.

Task conventions (see docs/ARCHITECTURE.md): tasks take ids, never model
instances; they are queued with ``transaction.on_commit`` (``delay_on_commit``)
so a worker never sees an id its transaction has not committed; every task
declares its retry policy and is idempotent because ``acks_late`` with
``reject_on_worker_lost`` may run it twice.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vault.settings")

app = Celery("vault")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
