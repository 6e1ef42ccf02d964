"""The audit table's definition, checked before and after every walk.

Both fast walks read columns as the vault created them. Whoever can change the table's definition
(its owner, or anyone who can rewrite the SQLite file) could otherwise change how a value is read
(a type with its own cast to text, a declared type with another converter) and make an edited row
read like the original. An altered definition is reported as tampering in its own right.
"""

from __future__ import annotations

from typing import Final

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from audit.models import AuditEvent

# PostgreSQL's built-in type OIDs are fixed: a domain or a look-alike type has another one.
_PG_TYPES: Final = {
    "BigAutoField": 20,
    "BigIntegerField": 20,
    "PositiveBigIntegerField": 20,
    "CharField": 1043,
    "TextField": 25,
    "DateTimeField": 1184,
    "JSONField": 3802,
}
_PG_NAMES: Final = {
    20: "bigint",
    1043: "character varying",
    25: "text",
    1184: "timestamp with time zone",
    3802: "jsonb",
}


def _fields() -> dict[str, Field[object, object]]:
    return {str(field.column): field for field in AuditEvent._meta.concrete_fields}


def _postgresql(connection: BaseDatabaseWrapper, table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass "
            "AND attnum > 0 AND NOT attisdropped",
            [connection.ops.quote_name(table)],
        )
        found = {name: int(oid) for name, oid in cursor.fetchall()}
    expected = {column: _PG_TYPES[field.get_internal_type()] for column, field in _fields().items()}
    return {
        column: _PG_NAMES.get(found[column], f"type {found[column]}") if column in found else "missing"
        for column in set(expected) | set(found)
        if found.get(column) != expected.get(column)
    }


def _sqlite(connection: BaseDatabaseWrapper, table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
        found = {row[1]: str(row[2]).lower() for row in cursor.fetchall()}
    expected = {column: str(field.db_type(connection)).lower() for column, field in _fields().items()}
    return {
        column: found.get(column, "missing") or "no type"
        for column in set(expected) | set(found)
        if found.get(column) != expected.get(column)
    }


def altered_columns(using: str = "default") -> dict[str, str]:
    """Columns of the audit table whose type is not the one the vault created (column -> found)."""
    connection = connections[using]
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        return _postgresql(connection, table)
    if connection.vendor == "sqlite":
        return _sqlite(connection, table)
    raise RuntimeError(f"no audit verification for the {connection.vendor} backend")
