"""Many writers at once, in threads and in processes, still make one linear chain."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from audit import chain
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import Target, record
from audit.verify import verify
from tests.audit.concurrent_writer import write_events

PROCESSES = 4
THREADS = 8
PER_WRITER = 25


def _thread_writer(writer: int, errors: list[BaseException]) -> None:
    try:
        for index in range(PER_WRITER):
            record(action=Action.LOGOUT, username=f"thread-{writer}", targets=[Target("writer", f"t{writer}-{index}")])
    except BaseException as error:
        errors.append(error)
    finally:
        connections.close_all()


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _assert_linear() -> None:
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    total = PROCESSES * PER_WRITER + THREADS * PER_WRITER
    assert [seq for seq, _, _ in rows] == list(range(1, total + 1))
    previous = chain.GENESIS_HASH
    for _seq, prev_hash, digest in rows:
        assert prev_hash == previous
        previous = digest
    report = verify()
    assert report.sound and report.events == total


@pytest.mark.production_only
@pytest.mark.django_db(transaction=True)
def test_threads_and_processes_write_one_linear_chain() -> None:
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=write_events, args=({"DATABASE_URL": _database_url()}, writer, PER_WRITER))
        for writer in range(PROCESSES)
    ]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_thread_writer, args=(writer, errors)) for writer in range(THREADS)]
    for process in processes:
        process.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for process in processes:
        process.join(timeout=120)
    assert errors == []
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    _assert_linear()


def _embedded_environment(var_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    environment.update({"CUSTODY_PROFILE": "embedded", "CUSTODY_VAR_DIR": str(var_dir)})
    return environment


@pytest.mark.skipif(settings.PRODUCTION, reason="the embedded profile's own SQLite file")
def test_processes_share_the_embedded_sqlite_file(tmp_path: Path) -> None:
    """The embedded profile's file (WAL, BEGIN IMMEDIATE, busy timeout) under writers in several processes."""
    environment = _embedded_environment(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        check=True,
    )
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=write_events, args=(environment, writer, PER_WRITER)) for writer in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    with sqlite3.connect(tmp_path / "custody.sqlite3") as db:
        rows = db.execute("SELECT seq, prev_hash, hash FROM audit_auditevent ORDER BY seq").fetchall()
    assert [seq for seq, _, _ in rows] == list(range(1, PROCESSES * PER_WRITER + 1))
    previous = chain.GENESIS_HASH
    for _seq, prev_hash, digest in rows:
        assert prev_hash == previous
        previous = digest
