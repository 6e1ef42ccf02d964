"""The engine's working files live in a private directory, in memory when the system allows, gone afterwards."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import evidence.redaction as package
from evidence.redaction.scratch import SHM, scratch


def test_scratch_is_private_in_memory_and_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUSTODY_SCRATCH_DIR", raising=False)
    with scratch() as tmp:
        path = Path(tmp)
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        if os.path.isdir(SHM):
            assert path.parent == Path(SHM)
        (path / "source.pdf").write_bytes(b"plaintext")
    assert not path.exists()


def test_scratch_follows_the_setting_and_is_removed_on_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTODY_SCRATCH_DIR", str(tmp_path))
    with pytest.raises(RuntimeError), scratch() as tmp:
        assert Path(tmp).parent == tmp_path
        (Path(tmp) / "page-1.png").write_bytes(b"pixels")
        raise RuntimeError("engine failed")
    assert list(tmp_path.iterdir()) == []


def test_no_engine_module_uses_the_system_temporary_directory() -> None:
    root = Path(package.__file__).parent
    sources = [p for p in root.glob("*.py") if p.name != "scratch.py"]
    offenders = [p.name for p in sources if "tempfile.TemporaryDirectory(" in p.read_text(encoding="utf-8")]
    assert offenders == []
