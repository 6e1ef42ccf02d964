"""A ZIP is only extracted into the memory scratch when it fits there: bombs and over-large packages
are refused before a byte is written, with the advice to extract them to a directory instead."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evidence.production.verify import UnusableInput, verify_package
from evidence.redaction.scratch import scratch_base


def _scratch_entries() -> set[str]:
    base = Path(scratch_base())
    return {entry.name for entry in base.iterdir() if entry.name.startswith("custody-verify-")}


def test_a_zip_bomb_is_refused_before_extraction(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("P001/bagit.txt", b"BagIt-Version: 1.0\n")
        archive.writestr("P001/data/zeros.bin", bytes(8 << 20))  # 8 MiB of zeros: about 8 KiB compressed
    assert bomb.stat().st_size < 64 << 10
    before = _scratch_entries()
    with pytest.raises(UnusableInput, match=r"zeros\.bin claims to expand \d+-fold.*Extract it to a directory"):
        verify_package(bomb)
    assert _scratch_entries() == before


def _declaring(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("P001/bagit.txt", b"BagIt-Version: 1.0\n")
        archive.writestr("P001/data/big.bin", b"x" * 1000)
        archive.filelist[-1].file_size = size  # written into the central directory (ZIP64 if need be) on close
        archive.filelist[-1].compress_size = size // 2  # a ratio that passes: only the size is at stake
    with zipfile.ZipFile(path) as reread:
        assert reread.getinfo("P001/data/big.bin").file_size == size
    return path


def _room() -> int:
    stats = os.statvfs(scratch_base())
    available = next(
        int(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
        if line.startswith("MemAvailable:")
    )
    return min(stats.f_bavail * stats.f_frsize, available)


def test_a_zip_taking_most_of_the_scratch_is_refused(tmp_path: Path) -> None:
    """Fitting is not enough: a tmpfs's pages are the host's memory, shared with the vault's own work."""
    package = _declaring(tmp_path / "big.zip", _room() * 3 // 4)
    with pytest.raises(UnusableInput, match="a verification may take in the scratch"):
        verify_package(package)


def test_a_zip_declaring_more_than_the_scratch_holds_is_refused(tmp_path: Path) -> None:
    huge = _declaring(tmp_path / "huge.zip", 1 << 45)
    assert _room() < 1 << 45
    with pytest.raises(CommandError) as refused:
        call_command("verify_production", str(huge))
    assert refused.value.returncode == 2
    assert f"expands to {(1 << 45) + 19} bytes" in str(refused.value)
    assert "verify that directory" in str(refused.value)
