"""Database triggers that make the audit tables append-only below the ORM.

The ORM already refuses changes (``audit.models``); these triggers refuse them
to anyone holding a plain SQL connection, on both backends. On PostgreSQL the
production application role additionally lacks UPDATE, DELETE and TRUNCATE
rights on these tables (deploy/postgres-roles.sql), so even a role able to
drop a trigger is not the role the application runs as.
"""

from __future__ import annotations

from typing import Final

from django.db.backends.base.base import BaseDatabaseWrapper

PROTECTED_TABLES: Final = ("audit_auditevent", "audit_audittarget", "audit_checkpoint")
MESSAGE: Final = "the audit log is append-only"

_PG_FUNCTION: Final = f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'raise_exception';
END
$$
"""


def _pg_install(table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    ]


def _sqlite_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [sql for table in PROTECTED_TABLES for sql in _pg_install(table)]
    if vendor == "sqlite":
        return [sql for table in PROTECTED_TABLES for sql in _sqlite_install(table)]
    raise RuntimeError(f"no append-only triggers for the {vendor} backend")


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers, or re-create them where a table rebuild dropped them (idempotent)."""
    with connection.cursor() as cursor:
        for sql in install_sql(connection.vendor):
            cursor.execute(sql)
