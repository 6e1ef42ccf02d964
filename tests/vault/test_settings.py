"""The settings refuse a bad environment at start-up, naming the variable.

Each case starts a fresh interpreter with a crafted environment: settings are
read once per process, so this is the only honest way to load them again.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# Each case loads the settings in a fresh process with its own environment, whatever profile
# this run uses: running them in one of the two test runs is enough.
pytestmark = pytest.mark.skipif(settings.PRODUCTION, reason="profile-independent; runs in the embedded run")

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.PROFILE)"


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "vault.settings",
        "CUSTODY_PROFILE": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": "postgres://custody@127.0.0.1:5432/custody",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "vault.example.org",
        "CUSTODY_S3_BUCKET": "files",
        "CUSTODY_EVIDENCE_BUCKET": "evidence",
        "CUSTODY_AUDIT_BUCKET": "audit",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "CUSTODY_VAR_DIR": str(tmp_path / "var"),
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *args] if args else [sys.executable, "-c", SETUP]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_complete_production_environment_loads(tmp_path: Path) -> None:
    result = run(production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "production"


@pytest.mark.parametrize(
    "variable",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "ALLOWED_HOSTS",
        "CUSTODY_S3_BUCKET",
        "CUSTODY_EVIDENCE_BUCKET",
        "CUSTODY_AUDIT_BUCKET",
    ],
)
def test_production_refuses_to_start_without(tmp_path: Path, variable: str) -> None:
    result = run(production_env(tmp_path, **{variable: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_an_empty_value_counts_as_missing(tmp_path: Path) -> None:
    result = run(production_env(tmp_path, DATABASE_URL="  "))
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "django-insecure-" + "x1y2z3" * 10,
        "changeme" + "a1b2c3d4" * 8,
        "short-but-random-9f8e7d",
        "a" * 64,
    ],
    ids=["django-default", "placeholder", "too-short", "one-character"],
)
def test_placeholder_or_weak_secret_keys_are_refused(tmp_path: Path, key: str) -> None:
    result = run(production_env(tmp_path, SECRET_KEY=key))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert key not in result.stderr  # the refused value is not echoed into logs


def test_production_needs_postgresql(tmp_path: Path) -> None:
    result = run(production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_debug_cannot_be_switched_on_in_production(tmp_path: Path) -> None:
    result = run(production_env(tmp_path, CUSTODY_DEBUG="true"))
    assert result.returncode != 0
    assert "CUSTODY_DEBUG" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CUSTODY_SSL_REDIRECT", "maybe", "is not a boolean"),
        ("CUSTODY_NOTIFY_BY_EMAIL", "2", "is not a boolean"),
        ("CUSTODY_SESSION_IDLE_MINUTES", "thirty", "is not an integer"),
        ("CUSTODY_LOGIN_FAILURE_LIMIT", "0", "below the minimum"),
        ("CUSTODY_TASK_TIME_LIMIT", "5", "below the minimum"),
        ("CUSTODY_PROFILE", "staging", "must be one of"),
        ("CUSTODY_LOG_LEVEL", "LOUD", "must be one of"),
    ],
)
def test_malformed_values_are_refused_with_the_variable_name(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    result = run(production_env(tmp_path, **{variable: value}))
    assert result.returncode != 0
    assert variable in result.stderr
    assert expected in result.stderr


def test_manage_py_reports_a_configuration_error_in_one_line(tmp_path: Path) -> None:
    result = run(production_env(tmp_path, CELERY_BROKER_URL=None), "manage.py", "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "CELERY_BROKER_URL" in result.stderr


def test_the_deploy_check_is_clean_under_the_production_profile(tmp_path: Path) -> None:
    result = run(production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_profile_needs_nothing_and_keeps_its_key(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "vault.settings",
        "CUSTODY_VAR_DIR": str(tmp_path / "var"),
    }
    first = run(env)
    second = run(env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "embedded"
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert second.returncode == 0
    assert len(key_file.read_text().strip()) >= 50


def test_the_embedded_profile_serves_static_files_from_the_source_tree(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "vault.settings",
        "CUSTODY_VAR_DIR": str(tmp_path / "var"),
    }
    code = (
        "import django; django.setup(); from django.conf import settings; from django.test import Client; "
        "response = Client().get('/static/css/custody.css'); "
        "print(settings.STATIC_ROOT, response.status_code)"
    )
    # WhiteNoise warns about a missing STATIC_ROOT while building its middleware: make that fatal.
    result = run(env, "-W", "error::UserWarning", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "200"]
