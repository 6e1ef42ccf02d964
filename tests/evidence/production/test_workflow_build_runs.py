"""A build run belongs to one build; recipients' grants fail closed; shredding a withheld item keeps the package."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from audit.models import AuditEvent
from cases.models import ConsentAction, GrantLevel
from cases.sharing import do_grant, do_revoke_grant
from evidence import production_build as pb
from evidence import storage
from evidence.production_models import ProducedForm, Production, ProductionKey, ProductionState
from evidence.production_services import do_release, do_start_build, do_withhold_by_hand
from evidence.production_tasks import BUILD_TIME_LIMIT, RUN_SILENCE, build_production, sweep_stale_builds
from evidence.services import do_shred
from evidence.sharing import do_grant_items
from tests.evidence.production.test_workflow_revocation import _approve
from tests.evidence.production.workflow_helpers import ProdWorld, build, package_zip, pw_fixture  # noqa: F401
from tests.sharing.conftest import ShareWorld, approve_originals_abroad

LONG_AGO = datetime.timedelta(seconds=BUILD_TIME_LIMIT + 3600)


def _documents(production: Production) -> list[str]:
    return [n for n in package_zip(production).namelist() if "/data/" in n and n.endswith(".pdf")]


def _deleted(monkeypatch: Any) -> list[str]:
    deleted: list[str] = []
    real = storage.delete

    def spy(alias: str, key: str) -> None:
        deleted.append(key)
        real(alias, key)

    monkeypatch.setattr(storage, "delete", spy)
    return deleted


def test_a_stale_run_never_stores_into_a_later_build(pw: ProdWorld, monkeypatch: Any) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    real_store, calls = pb._store, {"n": 0}

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            # The run outlived the limit: swept, then the statement is withheld for privilege and built again.
            Production.objects.filter(pk=production.pk).update(build_running_at=timezone.now() - LONG_AGO)
            assert pb.fail_stale_builds() == 1
            again = Production.objects.get(pk=production.pk)
            do_withhold_by_hand(production=again, item_id=pw.statement.pk, reason="privileged", user=pw.world.member)
            do_start_build(production=again, user=pw.world.member, queue=False)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(pb, "_store", meanwhile)
    deleted = _deleted(monkeypatch)
    old_token = str(production.build_token)
    assert pb.run_build(production.pk, token=old_token) == ProductionState.BUILDING
    production.refresh_from_db()
    assert production.object_key == "" and len(deleted) == 1  # the stale package is discarded
    assert not ProductionKey.objects.filter(production=production).exists()
    assert str(production.build_token) != old_token and production.failure == ""
    # The later build runs on its own token and honours the privilege.
    assert pb.run_build(production.pk, token=str(production.build_token)) == ProductionState.BUILT
    production.refresh_from_db()
    assert production.rows.get(item=pw.statement).form == ProducedForm.WITHHELD
    assert len(_documents(production)) == 1  # the photo log's slip sheet only


def test_a_stale_run_cannot_fail_the_later_build(pw: ProdWorld, monkeypatch: Any) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    old_token = str(production.build_token)

    def rebuilt_then_broken(*_args: Any, **_kwargs: Any) -> Any:
        Production.objects.filter(pk=production.pk).update(state=ProductionState.FAILED)
        do_start_build(production=Production.objects.get(pk=production.pk), user=pw.world.member, queue=False)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(pb, "write_package", rebuilt_then_broken)
    assert pb.run_build(production.pk, token=old_token) == ProductionState.BUILDING
    production.refresh_from_db()
    assert production.failure == "" and not AuditEvent.objects.filter(action="production.build_failed").exists()


def test_a_task_of_an_earlier_build_does_nothing(pw: ProdWorld) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    first = str(production.build_token)
    pb._fail(production.pk, pb.stale_message())
    do_start_build(production=Production.objects.get(pk=production.pk), user=pw.world.member, queue=False)
    assert build_production.apply(args=(production.pk, first)).get() == ProductionState.BUILDING
    production.refresh_from_db()
    assert production.build_running_at is None and production.object_key == ""
    assert build_production.apply(args=(production.pk, str(production.build_token))).get() == ProductionState.BUILT


def test_a_second_delivery_of_a_running_build_exits_at_once(pw: ProdWorld, monkeypatch: Any, caplog: Any) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    token = str(production.build_token)
    real_write = pb.write_package
    second: list[str] = []

    def redelivered(*args: Any, **kwargs: Any) -> Any:
        if not second:
            # The broker delivers the same task again while this run is writing (e.g. a visibility timeout).
            second.append(build_production.apply(args=(production.pk, token)).get())
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pb, "write_package", redelivered)
    deleted = _deleted(monkeypatch)
    assert pb.run_build(production.pk, token=token) == ProductionState.BUILT
    production.refresh_from_db()
    assert second == [ProductionState.BUILDING]  # it found the run taken and did nothing
    assert deleted == [] and production.object_key
    assert AuditEvent.objects.filter(action="production.build_finished").count() == 1
    assert AuditEvent.objects.filter(action="consent.checked").count() == 2  # one build's checks, not two
    assert "already running in another delivery" in caplog.text


def test_a_run_silent_past_the_limit_is_taken_over_by_the_sweep(pw: ProdWorld, monkeypatch: Any) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    token = str(production.build_token)
    lease = pb._claim(production.pk, token)  # a run whose worker then died without a word
    assert lease is not None and pb._claim(production.pk, token) is None
    assert pb.resume_silent_runs() == 0  # still within its silence allowance
    silent = timezone.now() - datetime.timedelta(seconds=RUN_SILENCE + 60)
    Production.objects.filter(pk=production.pk).update(run_seen_at=silent)
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(build_production, "delay_on_commit", lambda *args: queued.append(args))
    assert sweep_stale_builds.apply().get() == 1 and queued == [(production.pk, token)]
    assert build_production.apply(args=queued[0]).get() == ProductionState.BUILT
    production.refresh_from_db()
    assert production.run_token != lease.run and production.object_key


def test_staleness_counts_from_when_the_run_began_not_from_queueing(pw: ProdWorld, monkeypatch: Any) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    # Waited in the queue longer than the limit, then started: the sweep must leave the running build alone.
    Production.objects.filter(pk=production.pk).update(build_started_at=timezone.now() - LONG_AGO)
    real_write, swept = pb._write, []

    def sweep_meanwhile(*args: Any, **kwargs: Any) -> Any:
        swept.append(pb.fail_stale_builds())
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pb, "_write", sweep_meanwhile)
    assert pb.run_build(production.pk) == ProductionState.BUILT
    production.refresh_from_db()
    assert swept == [0] and production.build_running_at is not None


def test_a_queued_build_that_never_ran_is_swept(pw: ProdWorld) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    Production.objects.filter(pk=production.pk).update(build_started_at=timezone.now() - LONG_AGO)
    assert pb.fail_stale_builds() == 1
    assert pb.run_build(production.pk, token=str(production.build_token)) == ProductionState.FAILED


def test_a_recipient_grant_ended_in_the_queue_withholds_the_rows_it_justified(pw: ProdWorld) -> None:
    pw.consent(ConsentAction.SHARE_TEAM, str(pw.world.team_tcc.pk))
    pw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    approve_originals_abroad(ShareWorld(pw.world, pw.case, pw.survivor))
    common: dict[str, Any] = {"case": pw.case, "grantee_team": pw.world.team_tcc, "user": pw.world.lead}
    originals = do_grant(
        level=GrantLevel.ORIGINALS, rights=["view", "download", "export"], purpose="joint complaint", **common
    )
    do_grant_items(
        items=[pw.photo_log], level=GrantLevel.METADATA, rights=["view", "export"], purpose="a listing", **common
    )
    production = do_start_build(
        production=pw.production(recipient_team=pw.world.team_tcc), user=pw.world.member, queue=False
    )
    assert set(production.rows.values_list("form", flat=True)) == {ProducedForm.ORIGINAL}
    do_revoke_grant(grant=originals, user=pw.world.lead, reason="ended while the build was queued")
    pb.run_build(production.pk)
    production.refresh_from_db()
    assert production.state == ProductionState.BUILT and not production.contains_originals
    rows = list(production.rows.all())
    assert {(r.form, r.reason_code) for r in rows} == {(ProducedForm.WITHHELD, "grant_level")}
    assert production.recipient_grants == [] and _documents(production) == []
    events = AuditEvent.objects.filter(action="production.item_withheld_at_build").order_by("seq")
    assert len(events) == 2 and {e.details["reason_code"] for e in events} == {"grant_level"}
    for event, item in zip(events, sorted([pw.statement, pw.photo_log], key=lambda i: i.pk), strict=True):
        assert f"evidence.item:{item.pk}" in event.targets and f"evidence.production:{production.pk}" in event.targets
        assert event.details["decided_form"] == ProducedForm.ORIGINAL
    finished = AuditEvent.objects.get(action="production.build_finished")
    assert all(e.seq < finished.seq for e in events)


def test_shredding_an_item_the_production_withheld_keeps_the_production(pw: ProdWorld) -> None:
    pw.withdraw_proceedings()
    production = build(pw.production(), pw.world.member)
    assert production.rows.get(item=pw.statement).form == ProducedForm.WITHHELD
    _approve(pw, production)
    production = do_release(production=production, user=pw.world.member)
    do_shred(item=pw.statement, reason="the survivor asked", user=pw.world.lead, acting_as=None, request=None)
    production.refresh_from_db()
    assert production.state == ProductionState.RELEASED and production.object_key
    assert ProductionKey.objects.filter(production=production).exists()
    assert len(_documents(production)) == 1
