"""The periodic audit tasks, on a real worker in the production profile."""

from __future__ import annotations

from typing import Any

import pytest
from celery.worker import WorkController
from django.conf import settings

from audit.actions import Action
from audit.models import Alert, AuditEvent, Checkpoint
from audit.services import record
from audit.tasks import make_checkpoint, verify_chain
from tests.append_only import triggers_disabled


@pytest.mark.django_db(transaction=True)
def test_checkpoint_and_verification_tasks(celery_live: WorkController | None) -> None:
    for index in range(3):
        record(action=Action.LOGIN, username=f"user{index}")
    result: dict[str, Any] = make_checkpoint.delay().get(timeout=60)
    assert result == {"seq": 3}
    assert Checkpoint.objects.get().seq == 3
    assert verify_chain.delay().get(timeout=60)["sound"] is True
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_username = 'someone' WHERE seq = 2")
    outcome = verify_chain.delay().get(timeout=60)
    assert outcome["sound"] is False and outcome["kind"] == "edited"
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 1
    assert AuditEvent.objects.order_by("-seq").values_list("action", flat=True).first() == Action.AUDIT_BROKEN


def test_beat_schedules_both_tasks() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"audit.make_checkpoint", "audit.verify_chain"} <= tasks
