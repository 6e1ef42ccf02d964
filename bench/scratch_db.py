"""The scratch vault the benchmarks run against (imported by the bench scripts, not run alone)."""

from __future__ import annotations

import os


def setup_scratch_vault(backend: str, pg_url: str, var_dir: str, *, test_environment: bool = False) -> None:
    """Django on a fresh database: SQLite under ``var_dir``, or the PostgreSQL database named by
    ``pg_url``, dropped and re-created; then migrated."""
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CUSTODY_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update({"CUSTODY_VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "vault.settings"})
    if backend == "postgresql":
        import psycopg

        admin_url, _, name = pg_url.rpartition("/")
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = pg_url
    import django

    django.setup()
    from django.core.management import call_command

    if test_environment:
        from django.test.utils import setup_test_environment

        setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
