"""Where the engine keeps its working files: decrypted documents and rasterised pages.

A private directory (mode 0700, created by ``tempfile``) removed when the block ends, also on error.
It lives in memory: ``CUSTODY_SCRATCH_DIR`` (a tmpfs mount) if set, else ``/dev/shm``, so a crash or
a killed worker leaves nothing on a disk. With neither, decrypted evidence has nowhere safe to go:
the engine refuses to work rather than fall back to the system temporary directory (a disk).
"""

from __future__ import annotations

import os
import tempfile

# A shared directory is safe here: mkdtemp makes an unguessable 0700 directory inside it.
SHM = "/dev/shm"  # noqa: S108


class ScratchUnavailable(RuntimeError):
    """No memory-backed directory to hold decrypted evidence."""


def memory_scratch() -> str | None:
    """The memory-backed directory for working files, or None when the host has none."""
    configured = os.environ.get("CUSTODY_SCRATCH_DIR", "").strip()
    if configured:
        return configured
    if os.path.isdir(SHM) and os.access(SHM, os.W_OK | os.X_OK):
        return SHM
    return None


def scratch_base() -> str:
    base = memory_scratch()
    if base is None:
        raise ScratchUnavailable(
            f"No memory scratch directory: {SHM} is missing or not writable and CUSTODY_SCRATCH_DIR is not "
            "set. Decrypted evidence must not be written to disk; set CUSTODY_SCRATCH_DIR to a tmpfs mount."
        )
    return base


def scratch() -> tempfile.TemporaryDirectory[str]:
    """``with scratch() as tmp:`` a fresh private directory, deleted with everything in it at the end."""
    return tempfile.TemporaryDirectory(prefix="custody-redact-", dir=scratch_base())
