"""deploy/env.example documents every variable the settings read, and is itself a valid production environment."""

from __future__ import annotations

import os
import re
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
EXAMPLE = ROOT / "deploy" / "env.example"
# env.<reader>("NAME" ...) and the bucket helper _s3("NAME"); calls may wrap onto the next line.
READ = re.compile(r'(?:env\.\w+|_s3)\(\s*"([A-Z][A-Z0-9_]*)"')
DOCUMENTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def variables_read() -> set[str]:
    return set(READ.findall((ROOT / "vault" / "settings.py").read_text(encoding="utf-8")))


def example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_every_variable_the_settings_read_is_documented() -> None:
    read = variables_read()
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= read  # the pattern still finds them
    documented = set(DOCUMENTED.findall(EXAMPLE.read_text(encoding="utf-8")))
    assert read - documented == set()


def test_the_example_is_a_working_production_environment(tmp_path: Path) -> None:
    env = {name: value for name, value in example().items() if value}
    env |= {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "vault.settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CUSTODY_VAR_DIR": str(tmp_path),
    }
    code = "import django; django.setup(); from django.conf import settings; print(settings.PROFILE, settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["production", "False"]
