"""Let the test suite reset the append-only audit tables, in tests only.

Transactional tests end with a flush (TRUNCATE on PostgreSQL, DELETE on
SQLite), which the audit triggers refuse. The application has no way around
them: on PostgreSQL this wrapper runs the flush with
``session_replication_role = replica``, which only a superuser may set (the
local test role is one; the production application role is not), and on
SQLite it drops the triggers for the flush and puts them back in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

from audit import guards


def sqlite_drop_sql() -> list[str]:
    tables = guards.PROTECTED_TABLES
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for table in tables for verb in ("update", "delete")]


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute_sql_flush(self: Any, sql_list: list[str]) -> Any:
        vendor = self.connection.vendor
        if vendor == "postgresql":
            sql_list = ["SET LOCAL session_replication_role = replica", *sql_list]
        elif vendor == "sqlite":
            sql_list = [*sqlite_drop_sql(), *sql_list, *guards.install_sql("sqlite")]
        return original(self, sql_list)

    execute_sql_flush.__wrapped__ = original  # type: ignore[attr-defined]
    return execute_sql_flush


@contextmanager
def allow_test_flush() -> Iterator[None]:
    operations = type(connections["default"].ops)
    original = operations.execute_sql_flush
    operations.execute_sql_flush = _wrap(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        operations.execute_sql_flush = original  # type: ignore[method-assign]


@contextmanager
def triggers_disabled(alias: str = "default") -> Iterator[Any]:
    """A cursor on which the audit triggers do not fire, to simulate tampering in tests."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = origin")
        else:
            for sql in sqlite_drop_sql():
                cursor.execute(sql)
            try:
                yield cursor
            finally:
                for sql in guards.install_sql("sqlite"):
                    cursor.execute(sql)
