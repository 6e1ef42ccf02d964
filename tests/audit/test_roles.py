"""The production database role can append to the audit trail and nothing more (deploy/postgres-roles.sql)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import sql

pytestmark = [pytest.mark.production_only, pytest.mark.django_db]

ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres-roles.sql"
AUDIT_TABLES = ("audit_auditevent", "audit_audittarget", "audit_checkpoint")


def _params(user: str | None = None) -> dict[str, Any]:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": user or settings["USER"],
        "dbname": settings["NAME"],
    }


@pytest.fixture
def app_role() -> Iterator[str]:
    params = _params()
    name = f"{params['dbname']}_app"[:63]
    psql = shutil.which("psql")
    assert psql is not None
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(name)))
        admin.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(name)))
        # The file exactly as an operator runs it after a migration.
        subprocess.run(
            [
                psql,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                f"app_role={name}",
                "-h",
                str(params["host"]),
                "-p",
                str(params["port"]),
                "-U",
                params["user"],
                "-d",
                params["dbname"],
                "-f",
                str(ROLES_SQL),
            ],
            check=True,
        )
        try:
            yield name
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _refused(app: psycopg.Connection[Any], statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute(statement)
    app.rollback()


def test_app_role_appends_and_reads_but_cannot_change_the_trail(app_role: str) -> None:
    with psycopg.connect(**_params(app_role)) as app:
        app.execute(
            "INSERT INTO audit_auditevent (seq, occurred_at, action, outcome, actor_username, actor_role, ip,"
            " user_agent, purpose, consent_record_id, targets, details, prev_hash, hash)"
            " VALUES (999999, now(), 'auth.login', 'allowed', '', '', '', '', '', '', '[]', '{}', %s, %s)",
            ["0" * 64, "f" * 64],
        )
        assert app.execute("SELECT count(*) FROM audit_auditevent WHERE seq = 999999").fetchone() == (1,)
        app.rollback()
        for table in AUDIT_TABLES:
            _refused(app, f"UPDATE {table} SET id = id")
            _refused(app, f"DELETE FROM {table}")
            _refused(app, f"TRUNCATE {table} CASCADE")
            # Not the owner: the triggers cannot be switched off either.
            _refused(app, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            _refused(app, f"DROP TRIGGER {table}_append_only ON {table}")
        _refused(app, "SET session_replication_role = replica")


def test_app_role_keeps_full_use_of_case_data(app_role: str) -> None:
    with psycopg.connect(**_params(app_role)) as app:
        app.execute("UPDATE audit_alert SET resolved_at = resolved_at")
        app.execute("DELETE FROM django_session WHERE expire_date < '2000-01-01'")
        app.rollback()
