"""Tasks on a real worker (production profile) and the on-commit queueing convention (both)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from kombu.exceptions import EncodeError

from accounts.models import User
from vault.celery import app
from vault.tasks import SOFT_LIMIT_GRACE, TRANSIENT_ERRORS, health_check, vault_task

production_only = pytest.mark.production_only


@production_only
@pytest.mark.django_db(transaction=True)
def test_health_check_runs_on_a_real_worker_through_the_result_backend(celery_live: Any) -> None:
    assert celery_live is not None
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert app.conf.broker_url.startswith(("redis://", "amqp://"))
    token = secrets.token_hex(8)

    result = health_check.delay(token).get(timeout=30)

    assert result["token"] == token
    assert result["database"] == "ok"
    # The worker serialised the answer to JSON: a datetime comes back as its ISO text.
    assert dt.datetime.fromisoformat(result["at"]).tzinfo is not None


@production_only
@pytest.mark.django_db(transaction=True)
def test_an_argument_that_is_not_json_is_refused_by_the_real_broker(celery_live: Any) -> None:
    # Passing the object instead of its id: eager mode would run this happily, while the JSON
    # serializer of a real broker refuses it before it leaves the process.
    person = User(username="not-an-id")
    with pytest.raises(EncodeError):
        health_check.delay(person)  # type: ignore[arg-type]


@production_only
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_on_commit_runs_after_the_commit(celery_live: Any) -> None:
    token = secrets.token_hex(8)
    with transaction.atomic():
        sent: list[Any] = []
        transaction.on_commit(lambda: sent.append(health_check.delay(token)))
        assert sent == []  # nothing leaves before the commit

    assert len(sent) == 1
    assert sent[0].get(timeout=30)["token"] == token


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_the_transaction_rolls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(health_check, "delay", lambda *args, **kwargs: queued.append(args))

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        health_check.delay_on_commit("rolled-back")
        raise Abort

    assert queued == []

    with transaction.atomic():
        health_check.delay_on_commit("committed")
    assert queued == [("committed",)]


def test_every_task_carries_the_platform_policy() -> None:
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "vault.health_check" in ours
    for name, task in ours.items():
        assert task.acks_late, name
        assert task.reject_on_worker_lost, name
        assert task.time_limit, name
        assert task.soft_time_limit == task.time_limit - SOFT_LIMIT_GRACE, name
        assert task.max_retries is not None, name
        assert set(TRANSIENT_ERRORS) <= set(getattr(task, "autoretry_for", ())), name
        assert getattr(task, "retry_backoff", False), name


def test_a_task_without_room_for_its_soft_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="time_limit"):
        vault_task("vault.too_short", time_limit=SOFT_LIMIT_GRACE)


@pytest.mark.django_db(transaction=True)
def test_the_embedded_profile_runs_tasks_in_process_at_commit() -> None:
    if settings.PRODUCTION:
        pytest.skip("the production profile has no eager mode")
    assert settings.CELERY_TASK_ALWAYS_EAGER
    results: list[Any] = []
    with transaction.atomic():
        transaction.on_commit(lambda: results.append(health_check.delay("eager")))
    assert [result.get()["token"] for result in results] == ["eager"]


@production_only
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_task_never_reaches_the_worker(celery_live: Any) -> None:
    rolled_back, committed = secrets.token_hex(8), secrets.token_hex(8)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        health_check.apply_async_on_commit(args=("rolled-back",), task_id=rolled_back)
        raise Abort
    with transaction.atomic():
        health_check.apply_async_on_commit(args=("committed",), task_id=committed)

    # One solo worker takes messages in order: once the later one is done, an earlier one would be too.
    assert app.AsyncResult(committed).get(timeout=30)["token"] == "committed"
    assert app.AsyncResult(rolled_back).state == "PENDING"
