"""A build ends in built or failed, never stuck in building; a duplicate delivery does no work."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from evidence import production_build, storage
from evidence.production_build import fail_stale_builds, run_build
from evidence.production_models import BatesCounter, Production, ProductionState
from evidence.production_services import do_start_build
from evidence.production_tasks import BUILD_TIME_LIMIT
from tests.evidence.production.workflow_helpers import ProdWorld, pw_fixture  # noqa: F401


def _building(pw: ProdWorld) -> Production:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    assert production.state == ProductionState.BUILDING
    return production


@pytest.mark.parametrize(
    ("error", "words"),
    [(OSError(28, "No space left on device"), "OSError"), (SoftTimeLimitExceeded(), "ran out of time")],
)
def test_an_unforeseen_error_fails_the_build(pw: ProdWorld, monkeypatch: Any, error: Exception, words: str) -> None:
    production = _building(pw)

    def broken(*_args: Any, **_kw: Any) -> Any:
        raise error

    monkeypatch.setattr(production_build, "write_package", broken)
    assert run_build(production.pk) == ProductionState.FAILED
    production.refresh_from_db()
    assert production.state == ProductionState.FAILED and words in production.failure
    assert "No space left" not in production.failure  # the kind of error, never its text
    assert AuditEvent.objects.filter(action="production.build_failed").exists()


def test_a_stale_build_is_swept_to_failed_and_a_fresh_one_is_left_alone(pw: ProdWorld) -> None:
    stale, fresh = _building(pw), _building(pw)
    old = timezone.now() - datetime.timedelta(seconds=BUILD_TIME_LIMIT + 60)
    Production.objects.filter(pk=stale.pk).update(build_started_at=old)
    assert fail_stale_builds() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, fresh.state) == (ProductionState.FAILED, ProductionState.BUILDING)


def test_a_lawyer_marks_a_stale_build_failed_from_the_page(pw: ProdWorld, login: Any) -> None:
    production = _building(pw)
    client = login(pw.world.member, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)
    url = reverse("productions:build", args=[production.pk])
    client.post(url)
    production.refresh_from_db()
    assert production.state == ProductionState.BUILDING  # still within the time limit
    old = timezone.now() - datetime.timedelta(seconds=BUILD_TIME_LIMIT + 60)
    Production.objects.filter(pk=production.pk).update(build_started_at=old)
    page = client.get(reverse("productions:detail", args=[production.pk]))
    assert b'id="fail-stale"' in page.content
    client.post(url)
    production.refresh_from_db()
    assert production.state == ProductionState.FAILED
    event = AuditEvent.objects.get(action="production.build_failed")
    assert event.actor_username == "member" and event.details["marked_by_hand"] is True


def test_a_duplicate_delivery_stops_before_the_bates_counter(
    pw: ProdWorld, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    production = _building(pw)
    calls: list[int] = []
    real = production_build.write_package

    def other_delivery_finished(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["info"].bates_start)
        result = real(*args, **kwargs)
        # Meanwhile the first delivery stored its package and took numbers.
        Production.objects.filter(pk=production.pk).update(state=ProductionState.BUILT)
        BatesCounter.objects.filter(case=pw.case).update(next_number=900)
        return result

    deleted: list[str] = []
    monkeypatch.setattr(production_build, "write_package", other_delivery_finished)
    monkeypatch.setattr(storage, "delete", lambda alias, key: deleted.append(key))
    assert run_build(production.pk) == ProductionState.BUILT
    assert calls == [1] and len(deleted) == 1  # one package written, and it was discarded


def test_the_sweep_is_scheduled_and_registered() -> None:
    from django.conf import settings

    from vault.celery import app

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "evidence.production_sweep"]
    assert entries and "evidence.production_sweep" in app.tasks


def test_a_task_whose_retries_are_exhausted_ends_the_build_in_failed(pw: ProdWorld, monkeypatch: Any) -> None:
    from django.db import OperationalError

    from evidence.production_tasks import build_production

    production = _building(pw)

    def database_down(_production_id: int, **_kw: Any) -> str:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(production_build, "run_build", database_down)
    monkeypatch.setattr(build_production, "max_retries", 0)
    assert build_production.apply(args=(production.pk, str(production.build_token))).get() == ProductionState.FAILED
    production.refresh_from_db()
    assert production.state == ProductionState.FAILED and "OperationalError" in production.failure
