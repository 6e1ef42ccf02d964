"""Where the engine keeps its working files: decrypted documents and rasterised pages.

A private directory (mode 0700, created by ``tempfile``) removed when the block ends, also on error.
It lives in memory when possible: ``CUSTODY_SCRATCH_DIR`` (a tmpfs mount) if set, else ``/dev/shm``
when the system has it, so a crash or a killed worker leaves nothing on a disk; only when neither
exists does it fall back to the system temporary directory.
"""

from __future__ import annotations

import os
import tempfile

# A shared directory is safe here: mkdtemp makes an unguessable 0700 directory inside it.
SHM = "/dev/shm"  # noqa: S108


def scratch_base() -> str | None:
    configured = os.environ.get("CUSTODY_SCRATCH_DIR", "").strip()
    if configured:
        return configured
    if os.path.isdir(SHM) and os.access(SHM, os.W_OK | os.X_OK):
        return SHM
    return None


def scratch() -> tempfile.TemporaryDirectory[str]:
    """``with scratch() as tmp:`` a fresh private directory, deleted with everything in it at the end."""
    return tempfile.TemporaryDirectory(prefix="custody-redact-", dir=scratch_base())
