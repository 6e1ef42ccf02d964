"""The database itself refuses changes to the audit tables, whatever the client."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.actions import Action
from audit.checkpoints import do_make_checkpoint
from audit.services import Target, record
from tests.append_only import triggers_disabled

pytestmark = pytest.mark.django_db

TABLES = ("audit_auditevent", "audit_audittarget", "audit_checkpoint")


@pytest.fixture
def rows() -> None:
    record(action=Action.LOGIN, username="a", targets=[Target("user", 1)])
    do_make_checkpoint()


def _refused(sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.parametrize("table", TABLES)
def test_raw_update_is_refused(rows: None, table: str) -> None:
    _refused(f"UPDATE {table} SET id = id")


@pytest.mark.parametrize("table", TABLES)
def test_raw_delete_is_refused(rows: None, table: str) -> None:
    _refused(f"DELETE FROM {table}")


@pytest.mark.production_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", TABLES)
def test_truncate_is_refused(rows: None, table: str) -> None:
    _refused(f"TRUNCATE {table} CASCADE")


def test_inserts_still_work(rows: None) -> None:
    record(action=Action.LOGOUT, username="a")


def test_triggers_return_after_a_test_side_bypass(rows: None) -> None:
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET purpose = 'x'")
    _refused("UPDATE audit_auditevent SET purpose = 'y'")


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_still_reset_the_tables() -> None:
    # The flush after this test must succeed through tests/append_only.py, and the next
    # test must find the triggers in place (test_raw_delete_is_refused runs after it too).
    record(action=Action.LOGIN, username="a", targets=[Target("user", 1)])
    do_make_checkpoint()


def test_application_code_has_no_bypass() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [p for p in root.glob("*/**/*.py") if ".venv" not in p.parts and "tests" not in p.parts]
    for needle in ("session_replication_role", "DISABLE TRIGGER", "DROP TRIGGER", "DROP FUNCTION"):
        offenders = [str(p) for p in sources if needle.lower() in p.read_text(encoding="utf-8").lower()]
        assert offenders == [], needle
