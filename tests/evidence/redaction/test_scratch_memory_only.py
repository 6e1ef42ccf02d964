"""Without a memory scratch the engine refuses to decrypt anything, and production hosts fail their checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.checks import run_checks
from pytest_django.fixtures import Settings as SettingsWrapper

from evidence.redaction import scratch as module
from evidence.redaction.scratch import ScratchUnavailable, scratch


@pytest.fixture
def no_shm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(module, "SHM", str(tmp_path / "no-shm"))
    monkeypatch.delenv("CUSTODY_SCRATCH_DIR", raising=False)


@pytest.mark.usefixtures("no_shm")
def test_without_shm_or_setting_the_scratch_refuses() -> None:
    with pytest.raises(ScratchUnavailable, match="CUSTODY_SCRATCH_DIR"):
        scratch()


@pytest.mark.usefixtures("no_shm")
def test_the_setting_still_works_without_shm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTODY_SCRATCH_DIR", str(tmp_path))
    with scratch() as tmp:
        assert Path(tmp).parent == tmp_path


@pytest.mark.usefixtures("no_shm")
def test_production_profile_fails_its_check_without_a_memory_scratch(settings: SettingsWrapper) -> None:
    settings.PRODUCTION = True
    assert "custody.E004" in {message.id for message in run_checks()}
    settings.PRODUCTION = False
    assert "custody.E004" not in {message.id for message in run_checks()}


def test_the_check_passes_with_a_memory_scratch(settings: SettingsWrapper) -> None:
    settings.PRODUCTION = True
    assert "custody.E004" not in {message.id for message in run_checks()}
